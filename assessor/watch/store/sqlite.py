"""SQLite connection for the store: one file, WAL so the status board reads while a cycle writes."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from assessor.errors import ConfigError


def connect(path: Path) -> sqlite3.Connection:
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        conn = sqlite3.connect(str(path), timeout=30, isolation_level=None,
                               check_same_thread=False)
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=NORMAL")
        conn.execute("PRAGMA busy_timeout=30000")
    except sqlite3.Error as exc:
        raise ConfigError(f"{path}: not a usable SQLite store: {exc}") from exc
    return conn
