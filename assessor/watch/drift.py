"""Drift per host since its last assessed cycle: pure, from two cycles' results.

Controls newly failing or fixed and the score's change come from the results every assess
step produces; `set_drift` compares any observed inventory (SUID files, listening ports,
users, units...) as sets, for the steps that record one.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from assessor.results import HostResult, Status
from assessor.watch.store.sql import HostCycle

FAILING = (Status.FAIL.value, Status.ERROR.value)


@dataclass(frozen=True)
class DriftItem:
    host: str
    kind: str  # control-failing | control-fixed | score | <inventory>-added | -removed
    subject: str
    detail: str

    def row(self) -> tuple[str, str, str, str]:
        return self.host, self.kind, self.subject, self.detail


def control_drift(before: HostCycle | None, now: HostResult) -> list[DriftItem]:
    """Nothing for a host's first cycle or one not assessed now: there is no pair to compare."""
    if before is None or not now.assessed:
        return []
    items: list[DriftItem] = []
    for f in now.findings:
        was = before.statuses.get(f.control_id)
        if was is None or was == f.status.value:
            continue
        if f.status.value in FAILING and was not in FAILING:
            items.append(DriftItem(now.name, "control-failing", f.control_id,
                                   f"{was} -> {f.status.value}: {f.reason}"))
        elif was in FAILING and f.status is Status.PASS:
            items.append(DriftItem(now.name, "control-fixed", f.control_id,
                                   f"{was} -> {f.status.value}"))
    if before.score is not None and now.score is not None and before.score != now.score:
        items.append(DriftItem(now.name, "score", "score",
                               f"{before.score:.1f} -> {now.score:.1f}"
                               f" ({now.score - before.score:+.1f})"))
    return items


def set_drift(host: str, kind: str, before: Iterable[str], after: Iterable[str]) -> list[DriftItem]:
    old, new = set(before), set(after)
    return ([DriftItem(host, f"{kind}-added", s, "new since the last cycle")
             for s in sorted(new - old)]
            + [DriftItem(host, f"{kind}-removed", s, "gone since the last cycle")
               for s in sorted(old - new)])
