"""What a playbook run gave, typed: per host its outcome, per task its result.

`assessor.runner` makes these from Ansible's events; the judges (evaluate, remediation,
advisories) read them without knowing Ansible, so they stay pure and testable on data.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class TaskResult:
    """One task's (or one loop item's) result on one host, as the module returned it."""

    host: str
    task: str
    status: str  # started | ok | failed | skipped | unreachable
    result: Mapping[str, Any] = field(default_factory=dict)
    path: str = ""  # the task's file:line, which names the role task and so its tags
    item: bool = False  # one loop item's own result (the loop's summary has item False)
    ignored: bool = False  # failed under ignore_errors: not a failure of the host

    @property
    def changed(self) -> bool:
        return bool(self.result.get("changed"))

    @property
    def diff(self) -> Any:
        """Ansible's diff as the module gave it (a dict, a list of dicts, or none)."""
        return self.result.get("diff")

    @property
    def msg(self) -> str:
        return str(self.result.get("msg", ""))

    @property
    def failed(self) -> bool:
        return self.status in ("failed", "unreachable") and not self.ignored

    @property
    def summary(self) -> bool:
        """A loop's summary result: its items came as their own results."""
        return "results" in self.result and not self.item


@dataclass(frozen=True)
class HostOutcome:
    """What happened on one host: its module result, or why there is none."""

    ok: bool
    result: Mapping[str, Any] = field(default_factory=dict)
    message: str = ""
    unreachable: bool = False
    address: str = ""  # the address Ansible reached it at (its ansible_host), when known


@dataclass(frozen=True)
class PlaybookRun:
    status: str
    rc: int
    hosts: dict[str, HostOutcome]
    artifact_dir: str
    tasks: list[TaskResult] = field(default_factory=list)
    # every host the play went through, from its closing stats; None when the play never
    # ended (ansible-playbook killed, or it could not start)
    ended: tuple[str, ...] | None = None


@dataclass(frozen=True)
class RecordedHost:
    """A host's outcome read back from recorded events, with the address Ansible used."""

    outcome: HostOutcome
    address: str = ""
