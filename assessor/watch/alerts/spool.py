"""The on-disk spool: every notification for every sink is a file until that sink took it.

A sink that is down keeps its files; its next attempt waits a backoff that doubles per
failure (bounded), and each file gives up after `max_attempts` into `dead/`, reported, never
silently dropped. A delivery is recorded in the store before its file goes, and a key the
store already saw is not sent again, so a returning sink gets every alert exactly once.
A cycle's notifications go in as one batch: each file atomic, the whole batch flushed to
disk once (rundir.write_many) rather than one fsync per notification and sink.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from assessor.rundir import write_many, write_text
from assessor.watch.alerts.model import Notification


class Sink(Protocol):
    name: str
    min_rank: int

    def send(self, message: dict[str, Any]) -> None: ...


class DeliveryLog(Protocol):
    def delivered(self, key: str, sink: str) -> bool: ...
    def record_delivery(self, key: str, sink: str) -> None: ...


@dataclass
class FlushReport:
    sent: dict[str, int] = field(default_factory=dict)
    pending: dict[str, int] = field(default_factory=dict)
    dead: dict[str, int] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)


def message(note: Notification) -> dict[str, Any]:
    """What every sink receives: the alert and the event, with the delivery key."""
    return {"key": note.key, "event": note.event, "alert": note.alert.as_dict()}


class Spool:
    def __init__(self, root: Path, *, max_attempts: int = 50, base_backoff: float = 5.0,
                 max_backoff: float = 300.0, clock: Callable[[], float] = time.time) -> None:
        self.root = root
        self.max_attempts = max_attempts
        self.base_backoff = base_backoff
        self.max_backoff = max_backoff
        self.clock = clock

    def _dir(self, sink: str) -> Path:
        return self.root / hashlib.sha256(sink.encode()).hexdigest()[:12]

    def enqueue(self, notes: list[Notification], sinks: list[Sink]) -> None:
        """Every notification for every sink, written as one batch: each file atomic, the
        batch on disk (one file-system flush, not one per file) before this returns."""
        batch: dict[Path, bytes] = {}
        for note in notes:
            for sink in sinks:
                if note.alert.severity.rank < sink.min_rank:
                    continue
                path = self._dir(sink.name) / f"{note.key}.json"
                if path.exists() or path in batch:
                    continue
                entry = {"sink": sink.name, "created": self.clock(), "attempts": 0,
                         "message": message(note)}
                batch[path] = json.dumps(entry, sort_keys=True).encode()
        write_many(batch)

    def pending(self, sink: str) -> list[Path]:
        folder = self._dir(sink)
        return sorted(folder.glob("*.json"), key=_created) if folder.is_dir() else []

    def dead(self, sink: str) -> list[Path]:
        folder = self._dir(sink) / "dead"
        return sorted(folder.glob("*.json")) if folder.is_dir() else []

    def _state(self, sink: str) -> dict[str, float]:
        path = self._dir(sink) / "state"
        try:
            return dict(json.loads(path.read_text()))
        except (OSError, ValueError):
            return {"failures": 0, "next_attempt": 0.0}

    def flush(self, sinks: list[Sink], log: DeliveryLog) -> FlushReport:
        """Try each sink's queue in order; stop at a sink's first failure (it is down)."""
        report = FlushReport()
        for sink in sinks:
            report.sent[sink.name] = 0
            state = self._state(sink.name)
            files = self.pending(sink.name)
            if files and state["next_attempt"] > self.clock():
                report.errors[sink.name] = "backing off after failures"
            else:
                for path in files:
                    if not self._deliver(sink, path, log, report, state):
                        break
            write_text(self._dir(sink.name) / "state", json.dumps(state))
            report.pending[sink.name] = len(self.pending(sink.name))
            report.dead[sink.name] = len(self.dead(sink.name))
        return report

    def _deliver(self, sink: Sink, path: Path, log: DeliveryLog, report: FlushReport,
                 state: dict[str, float]) -> bool:
        entry = json.loads(path.read_text())
        key = entry["message"]["key"]
        if not log.delivered(key, sink.name):
            try:
                sink.send(entry["message"])
            except Exception as exc:  # any failure of a sink keeps the file for later
                entry["attempts"] += 1
                entry["last_error"] = f"{type(exc).__name__}: {exc}"
                report.errors[sink.name] = entry["last_error"]
                state["failures"] += 1
                delay = min(self.max_backoff, self.base_backoff * 2 ** (state["failures"] - 1))
                state["next_attempt"] = self.clock() + delay
                if entry["attempts"] >= self.max_attempts:
                    write_text(path.parent / "dead" / path.name, json.dumps(entry))
                    path.unlink()
                else:
                    write_text(path, json.dumps(entry, sort_keys=True))
                return False
            log.record_delivery(key, sink.name)
            report.sent[sink.name] += 1
        state["failures"] = 0
        state["next_attempt"] = 0.0
        path.unlink()
        return True


def _created(path: Path) -> tuple[float, str]:
    try:
        return float(json.loads(path.read_text())["created"]), path.name
    except (OSError, ValueError, KeyError):
        return 0.0, path.name
