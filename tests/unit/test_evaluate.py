"""Planning probes and evaluating controls: pure Python over a snapshot."""

from __future__ import annotations

import dataclasses
from typing import Any

from unit_builders import Snap

from assessor.catalogue import Catalogue, Control
from assessor.evaluate import evaluate_control, evaluate_host, plan_probes, platform_of
from assessor.results import Severity, Status


def control(check: dict[str, Any], cid: str = "test.control", **extra: Any) -> Control:
    return Control(
        id=cid,
        title=f"title {cid}",
        severity=Severity.MEDIUM,
        section="9.9 Tests",
        rationale="why",
        check=check,
        profiles=("server-l1",),
        **extra,
    )


def test_plan_merges_and_deduplicates_probe_requests() -> None:
    controls = [
        control({"kind": "sshd_effective", "option": "permitrootlogin", "expect": "no"}),
        control({"kind": "sshd_effective", "option": "x11forwarding", "expect": "no"}),
        control({"kind": "sysctl", "key": "net.ipv4.ip_forward", "expect": "0"}),
        control({"kind": "sysctl", "key": "net.ipv4.tcp_syncookies", "expect": "1"}),
        control({"kind": "sysctl", "key": "net.ipv4.ip_forward", "expect": "0"}),
        control({"kind": "file_permissions", "path": "/etc/shadow", "max_mode": "0640"}),
        control({"kind": "file_permissions", "path": "/etc/passwd", "max_mode": "0644"}),
        control({"kind": "login_defs", "key": "PASS_MAX_DAYS", "max": 365}),
        control({"kind": "login_defs", "key": "PASS_MIN_DAYS", "min": 1}),
        control({"kind": "package_absent", "name": ["telnetd"]}),
        control({"kind": "uid0_accounts"}),
        control({"kind": "no_empty_passwords"}),
    ]
    assert plan_probes(controls) == {
        "sshd": True,
        "sysctl": ["net.ipv4.ip_forward", "net.ipv4.tcp_syncookies"],
        "sysctl_files": True,
        "stat": ["/etc/shadow", "/etc/passwd"],
        "files": ["/etc/login.defs"],
        "packages": True,
        "accounts": True,
    }


def test_plan_asks_only_for_what_is_needed() -> None:
    only_sysctl = [control({"kind": "sysctl", "key": "kernel.randomize_va_space", "expect": "2"})]
    assert plan_probes(only_sysctl) == {"sysctl": ["kernel.randomize_va_space"],
                                        "sysctl_files": True}
    assert plan_probes([]) == {}


def test_plan_for_the_real_catalogue_covers_every_control(catalogue: Catalogue) -> None:
    plan = plan_probes(catalogue.controls)
    sysctl_keys = [c.params["key"] for c in catalogue.controls if c.kind == "sysctl"]
    assert plan["sysctl"] == list(dict.fromkeys(sysctl_keys))
    assert {"sshd", "sysctl", "sysctl_files", "stat", "files", "packages", "accounts"} <= set(plan)


def test_platform_of() -> None:
    assert platform_of({"os_id": "debian", "os_version_id": "12"}) == "debian12"
    assert platform_of({"os_id": "debian", "os_version_id": "11.9"}) == "debian11"
    assert platform_of({}) == ""


FORWARD = {"kind": "sysctl", "key": "net.ipv4.ip_forward", "expect": "0"}


def test_control_for_another_platform_is_notapplicable() -> None:
    only_13 = control(FORWARD, platforms=("debian13",))
    snapshot = Snap("debian", "12").sysctl({"net.ipv4.ip_forward": "1"}).build()
    finding = evaluate_control(only_13, snapshot)
    assert finding.status is Status.NOTAPPLICABLE
    assert finding.reason == "not for platform debian12"
    assert (finding.expected, finding.observed) == ("", "")


def test_control_for_this_platform_is_judged() -> None:
    for_12 = control(FORWARD, platforms=("debian11", "debian12"))
    snap = Snap("debian", "12").sysctl_file("/etc/sysctl.conf", "net.ipv4.ip_forward = 0\n")
    snapshot = snap.sysctl({"net.ipv4.ip_forward": "1"}).build()
    finding = evaluate_control(for_12, snapshot)
    assert finding.status is Status.FAIL
    assert finding.observed == "1"


def test_finding_carries_the_control_metadata(catalogue: Catalogue) -> None:
    root_login = next(c for c in catalogue.controls if c.id == "ssh.permit-root-login")
    finding = evaluate_control(root_login, Snap().sshd(permitrootlogin="yes").build())
    assert finding.control_id == root_login.id
    assert finding.title == root_login.title
    assert finding.severity is root_login.severity
    assert finding.section == root_login.section
    assert finding.refs == root_login.refs
    assert finding.remediation == "Apply role harden_ssh with tag ssh.permit-root-login."
    assert finding.rationale == root_login.rationale


def test_manual_remediation_text(catalogue: Catalogue) -> None:
    uid0 = next(c for c in catalogue.controls if c.kind == "uid0_accounts")
    assert uid0.remediation_text() == uid0.remediate["manual"]
    assert dataclasses.replace(uid0, remediate={}).remediation_text() == ""


def test_evaluate_host_one_finding_per_control_and_facts(catalogue: Catalogue) -> None:
    controls = catalogue.profile("server-l1")
    snapshot = Snap().sshd(permitrootlogin="no").build()
    host = evaluate_host("web1", "10.0.0.1", controls, snapshot)
    assert host.assessed
    assert [f.control_id for f in host.findings] == [c.id for c in controls]
    assert host.facts["os_id"] == "debian"
    statuses = {f.control_id: f.status for f in host.findings}
    assert statuses["ssh.permit-root-login"] is Status.PASS
    # Everything not in the snapshot is an error with a reason, not a crash.
    assert statuses["net.ip-forward"] is Status.ERROR
    assert host.counts()["pass"] >= 1
    assert sum(host.counts().values()) == len(controls)


def test_evaluate_host_on_an_empty_snapshot_does_not_crash(catalogue: Catalogue) -> None:
    facts = {"facts": {"os_id": "debian", "os_version_id": "12"}}  # so platforms match
    host = evaluate_host("h", "h", catalogue.controls, facts)
    automated = [f for f, c in zip(host.findings, catalogue.controls, strict=True)
                 if c.kind != "manual"]
    assert {f.status for f in automated} == {Status.ERROR}
    assert all(f.reason for f in host.findings)
