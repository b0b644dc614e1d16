"""Restore's pure parts: dpkg --verify parsing, the plan per host, the verdict recorded."""

from __future__ import annotations

from pathlib import Path

import pytest
from test_host_parsers import host_module

from assessor.cli import build_parser
from assessor.inventory import InventoryHost
from assessor.outcomes import HostOutcome
from assessor.pipeline.restore import HostPlan, host_record, make_plans
from assessor.results import Finding, HostResult, RunResult, Severity, Status

VERIFY = """\
missing   c /etc/debuginfod/elfutils.urls
??5??????   /usr/bin/assessor-demo
??5?????? c /etc/ssh/sshd_config
missing     /usr/share/doc/assessor-demo/VERSION
garbage line
"""


def test_dpkg_verify_lines_keep_conffiles_apart() -> None:
    integrity = host_module("restore", "assessor_integrity")
    failing, conffiles = integrity.parse_verify(VERIFY)
    assert failing == ["/usr/bin/assessor-demo", "/usr/share/doc/assessor-demo/VERSION"]
    assert conffiles == ["/etc/debuginfod/elfutils.urls", "/etc/ssh/sshd_config"]


def hunt(name: str, *paths: str) -> RunResult:
    findings = [Finding(control_id=f"hunt.ioc:{p}", title="t", section="Threats",
                        severity=Severity.CRITICAL, status=Status.FAIL, reason="r",
                        expected="e", observed="o") for p in paths]
    return RunResult(run_id="r", started="t", finished="t", tool_version="v",
                     catalogue_version="c", profile="hunt", inventory="i",
                     hosts=[HostResult(name, findings=findings)])


def integrity(failing: list[tuple[str, str, str]], unavailable: tuple[str, ...] = ()
              ) -> HostOutcome:
    return HostOutcome(ok=True, result={"integrity": {
        "failing": [{"path": p, "package": n, "version": v} for p, n, v in failing],
        "packages": {n: v for _, n, v in failing}, "unowned": [],
        "unavailable": list(unavailable)}})


def test_plan_names_packages_files_and_persistence() -> None:
    hosts = [InventoryHost("h1", "10.0.0.2", ()), InventoryHost("h2", "10.0.0.3", ())]
    (h1, h2) = make_plans(hosts, {"h1": integrity([("/usr/bin/x", "x", "1.0-1")])},
                          hunt("h1", "/tmp/implant"))
    assert h1.reinstall == {"x": "1.0-1"} and h1.tampered == ["/usr/bin/x"]
    assert h1.persistence == ["/tmp/implant"] and not h1.error
    assert h2.error == "no integrity result from Ansible"


def test_verdict_is_known_good_only_when_md5sums_and_hunt_are_clean() -> None:
    before = HostPlan("h1", reinstall={"x": "1"}, tampered=["/usr/bin/x"],
                      persistence=["/tmp/i"])
    done = {"reinstalled": ["x=1"]}
    moved = [{"action": "file", "path": "/tmp/i", "status": "moved"}]
    clean = host_record(before, HostPlan("h1"), done, moved, None, check=False)
    assert clean["restored"] and clean["verdict"].startswith("known-good")
    assert clean["before"]["files failing md5sums"] == 1
    assert clean["after"] == {"files failing md5sums": 0, "hunt findings": 0,
                              "baseline score": None}
    left = host_record(before, HostPlan("h1", persistence=["/tmp/i"]), done, [], None, False)
    assert not left["restored"] and "hunt still finds: /tmp/i" in left["verdict"]
    missing = host_record(before, HostPlan("h1", tampered=["/usr/bin/x"]),
                          {"reinstalled": [], "unavailable": ["x=1"]}, [], None, False)
    assert "not offered by any repository: x=1" in missing["verdict"]
    would = [{"action": "file", "path": "/tmp/i", "status": "would-move"}]
    preview = host_record(before, before, done, would, None, check=True)
    assert not preview["restored"] and preview["reinstalled"] == []
    assert preview["verdict"].startswith("preview only")


def test_restore_needs_a_host_and_a_case(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        build_parser().parse_args(["restore", "-i", "inv", "--case", "IR-1"])
    args = build_parser().parse_args(["restore", "-i", "inv", "--limit", "h1", "--case",
                                      "IR-1", "--check", "--advisories", "a.yaml"])
    assert args.check and args.advisories == [Path("a.yaml")] and args.cases == Path("evidence")


def test_every_hunt_hit_counts_and_what_cannot_be_removed_is_named() -> None:
    def hit(control: str, status: Status = Status.FAIL, evidence: str = "") -> Finding:
        return Finding(control_id=control, title="t", section="Threats",
                       severity=Severity.CRITICAL, status=status, reason="r", expected="e",
                       observed="o", refs={"rule": control.split(":")[0]}, evidence=evidence)
    run = RunResult(run_id="r", started="t", finished="t", tool_version="v",
                    catalogue_version="c", profile="hunt", inventory="i",
                    hosts=[HostResult("h1", findings=[
                        hit("hunt.files"), hit("hunt.ioc:/tmp/x"),
                        hit("hunt.persist.cron:/etc/cron.d/x:1", evidence="{path: /etc/cron.d/x,"
                            " line: 1, text: '* * * * * root /tmp/.x', kind: crontab}"),
                        hit("hunt.live.kernel-module-unpackaged:diamorphine"),
                        hit("hunt.quarantine:/tmp/x", Status.PASS),
                        hit("hunt.persist.systemd", Status.PASS)])])
    (plan,) = make_plans([InventoryHost("h1", "10.0.0.2", ())],
                         {"h1": integrity([])}, run)
    assert plan.persistence == ["/tmp/x", "hunt.live.kernel-module-unpackaged:diamorphine",
                                "hunt.persist.cron:/etc/cron.d/x:1"]
    assert len(plan.unremovable) == 1 and "reboot the host" in plan.unremovable[0]
    refused = [{"action": "lines", "path": "/etc/cron.d/x", "status": "refused",
                "reason": "line 1 is not what the hunt saw any more"}]
    # the re-hunt still sees the module; a verdict names why it stays and what was refused
    after = HostPlan("h1", persistence=["hunt.live.kernel-module-unpackaged:diamorphine"])
    record = host_record(plan, after, {}, refused, None, check=False)
    assert not record["restored"]
    assert "no removal for: hunt.live.kernel-module-unpackaged:diamorphine" in record["verdict"]
    assert "not removed: lines /etc/cron.d/x (refused: line 1" in record["verdict"]
    assert record["not removable"] == plan.unremovable
