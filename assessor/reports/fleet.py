"""What the fleet index shows, computed once: heat map, most-failed controls, lost hosts.

A heat map of 1,000 hosts is unreadable and heavy, so it shows the worst-scoring hosts up
to a cap and says how many it left out; the tables above it cover every host.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from assessor.results import HostResult, RunResult, Status

HEATMAP_HOSTS = 100
TOP_FAILING = 15
NOT_PASSING = (Status.FAIL, Status.ERROR)


@dataclass(frozen=True)
class HeatRow:
    control_id: str
    title: str
    failing: int
    cells: list[str]


@dataclass(frozen=True)
class HeatMap:
    hosts: list[HostResult]
    rows: list[HeatRow]
    left_out: int


@dataclass(frozen=True)
class Failing:
    control_id: str
    title: str
    severity: str
    hosts: int
    share: float
    examples: list[str]


def _worst_first(host: HostResult) -> tuple[float, str]:
    return (101.0 if host.score is None else host.score, host.name)


def heat_map(run: RunResult, limit: int = HEATMAP_HOSTS) -> HeatMap:
    assessed = sorted((h for h in run.hosts if h.assessed), key=_worst_first)
    shown = assessed[:limit]
    statuses = [{f.control_id: f.status.value for f in h.findings} for h in shown]
    titles: dict[str, str] = {}
    failing: Counter[str] = Counter()
    for host in shown:
        for f in host.findings:
            titles.setdefault(f.control_id, f.title)
            if f.status in NOT_PASSING:
                failing[f.control_id] += 1
    order = sorted(titles, key=lambda c: (-failing[c], c))
    rows = [
        HeatRow(c, titles[c], failing[c], [s.get(c, "") for s in statuses]) for c in order
    ]
    return HeatMap(shown, rows, len(assessed) - len(shown))


def top_failing(run: RunResult, limit: int = TOP_FAILING) -> list[Failing]:
    assessed = [h for h in run.hosts if h.assessed]
    hosts_by_control: dict[str, list[str]] = {}
    meta: dict[str, tuple[str, str]] = {}
    for host in assessed:
        for f in host.findings:
            if f.status is Status.FAIL:
                hosts_by_control.setdefault(f.control_id, []).append(host.name)
                meta.setdefault(f.control_id, (f.title, f.severity.value))
    ranked = sorted(hosts_by_control.items(), key=lambda kv: (-len(kv[1]), kv[0]))[:limit]
    return [
        Failing(
            control_id, meta[control_id][0], meta[control_id][1], len(names),
            round(100.0 * len(names) / len(assessed), 1), names[:5],
        )
        for control_id, names in ranked
    ]


def unreachable(run: RunResult) -> list[HostResult]:
    return [h for h in run.hosts if not h.assessed]


def fleet_counts(run: RunResult) -> dict[str, int]:
    total: Counter[str] = Counter()
    for host in run.hosts:
        total.update(host.counts())
    return {s.value: total.get(s.value, 0) for s in Status}
