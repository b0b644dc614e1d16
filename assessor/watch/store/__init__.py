"""The watch's store: SQLite by default, PostgreSQL for a shared history, one interface.

`open_store(url)` picks the backend from the URL: `postgresql://...` uses psycopg 3,
anything else is a SQLite file (WAL journal).
"""

from __future__ import annotations

from pathlib import Path

from assessor.errors import ConfigError
from assessor.watch.store.sql import HostCycle, SqlStore, Store


def open_store(url: str, base: Path | None = None) -> Store:
    if url.startswith(("postgresql://", "postgres://")):
        from assessor.watch.store.postgresql import connect as pg_connect

        return SqlStore(pg_connect(url), "%s")
    from assessor.watch.store.sqlite import connect as sqlite_connect

    path = Path(url.removeprefix("sqlite://"))
    if not path.is_absolute() and base is not None:
        path = base / path
    try:
        return SqlStore(sqlite_connect(path), "?")
    except OSError as exc:
        raise ConfigError(f"{path}: cannot open the watch store: {exc}") from exc


__all__ = ["HostCycle", "SqlStore", "Store", "open_store"]
