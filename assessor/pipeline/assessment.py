"""Assess: snapshot every host in one module run, evaluate, apply waivers, report."""

from __future__ import annotations

import contextlib
import json
import shutil
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

from rich.console import Console

from assessor import __version__
from assessor.catalogue import (
    Catalogue,
    Control,
    apply_tailoring,
    load_catalogue,
    load_tailoring,
)
from assessor.errors import ConfigError
from assessor.evaluate import evaluate_host, plan_probes
from assessor.inventory import InventoryHost, load_inventory
from assessor.pipeline import HostsOptions, shards_for
from assessor.reports import write_all
from assessor.reports.json_report import host_dict
from assessor.reports.terminal import progress
from assessor.results import HostResult, RunResult, Severity
from assessor.rundir import ANSIBLE, host_dir, new_run_dir, now, write_text
from assessor.runner import HostOutcome, recorded_outcomes, run_playbook
from assessor.tools import playbook
from assessor.waivers import Waiver, apply_waivers, load_waivers

DEFAULT_PROFILE = "server-l1"


@dataclass(frozen=True, kw_only=True)
class ControlsOptions:
    """Which controls judge the snapshots, and which waivers apply."""

    profile: str | None = None
    fail_on: Severity = Severity.LOW
    catalogue: Path | None = None
    tailoring: Path | None = None
    waivers: Path | None = None


@dataclass(frozen=True, kw_only=True)
class AssessOptions(ControlsOptions, HostsOptions):
    forks: int = 10


@dataclass(frozen=True, kw_only=True)
class RecordedOptions(ControlsOptions):
    """Judging a run Ansible already made elsewhere (AWX, ansible-runner): its events, the
    controls, and optionally the inventory for addresses and groups (waivers use groups)."""

    events: Path
    out: Path
    inventory: Path | None = None


def select_controls(options: ControlsOptions) -> tuple[Catalogue, str, list[Control]]:
    """The catalogue, the profile's name and its controls after any tailoring."""
    catalogue = load_catalogue(options.catalogue)
    if options.tailoring is None:
        profile = options.profile or DEFAULT_PROFILE
        return catalogue, profile, catalogue.profile(profile)
    tailoring = load_tailoring(options.tailoring)
    if options.profile and options.profile != tailoring.extends:
        raise ConfigError(
            f"{options.tailoring}: extends {tailoring.extends!r} but --profile is "
            f"{options.profile!r}; drop --profile or make them agree"
        )
    return catalogue, tailoring.extends, apply_tailoring(catalogue, tailoring)


def host_result(
    host: InventoryHost, outcome: HostOutcome | None, controls: list[Control]
) -> HostResult:
    if outcome is None:
        return HostResult(host.name, host.address, error="no result from Ansible for this host")
    if not outcome.ok:
        kind = "unreachable" if outcome.unreachable else "failed"
        return HostResult(host.name, host.address, error=f"{kind}: {outcome.message}")
    snapshot = outcome.result.get("snapshot")
    if not isinstance(snapshot, dict):
        return HostResult(host.name, host.address, error="collect module returned no snapshot")
    return evaluate_host(host.name, host.address, controls, snapshot)


def assess(options: AssessOptions, console: Console) -> RunResult:
    """Assess the hosts into a new run directory under `options.out`; `console` shows
    progress only (the caller prints the summary it wants)."""
    # ansible-inventory is a second Ansible starting up (about 1.2 s of CPU, more than the
    # whole run costs per host): read only when waivers need the groups or execution nodes
    # their share; else the play itself says which hosts it went through, at which address
    # (and the inventory is read after all if the play did not end, or saw no host)
    hosts: list[InventoryHost] | None = None
    if not options.inventory.exists():  # Ansible would take the path for a host name
        raise ConfigError(f"{options.inventory}: inventory file not found")
    with ThreadPoolExecutor(max_workers=1) as pool:
        inventory = (pool.submit(load_inventory, options.inventory, options.limit)
                     if options.waivers or options.execution_nodes else None)
        catalogue, profile, controls = select_controls(options)
        waivers = load_waivers(options.waivers) if options.waivers else []
        hosts = inventory.result() if inventory else None
    today = datetime.now(UTC).date()
    by_name = {h.name: h for h in hosts or []}
    out_existed = options.out.exists()
    run_dir = new_run_dir(options.out)
    started = now()
    results: dict[str, HostResult] = {}

    # the bar starts with the first host's result: a play that reaches no host (a
    # malformed inventory, say) ends in one line of error and nothing else
    bar = progress(console)
    task = bar.add_task("assessing", total=len(hosts) if hosts else None, failures="",
                        start=False)

    def on_host(name: str, outcome: HostOutcome) -> None:
        if not results:
            bar.start()
            bar.start_task(task)
        host = by_name.get(name) or InventoryHost(name, outcome.address or name, ())
        results[name] = judged(run_dir, host, outcome, controls, waivers, today)
        failed = sum(1 for r in results.values() if r.failures_at_or_above(options.fail_on))
        broken = sum(1 for r in results.values() if not r.assessed)
        bar.update(task, advance=1, failures=f"{failed} failing · {broken} not assessed")

    try:
        ran = run_playbook(
            playbook("assess.yml"),
            options.inventory,
            run_dir / ANSIBLE,
            extravars={"collect_probes": plan_probes(controls)},
            limit=options.limit,
            forks=options.forks,
            on_host=on_host,
            shards=shards_for(options, list(by_name)),
        )
    finally:
        if results:
            bar.stop()

    if hosts is None:
        hosts = played_hosts(ran.ended, results) or inventory_after(options, run_dir,
                                                                     out_existed, results)
    ordered = [results.get(h.name) or host_result(h, None, controls) for h in hosts]
    return finish(run_dir, started, catalogue, profile, options, str(options.inventory), ordered)


