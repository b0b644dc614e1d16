"""The watch store: one suite, run against SQLite and a throw-away PostgreSQL cluster."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from receivers import PG_BIN, postgres_cluster

from assessor.results import Finding, HostResult, Severity, Status
from assessor.watch.alerts.model import Condition, reconcile
from assessor.watch.store import Store, open_store
from assessor.watch.store.migrations import MIGRATIONS


@pytest.fixture(scope="module")
def postgres_url() -> Iterator[str]:
    """A throw-away cluster on 127.0.0.1 (tests/integration/receivers.py, which the lab
    scenario uses too)."""
    if not (PG_BIN / "initdb").exists():
        pytest.skip("Debian's postgresql package is not installed")
    with postgres_cluster() as url:
        yield url


@pytest.fixture(params=["sqlite", "postgresql"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    if request.param == "sqlite":
        opened = open_store(str(tmp_path / "watch.db"))
    else:
        url = request.getfixturevalue("postgres_url")
        opened = open_store(url)
        cur = opened.conn.cursor()  # type: ignore[attr-defined]
        # each test starts from an empty schema, migrated again
        cur.execute("DROP SCHEMA public CASCADE; CREATE SCHEMA public")
        cur.close()
        opened = open_store(url)
    yield opened
    opened.close()


def finding(cid: str, status: Status, severity: Severity = Severity.HIGH) -> Finding:
    return Finding(cid, cid, "s", severity, status, "r", "e", "o")


def test_migrations_are_versioned_and_applied_once(store: Store) -> None:
    assert store.schema_version() == MIGRATIONS[-1][0]
    store.migrate()  # type: ignore[attr-defined]
    assert store.schema_version() == MIGRATIONS[-1][0]


def test_sqlite_store_is_one_wal_file(tmp_path: Path) -> None:
    opened = open_store(str(tmp_path / "w.db"))
    mode = opened.conn.execute("PRAGMA journal_mode").fetchone()[0]  # type: ignore[attr-defined]
    assert mode == "wal"
    opened.close()


def test_history_per_host_per_control(store: Store) -> None:
    c1 = store.begin_cycle("2026-12-01T10:00:00+00:00")
    store.record_hosts(c1, [
        HostResult("web1", findings=[finding("a", Status.PASS), finding("b", Status.FAIL)]),
        HostResult("db1", error="unreachable: timeout"),
    ])
    store.finish_cycle(c1, "2026-12-01T10:01:00+00:00", 60.0, True, False)
    c2 = store.begin_cycle("2026-12-01T10:05:00+00:00")
    assert c2 == c1 + 1
    store.record_hosts(c2, [HostResult("web1", findings=[finding("a", Status.FAIL)])])
    last = store.last_host_cycle("web1", before=c2)
    assert last is not None and last.cycle == c1
    assert last.statuses == {"a": "pass", "b": "fail"}
    assert last.score == pytest.approx(50.0)
    assert store.last_host_cycle("db1", before=c2) is None  # never assessed
    assert store.recent_assessed("db1", 5) == [False]
    assert store.recent_assessed("web1", 5) == [True, True]
    assert store.hosts() == ["db1", "web1"]
    assert store.cycles()[1]["duration"] == pytest.approx(60.0)


def test_drift_and_meta(store: Store) -> None:
    cycle = store.begin_cycle("2026-12-01T10:00:00+00:00")
    store.record_drift(cycle, [("web1", "control-failing", "a", "pass -> fail")])
    assert store.drift("web1")[0]["detail"] == "pass -> fail"
    assert store.get_meta("taxii.added_after") is None
    store.set_meta("taxii.added_after", "t1")
    store.set_meta("taxii.added_after", "t2")
    assert store.get_meta("taxii.added_after") == "t2"


def test_alerts_round_trip_and_deliveries(store: Store) -> None:
    now = datetime(2026, 12, 1, 10, tzinfo=UTC)
    cond = Condition("web1", "control", "a", Severity.HIGH, "a fails", "observed x")
    saved, notes = reconcile([], [cond], now, 3600, lambda a: True)
    store.save_alerts(saved)
    assert store.open_alerts() == saved
    saved, notes = reconcile(store.open_alerts(), [cond], now + timedelta(minutes=5), 3600,
                             lambda a: True)
    store.save_alerts(saved)
    assert notes == [] and store.alerts()[0].count == 2
    saved, notes = reconcile(store.open_alerts(), [], now + timedelta(minutes=10), 3600,
                             lambda a: True)
    store.save_alerts(saved)
    assert store.open_alerts() == [] and store.alerts("resolved")[0].resolved_at
    assert not store.delivered(notes[0].key, "hook")
    store.record_delivery(notes[0].key, "hook")
    store.record_delivery(notes[0].key, "hook")
    assert store.delivered(notes[0].key, "hook")
    assert store.deliveries("hook") == [notes[0].key]


def test_store_survives_reopen(tmp_path: Path) -> None:
    first = open_store(str(tmp_path / "w.db"))
    first.begin_cycle("2026-12-01T10:00:00+00:00")
    first.close()
    again = open_store(str(tmp_path / "w.db"))
    assert again.begin_cycle("2026-12-01T10:05:00+00:00") == 2
    again.close()


def test_postgres_is_a_real_server(postgres_url: str) -> None:
    opened = open_store(postgres_url)
    cur = opened.conn.cursor()  # type: ignore[attr-defined]
    cur.execute("SELECT version()")
    assert "PostgreSQL 15" in cur.fetchone()[0]
    cur.close()
    opened.close()
