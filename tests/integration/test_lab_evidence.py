"""Evidence on a real lab host: collected, signed, verified by stock tools, tamper caught.

The test plants what a compromise leaves (a dropper in /tmp, a cron entry, an
authorized_keys line, a modified binary) and reads it back from the bundle.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest
from labrun import module_lab, root_of, run_cli, ssh_ops

from assessor.lab import fleet

LAB = "ev"
DROPPER = b"#!/bin/sh\n# planted by test_lab_evidence\nwhile :; do sleep 60; done\n"


lab = module_lab(LAB, 1, "weak")


@pytest.fixture(scope="module")
def planted(lab: fleet.LabState) -> str:
    host = lab.hosts[0].name
    root = root_of(lab, host)
    (root / "tmp/.x").mkdir(exist_ok=True)
    (root / "tmp/.x/dropper.sh").write_bytes(DROPPER)
    os.chmod(root / "tmp/.x/dropper.sh", 0o755)
    (root / "etc/cron.d/evil").write_text("* * * * * root /tmp/.x/dropper.sh\n")
    ssh = root / "root/.ssh"
    ssh.mkdir(mode=0o700, exist_ok=True)
    (ssh / "authorized_keys").write_text("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIPlanted evil@x\n")
    # a binary dpkg --verify flags, changed on the host itself: through the host's root on
    # this machine, an absolute link (/usr/bin/which -> /etc/alternatives/...) would lead to
    # this machine's own file
    tampered = ssh_ops(lab, host, "sudo sh -c 'printf \"\\n# tampered\\n\" >> /usr/bin/cmp'")
    assert tampered.returncode == 0, tampered.stderr
    started = ssh_ops(lab, host, "sudo systemd-run --unit=evdrop /tmp/.x/dropper.sh")
    assert started.returncode == 0, started.stderr
    return host


@pytest.fixture(scope="module")
def collected(lab: fleet.LabState, planted: str,
              tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, Path]:
    work = tmp_path_factory.mktemp("evout")
    keys = work / "keys"
    made = run_cli("keys", "init", "--dir", str(keys))
    assert made.returncode == 0, made.stderr
    hunt = work / "hunt"
    hunt.mkdir()
    (hunt / "results.json").write_text(json.dumps({"hosts": [{"name": planted, "findings": [
        {"status": "fail", "evidence": {"path": "/tmp/.x/dropper.sh"}}]}]}))
    proc = run_cli("evidence", "-i", str(lab.inventory), "--limit", planted, "--case", "IR-1",
                   "--out", str(work / "out"), "--keys", str(keys), "--from-hunt", str(hunt),
                   timeout=600)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return work / "out" / "IR-1" / planted, keys, work


def test_bundle_verifies_with_stock_tools(collected: tuple[Path, Path, Path]) -> None:
    bundle, keys, _ = collected
    assert oct((keys / "evidence.key").stat().st_mode & 0o777) == "0o600"
    sums = subprocess.run(["sha256sum", "--strict", "-c", "MANIFEST.sha256"], cwd=bundle,
                          capture_output=True, text=True, check=False)
    assert sums.returncode == 0, sums.stdout + sums.stderr
    sig = subprocess.run(["minisign", "-Vm", "MANIFEST.sha256", "-p",
                          str(keys / "evidence.pub")], cwd=bundle,
                         capture_output=True, text=True, check=False)
    assert sig.returncode == 0, sig.stderr
    assert "case:IR-1" in sig.stdout
    ours = run_cli("evidence", "verify", str(bundle.parent), "--keys", str(keys))
    assert ours.returncode == 0, ours.stdout


def test_collection_holds_what_was_planted(collected: tuple[Path, Path, Path],
                                           lab: fleet.LabState, planted: str) -> None:
    bundle, _, _ = collected
    record = json.loads((bundle / "collection.json").read_text())
    assert record["complete"], record["problems"]
    assert record["tiers_collected"] == ["volatile", "system", "logs", "files"]
    ids = [a["id"] for a in record["artifacts"]]
    assert ids.index("processes") < ids.index("persistence") < ids.index("journal")
    procs = json.loads((bundle / "volatile/processes.json").read_text())
    dropper = [p for p in procs if "/tmp/.x/dropper.sh" in p["cmdline"]]
    assert dropper and dropper[0]["user"] == "root" and dropper[0]["exe"] == "/usr/bin/dash"
    assert dropper[0]["sha256"] and dropper[0]["start"]
    assert (bundle / "files/tmp/.x/dropper.sh").read_bytes() == DROPPER
    assert "dropper" in (bundle / "files/etc/cron.d/evil").read_text()
    assert "evil@x" in (bundle / "files/root/.ssh/authorized_keys").read_text()
    verify = (bundle / "system/package-integrity.txt").read_text()
    assert "/usr/bin/cmp" in verify, verify
    for temp in record["host_tempdirs"].values():
        assert temp["removed"]
        assert not (root_of(lab, planted) / temp["path"].lstrip("/")).exists()


def test_mactime_reads_the_bodyfile(collected: tuple[Path, Path, Path]) -> None:
    bundle, _, _ = collected
    proc = subprocess.run(["mactime", "-b", str(bundle / "files/bodyfile.body"), "-d", "-z",
                           "UTC"], capture_output=True, text=True, check=False, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert "/tmp/.x/dropper.sh" in proc.stdout


def test_one_byte_changed_fails_verification(collected: tuple[Path, Path, Path],
                                             tmp_path: Path) -> None:
    bundle, keys, _ = collected
    copy = tmp_path / "copy"
    subprocess.run(["cp", "-a", str(bundle), str(copy)], check=True)
    target = copy / "system/accounts" if (copy / "system/accounts").exists() else \
        copy / "files/etc/passwd"
    data = bytearray(target.read_bytes())
    data[0] ^= 1
    target.write_bytes(bytes(data))
    sums = subprocess.run(["sha256sum", "-c", "MANIFEST.sha256"], cwd=copy,
                          capture_output=True, text=True, check=False)
    assert sums.returncode != 0
    ours = run_cli("evidence", "verify", str(copy), "--keys", str(keys))
    assert ours.returncode == 1 and "etc/passwd" in ours.stdout
    manifest = copy / "MANIFEST.sha256"
    manifest.write_text(manifest.read_text().replace("files/etc/passwd", "files/etc/passwe"))
    sig = subprocess.run(["minisign", "-Vm", str(manifest), "-p", str(keys / "evidence.pub")],
                         capture_output=True, text=True, check=False)
    assert sig.returncode != 0
