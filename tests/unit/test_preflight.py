"""doctor's judge: ssh's complaints told apart, the host script's reply read, each fix named."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from assessor.cli import main
from assessor.pipeline.doctor import ssh_command
from assessor.preflight import (
    FAILED,
    READY,
    SCRIPT,
    SKIPPED,
    HostReport,
    judge,
    ssh_failure,
    target,
)

VARS = {"ansible_host": "192.0.2.7", "ansible_user": "ops", "ansible_port": 2222,
        "ansible_ssh_private_key_file": "/keys/id", "ansible_become_user": "backup",
        "ansible_ssh_common_args": "-o UserKnownHostsFile=/lab/known_hosts "
                                   "-o StrictHostKeyChecking=yes"}
GOOD = ("now=1000\npython=/usr/bin/python3\npython_version=3.11.2\nsudo=0\nsudo_msg=\n"
        "user=ops\nfree_kb_tmp=512000\nfree_kb_var=2048000\ndone=1\n")


def report() -> HostReport:
    return HostReport(target("web-01", VARS))


def statuses(r: HostReport) -> dict[str, str]:
    return {c.name: c.status for c in r.checks}


def test_the_target_is_built_from_ansible_connection_variables() -> None:
    t = target("web-01", VARS)
    assert (t.address, t.port, t.user, t.become_user, t.known_hosts) == (
        "192.0.2.7", 2222, "ops", "backup", "/lab/known_hosts")
    command = ssh_command(t, 5)
    assert command[:3] == ["ssh", "-o", "BatchMode=yes"]
    assert command[-2:] == ["192.0.2.7", "sh -s -- python3 backup"]
    assert "StrictHostKeyChecking=yes" in command and "/keys/id" in command
    hostile = target("x", {"ansible_become_user": "root; rm -rf /"})
    assert ssh_command(hostile, 5)[-1] == "sh -s -- python3 'root; rm -rf /'"
    assert target("y", {}).known_hosts == "~/.ssh/known_hosts"


@pytest.mark.parametrize(("stderr", "failed", "fix"), [
    ("No ED25519 host key is known for 192.0.2.7 and you have requested strict checking.\n"
     "Host key verification failed.", "host-key", "ssh-keyscan -p 2222 192.0.2.7 >> "
     "/lab/known_hosts"),
    ("@ WARNING: REMOTE HOST IDENTIFICATION HAS CHANGED! @\nHost key verification failed.",
     "host-key", "ssh-keygen -R '[192.0.2.7]:2222' -f /lab/known_hosts"),
    ("ops@192.0.2.7: Permission denied (publickey).", "auth", "ssh-copy-id -i /keys/id.pub"),
])
def test_ssh_failures_are_told_apart(stderr: str, failed: str, fix: str) -> None:
    r = report()
    ssh_failure(r, 255, stderr)
    check = next(c for c in r.checks if c.status == FAILED)
    assert check.name == failed and fix in check.fix, check
    assert statuses(r)["python3"] == SKIPPED and not r.ready


def test_a_ready_host_passes_every_check() -> None:
    r = report()
    judge(r, GOOD, 1002.0, min_free_mb=100, max_skew=30)
    assert set(statuses(r).values()) == {READY} and r.ready


@pytest.mark.parametrize(("change", "check", "fix"), [
    ("python=\n", "python3", "apt-get install python3"),
    ("python_version=3.7.3\n", "python3", "Python >= 3.9"),
    ("sudo=1\nsudo_msg=sudo: a password is required\n", "sudo",
     "ops ALL=(backup) NOPASSWD: ALL"),
    ("sudo=missing\n", "sudo", "apt-get install sudo"),
    ("free_kb_tmp=1024\n", "tmp-space", "free at least 100 MiB in /tmp"),
    ("free_kb_var=\n", "var-space", "check that /var exists"),
    ("lock=/var/lib/dpkg/lock-frontend 4242 unattended-upgr\n", "apt-lock", "never delete"),
    ("now=1100\n", "clock", "timedatectl set-ntp true"),
])
def test_each_gap_fails_its_check_with_the_fix(change: str, check: str, fix: str) -> None:
    r = report()
    key = change.split("=")[0]
    reply = "".join(line + "\n" for line in GOOD.splitlines() if not line.startswith(key + "="))
    judge(r, change + reply, 1000.0, min_free_mb=100, max_skew=30)
    failed = {c.name: c for c in r.checks if c.status == FAILED}
    assert list(failed) == [check], failed
    assert fix in failed[check].fix, failed[check]


def test_a_reply_cut_short_is_not_taken_for_a_ready_host() -> None:
    r = report()
    judge(r, GOOD.replace("done=1\n", ""), 1000.0, min_free_mb=100, max_skew=30)
    assert not r.ready and "cut short" in r.checks[0].observed


def test_the_host_script_runs_under_posix_sh_here() -> None:
    """The same script on this machine (dash): every key there, parsed by the judge."""
    proc = subprocess.run(["sh", "-s", "--", "python3", "root"], input=SCRIPT,
                          capture_output=True, text=True, timeout=30, check=True)
    keys = {line.split("=")[0] for line in proc.stdout.splitlines()}
    assert {"now", "python", "python_version", "sudo", "user", "free_kb_tmp", "free_kb_var",
            "done"} <= keys


def test_a_bad_inventory_is_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["doctor", "-i", str(tmp_path / "missing.yml")]) == 2
    assert "inventory file not found" in capsys.readouterr().err


def test_an_unreachable_host_is_exit_3(tmp_path: Path,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    """127.0.0.1 port 9 (discard) is closed on this machine: not ready, exit 3, the fix."""
    inventory = tmp_path / "hosts.yml"
    inventory.write_text("all:\n  hosts:\n    closed:\n      ansible_host: 127.0.0.1\n"
                         "      ansible_port: 9\n")
    assert main(["doctor", "-i", str(inventory), "--timeout", "2"]) == 3
    captured = capsys.readouterr()
    assert "closed\tport\tFAIL\t127.0.0.1:9:" in captured.out
    assert "systemctl enable --now ssh" in captured.out
    assert "not ready: closed" in captured.err
