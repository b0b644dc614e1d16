"""The cycle's pluggable steps: each turns the inventory into results or conditions.

`assess` calls the same building blocks `assessor assess` does (inventory, catalogue,
runner, evaluate, waivers, reporters) without importing the command; `intel-pull` pulls
only what a TAXII collection gained since the last pull (the store keeps the cursor).
Hunt and exposure join here as steps when their code is on main.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from assessor import __version__
from assessor.atomic import write_text
from assessor.catalogue import Control, load_catalogue
from assessor.evaluate import evaluate_host, plan_probes
from assessor.inventory import InventoryHost, load_inventory
from assessor.reports import host_dir, write_all
from assessor.results import HostResult, RunResult
from assessor.runner import HostOutcome, run_playbook
from assessor.tools import playbook
from assessor.watch.store.sql import Store

DEFAULT_PROFILE = "server-l1"


@dataclass
class StepOutput:
    results: list[HostResult] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _host_result(host: InventoryHost, outcome: HostOutcome | None,
                 controls: list[Control]) -> HostResult:
    # the same mapping as commands/assess.py's host_result; to be shared once the
    # pipeline refactor gives it a home outside the command
    if outcome is None:
        return HostResult(host.name, host.address, error="no result from Ansible for this host")
    if not outcome.ok:
        kind = "unreachable" if outcome.unreachable else "failed"
        return HostResult(host.name, host.address, error=f"{kind}: {outcome.message}")
    snapshot = outcome.result.get("snapshot")
    if not isinstance(snapshot, dict):
        return HostResult(host.name, host.address, error="collect module returned no snapshot")
    return evaluate_host(host.name, host.address, controls, snapshot)


def assess(inventory: Path, run_dir: Path, profile: str | None, forks: int = 10,
           limit: str | None = None) -> StepOutput:
    """One assess run: each host's result is written as soon as it exists."""
    hosts = load_inventory(inventory, limit)
    catalogue = load_catalogue(None)
    name = profile or DEFAULT_PROFILE
    controls = catalogue.profile(name)
    by_name = {h.name: h for h in hosts}
    results: dict[str, HostResult] = {}
    started = _now()

    def on_host(host_name: str, outcome: HostOutcome) -> None:
        host = by_name.get(host_name) or InventoryHost(host_name, host_name, ())
        result = _host_result(host, outcome, controls)
        results[host_name] = result
        write_text(host_dir(run_dir, host_name) / "result.json", json.dumps(asdict(result)))

    run_playbook(playbook("assess.yml"), inventory, run_dir / "ansible",
                 extravars={"assessor_probes": plan_probes(controls)}, limit=limit,
                 forks=forks, on_host=on_host)
    ordered = [results.get(h.name) or _host_result(h, None, controls) for h in hosts]
    write_all(RunResult(run_dir.name, started, _now(), __version__, catalogue.version, name,
                        str(inventory), ordered), run_dir)
    return StepOutput(ordered)


def intel_pull(taxii: dict[str, Any], store: Store, out: Path) -> StepOutput:
    """New objects only: `added_after` is the cursor the previous pull left in the store."""
    from assessor.intel.taxii import pull, write_bundle

    api_root, collection = str(taxii["api_root"]), str(taxii["collection"])
    key = f"taxii.added_after:{api_root}:{collection}"
    result = pull(api_root, collection, added_after=store.get_meta(key))
    if result.objects:
        write_bundle(result.objects, out / "indicators.json",
                     source=f"taxii collection {collection} at {api_root}")
    if result.added_last:
        store.set_meta(key, result.added_last)
    return StepOutput(notes=[f"intel-pull: {len(result.objects)} new objects"])
