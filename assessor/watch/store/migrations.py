"""Versioned schema migrations, one SQL dialect both SQLite and PostgreSQL accept.

Append a migration, never edit one already released: a store records each version it
applied in `schema_version` and applies only the newer ones, in order.
"""

from __future__ import annotations

MIGRATIONS: list[tuple[int, list[str]]] = [
    (1, [
        "CREATE TABLE cycles (cycle BIGINT PRIMARY KEY, started TEXT NOT NULL,"
        " finished TEXT NOT NULL DEFAULT '', duration DOUBLE PRECISION,"
        " ok INTEGER NOT NULL DEFAULT 0, overran INTEGER NOT NULL DEFAULT 0,"
        " note TEXT NOT NULL DEFAULT '')",
        "CREATE TABLE host_cycles (cycle BIGINT NOT NULL, host TEXT NOT NULL,"
        " assessed INTEGER NOT NULL, score DOUBLE PRECISION, error TEXT NOT NULL DEFAULT '',"
        " PRIMARY KEY (cycle, host))",
        "CREATE TABLE host_status (cycle BIGINT NOT NULL, host TEXT NOT NULL,"
        " control_id TEXT NOT NULL, status TEXT NOT NULL, severity TEXT NOT NULL,"
        " PRIMARY KEY (cycle, host, control_id))",
        "CREATE TABLE drift (cycle BIGINT NOT NULL, host TEXT NOT NULL, kind TEXT NOT NULL,"
        " subject TEXT NOT NULL, detail TEXT NOT NULL DEFAULT '',"
        " PRIMARY KEY (cycle, host, kind, subject))",
        "CREATE TABLE alerts (id TEXT PRIMARY KEY, host TEXT NOT NULL, kind TEXT NOT NULL,"
        " subject TEXT NOT NULL, severity TEXT NOT NULL, title TEXT NOT NULL,"
        " detail TEXT NOT NULL, first_seen TEXT NOT NULL, last_seen TEXT NOT NULL,"
        " last_notified TEXT NOT NULL, count BIGINT NOT NULL, state TEXT NOT NULL,"
        " resolved_at TEXT NOT NULL DEFAULT '', notifications BIGINT NOT NULL DEFAULT 0)",
        "CREATE TABLE deliveries (key TEXT NOT NULL, sink TEXT NOT NULL,"
        " delivered_at TEXT NOT NULL, PRIMARY KEY (key, sink))",
        "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
    ]),
    (2, [
        "CREATE INDEX host_status_by_host ON host_status (host, cycle)",
        "CREATE INDEX alerts_by_state ON alerts (state)",
    ]),
]
