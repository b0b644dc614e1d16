"""Hunt: one read-only play per host (the file sweep and the state the hunt rules judge),
the pure judges, waivers, reports.

`run_hunt` is what `assessor hunt`, watch and incident call: it takes the hosts (or loads
them from the inventory) and returns the run directory with its written result. Each
host's baseline (its accounts) is kept as hosts/<host>/hunt-state.json: the next hunt in
the same report directory compares with it (accounts that gained a shell since).
"""

from __future__ import annotations

import datetime as dt
import io
import json
import shutil
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from rich.console import Console

from assessor import __version__
from assessor.hunt import DEFAULT_PATHS, hunt_result, sweep_vars, tables_for
from assessor.hunt.catalogue import HuntRule, judge_rules, load_rules, state_vars
from assessor.hunt.clamav import clamav_findings, clamav_vars
from assessor.hunt.fetch import fetch_iocs
from assessor.hunt.kinds import Context
from assessor.intel import HuntTables, Indicator, load_intel
from assessor.inventory import InventoryHost, load_inventory
from assessor.pipeline import HostsOptions, shards_for
from assessor.pipeline.quarantine import QuarantineOptions, quarantine_hosts
from assessor.reports import write_all
from assessor.reports.terminal import progress
from assessor.results import HostResult, RunResult
from assessor.rundir import ANSIBLE, host_dir, new_run_dir, now, write_text
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
    rules: Path | None = None  # a directory of hunt rule YAML merged over the built-ins
    ioc_urls: tuple[str, ...] = ()  # http(s) indicator files the controller fetches
    clamav: bool = True  # clamscan with the run's signatures (+ --rules' .ndb/.yar) if installed
    quarantine: QuarantineOptions = field(default_factory=QuarantineOptions)


STATE_FILE = "hunt-state.json"


def quiet() -> Console:
    return Console(file=io.StringIO(), width=200)


def run_hunt(
    hosts: list[InventoryHost] | None, options: HuntOptions, console: Console | None = None,
) -> tuple[Path, RunResult]:
    """Hunt `hosts` (None: the inventory's, after `options.limit`) into a new run directory
    under `options.out`; returns that directory and the result written into it."""
    rules = load_rules(options.rules)
    waivers = load_waivers(options.waivers) if options.waivers else []
    with tempfile.TemporaryDirectory(prefix="assessor-iocs-") as fetched:
        downloads = [fetch_iocs(url, Path(fetched)) for url in options.ioc_urls]
        ioc_files = [*options.iocs, *downloads]
        intake = load_intel(ioc_files) if ioc_files else None
        if hosts is None:
            hosts = load_inventory(options.inventory, options.limit)
        run_dir = new_run_dir(options.out)
        for path in downloads:
            shutil.copy2(path, run_dir / path.name)
    named = dict(zip((str(p) for p in downloads), options.ioc_urls, strict=True))
    indicators = [*(from_urls(i, named) for i in (intake.indicators if intake else ())),
                  *options.indicators]
    tables = tables_for(indicators)
    started = now()
    extravars = hunt_vars(options, tables, rules)
    outcomes = sweep_hosts(hosts, options, run_dir / ANSIBLE, extravars, console or quiet())
    today = dt.date.today()
    results = []
    for host in hosts:
        outcome = outcomes.get(host.name)
        baseline = previous_state(options.out, run_dir, host.name)
        judged = host_result(host, outcome, tables, rules, baseline)
        results.append(apply_waivers(judged, host.groups, waivers, today))
        state = outcome.result.get("state") if outcome and outcome.ok else None
        if isinstance(state, Mapping):
            write_text(host_dir(run_dir, host.name) / STATE_FILE, json.dumps(baseline_of(state)))
    if options.quarantine.enabled:
        results = quarantine_hosts(results, run_dir.name, options.inventory, run_dir,
                                   options.quarantine, console or quiet())
    sources = [renamed(text, named) for text in (intake.sources if intake else ())]
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


