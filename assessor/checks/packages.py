"""Packages that must be absent, read from dpkg's status database."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from assessor.checks.core import (
    Observation,
    Params,
    Snapshot,
    names_of,
    register,
)
from assessor.results import Status

# --- packages -----------------------------------------------------------------------------


def installed(entry: Mapping[str, Any] | None) -> bool:
    """dpkg's status: only `install ok installed` (and half-installed states) count as present.

    A removed package whose config files remain (`deinstall ok config-files`, the `rc` of
    `dpkg -l`) has no programs on disk, so it is absent for these checks.
    """
    if not entry:
        return False
    state = str(entry.get("status", "")).split()
    return len(state) == 3 and state[2] not in ("not-installed", "config-files")


@register("package_absent", lambda p: {"packages": True}, required=("name",))
def package_absent(snapshot: Snapshot, params: Params) -> Observation:
    """`name` may list every package that ships the same thing (old and new names)."""
    names = names_of(params["name"])
    packages = snapshot["packages"]
    present = [n for n in names if installed(packages.get(n))]
    evidence = "; ".join(
        f"dpkg status: {n} {packages[n]['status']} {packages[n]['version']}"
        if n in packages
        else f"dpkg status: {n} not known to dpkg"
        for n in names
    )
    if present:
        observed = ", ".join(f"{n} {packages[n]['version']}" for n in present)
        return Observation(
            Status.FAIL, "not installed", f"installed: {observed}", f"installed: {observed}",
            evidence,
        )
    return Observation(
        Status.PASS, "not installed", "not installed", f"{', '.join(names)}: not installed",
        evidence,
    )


# --- login.defs ---------------------------------------------------------------------------
