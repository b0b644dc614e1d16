"""Hunt: one read-only module run per host, the pure judge, waivers, reports.

`run_hunt` is what `assessor hunt`, watch and incident call: it takes the hosts (or loads
them from the inventory) and returns the run directory with its written result.
"""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rich.console import Console

from assessor import __version__
from assessor.hunt import DEFAULT_PATHS, hunt_result, sweep_vars, tables_for
from assessor.intel import HuntTables, Indicator, load_intel
from assessor.inventory import InventoryHost, load_inventory
from assessor.pipeline import HostsOptions
from assessor.reports import write_all
from assessor.reports.terminal import progress
from assessor.results import HostResult, RunResult
from assessor.rundir import ANSIBLE, new_run_dir, now
from assessor.runner import HostOutcome, run_playbook
from assessor.tools import playbook
from assessor.waivers import apply_waivers, load_waivers


@dataclass(frozen=True, kw_only=True)
class HuntOptions(HostsOptions):
    """What a hunt is told. Callers other than the CLI may add `indicators` they already
    hold (an incident's own IoCs) beside the `iocs` files."""

    iocs: tuple[Path, ...] = ()
    indicators: tuple[Indicator, ...] = ()
    paths: tuple[str, ...] = ()  # swept beside DEFAULT_PATHS
    max_size_mib: int = 64
    time_budget: int = 600
    waivers: Path | None = None


def quiet() -> Console:
    return Console(file=io.StringIO(), width=200)


def run_hunt(
    hosts: list[InventoryHost] | None, options: HuntOptions, console: Console | None = None,
) -> tuple[Path, RunResult]:
    """Hunt `hosts` (None: the inventory's, after `options.limit`) into a new run directory
    under `options.out`; returns that directory and the result written into it."""
    intake = load_intel(options.iocs) if options.iocs else None
    indicators = [*(intake.indicators if intake else ()), *options.indicators]
    tables = tables_for(indicators)
    waivers = load_waivers(options.waivers) if options.waivers else []
    if hosts is None:
        hosts = load_inventory(options.inventory, options.limit)
    run_dir = new_run_dir(options.out)
    started = now()
    extravars = {
        **sweep_vars(tables, [*DEFAULT_PATHS, *options.paths]),
        "assessor_hunt_max_size": options.max_size_mib << 20,
        "assessor_hunt_time_budget": options.time_budget,
    }
    outcomes = sweep_hosts(hosts, options, run_dir / ANSIBLE, extravars, console or quiet())
    today = dt.date.today()
    results = [
        apply_waivers(host_result(h, outcomes.get(h.name), tables), h.groups, waivers, today)
        for h in hosts
    ]
    sources = [*(intake.sources if intake else ())]
    if options.indicators:
        sources.append("caller's indicators")
    result = RunResult(
        run_id=run_dir.name, started=started, finished=now(), tool_version=__version__,
        catalogue_version="hunt: " + (", ".join(sources) or "builtin"),
        profile="hunt", inventory=str(options.inventory), hosts=results,
        waivers=str(options.waivers or ""),
    )
    write_all(result, run_dir)
    return run_dir, result


def sweep_hosts(
    hosts: list[InventoryHost], options: HuntOptions, work_dir: Path,
    extravars: dict[str, Any], console: Console,
) -> dict[str, HostOutcome]:
    outcomes: dict[str, HostOutcome] = {}
    with progress(console) as bar:
        task = bar.add_task("hunting", total=len(hosts), failures="")

        def on_host(name: str, outcome: HostOutcome) -> None:
            if "sweep" in outcome.result or not outcome.ok:
                outcomes[name] = outcome
                bar.update(task, completed=len(outcomes))

        run_playbook(playbook("hunt.yml"), options.inventory, work_dir, extravars=extravars,
                     limit=",".join(h.name for h in hosts), forks=options.forks,
                     on_host=on_host)
    return outcomes


def host_result(host: InventoryHost, outcome: HostOutcome | None, tables: HuntTables) -> HostResult:
    if outcome is None:
        return hunt_result(host.name, host.address, None, tables, "no result from Ansible")
    if not outcome.ok:
        kind = "unreachable" if outcome.unreachable else "failed"
        return hunt_result(host.name, host.address, None, tables, f"{kind}: {outcome.message}")
    sweep = outcome.result.get("sweep")
    return hunt_result(host.name, host.address, sweep if isinstance(sweep, dict) else None,
                       tables)
