"""`assessor patch`: upgrade exactly what the advisories need, in waves, and prove the fix.

1. read every host's package state and judge the advisories (as `exposure` does);
2. plan per host: each exposed binary to its candidate version (`pkg=version`), plus
   every security-suite upgrade with --all-security; held packages are never in a plan;
3. run playbooks/patch.yml in waves (`serial`, `max_fail_percentage`): pre-checks
   (dpkg lock, unfinished dpkg run, free disk), apt with exact versions and only_upgrade,
   post-checks (versions, processes on deleted libraries, restarts, reboot per --reboot);
4. read the state again and report each (advisory, host) as exposed -> fixed, with the
   before/after package lists in each host's evidence directory.
"""

from __future__ import annotations

import argparse
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from rich.console import Console

from assessor.advisories import Advisory, judge, load_advisories, security_plan, upgrade_plan
from assessor.atomic import write_text
from assessor.commands.assess import new_run_dir, now
from assessor.commands.exposure import (
    HostState,
    add_common,
    exit_code,
    exposure_result,
    exposure_table,
    make_run,
    package_vars,
    read_states,
)
from assessor.commands.options import add_waves, print_report_path
from assessor.inventory import load_inventory
from assessor.reports import host_dir, write_all
from assessor.results import Finding, HostResult, Severity, Status
from assessor.runner import HostOutcome, run_playbook
from assessor.tools import playbook

REBOOT_CHOICES = ("never", "if-required", "always")
def add_parser(commands: Any) -> None:
    parser = commands.add_parser(
        "patch", help="upgrade hosts to the advisories' fixed versions, in waves",
        description="Upgrade only the packages the advisories need (exact versions, "
        "only_upgrade), with pre- and post-checks, then re-check exposure. "
        "Exit 1 when any host is still exposed.",
    )
    add_common(parser)
    parser.add_argument("--check", action="store_true",
                        help="dry run: Ansible check mode with diffs, nothing changes")
    add_waves(parser)
    parser.add_argument("--reboot", choices=REBOOT_CHOICES, default="never",
                        help="reboot after patching: never (report only), if-required "
                        "(/var/run/reboot-required), always")
    parser.add_argument("--all-security", action="store_true",
                        help="also take every upgrade from the security suite")
    parser.add_argument("--min-free-mb", type=int, default=200,
                        help="pre-check: free MiB needed in /var/cache/apt/archives and /")


def run(args: argparse.Namespace, console: Console) -> int:
    advisories = load_advisories(args.advisories)
    hosts = load_inventory(args.inventory, args.limit)
    run_dir = new_run_dir(args.out)
    started = now()
    before = read_states(
        hosts, args.inventory, run_dir / "ansible-before", advisories, console,
        forks=args.forks, update_cache=not args.check,
        extra={"assessor_all_security": args.all_security},
    )
    plans = {s.host.name: plan_for(s, advisories, args.all_security) for s in before if not s.error}
    reachable = [s.host for s in before if not s.error]
    outcomes: dict[str, HostOutcome] = {}
    if reachable:
        outcomes = run_patch(args, advisories, plans, reachable, run_dir)
    after = read_states(
        hosts, args.inventory, run_dir / "ansible-after", advisories, console,
        forks=args.forks, update_cache=False,
    )
    results = [
        host_result(b, a, advisories, outcomes.get(b.host.name), args, run_dir)
        for b, a in zip(before, after, strict=True)
    ]
    result = make_run(run_dir.name, started, "patch --check" if args.check else "patch",
                      args.inventory, advisories, results)
    write_all(result, run_dir)
    console.print(exposure_table(result))
    print_report_path(console, run_dir, "results.json, junit.xml, hosts/<host>/junit.xml, "
                      "hosts/<host>/evidence/")
    return exit_code(result)


def plan_for(state: HostState, advisories: list[Advisory], all_security: bool) -> list[str]:
    verdicts = [judge(a, state.state) for a in advisories]
    plan = upgrade_plan(verdicts)
    if all_security:
        plan = {**security_plan(state.state), **plan}
    return [f"{name}={version}" for name, version in sorted(plan.items())]


