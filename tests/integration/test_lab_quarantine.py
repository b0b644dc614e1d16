"""hunt --quarantine on a real lab host, with ClamAV and the run's own signatures, and undo.

Planted over ssh on one weak host: the EICAR string (written here at run time), two of
Debian's clamav-testfiles samples known to us only through hashes `sigtool` gives (one of
them also inside a zip only ClamAV looks into), a file matching a hash indicator with an
owner, mode, mtime and xattr of its own, a copy of sleep running from /dev/shm, and a
dpkg-owned file that matches an indicator. --check moves nothing; --quarantine moves them
(vault item mode 000, sidecar as the file was, the process stopped) but leaves the
dpkg-owned file; restore puts them back byte for byte with owner, mode, mtime and xattr.
(Restore's refusal to overwrite a different file, and its --check, are unit tests of the
same host module: tests/unit/test_quarantine.py.)
"""

from __future__ import annotations

import base64
import hashlib
import json
import shlex
from collections.abc import Iterator
from pathlib import Path

import pytest
from labrun import Run, run_cli, running_lab, ssh_ops
from samples import TESTFILES, eicar, sigtool_hash

from assessor import cli
from assessor.lab import fleet

VAULT = "/var/lib/assessor/quarantine"
PAYLOAD = b"#!/bin/sh\n# planted by the quarantine test\n"
MTIME = "2024-02-03 04:05:06"


def sh(lab: fleet.LabState, command: str) -> str:
    proc = ssh_ops(lab, lab.hosts[0].name, command)
    assert proc.returncode == 0, (command, proc.stderr)
    return proc.stdout


def put(path: str, data: bytes, owner: str = "root", mode: str = "0644") -> str:
    """Shell that writes a file on the host by the host (never through this machine's view)."""
    blob = base64.b64encode(data).decode()
    q = shlex.quote(path)
    return (f"sudo mkdir -p $(dirname {q}) && echo {blob} | base64 -d | sudo tee {q} >/dev/null"
            f" && sudo chown {owner} {q} && sudo chmod {mode} {q}")


def host_sha256(lab: fleet.LabState, paths: list[str]) -> dict[str, str]:
    """One ssh round trip: the SHA-256 of each path that exists on the host."""
    quoted = " ".join(shlex.quote(p) for p in paths)
    out = ssh_ops(lab, lab.hosts[0].name, f"sudo sha256sum {quoted} 2>/dev/null").stdout
    return {line.split("  ", 1)[1]: line.split()[0] for line in out.splitlines()}


def existing(lab: fleet.LabState, paths: list[str]) -> set[str]:
    quoted = " ".join(shlex.quote(p) for p in paths)
    out = sh(lab, f"for p in {quoted}; do sudo test -e $p && echo $p; done; true")
    return set(out.split())


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
        sh(state, " && ".join([
            *(put(path, data) for path, data in PLANTED.items()),
            put(OWNED, PAYLOAD, owner="ops:ops", mode="0640"),
            f"sudo touch -d '{MTIME}' {OWNED}",
            f"sudo python3 -c \"import os; os.setxattr('{OWNED}', 'user.origin', b'planted')\"",
            f"sudo cp /usr/bin/sleep {RUNNING}",
            f"sudo sh -c 'nohup {RUNNING} 600 >/dev/null 2>&1 &'",
        ]))
        yield state


@pytest.fixture(scope="module")
def iocs(tmp_path_factory: pytest.TempPathFactory, lab: fleet.LabState) -> Path:
    hashes = host_sha256(lab, [DPKG_OWNED, RUNNING])
    debian_version, sleep = hashes[DPKG_OWNED], hashes[RUNNING]
    rows = [
        f"md5,{sigtool_hash('--md5', TESTFILES / 'clam.exe')},sigtool clam.exe",
        f"sha256,{sigtool_hash('--sha256', TESTFILES / 'clam.pdf')},sigtool clam.pdf",
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
    lab: fleet.LabState, iocs: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    everything = sorted([*moving(), DPKG_OWNED])
    before = host_sha256(lab, everything)
    assert set(before) == set(everything), before

    preview = hunt(lab, tmp_path / "check", iocs, "--quarantine", "--check")
    assert preview.code == 1, preview.stderr
    items = manifest(preview)
    assert {p for p, i in items.items() if i["status"] == "would-move"} == moving()
    assert items[DPKG_OWNED]["status"] == "refused"
    assert host_sha256(lab, everything) == before
    assert existing(lab, [VAULT]) == set()

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
    assert host_sha256(lab, everything) == {DPKG_OWNED: before[DPKG_OWNED]}
    vaulted = sorted(str(items[p]["vault"]) for p in moving())
    modes = sh(lab, f"sudo stat -c %a {VAULT} {VAULT}/{run.run_dir.name} {' '.join(vaulted)}")
    assert modes.split() == ["700", "700"] + ["0"] * len(vaulted)
    sidecars = sh(lab, f"sudo cat {items[OWNED]['vault']}.json; echo; echo '#'; "
                       f"sudo cat {items[RUNNING]['vault']}.json; echo; echo '#'; "
                       f"pgrep -f '^{RUNNING}' || true").split("\n#\n")
    sidecar, stopped = json.loads(sidecars[0]), json.loads(sidecars[1])
    assert sidecar["path"] == OWNED and sidecar["sha256"] == before[OWNED]
    assert (sidecar["owner"], sidecar["group"], sidecar["mode"]) == ("ops", "ops", "0640")
    assert sidecar["size"] == len(PAYLOAD) and sidecar["run_id"] == run.run_dir.name
    assert base64.b64decode(sidecar["xattrs"]["user.origin"]) == b"planted"
    assert "test payload" in sidecar["detection"] and sidecar["engine"].startswith("1.")
    assert stopped["processes_stopped"] and sidecars[2].strip() == "", sidecars

    # In this process: the list reads only the run directory (and a CLI start costs seconds).
    monkeypatch.setenv("COLUMNS", "250")
    assert cli.main(["quarantine", "list", str(run.run_dir)]) == 0
    assert str(items[OWNED]["id"]) in capsys.readouterr().out

    back = run_cli("quarantine", "restore", str(run.run_dir))
    assert back.returncode == 0, back.stdout + back.stderr
    assert {i["status"] for i in manifest(run).values()} == {"restored", "refused"}
    assert host_sha256(lab, everything) == before
    meta = sh(lab, f"sudo stat -c '%U:%G %a %y' {OWNED}; sudo python3 -c \"import os; "
                   f"print(os.getxattr('{OWNED}', 'user.origin'))\"").splitlines()
    assert meta[0].startswith(f"ops:ops 640 {MTIME}") and meta[1] == "b'planted'", meta
