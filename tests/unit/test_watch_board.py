"""The status board in headless Chromium (system chromedriver, offline flags): fleet,
open alerts with age, drift per host, heartbeats; hostile host data stays text."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from browser import chromium
from selenium import webdriver
from selenium.webdriver.common.by import By

from assessor.results import Finding, HostResult, Severity, Status
from assessor.watch.alerts.model import Condition, reconcile
from assessor.watch.board import write_board
from assessor.watch.store import open_store

EVIL = '<img src=x onerror="document.title=\'pwned\'">'


@pytest.fixture(scope="module")
def browser() -> Iterator[webdriver.Chrome]:
    with chromium() as driver:  # tests/integration/browser.py, on pytest's pythonpath
        yield driver


def test_board_shows_fleet_alerts_drift_and_escapes(browser: webdriver.Chrome,
                                                    tmp_path: Path) -> None:
    store = open_store(str(tmp_path / "w.db"))
    fail = Finding("files.passwd", "passwd mode", "s", Severity.MEDIUM, Status.FAIL, "r", "e", "o")
    for n in range(2):
        cycle = store.begin_cycle(f"2026-12-01T10:0{n}:00+00:00")
        store.record_hosts(cycle, [HostResult("web1", findings=[fail]),
                                   HostResult("db1", error="unreachable")])
    store.record_drift(cycle, [("web1", "control-failing", "files.passwd", EVIL)])
    saved, _ = reconcile([], [Condition("web1", "control", "files.passwd", Severity.MEDIUM,
                                        EVIL)], datetime(2026, 12, 1, 10, tzinfo=UTC), 3600,
                         lambda a: True)
    store.save_alerts(saved)
    store.set_meta("coverage:web1", json.dumps([["coverage.auditd", "pass", "auditd 1"],
                                                ["coverage.clamav-daemon", "fail", EVIL]]))
    page = write_board(tmp_path / "out", store)
    store.close()
    browser.get(page.as_uri())
    assert browser.title == "assessor watch: status board"
    fleet = browser.find_element(By.ID, "fleet").text
    assert "web1" in fleet and "db1" in fleet and "○○" in fleet and "●●" in fleet
    coverage = [c.text for c in browser.find_elements(By.CLASS_NAME, "coverage")]
    assert "not judged" in coverage  # db1: no cycle judged its coverage
    assert any("1 gap(s)" in c and "coverage.clamav-daemon (fail)" in c and EVIL in c
               for c in coverage)
    alerts = browser.find_element(By.ID, "alerts").text
    assert "files.passwd" in alerts and EVIL in alerts  # shown as text, never run
    assert "h " in alerts  # the age column
    assert EVIL in browser.find_element(By.CLASS_NAME, "drift").text
    assert not browser.find_elements(By.CSS_SELECTOR, "img")
