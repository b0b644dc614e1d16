"""PostgreSQL connection for the store (psycopg 3), for controllers sharing one history."""

from __future__ import annotations

from typing import Any

from assessor.errors import ConfigError


def connect(url: str) -> Any:
    import psycopg

    try:
        return psycopg.connect(url, autocommit=True, connect_timeout=10)
    except psycopg.Error as exc:
        where = url.split("@")[-1]  # never print a password
        raise ConfigError(f"watch store {where}: cannot connect: {exc}".strip()) from exc
