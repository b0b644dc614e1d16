"""Patch: upgrade exactly what the advisories need, in waves, and prove the fix.

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

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rich.console import Console

from assessor.advisories import Advisory, judge, load_advisories, security_plan, upgrade_plan
from assessor.advisories.patchrun import PatchEvidence, evidence_of, post_findings, transition
from assessor.inventory import load_inventory
from assessor.pipeline import HostsOptions
from assessor.pipeline.packages import (
    HostState,
    exposure_result,
    make_run,
    package_vars,
    read_states,
)
from assessor.reports import PATCH_REPORTERS, write_all, write_with
from assessor.results import HostResult, RunResult
from assessor.rundir import ANSIBLE_AFTER, ANSIBLE_BEFORE, ANSIBLE_PATCH, new_run_dir, now
from assessor.runner import HostOutcome, run_playbook
from assessor.tools import playbook


@dataclass(frozen=True, kw_only=True)
class PatchOptions(HostsOptions):
    advisories: list[Path]
    check: bool = False
    serial: str = "100%"
    max_fail_percentage: int = 100
    reboot: str = "never"
    all_security: bool = False
    min_free_mb: int = 200


def patch(options: PatchOptions, console: Console) -> RunResult:
    """Read, plan, patch in waves, read again; judge each host before and after."""
    advisories = load_advisories(options.advisories)
    hosts = load_inventory(options.inventory, options.limit)
    run_dir = new_run_dir(options.out)
    started = now()
    before = read_states(
        hosts, options.inventory, run_dir / ANSIBLE_BEFORE, advisories, console,
        forks=options.forks, update_cache=not options.check,
        extra={"packages_state_all_security": options.all_security},
    )
    plans = {s.host.name: plan_for(s, advisories, options.all_security)
             for s in before if not s.error}
    reachable = [s.host for s in before if not s.error]
    outcomes: dict[str, HostOutcome] = {}
    if reachable:
        outcomes = run_patch(options, advisories, plans, reachable, run_dir)
    after = read_states(
        hosts, options.inventory, run_dir / ANSIBLE_AFTER, advisories, console,
        forks=options.forks, update_cache=False,
    )
    judged = [
        host_result(b, a, advisories, outcomes.get(b.host.name), options)
        for b, a in zip(before, after, strict=True)
    ]
    results = [result for result, _ in judged]
    write_with(PATCH_REPORTERS, [e for _, e in judged if e is not None], run_dir)
    result = make_run(run_dir.name, started, "patch --check" if options.check else "patch",
                      options.inventory, advisories, results)
    write_all(result, run_dir)
    return result


def plan_for(state: HostState, advisories: list[Advisory], all_security: bool) -> list[str]:
    verdicts = [judge(a, state.state) for a in advisories]
    plan = upgrade_plan(verdicts)
    if all_security:
        plan = {**security_plan(state.state), **plan}
    return [f"{name}={version}" for name, version in sorted(plan.items())]


def run_patch(
    options: PatchOptions, advisories: list[Advisory], plans: dict[str, list[str]],
    hosts: list[Any], run_dir: Path,
) -> dict[str, HostOutcome]:
    outcomes: dict[str, HostOutcome] = {}

    def on_host(name: str, outcome: HostOutcome) -> None:
        if "assessor_patch" in report_of(outcome) or not outcome.ok:
            outcomes[name] = outcome

    run_playbook(
        playbook("patch.yml"), options.inventory, run_dir / ANSIBLE_PATCH,
        extravars={
            **package_vars(advisories),
            "patch_plan": plans,
            "assessor_serial": options.serial,
            "assessor_max_fail_percentage": options.max_fail_percentage,
            "assessor_check": options.check,
            "patch_reboot": options.reboot,
            "packages_state_update_cache": False,
            "packages_state_min_free_mb": options.min_free_mb,
        },
        limit=",".join(h.name for h in hosts), forks=options.forks, on_host=on_host,
    )
    return outcomes


def report_of(outcome: HostOutcome) -> Mapping[str, Any]:
    message = outcome.result.get("msg")
    return message if isinstance(message, dict) else {}


def host_result(
    before: HostState, after: HostState, advisories: list[Advisory],
    outcome: HostOutcome | None, options: PatchOptions,
) -> tuple[HostResult, PatchEvidence | None]:
    """The host's findings after patching, and its evidence when the role reported."""
    host = before.host
    if before.error:
        return HostResult(host.name, host.address, error=f"before patching: {before.error}"), None
    blocked = blocked_reason(outcome, options)
    result = exposure_result(after, advisories, blocked)
    if not result.assessed:
        return HostResult(host.name, host.address, error=f"after patching: {result.error}"), None
    was = {f.control_id: f for f in exposure_result(before, advisories).findings}
    findings = [transition(was.get(f.control_id), f, options.check) for f in result.findings]
    report = report_of(outcome).get("assessor_patch", {}) if outcome and outcome.ok else {}
    facts = dict(result.facts)
    evidence = None
    if report:
        evidence = evidence_of(host.name, report)
        facts["packages changed"] = ", ".join(evidence.changes) or "none"
        findings += post_findings(report, options.reboot, options.check)
    elif blocked:
        facts["patch"] = blocked
    return HostResult(host.name, host.address, facts=facts, findings=findings), evidence


def blocked_reason(outcome: HostOutcome | None, options: PatchOptions) -> str:
    if outcome is None:
        return (f"the run stopped before this host's wave (--serial {options.serial}, "
                f"--max-fail-percentage {options.max_fail_percentage})")
    if not outcome.ok:
        return outcome.message
    return ""
