"""The status board in headless Chromium (system chromedriver, offline flags): fleet,
open alerts with age, drift per host, heartbeats; hostile host data stays text."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By

from assessor.results import Finding, HostResult, Severity, Status
from assessor.watch.alerts.model import Condition, reconcile
from assessor.watch.board import write_board
from assessor.watch.store import open_store

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMEDRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"
OFFLINE_FLAGS = (  # the same flags tests/integration/test_browser_reports.py uses
    "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
    "--window-size=1280,1400", "--no-first-run", "--no-default-browser-check",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--disable-default-apps", "--disable-domain-reliability", "--no-pings",
    "--disable-client-side-phishing-detection", "--metrics-recording-only",
    "--disable-features=Translate,OptimizationHints,MediaRouter,AutofillServerCommunication",
    "--proxy-server=http://127.0.0.1:9", "--proxy-bypass-list=<-loopback>",
)
EVIL = '<img src=x onerror="document.title=\'pwned\'">'


@pytest.fixture(scope="module")
def browser() -> Iterator[webdriver.Chrome]:
    for path in (CHROMIUM, CHROMEDRIVER):
        if not Path(path).exists():
            pytest.fail(f"{path} missing: `make deps` installs chromium and chromium-driver")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in OFFLINE_FLAGS:
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    yield driver
    driver.quit()


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
