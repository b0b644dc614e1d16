"""Kernel parameters, judged on the running values in /proc/sys."""

from __future__ import annotations

from assessor.checks.core import (
    Observation,
    Params,
    Snapshot,
    compare,
    register,
    verdict,
)
from assessor.results import Status


@register("sysctl", lambda p: {"sysctl": [p["key"]]}, required=("key",), comparison=True)
def sysctl(snapshot: Snapshot, params: Params) -> Observation:
    key = str(params["key"])
    value = snapshot["sysctl"].get(key)
    if value is None:
        return Observation(
            Status.ERROR, "", "", f"{key} is not present in /proc/sys on this kernel"
        )
    ok, expected = compare(str(value), params)
    return verdict(ok, expected, str(value), key, f"/proc/sys/{key.replace('.', '/')} = {value}")


# --- files --------------------------------------------------------------------------------
