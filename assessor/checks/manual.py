"""Controls a machine cannot judge: reported as `manual` with what a person must check."""

from __future__ import annotations

from assessor.checks.core import Observation, Params, Snapshot, register
from assessor.results import Status


@register("manual", lambda p: {}, required=("instructions",))
def manual(snapshot: Snapshot, params: Params) -> Observation:
    instructions = str(params["instructions"]).strip()
    return Observation(Status.MANUAL, "verified by a person", "not assessed automatically",
                       f"manual check: {instructions}")