def hunt_vars(options: HuntOptions, tables: HuntTables,
              rules: list[HuntRule]) -> dict[str, Any]:
    """What playbooks/hunt.yml reads: the same for an AWX job template running the
    collection's hunt playbook as for this run."""
    return {
        **sweep_vars(tables, [*DEFAULT_PATHS, *options.paths]),
        **state_vars(rules),
        "hunt_max_size": options.max_size_mib << 20,
        "hunt_time_budget": options.time_budget,
        **clamav_vars(tables, options.clamav, [options.rules] if options.rules else []),
    }


def renamed(text: str, named: Mapping[str, str]) -> str:
    for path, url in named.items():
        text = text.replace(path, url)
    return text


def from_urls(indicator: Indicator, named: Mapping[str, str]) -> Indicator:
    """A fetched indicator cites the URL it came from, not the temporary file it was read
    from (the run directory keeps a copy of that file)."""
    if not named:
        return indicator
    origins = tuple(replace(o, source=renamed(o.source, named),
                            object_id=renamed(o.object_id, named)) for o in indicator.origins)
    return replace(indicator, origins=origins)


def sweep_hosts(
    hosts: list[InventoryHost], options: HuntOptions, work_dir: Path,
    extravars: dict[str, Any], console: Console,
) -> dict[str, HostOutcome]:
    outcomes: dict[str, HostOutcome] = {}
    with progress(console) as bar:
        task = bar.add_task("hunting", total=len(hosts), failures="")

        def on_host(name: str, outcome: HostOutcome) -> None:
            outcomes[name] = merged(outcomes.get(name), outcome)
            bar.update(task, completed=sum(1 for o in outcomes.values()
                                           if "state" in o.result or not o.ok))

        run_playbook(playbook("hunt.yml"), options.inventory, work_dir, extravars=extravars,
                     limit=",".join(h.name for h in hosts), forks=options.forks,
                     on_host=on_host, shards=shards_for(options, [h.name for h in hosts]))
    return outcomes


def merged(kept: HostOutcome | None, new: HostOutcome) -> HostOutcome:
    """Two modules in one play: the sweep's and the state's results as one outcome, or
    the first failure (a host that failed the sweep is not judged on half its state)."""
    if kept is None or (not new.ok and kept.ok):
        return new
    if not kept.ok:
        return kept
    return HostOutcome(True, {**kept.result, **new.result})


def host_result(
    host: InventoryHost, outcome: HostOutcome | None, tables: HuntTables,
    rules: list[HuntRule] | None = None, baseline: Mapping[str, Any] | None = None,
) -> HostResult:
    if outcome is None:
        return hunt_result(host.name, host.address, None, tables, "no result from Ansible")
    if not outcome.ok:
        kind = "unreachable" if outcome.unreachable else "failed"
        return hunt_result(host.name, host.address, None, tables, f"{kind}: {outcome.message}")
    sweep = outcome.result.get("sweep")
    swept = hunt_result(host.name, host.address, sweep if isinstance(sweep, dict) else None,
                        tables)
    if not swept.error:
        scan = outcome.result.get("clamscan")
        swept = replace(swept, findings=[*swept.findings, *clamav_findings(scan, tables)])
    if not rules or swept.error:
        return swept
    state = outcome.result.get("state")
    if not isinstance(state, Mapping):
        return HostResult(host.name, host.address,
                          error="the hunt's state module returned nothing")
    judged = judge_rules(rules, state, Context(tables, baseline))
    return HostResult(host.name, host.address, findings=[*swept.findings, *judged])


BASELINE_PROBES = ("accounts",)


def baseline_of(state: Mapping[str, Any]) -> dict[str, Any]:
    """What the next hunt compares with; no more (command lines may carry secrets)."""
    return {k: state[k] for k in BASELINE_PROBES if isinstance(state.get(k), list)}


def previous_state(out: Path, run_dir: Path, host: str) -> Mapping[str, Any] | None:
    """The host's state from the latest earlier hunt under `out` (the baseline), if any."""
    earlier = sorted((d for d in out.iterdir() if d.is_dir() and d.name < run_dir.name),
                     reverse=True) if out.is_dir() else []
    for directory in earlier:
        path = host_dir(directory, host) / STATE_FILE
        if path.is_file():
            try:
                data = json.loads(path.read_text())
            except (OSError, ValueError):
                continue
            return data if isinstance(data, dict) else None
    return None
