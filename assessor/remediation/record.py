"""The harden and rollback records: per host its state, changes, comparison, restore.

Data only; `assessor.reports.harden` turns it into harden.json, harden.html and the
terminal tables.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from assessor.errors import outcome_code
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

    @property
    def failed(self) -> list[str]:
        """Hosts the run could not harden: a task failed or the host was unreachable."""
        return [h.name for h in self.hosts if h.state in ("failed", "unreachable")]

    def exit_code(self) -> int:
        """3 when a host failed or a wave stopped the run (hosts left untouched), else 1
        when a control the run applied still fails or now fails (a regression) on a host,
        else 0: after `harden`, 0 means every applied control passes, as `assess` would
        say."""
        still = any(h.comparison and (h.comparison.still_failing or h.comparison.error)
                    for h in self.hosts)
        return outcome_code(some_host_missed=bool(self.failed or self.untouched),
                            something_to_act_on=bool(self.regressions or still))


@dataclass(frozen=True)
class RollbackRecord:
    hosts: Mapping[str, Mapping[str, Any]]  # the restore module's result per host
    failures: Mapping[str, str]  # host -> why it failed or could not be reached

    def exit_code(self) -> int:
        """3 when a host failed, else 1 when a file was left alone (conflict), else 0."""
        return outcome_code(
            some_host_missed=bool(self.failures),
            something_to_act_on=any(r.get("conflicts") for r in self.hosts.values()))


def host_record(log: HostLog, comparison: HostComparison | None = None) -> HostRecord:
    return HostRecord(log.name, log.state, log.message, list(log.changes), comparison,
                      log.manifest)