def run_patch(
    args: argparse.Namespace, advisories: list[Advisory], plans: dict[str, list[str]],
    hosts: list[Any], run_dir: Path,
) -> dict[str, HostOutcome]:
    outcomes: dict[str, HostOutcome] = {}

    def on_host(name: str, outcome: HostOutcome) -> None:
        if "assessor_patch" in report_of(outcome) or not outcome.ok:
            outcomes[name] = outcome

    run_playbook(
        playbook("patch.yml"), args.inventory, run_dir / "ansible-patch",
        extravars={
            **package_vars(advisories),
            "assessor_patch_plan": plans,
            "assessor_serial": args.serial,
            "assessor_max_fail_percentage": args.max_fail_percentage,
            "assessor_check": args.check,
            "assessor_reboot": args.reboot,
            "assessor_update_cache": False,
            "assessor_min_free_mb": args.min_free_mb,
        },
        limit=",".join(h.name for h in hosts), forks=args.forks, on_host=on_host,
    )
    return outcomes


def report_of(outcome: HostOutcome) -> Mapping[str, Any]:
    message = outcome.result.get("msg")
    return message if isinstance(message, dict) else {}


def host_result(
    before: HostState, after: HostState, advisories: list[Advisory],
    outcome: HostOutcome | None, args: argparse.Namespace, run_dir: Path,
) -> HostResult:
    host = before.host
    if before.error:
        return HostResult(host.name, host.address, error=f"before patching: {before.error}")
    blocked = blocked_reason(outcome, args)
    result = exposure_result(after, advisories, blocked)
    if not result.assessed:
        return HostResult(host.name, host.address, error=f"after patching: {result.error}")
    was = {f.control_id: f for f in exposure_result(before, advisories).findings}
    findings = [transition(was.get(f.control_id), f, args.check) for f in result.findings]
    report = report_of(outcome).get("assessor_patch", {}) if outcome and outcome.ok else {}
    facts = dict(result.facts)
    if report:
        changes = write_evidence(run_dir, host.name, report)
        facts["packages changed"] = ", ".join(changes) or "none"
        findings += post_findings(report, args)
    elif blocked:
        facts["patch"] = blocked
    return HostResult(host.name, host.address, facts=facts, findings=findings)


def blocked_reason(outcome: HostOutcome | None, args: argparse.Namespace) -> str:
    if outcome is None:
        return (f"the run stopped before this host's wave (--serial {args.serial}, "
                f"--max-fail-percentage {args.max_fail_percentage})")
    if not outcome.ok:
        return outcome.message
    return ""


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


def write_evidence(run_dir: Path, host: str, report: Mapping[str, Any]) -> list[str]:
    """Before/after package lists and what changed, kept with the host's reports."""
    before = {str(k): str(v) for k, v in report.get("before", {}).items()}
    after = {str(k): str(v) for k, v in report.get("after", {}).items()}
    changes = [
        f"{name} {before.get(name, '(none)')} -> {after.get(name, '(removed)')}"
        for name in sorted(set(before) | set(after)) if before.get(name) != after.get(name)
    ]
    evidence = host_dir(run_dir, host) / "evidence"
    write_text(evidence / "packages-before.txt", listing(before))
    write_text(evidence / "packages-after.txt", listing(after))
    write_text(evidence / "packages-changed.txt", "\n".join(changes) + "\n" if changes else "")
    planned = "\n".join(str(p) for p in report.get("planned", []))
    write_text(evidence / "apt-plan.txt", planned + "\n" if planned else "")
    write_text(evidence / "apt-output.txt", str(report.get("apt_stdout", "")))
    return changes


def listing(packages: Mapping[str, str]) -> str:
    return "".join(f"{name}\t{version}\n" for name, version in sorted(packages.items()))


def post_findings(report: Mapping[str, Any], args: argparse.Namespace) -> list[Finding]:
    findings = []
    reboot = reboot_finding(report, args)
    if reboot:
        findings.append(reboot)
    services = services_finding(report, args.check)
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


def reboot_finding(report: Mapping[str, Any], args: argparse.Namespace) -> Finding | None:
    state = report.get("reboot_required", {})
    required = bool(state.get("required"))
    if not required and args.reboot != "always":
        return None
    why = "required by " + (", ".join(state.get("packages", [])) or "/var/run/reboot-required")
    observed = why if required else "not required"
    title = "Reboot after patching"
    expected = f"--reboot {args.reboot}"
    if args.check:
        done = "would reboot" if report.get("reboot_attempted") else "would not reboot"
        return post_check("patch.reboot", title, Status.MANUAL,
                          f"{done} (--check, --reboot {args.reboot})", expected, observed)
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
                      f"reboot required, not done (--reboot {args.reboot})", expected, observed,
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
