"""The cycle's pluggable steps: each turns the inventory into results or conditions.

`assess` calls the same building blocks `assessor assess` does (inventory, catalogue,
runner, evaluate, waivers, reporters) without importing the command; `intel-pull` pulls
only what a TAXII collection gained since the last pull (the store keeps the cursor).
Hunt and exposure join here as steps when their code is on main.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rich.console import Console

from assessor.pipeline.assessment import AssessOptions
from assessor.pipeline.assessment import assess as pipeline_assess
from assessor.results import HostResult
from assessor.watch.store.sql import Store

DEFAULT_PROFILE = "server-l1"


@dataclass
class StepOutput:
    results: list[HostResult] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def assess(inventory: Path, runs: Path, profile: str | None, forks: int = 10,
           limit: str | None = None) -> StepOutput:
    """One assessment through the same pipeline as `assessor assess`, in a run directory of
    its own under `runs` (each host's result written as soon as it exists, reports after)."""
    options = AssessOptions(inventory=inventory, out=runs, limit=limit, forks=forks,
                            profile=profile or DEFAULT_PROFILE)
    return StepOutput(pipeline_assess(options, Console(quiet=True)).hosts)


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
