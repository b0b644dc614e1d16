"""Restore of a `compromised` lab host, proven: the hunt finds every planted case, a case is
opened, `restore --check` changes nothing on the host, `restore` reinstalls coreutils
(/usr/bin/pinky was modified) from the lab's repository at its installed version and
removes the persistence of every hunt rule through quarantine; then a hunt finds nothing,
`dpkg --verify coreutils` is clean and an assess with the same profile scores the host as
high as the `hardened` flavour's host in the same run.

One lab, one restore run: the module fixture runs every step once, the tests read it. The
profile (restore's and the assess's) is server-l1 tailored to the sections an intruder
touched here, without controls whose remediation is manual (a time daemon or AIDE to
install: the lab has no mirror for them), which keeps the hardening step short.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from labrun import Run, run_cli, running_lab, ssh_ops
from test_lab_hunt_rules import CASES, INTEL

from assessor.catalogue import load_catalogue
from assessor.cli import main
from assessor.incident.record import load_case
from assessor.incident.summary import build
from assessor.lab import fleet

LAB = os.environ.get("ASSESSOR_RESTORE_LAB", "rcomp")
CASE = "IR-COMP-1"
IOCS = ("--iocs", str(INTEL / "compromised-bundle.json"),
        "--iocs", str(INTEL / "compromised-misp-event.json"),
        "--iocs", str(INTEL / "compromised.csv"))
# everything the restore may change, read on the host in one ssh round trip
STATE = ("sudo -n sh -c 'cat /etc/passwd /etc/hosts /etc/ld.so.preload /root/.bashrc "
         "/root/.ssh/authorized_keys /var/spool/cron/crontabs/root /etc/cron.d/sysupdate "
         "/etc/rc.local /etc/profile.d/locale-fix.sh 2>&1 | sha256sum; "
         "ls -la /etc/systemd/system/multi-user.target.wants /var/tmp /usr/local/bin "
         "/var/www/html /var/spool/cron/atjobs /opt/.cache /root/.config/systemd/user; "
         "systemctl is-active kworkerd netcheck proc-hide; dpkg --verify coreutils; "
         "grep -c 127.0.0.66 /proc/net/tcp; grep -c /proc/ /proc/self/mountinfo; "
         "ls /var/lib/assessor/quarantine 2>&1'")

SECTIONS = ("1.1.1 Filesystem Kernel Modules", "3.3 Network Kernel Parameters",
            "5.1 SSH Server", "5.4.2 Root and System Accounts")
ALSO = ("accounts.single-uid0",)  # manual in the catalogue; restore's quarantine fixes it


def tailoring(path: Path) -> Path:
    """server-l1 with only the automated controls of SECTIONS (and ALSO) selected."""
    keep = {c.id for c in load_catalogue().controls
            if "server-l1" in c.profiles and c.section in SECTIONS
            and (c.remediate or {}).get("role")} | set(ALSO)
    drop = sorted(c.id for c in load_catalogue().controls
                  if "server-l1" in c.profiles and c.id not in keep)
    path.write_text("extends: server-l1\ndeselect:\n" + "".join(f"  - {c}\n" for c in drop))
    return path


@dataclass(frozen=True)
class Restored:
    lab: fleet.LabState
    host: str
    peer: str
    work: Path
    hunt: Run
    state_before: str
    state_after_check: str
    check: Run
    restore: Run
    took: float
    assess: Run

    def record(self, run: Run) -> dict[str, Any]:
        return json.loads((run.run_dir / "restore.json").read_text())  # type: ignore[no-any-return]


def cli(out: Path, *args: str, timeout: int = 900) -> Run:
    proc = run_cli(*args, "--out", str(out), timeout=timeout)
    return Run(proc.returncode, proc.stdout, proc.stderr, out)


def failing(run: Run, name: str) -> list[str]:
    findings = run.host(name)["findings"]
    assert isinstance(findings, list)
    return sorted(f["control_id"] for f in findings if f["status"] == "fail")


@pytest.fixture(scope="module")
def restored(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Restored]:
    work = tmp_path_factory.mktemp("rcomp")
    with running_lab(LAB, 2, "compromised,hardened", work / "inventory.yml") as lab:
        fleet.serve_demo_repo(LAB, say=lambda _: None, own_packages=True)
        host, peer = (next(h.name for h in lab.hosts if h.flavour == f)
                      for f in ("compromised", "hardened"))
        inventory = str(lab.inventory)
        hunt = cli(work / "hunt", "hunt", "-i", inventory, *IOCS)
        cases = str(work / "cases")
        for args in (("open", "--title", "Compromised web host", "--severity", "critical"),
                     ("add", str(hunt.run_dir))):
            assert main(["incident", *args, "--case", CASE, "--out", cases]) == 0
        profile = ("--tailoring", str(tailoring(work / "tailoring.yaml")))
        restore = ("restore", "-i", inventory, "--limit", host, "--case", CASE,
                   "--cases", cases, *profile, *IOCS)
        state_before = ssh_ops(lab, host, STATE).stdout
        check = cli(work / "check", *restore, "--check")
        state_after_check = ssh_ops(lab, host, STATE).stdout
        started = time.monotonic()
        done = cli(work / "restore", *restore, timeout=1500)
        took = time.monotonic() - started
        assess = cli(work / "assess", "assess", "-i", inventory, *profile)
        yield Restored(lab, host, peer, work, hunt, state_before, state_after_check, check,
                       done, took, assess)


def test_hunt_finds_every_planted_case(restored: Restored) -> None:
    assert restored.hunt.code == 1, restored.hunt.stderr
    found = failing(restored.hunt, restored.host)
    # the allowlist rule applies only with a list of keys (test_lab_hunt_rules gives one)
    wanted = {c: w for c, w in CASES.items() if c != "ssh-unlisted"}
    missing = {c: w for c, w in wanted.items() if not any(f.startswith(w) for f in found)}
    assert not missing, f"not found: {missing}\nfound: {found}"
    assert failing(restored.hunt, restored.peer) == []


def test_restore_check_shows_every_removal_and_changes_nothing(restored: Restored) -> None:
    check = restored.check
    assert check.code == 0, check.stdout + check.stderr
    assert restored.state_after_check == restored.state_before
    # dpkg --verify names the modified file (its md5sum differs) before and after the check
    assert "??5?????? /usr/bin/pinky" in " ".join(restored.state_before.split())
    assert "would reinstall coreutils=" in check.stdout
    (host,) = restored.record(check)["hosts"]
    assert host["verdict"].startswith("preview only") and host["quarantined"] == []
    actions = {i["action"] for i in host["removal"]}
    assert actions == {"file", "lines", "unit", "process", "account", "shell", "unmount"}
    assert {i["status"] for i in host["removal"]} <= {"would-move", "would-remove"}, \
        host["removal"]
    assert host["not removable"] == []


def test_restore_removes_everything_and_reinstalls_the_package(restored: Restored) -> None:
    run = restored.restore
    assert run.code == 0, run.stdout[-3000:] + run.stderr
    record = restored.record(run)
    (host,) = record["hosts"]
    assert host["restored"] and host["verdict"].startswith("known-good"), host["verdict"]
    assert [r.split("=")[0] for r in host["reinstalled"]] == ["coreutils"]
    assert host["before"]["hunt findings"] > 30 and host["after"]["hunt findings"] == 0
    assert host["after"]["files failing md5sums"] == 0
    assert all(i["status"] in ("moved", "removed") for i in host["removal"]), host["removal"]
    reversible = {i["action"]: i.get("reversible") for i in host["removal"]}
    assert reversible["lines"] is True and reversible["account"] is False
    # on the host: the package's own pinky, no planted unit or process left
    state = ssh_ops(restored.lab, restored.host, "dpkg --verify coreutils; "
                    "systemctl is-active kworkerd netcheck proc-hide; getent passwd sysadm2 "
                    "www-data; grep -c evil /etc/hosts; sudo -n stat -c '%a %U' "
                    "/root/.ssh/authorized_keys")
    lines = state.stdout.splitlines()
    assert lines[:3] == ["inactive"] * 3, state.stdout  # dpkg --verify printed nothing
    assert lines[3].startswith("www-data:") and lines[3].endswith(":/usr/sbin/nologin")
    assert lines[4:] == ["0", "600 root"], state.stdout


def test_then_the_hunt_finds_nothing(restored: Restored) -> None:
    """restore's own hunt afterwards: the same --iocs, and the case's indicators besides."""
    (hunt_after,) = (restored.restore.run_dir / "hunt-after").iterdir()
    results = json.loads((hunt_after / "results.json").read_text())
    (host,) = results["hosts"]
    assert host["name"] == restored.host and host["error"] in ("", None)
    assert [f["control_id"] for f in host["findings"] if f["status"] == "fail"] == []
    assert sum(f["status"] == "pass" for f in host["findings"]) >= 15  # every rule ran


def test_baseline_score_is_back_to_the_hardened_hosts(restored: Restored) -> None:
    scores = {n: restored.assess.host(n)["score"] for n in (restored.host, restored.peer)}
    assert isinstance(scores[restored.host], float | int), scores
    assert scores[restored.host] >= scores[restored.peer], scores  # type: ignore[operator]
    (host,) = restored.record(restored.restore)["hosts"]
    assert host["before"]["baseline score"] < scores[restored.peer]


def test_restore_is_timed_and_in_the_incident(restored: Restored) -> None:
    record = restored.record(restored.restore)
    assert 0 < record["duration_s"] <= restored.took
    assert set(record["step_seconds"]) >= {"reinstall", "quarantine", "harden", "hunt after"}
    print(f"\nrestore of a compromised lab host took {record['duration_s']} s: "
          f"{record['step_seconds']}")
    case, _ = load_case(restored.work / "cases", CASE)
    assert [a.kind for a in case.attachments][-2:] == ["restore", "restore"]
    actions = {e.action for e in build(case).timeline}
    assert {"reinstalled", "quarantined", "killed", "restored"} <= actions
