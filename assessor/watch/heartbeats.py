"""Heartbeats: a host that missed N cycles in a row, and the watch itself stalling.

Both are conditions like any other, so they open one alert, stay deduplicated while the
problem lasts and resolve when the host answers or a cycle finishes in time again.
"""

from __future__ import annotations

from collections.abc import Mapping

from assessor.results import Severity
from assessor.watch.alerts.model import Condition

WATCH_HOST = "watch"


def missed_hosts(recent: Mapping[str, list[bool]], misses: int) -> list[Condition]:
    """`recent[host]` is its assessed flags, newest first; N misses in a row is an alert."""
    conditions = []
    for host, flags in sorted(recent.items()):
        if len(flags) >= misses and not any(flags[:misses]):
            conditions.append(Condition(
                host, "heartbeat", "missed", Severity.HIGH,
                f"{host} missed {misses} watch cycles in a row",
                "the host could not be assessed; check it is up and reachable over SSH"))
    return conditions


def stall(duration: float, interval: float) -> list[Condition]:
    """A cycle longer than its interval: the fleet was not watched at the cadence promised."""
    if duration <= interval:
        return []
    return [Condition(WATCH_HOST, "stall", "cycle", Severity.HIGH,
                      f"watch cycle took {duration:.0f}s, over its {interval:.0f}s interval",
                      "cycles never overlap, so the next one started late")]
