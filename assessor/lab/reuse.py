"""`lab up --reuse`: keep a running lab that is what was asked for, else start it afresh.

What makes `make demo` idempotent: a second run reuses the demo lab when every host is
running with ssh answering, and restarts it (down, then up) when hosts are gone (this
machine rebooted, a host's nspawn died) or when the lab differs from what was asked
(another host count, release, flavours or inventory path).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from assessor.lab.state import LabState

START, REUSE, RESTART = "start", "reuse", "restart"


@dataclass(frozen=True)
class Seen:
    """One host of the running lab, as `fleet.status` saw it."""

    name: str
    running: bool
    ssh: bool


def plan(state: LabState | None, seen: list[Seen], *, count: int, release: str,
         flavours: list[str], inventory: Path | None) -> tuple[str, str]:
    """(what to do, why) for a lab that may already be up."""
    if state is None:
        return START, "not up"
    wanted = [flavours[i % len(flavours)] for i in range(count)]
    if [h.flavour for h in state.hosts] != wanted or state.release != release:
        have = ",".join(h.flavour for h in state.hosts)
        return RESTART, (f"it has {len(state.hosts)} {state.release} host(s) ({have}), "
                         f"not {count} {release} ({','.join(wanted)})")
    if inventory is not None and inventory.resolve() != Path(state.inventory):
        return RESTART, f"its inventory is {state.inventory}, not {inventory.resolve()}"
    gone = [s.name for s in seen if not (s.running and s.ssh)]
    if gone or len(seen) != len(state.hosts):
        return RESTART, f"host(s) gone: {', '.join(gone) or 'status incomplete'}"
    return REUSE, f"{len(seen)} host(s) running, ssh answering"
