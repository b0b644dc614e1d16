"""hunt --quarantine on a real lab host, with ClamAV and the run's own signatures, and undo.

Planted over ssh on one weak host: the EICAR string (written here at run time), two of
Debian's clamav-testfiles samples known to us only through hashes `sigtool` gives (one of
them also inside a zip only ClamAV looks into), a file matching a hash indicator with an
owner, mode, mtime and xattr of its own, a copy of sleep running from /dev/shm, and a
dpkg-owned file that matches an indicator. --check moves nothing; --quarantine moves them
(vault item mode 000, sidecar as the file was) but leaves the dpkg-owned file; restore
puts them back byte for byte, refusing to overwrite a different file.
"""

from __future__ import annotations

import base64
import hashlib
import json
import shlex
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from labrun import Run, run_cli, running_lab, ssh_ops

from assessor.lab import fleet

TESTFILES = Path("/usr/share/clamav-testfiles")
VAULT = "/var/lib/assessor/quarantine"
PAYLOAD = b"#!/bin/sh\n# planted by the quarantine test\n"
MTIME = "2024-02-03 04:05:06"


def eicar() -> bytes:
    """The EICAR test string, assembled at run time so no file in the tree carries it."""
    return ("X5O!P%@AP[4\\PZX54(P^)7CC)7}$" + "EICAR-STANDARD-" + "ANTIVIRUS-TEST-FILE!$H+H*"
            ).encode()


def sigtool(option: str, sample: Path) -> str:
    """The hash sigtool gives for a sample (`hash:size:name`), as our indicator."""
    out = subprocess.run(["sigtool", option, str(sample)], capture_output=True, text=True,
                         check=True, timeout=60).stdout
    return out.split(":", 1)[0]


def sh(lab: fleet.LabState, command: str) -> str:
    proc = ssh_ops(lab, lab.hosts[0].name, command)
    assert proc.returncode == 0, (command, proc.stderr)
    return proc.stdout


def put(lab: fleet.LabState, path: str, data: bytes, owner: str = "root",
        mode: str = "0644") -> None:
    """A file written on the host by the host (never through this machine's view of it)."""
    blob = base64.b64encode(data).decode()
    q = shlex.quote(path)
    sh(lab, f"sudo mkdir -p $(dirname {q}) && echo {blob} | base64 -d | sudo tee {q} >/dev/null"
            f" && sudo chown {owner} {q} && sudo chmod {mode} {q}")


def host_sha256(lab: fleet.LabState, path: str) -> str:
    out = ssh_ops(lab, lab.hosts[0].name, f"sudo sha256sum {shlex.quote(path)}").stdout
    return out.split()[0] if out else ""


PLANTED = {
    "/var/tmp/eicar.com": eicar(),
    "/opt/qu/clam.exe": (TESTFILES / "clam.exe").read_bytes(),
    "/opt/qu/clam.zip": (TESTFILES / "clam.zip").read_bytes(),
    "/root/clam.pdf": (TESTFILES / "clam.pdf").read_bytes(),
}
OWNED = "/home/ops/payload.sh"
RUNNING = "/dev/shm/qsleep"
DPKG_OWNED = "/etc/debian_version"


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[fleet.LabState]:
    inventory = tmp_path_factory.mktemp("qu") / "inventory.yml"
    with running_lab("qu", 1, "weak", inventory) as state:
        for path, data in PLANTED.items():
            put(state, path, data)
        put(state, OWNED, PAYLOAD, owner="ops:ops", mode="0640")
        sh(state, f"sudo touch -d '{MTIME}' {OWNED} && sudo python3 -c \"import os; "
                  f"os.setxattr('{OWNED}', 'user.origin', b'planted')\"")
        sh(state, f"sudo cp /usr/bin/sleep {RUNNING} && sudo sh -c "
                  f"'nohup {RUNNING} 600 >/dev/null 2>&1 &'")
        yield state


@pytest.fixture(scope="module")
def iocs(tmp_path_factory: pytest.TempPathFactory, lab: fleet.LabState) -> Path:
    debian_version = host_sha256(lab, DPKG_OWNED)
    sleep = host_sha256(lab, RUNNING)
    rows = [
        f"md5,{sigtool('--md5', TESTFILES / 'clam.exe')},sigtool clam.exe",
        f"sha256,{sigtool('--sha256', TESTFILES / 'clam.pdf')},sigtool clam.pdf",
        f"sha256,{hashlib.sha256(PAYLOAD).hexdigest()},test payload",
        f"sha256,{debian_version},test dpkg-owned",
        f"sha256,{sleep},test running binary",
    ]
    path = tmp_path_factory.mktemp("qu-iocs") / "iocs.csv"
    path.write_text("type,value,source\n" + "\n".join(rows) + "\n")
    return path


def hunt(lab: fleet.LabState, out: Path, iocs: Path, *extra: str) -> Run:
    proc = run_cli("hunt", "-i", str(lab.inventory), "--out", str(out), "--iocs", str(iocs),
                   *extra)
    return Run(proc.returncode, proc.stdout, proc.stderr, out)


