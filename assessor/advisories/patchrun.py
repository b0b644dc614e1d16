"""The judge of a patch run: what the patch role reported, as findings and evidence.

Pure: the report is the `assessor_patch` result the role returned for one host; the
reboot policy and check mode are plain values, never command-line arguments.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from assessor.results import Finding, Severity, Status

REBOOT_CHOICES = ("never", "if-required", "always")


@dataclass(frozen=True)
class PatchEvidence:
    """One host's package lists before and after, what changed, the plan and apt's output."""

    host: str
    before: dict[str, str]
    after: dict[str, str]
    changes: list[str]
    planned: list[str]
    apt_output: str


def evidence_of(host: str, report: Mapping[str, Any]) -> PatchEvidence:
    before = {str(k): str(v) for k, v in report.get("before", {}).items()}
    after = {str(k): str(v) for k, v in report.get("after", {}).items()}
    changes = [
        f"{name} {before.get(name, '(none)')} -> {after.get(name, '(removed)')}"
        for name in sorted(set(before) | set(after)) if before.get(name) != after.get(name)
    ]
    return PatchEvidence(host, before, after, changes,
                         [str(p) for p in report.get("planned", [])],
                         str(report.get("apt_stdout", "")))


def transition(before: Finding | None, after: Finding, check: bool) -> Finding:
    """Say what the run did: exposed -> fixed, still exposed, or unchanged."""
    if before is None or before.status not in (Status.FAIL, Status.ERROR):
        return after
    if after.status is Status.PASS:
        prefix = f"exposed -> fixed (was {before.observed})"
    elif check:
        prefix = "exposed; --check: nothing changed"
    else:
        prefix = "still exposed"
    return Finding(**{**after.__dict__, "reason": f"{prefix}: {after.reason}"})


def post_findings(report: Mapping[str, Any], reboot: str, check: bool) -> list[Finding]:
    """The post-checks the patch role reported, as findings: reboot, then services."""
    findings = []
    rebooted = reboot_finding(report, reboot, check)
    if rebooted:
        findings.append(rebooted)
    services = services_finding(report, check)
    if services:
        findings.append(services)
    return findings


def post_check(control: str, title: str, status: Status, reason: str, expected: str,
               observed: str, evidence: str = "", remediation: str = "") -> Finding:
    return Finding(
        control_id=control, title=title, section="Patch post-checks", severity=Severity.MEDIUM,
        status=status, reason=reason, expected=expected, observed=observed, evidence=evidence,
        remediation=remediation,
    )


def reboot_finding(report: Mapping[str, Any], reboot: str, check: bool) -> Finding | None:
    """Whether the host needs, got or would get a reboot, judged against --reboot."""
    state = report.get("reboot_required", {})
    required = bool(state.get("required"))
    if not required and reboot != "always":
        return None
    why = "required by " + (", ".join(state.get("packages", [])) or "/var/run/reboot-required")
    observed = why if required else "not required"
    title = "Reboot after patching"
    expected = f"--reboot {reboot}"
    if check:
        done = "would reboot" if report.get("reboot_attempted") else "would not reboot"
        return post_check("patch.reboot", title, Status.MANUAL,
                          f"{done} (--check, --reboot {reboot})", expected, observed)
    if report.get("rebooted"):
        before, after = report.get("boot_before", ""), report.get("boot_after", "")
        evidence = f"/proc/sys/kernel/random/boot_id before: {before}; after: {after}"
        if not after or before == after:
            return post_check("patch.reboot", title, Status.ERROR,
                              "the reboot returned, but the host did not come back with a new "
                              "boot id", expected, observed, evidence)
        return post_check("patch.reboot", title, Status.PASS,
                          f"rebooted and back: boot id {before} -> {after}", expected, observed,
                          evidence)
    if report.get("reboot_error"):
        return post_check("patch.reboot", title, Status.ERROR,
                          f"reboot failed: {report['reboot_error']}", expected, observed,
                          remediation="reboot the host by hand in its maintenance window")
    return post_check("patch.reboot", title, Status.MANUAL,
                      f"reboot required, not done (--reboot {reboot})", expected, observed,
                      remediation="reboot in the maintenance window, or patch with "
                      "--reboot if-required")


def services_finding(report: Mapping[str, Any], check: bool) -> Finding | None:
    users = report.get("deleted_library_users", [])
    if not users:
        return None
    restarted = {
        str(r.get("item")) for r in report.get("restarts", [])
        if not r.get("failed") and not r.get("skipped")
    }
    # what still mapped a replaced library once the restarts were done (None: none done)
    after: list[Mapping[str, Any]] = report.get("after_restarts") or []
    still = {str(u.get("unit")): u for u in after if u.get("unit")}
    lines, waiting = [], 0
    for user in users:
        unit = user.get("unit", "")
        done = unit in restarted and not check and unit not in still
        waiting += 0 if done else 1
        if done:
            state = "restarted; after it no process of the unit maps a replaced library"
        elif unit in restarted and not check:
            state = (f"restarted, but pid {still[unit].get('pid')} still maps "
                     f"{', '.join(still[unit].get('files', []))}")
        else:
            state = ("would restart" if check and user.get("restartable")
                     else f"not restarted: {user.get('why_not', '')}")
        lines.append(f"pid {user.get('pid')} {user.get('comm')} {unit or '(no unit)'}: "
                     f"{', '.join(user.get('files', []))} - {state}")
    status = Status.PASS if not waiting else Status.MANUAL
    return post_check(
        "patch.services", "Processes still using deleted libraries", status,
        f"{len(users)} process(es) mapped replaced libraries; {waiting} still need a restart",
        "every process using a replaced library restarted", f"{waiting} waiting",
        evidence="\n".join(lines),
        remediation="restart the listed processes (or reboot) so they load the fixed libraries",
    )