def inventory_after(options: AssessOptions, run_dir: Path, out_existed: bool,
                    results: Mapping[str, HostResult]) -> list[InventoryHost]:
    """The inventory's hosts after a play that did not end or saw none: the hosts it never
    reached are then listed with no result, or the inventory's error is the run's (a
    malformed file, no host matching --limit), with no run directory left behind."""
    try:
        return load_inventory(options.inventory, options.limit)
    except ConfigError:
        if not results:
            shutil.rmtree(run_dir, ignore_errors=True)
            if not out_existed:
                with contextlib.suppress(OSError):
                    options.out.rmdir()
        raise


def played_hosts(ended: tuple[str, ...] | None,
                 results: Mapping[str, HostResult]) -> list[InventoryHost]:
    """The hosts of a play that ended, in name order as the inventory lists them; none when
    it did not end or went through no host (then the inventory says which, or why)."""
    if not ended:
        return []
    return [InventoryHost(name, results[name].address if name in results else name, ())
            for name in sorted(set(ended) | set(results))]


def assess_recorded(options: RecordedOptions) -> RunResult:
    """The same judgement, reports and run directory from events of a run made elsewhere:
    an AWX job running the assess playbook, or a plain ansible-runner artifact directory."""
    catalogue, profile, controls = select_controls(options)
    waivers = load_waivers(options.waivers) if options.waivers else []
    outcomes = recorded_outcomes(options.events)
    if not outcomes:
        raise ConfigError(f"{options.events}: no host results in these events")
    known = {h.name: h for h in load_inventory(options.inventory)} if options.inventory else {}
    hosts = list(known.values()) or [InventoryHost(n, r.address or n, ()) for n, r in
                                     outcomes.items()]
    today = datetime.now(UTC).date()
    run_dir = new_run_dir(options.out)
    started = now()
    ordered = [judged(run_dir, h, outcomes[h.name].outcome if h.name in outcomes else None,
                      controls, waivers, today) for h in hosts]
    return finish(run_dir, started, catalogue, profile, options,
                  str(options.inventory or options.events), ordered)


def judged(run_dir: Path, host: InventoryHost, outcome: HostOutcome | None,
           controls: list[Control], waivers: list[Waiver], today: date) -> HostResult:
    """One host evaluated, waived and kept on disk at once."""
    result = apply_waivers(host_result(host, outcome, controls), host.groups, waivers, today)
    checkpoint(run_dir, result)
    return result


def finish(run_dir: Path, started: str, catalogue: Catalogue, profile: str,
           options: ControlsOptions, inventory: str, hosts: list[HostResult]) -> RunResult:
    run = RunResult(
        run_id=run_dir.name,
        started=started,
        finished=now(),
        tool_version=__version__,
        catalogue_version=catalogue.version,
        profile=profile,
        inventory=inventory,
        hosts=hosts,
        tailoring=str(options.tailoring or ""),
        waivers=str(options.waivers or ""),
    )
    write_all(run, run_dir)
    return run


def checkpoint(run_dir: Path, result: HostResult) -> None:
    """Keep each host's result as soon as it exists, so an interrupted run loses nothing."""
    write_text(host_dir(run_dir, result.name) / "result.json", json.dumps(host_dict(result)))
