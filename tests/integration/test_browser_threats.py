"""The host report's Threats table in a real browser (Debian's chromium through the system
chromedriver, offline flags): rows with the file's facts, the rule or indicator and its
source; hostile paths and owners shown as text, never run. The page is rendered from a
run's results alone (no lab needed: reports re-render without hosts)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from browser import chromium
from selenium import webdriver
from selenium.webdriver.common.by import By
from test_browser_reports import open_page
from threat_data import BUNDLE, DIGEST, HOSTILE, SHELL_PATH, hostile_run

from assessor.reports import write_all
from assessor.rundir import host_dir


@pytest.fixture(scope="module")
def page(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("threats")
    write_all(hostile_run(), out)
    return host_dir(out, "web-01") / "report.html"


@pytest.fixture(scope="module")
def browser() -> Iterator[webdriver.Chrome]:
    with chromium() as driver:
        yield driver


def test_threats_table_shows_facts_and_sources_and_runs_nothing(
    browser: webdriver.Chrome, page: Path, tmp_path: Path,
) -> None:
    open_page(browser, page)
    table = browser.find_element(By.ID, "threats-table")
    assert table.is_displayed()
    rows = table.find_elements(By.CSS_SELECTOR, "tbody tr.threat")
    assert len(rows) == 2
    cells = {r.find_element(By.CSS_SELECTOR, "td.path").text: r for r in rows}
    shown_path = SHELL_PATH.replace("\x1b", "\u241b")
    assert set(cells) == {shown_path, f"/var/tmp/.{HOSTILE}".replace("\x1b", "\u241b")}
    webshell = cells[shown_path].text
    assert DIGEST in webshell and "45" in webshell and "0644" in webshell
    assert "2026-11-18 11:06:40Z" in webshell and BUNDLE in webshell
    suid = cells[f"/var/tmp/.{HOSTILE}".replace("\x1b", "\u241b")].text
    assert "hunt.persist.suid-unowned (ATT&CK T1548.001)" in suid and "4755" in suid
    # hostile markup stayed text: no element was made from it and no handler ran
    assert browser.find_elements(By.CSS_SELECTOR, "#threats img") == []
    assert browser.execute_script("return document.documentElement.dataset.pwned") is None
    # a row's link reaches its finding's article
    cells[shown_path].find_element(By.TAG_NAME, "a").click()
    target = browser.execute_script(
        "const el = document.getElementById(decodeURIComponent(location.hash.slice(1)));"
        "return el && el.tagName + ' ' + el.querySelector('a.anchor').textContent")
    assert target == "ARTICLE " + f"hunt.ioc:{shown_path}"
    browser.save_screenshot(str(tmp_path / "threats.png"))
    assert (tmp_path / "threats.png").stat().st_size > 5_000
