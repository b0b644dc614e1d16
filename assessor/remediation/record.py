"""The harden run's record: per host its state, changes and before/after comparison.

Data only; `assessor.reports.harden` turns it into harden.json, harden.html and the
terminal tables.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from assessor.remediation.beforeafter import HostComparison
from assessor.remediation.changes import Change, HostLog


@dataclass
class HostRecord:
    name: str
    state: str
    message: str
    changes: list[Change]
    comparison: HostComparison | None = None
    manifest: dict[str, Any] = field(default_factory=dict)


@dataclass
class HardenRecord:
    run_id: str
    profile: str
    inventory: str
    check: bool
    started: str
    finished: str
    controls: list[str]
    manual: list[str]
    unavailable: list[str]
    serial: str
    max_fail_percentage: int
    stopped: bool
    untouched: list[str]
    hosts: list[HostRecord]

    @property
    def regressions(self) -> int:
        return sum(len(h.comparison.regressions) for h in self.hosts if h.comparison)


def host_record(log: HostLog, comparison: HostComparison | None = None) -> HostRecord:
    return HostRecord(log.name, log.state, log.message, list(log.changes), comparison,
                      log.manifest)
