"""The alert model and its life: open, deduplicated, re-notified, resolved.

An alert's id is derived from host + kind + subject, so the same condition seen on the next
cycle is the same alert (count and last_seen move) and never a second notification.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from datetime import datetime

from assessor.results import Severity

OPEN = "open"
RESOLVED = "resolved"


def alert_id(host: str, kind: str, subject: str) -> str:
    """Stable across cycles, controllers and stores: a hash of what the alert is about."""
    digest = hashlib.sha256(json.dumps([host, kind, subject]).encode()).hexdigest()
    return digest[:16]


@dataclass(frozen=True)
class Condition:
    """Something wrong seen this cycle; it becomes (or keeps open) one alert."""

    host: str
    kind: str
    subject: str
    severity: Severity
    title: str
    detail: str = ""

    @property
    def id(self) -> str:
        return alert_id(self.host, self.kind, self.subject)


@dataclass(frozen=True)
class Alert:
    id: str
    host: str
    kind: str
    subject: str
    severity: Severity
    title: str
    detail: str
    first_seen: str
    last_seen: str
    last_notified: str
    count: int
    state: str
    resolved_at: str = ""
    notifications: int = 0

    def as_dict(self) -> dict[str, object]:
        return {**self.__dict__, "severity": self.severity.value}


@dataclass(frozen=True)
class Notification:
    """One message to every sink: its key is unique, so a spool never sends it twice."""

    alert: Alert
    event: str  # open | renotify | resolved

    @property
    def key(self) -> str:
        return f"{self.alert.id}-{self.alert.notifications}-{self.event}"


def _iso(moment: datetime) -> str:
    return moment.isoformat(timespec="seconds")


def reconcile(
    existing: Iterable[Alert],
    conditions: Iterable[Condition],
    now: datetime,
    renotify_after: float,
    judged: Callable[[Alert], bool],
) -> tuple[list[Alert], list[Notification]]:
    """Alerts to save and notifications to send, given this cycle's conditions.

    `judged` says whether an open alert's condition was looked at this cycle: an
    unreachable host's failing controls are not resolved just because nobody saw them.
    """
    current = {c.id: c for c in conditions}
    known = {a.id: a for a in existing}
    saved: list[Alert] = []
    notes: list[Notification] = []
    stamp = _iso(now)
    for cid, cond in current.items():
        old = known.get(cid)
        if old is None or old.state == RESOLVED:
            alert = Alert(
                cid, cond.host, cond.kind, cond.subject, cond.severity, cond.title,
                cond.detail, first_seen=stamp, last_seen=stamp, last_notified=stamp,
                count=1, state=OPEN, notifications=(old.notifications + 1 if old else 1),
            )
            saved.append(alert)
            notes.append(Notification(alert, "open"))
            continue
        alert = replace(
            old, last_seen=stamp, count=old.count + 1, severity=cond.severity,
            title=cond.title, detail=cond.detail,
        )
        age = (now - datetime.fromisoformat(old.last_notified)).total_seconds()
        if age >= renotify_after:
            alert = replace(alert, last_notified=stamp, notifications=old.notifications + 1)
            notes.append(Notification(alert, "renotify"))
        saved.append(alert)
    for old in known.values():
        if old.state == OPEN and old.id not in current and judged(old):
            alert = replace(
                old, state=RESOLVED, resolved_at=stamp, last_notified=stamp,
                notifications=old.notifications + 1,
            )
            saved.append(alert)
            notes.append(Notification(alert, "resolved"))
    return saved, notes
