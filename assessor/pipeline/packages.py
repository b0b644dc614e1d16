"""Package state: one packages_state run per host, advisories judged against it.

Shared by exposure (read once, judge) and patch (read, upgrade, read again, judge).
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from rich.console import Console

from assessor import __version__
from assessor.advisories import Advisory, judge, load_advisories, to_finding
from assessor.errors import outcome_code
from assessor.inventory import InventoryHost, load_inventory
from assessor.pipeline import HostsOptions
from assessor.reports import write_all
from assessor.reports.terminal import progress
from assessor.results import HostResult, RunResult, Status
from assessor.rundir import ANSIBLE, new_run_dir, now
from assessor.runner import HostOutcome, run_playbook
from assessor.tools import playbook

FACT_KEYS = ("hostname", "os")


@dataclass
class HostState:
    """What packages_state returned for a host, or why nothing came back."""

    host: InventoryHost
    state: dict[str, Any] = field(default_factory=dict)
    error: str = ""


def read_states(
    hosts: list[InventoryHost],
    inventory: Path,
    work_dir: Path,
    advisories: list[Advisory],
    console: Console,
    *,
    forks: int,
    update_cache: bool,
    update_timeout: int = 60,
    extra: Mapping[str, Any] | None = None,
) -> list[HostState]:
    """One packages_state run over `hosts`: each host's state, or why there is none."""
    outcomes: dict[str, HostOutcome] = {}
    with progress(console) as bar:
        task = bar.add_task("reading package state", total=len(hosts), failures="")

        def on_host(name: str, outcome: HostOutcome) -> None:
            if "state" in outcome.result or not outcome.ok:
                outcomes[name] = outcome
                bar.update(task, completed=len(outcomes))

        run_playbook(
            playbook("exposure.yml"), inventory, work_dir,
            extravars={
                **package_vars(advisories),
                "packages_state_update_cache": update_cache,
                "packages_state_update_timeout": update_timeout,
                **(extra or {}),
            },
            limit=",".join(h.name for h in hosts), forks=forks, on_host=on_host,
        )
    return [host_state(h, outcomes.get(h.name)) for h in hosts]


def package_vars(advisories: list[Advisory]) -> dict[str, list[str]]:
    """The packages the hosts must report: sources by name, and binaries named directly."""
    return {
        "packages_state_sources": sorted({s for a in advisories for s in a.sources}),
        "packages_state_binaries": sorted({b for a in advisories for b in a.binaries}),
    }


def host_state(host: InventoryHost, outcome: HostOutcome | None) -> HostState:
    if outcome is None:
        return HostState(host, error="no result from Ansible for this host")
    if not outcome.ok:
        kind = "unreachable" if outcome.unreachable else "failed"
        return HostState(host, error=f"{kind}: {outcome.message}")
    state = outcome.result.get("state")
    if not isinstance(state, dict):
        return HostState(host, error="packages_state returned no state")
    return HostState(host, state=state)


def exposure_result(
    host_state: HostState, advisories: list[Advisory], blocked: str = ""
) -> HostResult:
    host = host_state.host
    if host_state.error:
        return HostResult(host.name, host.address, error=host_state.error)
    facts = {k: str(host_state.state.get("facts", {}).get(k, "")) for k in FACT_KEYS}
    findings = [to_finding(judge(a, host_state.state, blocked)) for a in advisories]
    if note := lists_note(host_state.state.get("lists"), time.time()):
        facts["package lists"] = note
        findings = [replace(f, reason=f"{f.reason} ({note})") for f in findings]
    return HostResult(host.name, host.address, facts=facts, findings=findings)


def lists_note(lists: Mapping[str, Any] | None, at: float) -> str:
    """A warning for findings judged from package lists that were not refreshed now.

    Not an error: the verdict stands on the lists the host has, and says how old they are.
    """
    if not lists or lists.get("refreshed"):
        return ""
    updated = lists.get("updated")
    if updated is None:
        age = "no package lists on the host"
    else:
        when = datetime.fromtimestamp(float(updated), UTC).strftime("%Y-%m-%d %H:%M UTC")
        age = f"package lists from {when}, {(at - float(updated)) / 3600:.0f} h old"
    return f"{age}; {lists.get('refresh', 'not refreshed')}"


def make_run(
    run_id: str, started: str, profile: str, inventory: Path, advisories: list[Advisory],
    hosts: list[HostResult],
) -> RunResult:
    return RunResult(
        run_id=run_id, started=started, finished=now(), tool_version=__version__,
        catalogue_version="advisories: " + ", ".join(a.id for a in advisories),
        profile=profile, inventory=str(inventory), hosts=hosts,
    )


EXPOSED = (Status.FAIL, Status.ERROR)


def exit_code(run: RunResult) -> int:
    """3 when a host could not be read, else 1 when a host is (or may be) exposed, else 0."""
    return outcome_code(
        some_host_missed=any(not h.assessed for h in run.hosts),
        something_to_act_on=any(f.status in EXPOSED for h in run.hosts for f in h.findings))


@dataclass(frozen=True, kw_only=True)
class ExposureOptions(HostsOptions):
    advisories: list[Path]
    update_cache: bool = True
    update_timeout: int = 60


def exposure(options: ExposureOptions, console: Console) -> RunResult:
    """Read every host's package state once and judge the advisories against it."""
    advisories = load_advisories(options.advisories)
    hosts = load_inventory(options.inventory, options.limit)
    run_dir = new_run_dir(options.out)
    started = now()
    states = read_states(
        hosts, options.inventory, run_dir / ANSIBLE, advisories, console,
        forks=options.forks, update_cache=options.update_cache,
        update_timeout=options.update_timeout,
    )
    results = [exposure_result(s, advisories) for s in states]
    result = make_run(run_dir.name, started, "exposure", options.inventory, advisories, results)
    write_all(result, run_dir)
    return result
