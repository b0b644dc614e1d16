"""Drift beyond controls: what watch_state read on a host, against its last cycle and its
baseline. Pure: the caller keeps the record (`HostRecord.dumps`) in the store.

Two comparisons, for two audiences. Against the *last cycle*: drift items, the timeline on
the board (a package upgraded, a unit file added). Against the *baseline* (what the first
cycle saw): conditions, so a new SUID file or listening port is one alert while it is
there and one resolved notice when it goes, not an alert once and then silence.
Packages drift but never alert; content changes alert unless dpkg vouched for them, which
is reported as "changed by package X upgrade".
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from assessor.results import Severity
from assessor.watch.alerts.model import Condition
from assessor.watch.drift import DriftItem, set_drift

INVENTORIES = ("suid", "ports", "users", "keys", "cron", "units", "modules", "packages")
# what a new item of each inventory is, as an alert: packages only drift
ALERTING: dict[str, tuple[Severity, str]] = {
    "suid": (Severity.HIGH, "new SUID/SGID file"),
    "ports": (Severity.MEDIUM, "new listening socket"),
    "users": (Severity.HIGH, "new user account"),
    "keys": (Severity.HIGH, "new SSH authorized key"),
    "cron": (Severity.MEDIUM, "new cron entry"),
    "units": (Severity.MEDIUM, "new systemd unit file or link"),
    "modules": (Severity.MEDIUM, "new kernel module loaded"),
}
INTEGRITY = "integrity"


@dataclass
class HostRecord:
    """What the store keeps per host between cycles."""

    baseline: dict[str, dict[str, str]] = field(default_factory=dict)
    last: dict[str, dict[str, str]] = field(default_factory=dict)

    @classmethod
    def loads(cls, text: str | None) -> HostRecord:
        if not text:
            return cls()
        data = json.loads(text)
        return cls(baseline=data.get("baseline", {}), last=data.get("last", {}))

    def dumps(self) -> str:
        return json.dumps({"baseline": self.baseline, "last": self.last}, sort_keys=True)


@dataclass(frozen=True)
class StateJudgement:
    drift: list[DriftItem]
    conditions: list[Condition]
    judged_kinds: frozenset[str]  # alert kinds this host was judged for this cycle
    notes: list[str]
    record: HostRecord


def _inventory(state: Mapping[str, Any], kind: str) -> dict[str, str] | None:
    value = state.get(kind)
    if not isinstance(value, dict):
        return None
    return {str(k): str(v) for k, v in value.items()}


def inventory_kind(kind: str) -> str:
    return f"drift.{kind}"


def judge_state(host: str, state: Mapping[str, Any], record: HostRecord) -> StateJudgement:
    drift: list[DriftItem] = []
    conditions: list[Condition] = []
    judged: set[str] = set()
    notes = [f"{host}: watch_state {part} failed: {why}"
             for part, why in sorted((state.get("errors") or {}).items())]
    new = HostRecord({k: dict(v) for k, v in record.baseline.items()},
                     {k: dict(v) for k, v in record.last.items()})
    for kind in INVENTORIES:
        now = _inventory(state, kind)
        if now is None:
            continue
        before = record.last.get(kind)
        if before is not None:
            drift += set_drift(host, kind, before, now)
            drift += [DriftItem(host, f"{kind}-changed", s, f"{before[s]} -> {now[s]}")
                      for s in sorted(set(before) & set(now))
                      if kind == "packages" and before[s] != now[s]]
        baseline = new.baseline.setdefault(kind, dict(now))
        new.last[kind] = now
        if kind in ALERTING:
            severity, what = ALERTING[kind]
            judged.add(inventory_kind(kind))
            conditions += [Condition(host, inventory_kind(kind), subject, severity,
                                     f"{what} on {host}: {subject}",
                                     f"{now[subject]}; not in the baseline of the first cycle")
                           for subject in sorted(set(now) - set(baseline))]
    integrity = state.get("integrity")
    if isinstance(integrity, dict):
        judged.add(INTEGRITY)
        found, items = integrity_conditions(host, integrity)
        conditions += found
        drift += items
    return StateJudgement(drift, conditions, frozenset(judged), notes, new)


def integrity_conditions(host: str, integrity: Mapping[str, Any]
                         ) -> tuple[list[Condition], list[DriftItem]]:
    """Changed, added or deleted-behind-dpkg's-back files alert while they stay so; what
    dpkg vouched for, and files nobody ships any more that went, are drift only."""
    conditions = []
    for entry in integrity.get("changed", []):
        conditions.append(Condition(
            host, INTEGRITY, entry["path"], Severity.HIGH,
            f"content of {entry['path']} changed on {host}",
            f"sha256 {entry['was']} -> {entry['now']}; no installed package ships this content"))
    for entry in integrity.get("added", []):
        conditions.append(Condition(
            host, INTEGRITY, entry["path"], Severity.HIGH,
            f"new file {entry['path']} in a watched path on {host}",
            f"sha256 {entry['now']}; no installed package ships it"))
    for entry in integrity.get("removed", []):
        conditions.append(Condition(
            host, INTEGRITY, entry["path"], Severity.HIGH,
            f"{entry['path']} deleted on {host}",
            f"package {entry['package']} still ships it; deleted behind dpkg's back"))
    by_package: dict[tuple[str, str], list[str]] = {}
    for e in integrity.get("vouched", []):
        by_package.setdefault((e["package"], e["version"]), []).append(e["path"])
    items = [DriftItem(host, "integrity-package", paths[0] if len(paths) == 1 else
                       f"{paths[0]} and {len(paths) - 1} more",
                       f"changed by package {package} upgrade (now {version}): "
                       + ", ".join(paths[:20]))
             for (package, version), paths in sorted(by_package.items())]
    items += [DriftItem(host, "integrity-deleted", e["path"], "gone; no package ships it")
              for e in integrity.get("deleted", [])]
    return conditions, items