def manifest(run: Run) -> dict[str, dict[str, object]]:
    data = json.loads((run.run_dir / "quarantine/manifest.json").read_text())
    return {i["path"]: i for i in data["items"]}


def moving() -> set[str]:
    return {*PLANTED, OWNED, RUNNING}


def test_quarantine_check_then_move_then_restore(
    lab: fleet.LabState, iocs: Path, tmp_path: Path
) -> None:
    before = {p: host_sha256(lab, p) for p in [*moving(), DPKG_OWNED]}
    assert all(before.values()), before

    preview = hunt(lab, tmp_path / "check", iocs, "--quarantine", "--check")
    assert preview.code == 1, preview.stderr
    items = manifest(preview)
    assert {p for p, i in items.items() if i["status"] == "would-move"} == moving()
    assert items[DPKG_OWNED]["status"] == "refused"
    assert {p: host_sha256(lab, p) for p in before} == before
    assert ssh_ops(lab, lab.hosts[0].name, f"sudo test -e {VAULT}").returncode != 0

    run = hunt(lab, tmp_path / "move", iocs, "--quarantine", "--kill-processes")
    assert run.code == 1, run.stderr
    findings = {f["control_id"]: f for f in run.host(lab.hosts[0].name)["findings"]}
    clam = findings["hunt.clamav"]
    assert clam["status"] == "fail" and "ClamAV 1." in clam["reason"], clam
    # The zip's member is the sample: only ClamAV sees it, through the sigtool md5.
    assert "sigtool clam.exe" in findings["hunt.clamav:/opt/qu/clam.zip"]["reason"]
    assert "hunt.ioc:/opt/qu/clam.zip" not in findings
    refused = findings[f"hunt.quarantine:{DPKG_OWNED}"]
    assert refused["status"] == "fail" and "dpkg owns it (package base-files)" in refused[
        "reason"] and "--reinstall base-files" in refused["remediation"]
    items = manifest(run)
    assert {p for p, i in items.items() if i["status"] == "moved"} == moving()
    for path in moving():
        assert ssh_ops(lab, lab.hosts[0].name, f"sudo test -e {path}").returncode != 0, path
        assert sh(lab, f"sudo stat -c %a {items[path]['vault']}").strip() == "0"
    assert host_sha256(lab, DPKG_OWNED) == before[DPKG_OWNED]
    vault_run = f"{VAULT}/{run.run_dir.name}"
    assert sh(lab, f"sudo stat -c %a {VAULT} {vault_run}").split() == ["700", "700"]
    sidecar = json.loads(sh(lab, f"sudo cat {items[OWNED]['vault']}.json"))
    assert sidecar["path"] == OWNED and sidecar["sha256"] == before[OWNED]
    assert (sidecar["owner"], sidecar["group"], sidecar["mode"]) == ("ops", "ops", "0640")
    assert sidecar["size"] == len(PAYLOAD) and sidecar["run_id"] == run.run_dir.name
    assert base64.b64decode(sidecar["xattrs"]["user.origin"]) == b"planted"
    assert "test payload" in sidecar["detection"] and sidecar["engine"].startswith("1.")
    stopped = json.loads(sh(lab, f"sudo cat {items[RUNNING]['vault']}.json"))
    assert stopped["processes_stopped"], stopped
    assert sh(lab, f"pgrep -f '^{RUNNING}' || true").strip() == ""

    listing = run_cli("quarantine", "list", str(run.run_dir))
    assert listing.returncode == 0 and str(items[OWNED]["id"]) in listing.stdout

    dry = run_cli("quarantine", "restore", str(run.run_dir), "--check")
    assert dry.returncode == 0, dry.stdout + dry.stderr
    assert ssh_ops(lab, lab.hosts[0].name, f"sudo test -e {OWNED}").returncode != 0

    put(lab, OWNED, b"someone else's file\n")  # a restore never overwrites it
    back = run_cli("quarantine", "restore", str(run.run_dir))
    assert back.returncode == 1, back.stdout + back.stderr
    after = manifest(run)
    assert after[OWNED]["status"] == "restore-refused"
    assert {p for p, i in after.items() if i["status"] == "restored"} == moving() - {OWNED}
    sh(lab, f"sudo rm {OWNED}")
    again = run_cli("quarantine", "restore", str(run.run_dir), "--id", str(items[OWNED]["id"]))
    assert again.returncode == 0, again.stdout + again.stderr
    assert {p: host_sha256(lab, p) for p in before} == before
    stat = sh(lab, f"sudo stat -c '%U:%G %a %y' {OWNED}").strip()
    assert stat.startswith(f"ops:ops 640 {MTIME}"), stat
    assert "planted" in sh(lab, f"sudo python3 -c \"import os; print(os.getxattr('{OWNED}', "
                                f"'user.origin'))\"")
