"""Advisories against a real apt repository on real lab hosts: exposure, --check, patching.

Three weak hosts get a signed local repository (assessor/lab/aptrepo.py) as their
only source and the vulnerable assessor-demo 1.0-1 installed:
  weak-01  dpkg left half-way (assessor-extra half-configured): pre-checks must refuse it;
  weak-02  assessor-demo and its library held (apt-mark hold): blocked, never touched;
  weak-03  healthy: patched to 1.0-1+deb12u1, then clean.
The tests run in file order on one lab: the later ones build on what `patch` did.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from junitparser import Error, Failure, JUnitXml
from labrun import Run, run_cli

from assessor.lab import aptrepo, fleet
from assessor.rundir import host_dir

LAB = os.environ.get("ASSESSOR_ADV_LAB", "iadv")
DATA = Path(__file__).resolve().parent.parent / "data" / "advisories"
LAB_ADVISORIES = ("ASSESSOR-2026-0001", "CERT-LAB-2026-0002", "CERT-LAB-2026-0003")
BROKEN, HELD, HEALTHY = "weak-01", "weak-02", "weak-03"
FIXED = "1.0-1+deb12u1"


class PatchLab:
    def __init__(self, state: fleet.LabState, work: Path) -> None:
        self.state = state
        self.work = work
        self.hosts = {h.name: h for h in state.hosts}

    def root(self, host: str) -> Path:
        return fleet.host_paths(self.state, self.hosts[host])["merged"]

    def status_bytes(self) -> dict[str, bytes]:
        return {h: (self.root(h) / "var/lib/dpkg/status").read_bytes() for h in self.hosts}

    def installed(self, host: str) -> dict[str, str]:
        return aptrepo.installed(self.root(host))

    def cli(self, command: str, *args: str, advisories: Path = DATA / "lab") -> Run:
        out = self.work / f"out-{len(list(self.work.glob('out-*')))}"
        proc = run_cli(command, "-i", self.state.inventory, "--advisories", str(advisories),
                       "--out", str(out), *args)
        return Run(proc.returncode, proc.stdout, proc.stderr, out)

    def ssh(self, host: str, command: str) -> str:
        proc = subprocess.run(
            ["ssh", "-i", self.state.key, "-o", f"UserKnownHostsFile={self.state.known_hosts}",
             "-o", "StrictHostKeyChecking=yes", "-o", "IdentitiesOnly=yes", "-o", "BatchMode=yes",
             f"ops@{self.hosts[host].address}", command],
            capture_output=True, text=True, timeout=30, check=True,
        )
        return proc.stdout


@pytest.fixture(scope="module")
def adv_lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PatchLab]:
    if os.geteuid() != 0:
        pytest.fail("integration tests need root for the lab (run `make test` as root)")
    work = tmp_path_factory.mktemp("adv")
    repo = aptrepo.build_repo(work / "repo")
    fleet.down(LAB, say=lambda _: None)  # leftovers of an interrupted session
    state = fleet.up(LAB, 3, flavours="weak", inventory=work / "inventory.yml",
                     say=lambda _: None)
    try:
        lab = PatchLab(state, work)
        for name in lab.hosts:
            aptrepo.serve_to_host(lab.root(name), repo)
            aptrepo.install_vulnerable(lab.root(name), hold=name == HELD)
        aptrepo.break_dpkg(lab.root(BROKEN))
        yield lab
    finally:
        fleet.down(LAB, say=lambda _: None)


def findings(run: Run, host: str) -> dict[str, dict[str, str]]:
    listed = run.host(host)["findings"]
    assert isinstance(listed, list)
    return {f["control_id"]: f for f in listed}


def test_exposure_found_in_all_three_formats(adv_lab: PatchLab) -> None:
    run = adv_lab.cli("exposure")
    assert run.code == 1, run.stdout + run.stderr
    for host in (BROKEN, HEALTHY):
        seen = findings(run, host)
        assert {a: seen[a]["status"] for a in LAB_ADVISORIES} == dict.fromkeys(
            LAB_ADVISORIES, "fail")
        assert seen["ASSESSOR-2026-0001"]["observed"].startswith("assessor-demo 1.0-1;")
        # the library is a binNMU: judged by its source version, not its own
        assert "libassessor-demo1 1.0-1+b1 (source assessor-demo 1.0-1)" in (
            seen["CERT-LAB-2026-0002"]["observed"])
        assert seen["CERT-LAB-2026-0003"]["expected"] == f"libassessor-demo1 >= {FIXED}"
        assert "candidate 1.0-1+deb12u1" in seen["ASSESSOR-2026-0001"]["reason"]
    held = findings(run, HELD)
    for advisory in LAB_ADVISORIES:
        assert held[advisory]["status"] == "error"
        assert "held (apt-mark hold)" in held[advisory]["reason"]
    # one JUnit test case per advisory per host, failures and errors as judged
    xml = JUnitXml.fromfile(str(host_dir(run.run_dir, HELD) / "junit.xml"))
    cases = {case.name: case for suite in xml for case in suite}
    assert sorted(name.split(" ")[0] for name in cases) == sorted(LAB_ADVISORIES)
    assert all(isinstance(r, Error) for case in cases.values() for r in case.result)
    xml = JUnitXml.fromfile(str(host_dir(run.run_dir, HEALTHY) / "junit.xml"))
    assert sum(isinstance(r, Failure) for suite in xml for case in suite
               for r in case.result) == len(LAB_ADVISORIES)
    assert (run.run_dir / "index.html").is_file()


def test_real_advisories_are_judged_on_real_packages(adv_lab: PatchLab) -> None:
    run = adv_lab.cli("exposure", "--limit", HEALTHY, "--no-update-cache",
                      advisories=DATA / "real")
    assert run.code == 0, run.stdout + run.stderr
    seen = findings(run, HEALTHY)
    glibc = seen["DSA-5514-1"]
    assert glibc["status"] == "pass", glibc
    assert glibc["observed"].startswith("libc-bin 2.36-9+deb12u")
    assert seen["DSA-3029-1"]["status"] == "notapplicable"  # wheezy only
    assert seen["BSI-2022-0001"]["status"] == "notapplicable"  # an application, no package


def test_patch_check_changes_nothing(adv_lab: PatchLab) -> None:
    before = adv_lab.status_bytes()
    run = adv_lab.cli("patch", "--check")
    assert run.code == 1, run.stdout + run.stderr
    assert adv_lab.status_bytes() == before
    assert adv_lab.installed(HEALTHY)["assessor-demo"] == "1.0-1"
    seen = findings(run, HEALTHY)
    assert all(seen[a]["status"] == "fail" for a in LAB_ADVISORIES)
    assert "--check: nothing changed" in seen["ASSESSOR-2026-0001"]["reason"]
    assert "also installs python3-apt on a host that lacks it" in run.stderr  # said up front
    plan = (host_dir(run.run_dir, HEALTHY) / "evidence/apt-plan.txt").read_text().split()
    assert plan == [f"assessor-demo={FIXED}", f"libassessor-demo1={FIXED}"]


def test_failure_budget_stops_later_waves(adv_lab: PatchLab) -> None:
    before = adv_lab.status_bytes()
    run = adv_lab.cli("patch", "--check", "--serial", "1", "--max-fail-percentage", "0")
    assert run.code == 1, run.stdout + run.stderr
    assert adv_lab.status_bytes() == before
    assert "pre-check failed" in findings(run, BROKEN)["ASSESSOR-2026-0001"]["reason"]
    reason = findings(run, HEALTHY)["ASSESSOR-2026-0001"]["reason"]
    assert "stopped before this host's wave" in reason, reason
    for host in (HELD, HEALTHY):
        facts = run.host(host)["facts"]
        assert isinstance(facts, dict)
        assert facts["patch"].startswith("the run stopped before this host's wave")


def test_patch_fixes_what_it_may_and_reports_the_rest(adv_lab: PatchLab) -> None:
    held_before = adv_lab.status_bytes()[HELD]
    broken_before = adv_lab.status_bytes()[BROKEN]
    # a process mapping the vulnerable library, as a long-running service would
    adv_lab.ssh(HEALTHY, "sudo sh -c 'LD_PRELOAD=/usr/lib/assessor-demo/libassessor-demo.so.1 "
                "setsid sleep 600 </dev/null >/dev/null 2>&1 &'")
    # and a real service mapping it, which patch restarts through systemd
    adv_lab.ssh(HEALTHY, "sudo systemctl enable --now assessor-demo.service")
    daemon_before = adv_lab.ssh(HEALTHY, "systemctl show -P MainPID assessor-demo").strip()
    run = adv_lab.cli("patch", "--reboot", "never")
    assert run.code == 1, run.stdout + run.stderr  # the held and the broken host stay exposed

    healthy = findings(run, HEALTHY)
    for advisory in LAB_ADVISORIES:
        assert healthy[advisory]["status"] == "pass"
        assert healthy[advisory]["reason"].startswith("exposed -> fixed (was assessor-demo 1.0-1"
                                                      if advisory != "CERT-LAB-2026-0003" else
                                                      "exposed -> fixed (was libassessor-demo1")
    versions = adv_lab.installed(HEALTHY)
    assert versions["assessor-demo"] == FIXED and versions["libassessor-demo1"] == FIXED
    assert versions["assessor-extra"] == "1:2.0~rc1-1"  # no advisory names it: untouched
    reboot = healthy["patch.reboot"]
    assert reboot["status"] == "manual"
    assert reboot["reason"] == "reboot required, not done (--reboot never)"
    assert reboot["observed"] == "required by assessor-demo"
    services = healthy["patch.services"]
    assert services["status"] == "manual"
    assert "sleep" in services["evidence"] and "libassessor-demo.so.1" in services["evidence"]
    restarted = next(line for line in services["evidence"].splitlines()
                     if "assessor-demo.service" in line)
    assert restarted.startswith(f"pid {daemon_before} sleep assessor-demo.service:"), restarted
    assert restarted.endswith("restarted; after it no process of the unit maps a replaced "
                              "library"), restarted
    assert "1 still need a restart" in services["reason"]  # the one started by hand
    daemon_after = adv_lab.ssh(HEALTHY, "systemctl show -P MainPID assessor-demo").strip()
    assert daemon_after not in ("0", daemon_before)
    maps = adv_lab.ssh(HEALTHY, f"sudo cat /proc/{daemon_after}/maps")
    assert "libassessor-demo.so.1" in maps and "(deleted)" not in maps
    evidence = host_dir(run.run_dir, HEALTHY) / "evidence"
    assert "assessor-demo\t1.0-1\n" in (evidence / "packages-before.txt").read_text()
    assert f"assessor-demo\t{FIXED}\n" in (evidence / "packages-after.txt").read_text()
    assert (evidence / "packages-changed.txt").read_text().splitlines() == [
        f"assessor-demo 1.0-1 -> {FIXED}", f"libassessor-demo1 1.0-1+b1 -> {FIXED}"]

    assert adv_lab.status_bytes()[HELD] == held_before  # held: not touched
    held = findings(run, HELD)
    assert all(held[a]["status"] == "error" and "held" in held[a]["reason"]
               for a in LAB_ADVISORIES)
    assert adv_lab.status_bytes()[BROKEN] == broken_before  # broken dpkg: refused
    broken = findings(run, BROKEN)["ASSESSOR-2026-0001"]
    assert broken["status"] == "error"
    assert "pre-check failed: dpkg has unfinished changes: assessor-extra (half-configured)" in (
        broken["reason"])


def test_exposure_is_clean_after_patching(adv_lab: PatchLab) -> None:
    run = adv_lab.cli("exposure", "--limit", HEALTHY)
    assert run.code == 0, run.stdout + run.stderr
    assert {f["status"] for f in findings(run, HEALTHY).values()} == {"pass"}


def test_all_security_takes_the_security_suite(adv_lab: PatchLab) -> None:
    run = adv_lab.cli("patch", "--limit", HEALTHY, "--all-security")
    assert run.code == 0, run.stdout + run.stderr
    assert adv_lab.installed(HEALTHY)["assessor-extra"] == "1:2.0-1"
    assert "assessor-extra 1:2.0~rc1-1 -> 1:2.0-1" in run.host(HEALTHY)["facts"][
        "packages changed"]


def test_reboot_if_required_reboots_and_the_host_comes_back(adv_lab: PatchLab) -> None:
    host = adv_lab.hosts[HEALTHY]
    boot_id = adv_lab.ssh(HEALTHY, "cat /proc/sys/kernel/random/boot_id").strip()
    boots = len(fleet.boots(adv_lab.state, host))
    assert adv_lab.ssh(HEALTHY, "test -e /run/reboot-required && echo required").strip() == (
        "required")  # assessor-demo's fix asked for it, as libc6 does
    run = adv_lab.cli("patch", "--limit", HEALTHY, "--reboot", "if-required")
    reboot = findings(run, HEALTHY)["patch.reboot"]
    now = adv_lab.ssh(HEALTHY, "cat /proc/sys/kernel/random/boot_id").strip()
    assert now != boot_id
    assert reboot["status"] == "pass", reboot
    assert reboot["reason"] == f"rebooted and back: boot id {boot_id} -> {now}"
    assert len(fleet.boots(adv_lab.state, host)) == boots + 1
    # the new boot runs the service again and needs no further reboot
    assert adv_lab.ssh(HEALTHY, "systemctl is-active assessor-demo").strip() == "active"
    assert adv_lab.ssh(HEALTHY, "test -e /run/reboot-required || echo clean").strip() == "clean"
