"""The cycle's pluggable steps: each turns the inventory into results or host state.

`assess`, `hunt` and `exposure` call the same pipelines as `assessor assess`, `hunt` and
`exposure`; `host_states` is one play per cycle (playbooks/watch.yml, role watch_state)
so drift, integrity and coverage reach each host over one connection; `intel_pull` pulls
only what a TAXII collection or a MISP feed gained since the last pull (the store keeps
each source's cursor) into the watch's indicator directory, which every later hunt reads.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rich.console import Console

from assessor.catalogue import Control
from assessor.evaluate import evaluate_host, plan_probes
from assessor.inventory import load_inventory
from assessor.pipeline.assessment import AssessOptions
from assessor.pipeline.assessment import assess as pipeline_assess
from assessor.pipeline.hunt import HuntOptions, run_hunt
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
    """What the watch play brought back: per host its state, and its coverage judged."""

    addresses: dict[str, str] = field(default_factory=dict)
    states: dict[str, dict[str, Any]] = field(default_factory=dict)
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
        "watch_state_coverage": plan_probes(coverage).get("coverage", []),
    }
    for key in ("suid_roots", "paths", "exclude"):
        if key in drift:
            extravars[f"watch_state_{key}"] = list(drift[key])
    return extravars


def host_states(inventory: Path, runs: Path, drift: dict[str, Any], coverage: list[Control],
                forks: int = 10) -> HostStates:
    """One play over every host (watch_state): inventories, content baseline, coverage."""
    hosts = load_inventory(inventory, None)
    found = HostStates(addresses={h.name: h.address for h in hosts})
    failures: dict[str, HostOutcome] = {}

    def on_host(name: str, outcome: HostOutcome) -> None:
        if not outcome.ok:
            failures.setdefault(name, outcome)
        elif isinstance(outcome.result.get("state"), dict):
            found.states[name] = outcome.result["state"]

    run_dir = new_run_dir(runs)
    run_playbook(playbook("watch.yml"), inventory, run_dir / ANSIBLE,
                 extravars=state_vars(drift, coverage), forks=forks, on_host=on_host)
    for host in hosts:
        state = found.states.get(host.name)
        if not coverage:
            continue
        if state is None:
            failed = failures.get(host.name)
            why = (f"{'unreachable' if failed.unreachable else 'failed'}: {failed.message}"
                   if failed else "no result from the watch play")
            found.coverage.append(HostResult(host.name, host.address, error=why))
            continue
        snapshot = {"facts": state.get("facts", {}), "errors": {},
                    "coverage": state.get("coverage", {})}
        if "coverage" in state.get("errors", {}):
            snapshot["errors"]["coverage"] = state["errors"]["coverage"]
        found.coverage.append(evaluate_host(host.name, host.address, coverage, snapshot))
    return found


def hunt(inventory: Path, out: Path, hunt_config: dict[str, Any],
         indicator_files: list[Path], forks: int = 10) -> StepOutput:
    """The hunt pipeline (`assessor hunt`'s): file sweep and hunt rules, its run directories
    under `out`, so each hunt's state is the next one's baseline."""
    options = HuntOptions(
        inventory=inventory, out=out, forks=forks, iocs=tuple(indicator_files),
        paths=tuple(str(p) for p in hunt_config.get("paths", [])),
        ioc_urls=tuple(str(u) for u in hunt_config.get("ioc_urls", [])),
        max_size_mib=int(hunt_config.get("max_size_mib", 64)),
        time_budget=int(hunt_config.get("time_budget", 600)))
    return StepOutput(run_hunt(None, options, Console(quiet=True))[1].hosts)


def intel_pull(taxii: list[dict[str, Any]], store: Store, intel_dir: Path,
               cycle: int, misp: list[dict[str, Any]] | None = None) -> StepOutput:
    """New objects only: `added_after` (TAXII) and the events pulled (MISP) are the cursors
    the previous pull left in the store."""
    from assessor.intel.taxii import Credentials, pull, write_bundle

    notes = misp_pull(misp or [], store, intel_dir, cycle)
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


def misp_pull(feeds: list[dict[str, Any]], store: Store, intel_dir: Path,
              cycle: int) -> list[str]:
    """Each feed's events new or changed since its cursor, one file per feed and cycle."""
    from assessor.intel.mispfeed import FeedCursor, pull_feed, write_events

    notes = []
    for index, feed in enumerate(feeds):
        url = str(feed["url"])
        key = f"misp.feed:{url}"
        result = pull_feed(url, FeedCursor.loads(store.get_meta(key)), key=feed.get("key"))
        if result.events:
            write_events(result.events, intel_dir / f"misp-{cycle:06d}-{index}.json")
        store.set_meta(key, result.cursor.dumps())
        notes.append(f"intel-pull: {len(result.events)} new events from MISP feed {url}"
                     + (" (unchanged)" if result.unchanged else ""))
    return notes
