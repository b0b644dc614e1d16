"""`assessor doctor` on two lab hosts: ready as the lab made them, then broken on purpose.

weak-01 gets an inventory whose known_hosts lacks its key; weak-02 loses python3, gets a
become user (`backup`) for which sudo wants a password, and a full 1 MiB tmpfs on /tmp.
Each break is made on the host over ssh and undone after; doctor must name every one with
its fix and exit 3.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from labrun import module_lab, ssh_ops

from assessor.cli import main
from assessor.lab import fleet

pytestmark = pytest.mark.lab
LAB = "clidoc"
BREAK = (
    "sudo mv /usr/bin/python3 /usr/bin/python3.doctor"
    " && echo 'ops ALL=(backup) PASSWD: ALL' | sudo tee /etc/sudoers.d/zz-doctor >/dev/null"
    " && sudo chmod 0440 /etc/sudoers.d/zz-doctor"
    " && sudo mount -t tmpfs -o size=1m doctor /tmp"
    " && sudo dd if=/dev/zero of=/tmp/fill bs=64k count=16 2>/dev/null"
)
UNDO = ("sudo umount /tmp; sudo rm -f /etc/sudoers.d/zz-doctor;"
        " sudo mv /usr/bin/python3.doctor /usr/bin/python3")


lab = module_lab(LAB, 2, "weak")


def doctor(inventory: str | Path, capsys: pytest.CaptureFixture[str],
           ) -> tuple[int, dict[str, dict[str, dict[str, str]]], str]:
    """The CLI's entry in this process (the same path as the installed command; this saves
    the interpreter's start-up, seconds on a loaded machine)."""
    capsys.readouterr()
    code = main(["doctor", "-i", str(inventory), "--format", "json", "--timeout", "10"])
    captured = capsys.readouterr()
    by_host: dict[str, dict[str, dict[str, str]]] = {}
    for row in json.loads(captured.out):
        by_host.setdefault(row["host"], {})[row["check"]] = row
    return code, by_host, captured.err


def broken_inventory(lab: fleet.LabState, directory: Path) -> Path:
    data = yaml.safe_load(Path(lab.inventory).read_text())
    hosts = data["all"]["children"][f"lab_{LAB}"]["children"]["weak"]["hosts"]
    empty = directory / "known_hosts_without_weak01"
    empty.write_text("")
    common = data["all"]["vars"]["ansible_ssh_common_args"]
    hosts["weak-01"]["ansible_ssh_common_args"] = common.replace(lab.known_hosts, str(empty))
    hosts["weak-02"]["ansible_become_user"] = "backup"
    path = directory / "broken.yml"
    path.write_text(yaml.safe_dump(data))
    return path


def test_doctor_names_every_broken_host_and_its_fix(
    lab: fleet.LabState, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, ready, err = doctor(lab.inventory, capsys)
    assert code == 0, (ready, err)
    assert set(ready) == {"weak-01", "weak-02"}
    for checks in ready.values():
        assert {c["status"] for c in checks.values()} == {"ok"}, checks
        assert "3." in checks["python3"]["observed"]
    assert "2 of 2 host(s) ready" in err

    broke = ssh_ops(lab, "weak-02", BREAK)
    try:
        assert broke.returncode == 0, broke.stdout + broke.stderr
        code, hosts, err = doctor(broken_inventory(lab, tmp_path), capsys)
        assert code == 3, (hosts, err)
        assert "not ready: weak-01, weak-02" in err

        one = hosts["weak-01"]
        assert one["host-key"]["status"] == "FAIL"
        assert "no host key" in one["host-key"]["observed"]
        assert one["host-key"]["fix"].startswith("ssh-keyscan ")
        assert one["python3"]["status"] == "skipped"

        two = hosts["weak-02"]
        assert two["host-key"]["status"] == two["auth"]["status"] == "ok"
        assert two["python3"]["status"] == "FAIL" and "apt-get install python3" in two[
            "python3"]["fix"]
        assert two["sudo"]["status"] == "FAIL" and "password" in two["sudo"]["observed"]
        assert "ops ALL=(backup) NOPASSWD: ALL" in two["sudo"]["fix"]
        assert two["tmp-space"]["status"] == "FAIL", two["tmp-space"]
        assert two["tmp-space"]["observed"].startswith("0 MiB free in /tmp")
        assert two["var-space"]["status"] == two["apt-lock"]["status"] == "ok"
        assert two["clock"]["status"] == "ok"
    finally:
        undone = ssh_ops(lab, "weak-02", UNDO)
    assert undone.returncode == 0, undone.stderr
    assert ssh_ops(lab, "weak-02", "python3 -c 'print(1)' && ! mountpoint -q /tmp").returncode == 0
