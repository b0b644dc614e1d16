"""The store over any DB-API connection: the same SQL for SQLite and PostgreSQL.

Queries are written with `?` and rewritten to the driver's placeholder, upserts use
`ON CONFLICT ... DO UPDATE` (both engines), and every write of a cycle is one transaction
so a crash never leaves half a cycle behind.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

from assessor.results import HostResult, Severity
from assessor.watch.alerts.model import OPEN, Alert
from assessor.watch.store.migrations import MIGRATIONS

ALERT_COLUMNS = (
    "id", "host", "kind", "subject", "severity", "title", "detail", "first_seen",
    "last_seen", "last_notified", "count", "state", "resolved_at", "notifications",
)


@dataclass(frozen=True)
class HostCycle:
    """One host in one cycle, as drift and heartbeats need it."""

    cycle: int
    host: str
    assessed: bool
    score: float | None
    error: str
    statuses: dict[str, str]


class Store(Protocol):
    def schema_version(self) -> int: ...
    def begin_cycle(self, started: str) -> int: ...
    def finish_cycle(self, cycle: int, finished: str, duration: float, ok: bool,
                     overran: bool, note: str = "") -> None: ...
    def cycles(self, limit: int = 50) -> list[dict[str, Any]]: ...
    def record_hosts(self, cycle: int, results: Iterable[HostResult]) -> None: ...
    def last_host_cycle(self, host: str, before: int) -> HostCycle | None: ...
    def recent_assessed(self, host: str, limit: int) -> list[bool]: ...
    def hosts(self) -> list[str]: ...
    def record_drift(self, cycle: int, items: Iterable[tuple[str, str, str, str]]) -> None: ...
    def drift(self, host: str, limit: int = 100) -> list[dict[str, Any]]: ...
    def alerts(self, state: str | None = None) -> list[Alert]: ...
    def open_alerts(self) -> list[Alert]: ...
    def save_alerts(self, alerts: Iterable[Alert]) -> None: ...
    def deliveries(self, sink: str) -> list[str]: ...
    def delivered(self, key: str, sink: str) -> bool: ...
    def record_delivery(self, key: str, sink: str) -> None: ...
    def get_meta(self, key: str) -> str | None: ...
    def set_meta(self, key: str, value: str) -> None: ...
    def close(self) -> None: ...


class SqlStore:
    def __init__(self, conn: Any, placeholder: str) -> None:
        self.conn = conn
        self.placeholder = placeholder
        self.migrate()

    def _sql(self, sql: str) -> str:
        return sql if self.placeholder == "?" else sql.replace("?", self.placeholder)

    def _exec(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        cur = self.conn.cursor()
        try:
            cur.execute(self._sql(sql), tuple(params))
            return list(cur.fetchall()) if cur.description else []
        finally:
            cur.close()

    @contextmanager
    def _tx(self) -> Iterator[None]:
        self._exec("BEGIN")
        try:
            yield
        except BaseException:
            self._exec("ROLLBACK")
            raise
        self._exec("COMMIT")

    def migrate(self) -> None:
        self._exec("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER PRIMARY KEY,"
                   " applied TEXT NOT NULL)")
        done = self.schema_version()
        for version, statements in MIGRATIONS:
            if version <= done:
                continue
            with self._tx():
                for statement in statements:
                    self._exec(statement)
                self._exec("INSERT INTO schema_version (version, applied) VALUES (?, ?)",
                           (version, _now()))

    def schema_version(self) -> int:
        rows = self._exec("SELECT MAX(version) FROM schema_version")
        return int(rows[0][0] or 0) if rows else 0

    def begin_cycle(self, started: str) -> int:
        with self._tx():
            rows = self._exec("SELECT MAX(cycle) FROM cycles")
            cycle = int(rows[0][0] or 0) + 1
            self._exec("INSERT INTO cycles (cycle, started) VALUES (?, ?)", (cycle, started))
        return cycle

    def finish_cycle(self, cycle: int, finished: str, duration: float, ok: bool,
                     overran: bool, note: str = "") -> None:
        self._exec("UPDATE cycles SET finished = ?, duration = ?, ok = ?, overran = ?, note = ?"
                   " WHERE cycle = ?", (finished, duration, int(ok), int(overran), note, cycle))

    def cycles(self, limit: int = 50) -> list[dict[str, Any]]:
        rows = self._exec("SELECT cycle, started, finished, duration, ok, overran, note"
                          " FROM cycles ORDER BY cycle DESC LIMIT ?", (limit,))
        keys = ("cycle", "started", "finished", "duration", "ok", "overran", "note")
        return [dict(zip(keys, row, strict=True)) for row in rows]

    def record_hosts(self, cycle: int, results: Iterable[HostResult]) -> None:
        with self._tx():
            for result in results:
                self._exec(
                    "INSERT INTO host_cycles (cycle, host, assessed, score, error)"
                    " VALUES (?, ?, ?, ?, ?) ON CONFLICT (cycle, host) DO UPDATE SET"
                    " assessed = excluded.assessed, score = excluded.score,"
                    " error = excluded.error",
                    (cycle, result.name, int(result.assessed), result.score, result.error),
                )
                for f in result.findings:
                    self._exec(
                        "INSERT INTO host_status (cycle, host, control_id, status, severity)"
                        " VALUES (?, ?, ?, ?, ?) ON CONFLICT (cycle, host, control_id)"
                        " DO UPDATE SET status = excluded.status, severity = excluded.severity",
                        (cycle, result.name, f.control_id, f.status.value, f.severity.value),
                    )

    def last_host_cycle(self, host: str, before: int) -> HostCycle | None:
        rows = self._exec("SELECT cycle, assessed, score, error FROM host_cycles WHERE host = ?"
                          " AND cycle < ? AND assessed = 1 ORDER BY cycle DESC LIMIT 1",
                          (host, before))
        if not rows:
            return None
        cycle, assessed, score, error = rows[0]
        statuses = dict(self._exec(
            "SELECT control_id, status FROM host_status WHERE host = ? AND cycle = ?",
            (host, cycle)))
        return HostCycle(int(cycle), host, bool(assessed), score, error, statuses)

    def recent_assessed(self, host: str, limit: int) -> list[bool]:
        rows = self._exec("SELECT assessed FROM host_cycles WHERE host = ?"
                          " ORDER BY cycle DESC LIMIT ?", (host, limit))
        return [bool(r[0]) for r in rows]

    def hosts(self) -> list[str]:
        return [r[0] for r in self._exec("SELECT DISTINCT host FROM host_cycles ORDER BY host")]

    def record_drift(self, cycle: int, items: Iterable[tuple[str, str, str, str]]) -> None:
        with self._tx():
            for host, kind, subject, detail in items:
                self._exec(
                    "INSERT INTO drift (cycle, host, kind, subject, detail) VALUES (?, ?, ?, ?, ?)"
                    " ON CONFLICT (cycle, host, kind, subject) DO UPDATE SET"
                    " detail = excluded.detail", (cycle, host, kind, subject, detail))

    def drift(self, host: str, limit: int = 100) -> list[dict[str, Any]]:
        rows = self._exec("SELECT d.cycle, c.started, d.kind, d.subject, d.detail FROM drift d"
                          " JOIN cycles c ON c.cycle = d.cycle WHERE d.host = ?"
                          " ORDER BY d.cycle DESC, d.kind, d.subject LIMIT ?", (host, limit))
        keys = ("cycle", "started", "kind", "subject", "detail")
        return [dict(zip(keys, row, strict=True)) for row in rows]

    def alerts(self, state: str | None = None) -> list[Alert]:
        sql = f"SELECT {', '.join(ALERT_COLUMNS)} FROM alerts"
        rows = (self._exec(sql + " WHERE state = ? ORDER BY first_seen, id", (state,)) if state
                else self._exec(sql + " ORDER BY first_seen, id"))
        return [_alert(row) for row in rows]

    def open_alerts(self) -> list[Alert]:
        return self.alerts(OPEN)

    def save_alerts(self, alerts: Iterable[Alert]) -> None:
        cols = ", ".join(ALERT_COLUMNS)
        marks = ", ".join("?" for _ in ALERT_COLUMNS)
        updates = ", ".join(f"{c} = excluded.{c}" for c in ALERT_COLUMNS[1:])
        with self._tx():
            for a in alerts:
                values = [getattr(a, c) for c in ALERT_COLUMNS]
                values[4] = a.severity.value
                self._exec(f"INSERT INTO alerts ({cols}) VALUES ({marks})"
                           f" ON CONFLICT (id) DO UPDATE SET {updates}", values)

    def delivered(self, key: str, sink: str) -> bool:
        return bool(self._exec("SELECT 1 FROM deliveries WHERE key = ? AND sink = ?",
                               (key, sink)))

    def record_delivery(self, key: str, sink: str) -> None:
        self._exec("INSERT INTO deliveries (key, sink, delivered_at) VALUES (?, ?, ?)"
                   " ON CONFLICT (key, sink) DO NOTHING", (key, sink, _now()))

    def deliveries(self, sink: str) -> list[str]:
        return [r[0] for r in self._exec(
            "SELECT key FROM deliveries WHERE sink = ? ORDER BY delivered_at, key", (sink,))]

    def get_meta(self, key: str) -> str | None:
        rows = self._exec("SELECT value FROM meta WHERE key = ?", (key,))
        return str(rows[0][0]) if rows else None

    def set_meta(self, key: str, value: str) -> None:
        self._exec("INSERT INTO meta (key, value) VALUES (?, ?)"
                   " ON CONFLICT (key) DO UPDATE SET value = excluded.value", (key, value))

    def close(self) -> None:
        self.conn.close()


def _alert(row: Sequence[Any]) -> Alert:
    data = dict(zip(ALERT_COLUMNS, row, strict=True))
    data["severity"] = Severity(data["severity"])
    data["count"] = int(data["count"])
    data["notifications"] = int(data["notifications"])
    return Alert(**data)


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")
