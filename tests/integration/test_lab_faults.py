"""Hosts that cannot be assessed get an error entry with the reason; the others still report."""

from __future__ import annotations

import subprocess
from pathlib import Path

import yaml
from junitparser import Error, JUnitXml
from labrun import assess, run_cli

from assessor.lab import fleet
from assessor.rundir import host_dir


def faulty_inventory(lab: fleet.LabState, tmp_path: Path) -> Path:
    """One good host and three broken ways in: closed port, unknown key, user without sudo."""
    hosts = {h.flavour: h for h in lab.hosts}
    stranger_key = tmp_path / "stranger"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(stranger_key)],
                   check=True)
    good = yaml.safe_load(Path(lab.inventory).read_text())["all"]["vars"]
    inventory = {
        "all": {
            "vars": good,
            "hosts": {
                "good": {"ansible_host": hosts["hardened"].address},
                "closed-port": {"ansible_host": hosts["weak"].address, "ansible_port": 2},
                "wrong-key": {"ansible_host": hosts["weak"].address,
                              "ansible_ssh_private_key_file": str(stranger_key)},
                "no-sudo": {"ansible_host": hosts["insecure"].address, "ansible_user": "guest"},
            },
        }
    }
    path = tmp_path / "faulty.yml"
    path.write_text(yaml.safe_dump(inventory))
    return path


def test_broken_hosts_get_error_entries_and_others_are_assessed(
    lab: fleet.LabState, tmp_path: Path
) -> None:
    run = assess(faulty_inventory(lab, tmp_path), tmp_path / "out")
    assert run.code == 3, run.stdout + run.stderr
    good = run.host("good")
    assert good["error"] == "" and len(good["findings"]) >= 20
    reasons = {
        name: str(run.host(name)["error"]) for name in ("closed-port", "wrong-key", "no-sudo")
    }
    assert reasons["closed-port"].startswith("unreachable")
    assert "refused" in reasons["closed-port"].lower()
    assert reasons["wrong-key"].startswith("unreachable")
    assert "permission denied" in reasons["wrong-key"].lower()
    assert "sudo" in reasons["no-sudo"].lower() and "password" in reasons["no-sudo"].lower()
    index = (run.run_dir / "index.html").read_text()
    for name, reason in reasons.items():
        xml = JUnitXml.fromfile(str(host_dir(run.run_dir, name) / "junit.xml"))
        errors = [r for suite in xml for case in suite for r in case.result if isinstance(r, Error)]
        assert len(errors) == 1 and reason[:40] in (errors[0].message or "")
        assert name in index
    assert "could not be assessed" in run.stdout


def test_missing_inventory_exits_2_naming_the_file(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere.yml"
    proc = run_cli("assess", "-i", str(missing), "--out", str(tmp_path))
    assert proc.returncode == 2
    assert str(missing) in proc.stderr and "not found" in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1


def test_malformed_inventory_exits_2_naming_file_and_line(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yml"
    bad.write_text("all:\n  hosts:\n    web-01: {ansible_host: 10.0.0.1\n    web-02:\n")
    proc = run_cli("assess", "-i", str(bad), "--out", str(tmp_path / "out"))
    assert proc.returncode == 2, proc.stderr
    assert f"{bad}:" in proc.stderr and "malformed inventory" in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "out").exists()


def test_unknown_profile_exits_2(lab: fleet.LabState, tmp_path: Path) -> None:
    proc = run_cli("assess", "-i", lab.inventory, "--profile", "nope", "--out", str(tmp_path))
    assert proc.returncode == 2 and "nope" in proc.stderr
