"""The cycle's pluggable steps: each turns the inventory into results or host state.

`assess` and `exposure` call the same pipelines `assessor assess` and `assessor exposure`
do; `host_state` is one play per cycle (playbooks/watch.yml: roles watch_state and, when
the cycle hunts, hunt) so drift, integrity, coverage and the hunt's sweep reach each host
over one connection; `intel_pull` pulls only what a TAXII collection gained since the
last pull (the store keeps the cursor) into the watch's indicator directory, which every
later hunt reads.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rich.console import Console

from assessor.catalogue import Control
from assessor.evaluate import evaluate_host, plan_probes
from assessor.hunt import DEFAULT_PATHS, hunt_result, sweep_vars, tables_for
from assessor.intel import load_intel
from assessor.inventory import load_inventory
from assessor.pipeline.assessment import AssessOptions
from assessor.pipeline.assessment import assess as pipeline_assess
from assessor.pipeline.packages import ExposureOptions, exposure
from assessor.results import HostResult
from assessor.rundir import ANSIBLE, new_run_dir
from assessor.runner import HostOutcome, run_playbook
from assessor.tools import playbook
from assessor.watch.store.sql import Store

DEFAULT_PROFILE = "server-l1"


@dataclass
class StepOutput:
    results: list[HostResult] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


@dataclass
class HostStates:
    """What the watch play brought back: per host its state, hunt result and coverage."""

    addresses: dict[str, str] = field(default_factory=dict)
    states: dict[str, dict[str, Any]] = field(default_factory=dict)
    hunts: list[HostResult] = field(default_factory=list)
    coverage: list[HostResult] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def assess(inventory: Path, runs: Path, profile: str | None, forks: int = 10,
           limit: str | None = None) -> StepOutput:
    """One assessment through the same pipeline as `assessor assess`, in a run directory of
    its own under `runs` (each host's result written as soon as it exists, reports after)."""
    options = AssessOptions(inventory=inventory, out=runs, limit=limit, forks=forks,
                            profile=profile or DEFAULT_PROFILE)
    return StepOutput(pipeline_assess(options, Console(quiet=True)).hosts)


def expose(inventory: Path, runs: Path, advisories: list[Path], forks: int = 10) -> StepOutput:
    """Exposure to the advisories, from the package lists the hosts have (no apt update:
    a cycle must not depend on mirrors; `assessor exposure` refreshes when asked)."""
    options = ExposureOptions(inventory=inventory, out=runs, forks=forks,
                              advisories=advisories, update_cache=False)
    return StepOutput(exposure(options, Console(quiet=True)).hosts)


def state_vars(drift: dict[str, Any], coverage: list[Control]) -> dict[str, Any]:
    extravars: dict[str, Any] = {
        "assessor_watch_coverage": plan_probes(coverage).get("coverage", []),
        "assessor_watch_hunt": False,
    }
    for key in ("suid_roots", "paths", "exclude"):
        if key in drift:
            extravars[f"assessor_watch_{key}"] = list(drift[key])
    return extravars


def host_states(inventory: Path, runs: Path, drift: dict[str, Any], coverage: list[Control],
                hunt: dict[str, Any] | None, indicator_files: list[Path],
                forks: int = 10) -> HostStates:
    """One play over every host: watch_state, and the hunt's sweep when `hunt` is given."""
    hosts = load_inventory(inventory, None)
    extravars = state_vars(drift, coverage)
    tables = None
    found = HostStates(addresses={h.name: h.address for h in hosts})
    if hunt is not None:
        intake = load_intel(indicator_files) if indicator_files else None
        tables = tables_for(intake.indicators if intake else ())
        extravars.update(sweep_vars(tables, [*DEFAULT_PATHS, *hunt.get("paths", [])]))
        extravars["assessor_hunt_max_size"] = int(hunt.get("max_size_mib", 64)) << 20
        extravars["assessor_hunt_time_budget"] = int(hunt.get("time_budget", 600))
        extravars["assessor_watch_hunt"] = True
    outcomes: dict[str, HostOutcome] = {}
    sweeps: dict[str, dict[str, Any]] = {}

    def on_host(name: str, outcome: HostOutcome) -> None:
        if not outcome.ok:
            outcomes.setdefault(name, outcome)
        if isinstance(outcome.result.get("state"), dict):
            found.states[name] = outcome.result["state"]
        if isinstance(outcome.result.get("sweep"), dict):
            sweeps[name] = outcome.result["sweep"]

    run_dir = new_run_dir(runs)
    run_playbook(playbook("watch.yml"), inventory, run_dir / ANSIBLE, extravars=extravars,
                 forks=forks, on_host=on_host)
    for host in hosts:
        failed = outcomes.get(host.name)
        why = (f"{'unreachable' if failed.unreachable else 'failed'}: {failed.message}"
               if failed else "no result from the watch play")
        state = found.states.get(host.name)
        if state is not None and coverage:
            snapshot = {"facts": {}, "errors": {}, "coverage": state.get("coverage", {})}
            if "coverage" in state.get("errors", {}):
                snapshot["errors"]["coverage"] = state["errors"]["coverage"]
            found.coverage.append(evaluate_host(host.name, host.address, coverage, snapshot))
        elif coverage:
            found.coverage.append(HostResult(host.name, host.address, error=why))
        if tables is not None:
            found.hunts.append(hunt_result(host.name, host.address, sweeps.get(host.name),
                                           tables, "" if host.name in sweeps else why))
    return found


def intel_pull(taxii: list[dict[str, Any]], store: Store, intel_dir: Path,
               cycle: int) -> StepOutput:
    """New objects only: `added_after` is the cursor the previous pull left in the store."""
    from assessor.intel.taxii import Credentials, pull, write_bundle

    notes = []
    for index, source in enumerate(taxii):
        api_root, collection = str(source["api_root"]), str(source["collection"])
        key = f"taxii.added_after:{api_root}:{collection}"
        credentials = Credentials(source.get("user"), source.get("password"))
        result = pull(api_root, collection, credentials, added_after=store.get_meta(key))
        if result.objects:
            write_bundle(result.objects, intel_dir / f"taxii-{cycle:06d}-{index}.json",
                         source=f"taxii collection {collection} at {api_root}")
        if result.added_last:
            store.set_meta(key, result.added_last)
        notes.append(f"intel-pull: {len(result.objects)} new objects from {collection}")
    return StepOutput(notes=notes)
