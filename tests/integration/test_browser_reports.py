"""The reports in a real browser: Debian's chromium, headless, driven by Selenium.

One lab run (a `weak` and a `hostile` host); pages are opened from disk. The browser is
told to stay off the network; screenshots and PDFs land in this module's tmp directory.
"""

from __future__ import annotations

import base64
import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from browser import chromium
from labrun import assess
from selenium import webdriver
from selenium.webdriver.common.by import By
from selenium.webdriver.common.print_page_options import PrintOptions

from assessor.lab import fleet
from assessor.reports import host_dir

LAB = os.environ.get("ASSESSOR_BROWSER_LAB", "ibrow")


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    if os.geteuid() != 0:
        pytest.fail("browser report tests need root for the lab")
    fleet.down(LAB, say=lambda _: None)
    base = tmp_path_factory.mktemp("browser")
    state = fleet.up(LAB, 2, flavours="weak,hostile", inventory=base / "inventory.yml",
                     say=lambda _: None)
    try:
        run = assess(Path(state.inventory), base / "reports", "--profile", "server-l2")
        assert run.code == 1, run.stderr
        yield run.run_dir
    finally:
        fleet.down(LAB, say=lambda _: None)


@pytest.fixture(scope="module")
def shots(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("screenshots")


@pytest.fixture(scope="module")
def browser() -> Iterator[webdriver.Chrome]:
    with chromium() as driver:
        yield driver


def results(run_dir: Path) -> dict[str, Any]:
    return json.loads((run_dir / "results.json").read_text())  # type: ignore[no-any-return]


def host(run_dir: Path, flavour: str) -> dict[str, Any]:
    return next(h for h in results(run_dir)["hosts"] if h["name"].startswith(flavour))


def open_page(driver: webdriver.Chrome, path: Path, fragment: str = "") -> None:
    driver.get(path.as_uri() + fragment)
    driver.get_log("browser")  # the log of the page before does not belong to this one


def visible(driver: webdriver.Chrome, selector: str) -> list[Any]:
    return [e for e in driver.find_elements(By.CSS_SELECTOR, selector) if e.is_displayed()]


def test_host_report_counts_equal_results(
    browser: webdriver.Chrome, run_dir: Path, shots: Path
) -> None:
    weak = host(run_dir, "weak")
    open_page(browser, host_dir(run_dir, weak["name"]) / "report.html")
    for status in ("pass", "fail", "error", "notapplicable", "waived", "manual"):
        card = browser.find_element(By.CSS_SELECTOR, f".card[data-status={status}] .big")
        expected = sum(1 for f in weak["findings"] if f["status"] == status)
        assert card.text == str(expected), status
    assert browser.find_element(By.ID, "score").text == f"{weak['score']:g}"
    assert len(visible(browser, "article.finding")) == len(weak["findings"])
    assert browser.find_element(By.ID, "filters").is_displayed()
    assert browser.find_element(By.ID, "section-chart").is_displayed()
    browser.save_screenshot(str(shots / "host-report.png"))
    assert (shots / "host-report.png").stat().st_size > 10_000


def test_filter_by_status_severity_and_text(
    browser: webdriver.Chrome, run_dir: Path, shots: Path
) -> None:
    weak = host(run_dir, "weak")
    open_page(browser, host_dir(run_dir, weak["name"]) / "report.html")
    for box in browser.find_elements(By.CSS_SELECTOR, "input[name=status]"):
        if box.get_attribute("value") != "fail":
            box.click()
    failing = [f for f in weak["findings"] if f["status"] == "fail"]
    shown = visible(browser, "article.finding")
    assert len(shown) == len(failing) > 0
    assert {e.get_attribute("id") for e in shown} == {f["control_id"] for f in failing}
    count = browser.find_element(By.ID, "filter-count")
    assert count.text == f"{len(failing)} of {len(weak['findings'])} controls shown"

    browser.find_element(By.ID, "filter-reset").click()
    browser.find_element(By.ID, "filter-text").send_keys("sshd")
    shown_ids = {e.get_attribute("id") for e in visible(browser, "article.finding")}
    expected = {f["control_id"] for f in weak["findings"]
                if "sshd" in " ".join(str(v) for v in f.values()).lower()}
    assert shown_ids and shown_ids <= expected | {None}
    assert all(i and i.startswith("ssh.") for i in shown_ids)

    browser.find_element(By.ID, "filter-reset").click()
    for box in browser.find_elements(By.CSS_SELECTOR, "input[name=severity]"):
        if box.get_attribute("value") != "high":
            box.click()
    high = {f["control_id"] for f in weak["findings"] if f["severity"] == "high"}
    assert {e.get_attribute("id") for e in visible(browser, "article.finding")} == high
    browser.save_screenshot(str(shots / "host-report-filtered.png"))


def test_deep_link_shows_its_control_even_when_filtered(
    browser: webdriver.Chrome, run_dir: Path
) -> None:
    weak = host(run_dir, "weak")
    page = host_dir(run_dir, weak["name"]) / "report.html"
    target = next(f for f in weak["findings"] if f["status"] == "pass")["control_id"]
    open_page(browser, page, f"#{target}")
    element = browser.find_element(By.ID, target)
    assert element.is_displayed()
    assert browser.execute_script("return document.querySelector(':target').id") == target
    top = browser.execute_script("return arguments[0].getBoundingClientRect().top", element)
    assert 0 <= top < 700
    for box in browser.find_elements(By.CSS_SELECTOR, "input[name=status]"):
        if box.get_attribute("value") == "pass":
            box.click()
    assert not element.is_displayed()
    other = next(f for f in weak["findings"] if f["status"] == "pass"
                 and f["control_id"] != target)["control_id"]
    browser.execute_script("location.hash = arguments[0]", other)
    assert browser.find_element(By.ID, other).is_displayed()


def test_index_counts_and_links(browser: webdriver.Chrome, run_dir: Path, shots: Path) -> None:
    data = results(run_dir)
    open_page(browser, run_dir / "index.html")
    rows = browser.find_elements(By.CSS_SELECTOR, "#hosts tbody tr.host")
    assert len(rows) == len(data["hosts"])
    for row, entry in zip(rows, data["hosts"], strict=True):
        for status in ("pass", "fail", "error", "notapplicable"):
            cell = row.find_element(By.CSS_SELECTOR, f"td[data-status={status}]")
            assert cell.text == str(sum(f["status"] == status for f in entry["findings"]))
        assert row.find_element(By.CSS_SELECTOR, "td.score").text == f"{entry['score']:g}"
    total_fail = sum(f["status"] == "fail" for h in data["hosts"] for f in h["findings"])
    card = browser.find_element(By.CSS_SELECTOR, ".card[data-status=fail] .big")
    assert card.text == str(total_fail)
    heat = browser.find_elements(By.CSS_SELECTOR, "#heatmap tbody tr")
    assert len(heat) == len({f["control_id"] for h in data["hosts"] for f in h["findings"]})
    browser.save_screenshot(str(shots / "index.png"))
    rows[0].find_element(By.CSS_SELECTOR, "a.report").click()
    assert browser.find_element(By.ID, "host-name").text == data["hosts"][0]["name"]


def test_print_to_pdf(browser: webdriver.Chrome, run_dir: Path, shots: Path) -> None:
    weak = host(run_dir, "weak")
    open_page(browser, host_dir(run_dir, weak["name"]) / "report.html")
    options = PrintOptions()
    options.background = True
    pdf = base64.b64decode(browser.print_page(options))
    (shots / "host-report.pdf").write_bytes(pdf)
    assert pdf.startswith(b"%PDF-")
    pages = pdf.count(b"/Type /Page") - pdf.count(b"/Type /Pages")
    assert pages >= 3, pages  # summary, then a page per section


def test_hostile_values_stay_inert_in_the_browser(
    browser: webdriver.Chrome, run_dir: Path, shots: Path
) -> None:
    hostile = host(run_dir, "hostile")
    planted = {f["control_id"]: f for f in hostile["findings"]}["login.pass-max-days"]
    assert planted["observed"].startswith("<script>")
    for page in (host_dir(run_dir, hostile["name"]) / "report.html", run_dir / "index.html"):
        open_page(browser, page)
        state = browser.execute_script(
            "return {pwned: document.documentElement.dataset.pwned || null,"
            " scripts: document.scripts.length, images: document.images.length,"
            " handlers: document.querySelectorAll('[onerror],[onload],[onclick]').length}"
        )
        assert state["pwned"] is None, page
        assert state["images"] == 0 and state["handlers"] == 0, (page, state)
        assert state["scripts"] <= 1, (page, state)  # our filter, on host pages
        log = browser.get_log("browser")
        assert not [e for e in log if "Content Security Policy" in e["message"]], log
    observed = browser.find_elements(By.CSS_SELECTOR, "#top-failing th")
    assert observed  # the index rendered
    open_page(browser, host_dir(run_dir, hostile["name"]) / "report.html",
              "#login.pass-max-days")
    shown = browser.find_element(By.CSS_SELECTOR, "#login\\.pass-max-days .observed").text
    assert shown == planted["observed"]
    browser.save_screenshot(str(shots / "hostile-report.png"))


def test_report_reads_with_javascript_off(run_dir: Path, shots: Path) -> None:
    with chromium(javascript=False) as driver:
        weak = host(run_dir, "weak")
        open_page(driver, host_dir(run_dir, weak["name"]) / "report.html")
        assert not driver.find_element(By.ID, "filters").is_displayed()
        assert len(visible(driver, "article.finding")) == len(weak["findings"])
        assert visible(driver, "pre.evidence")
        driver.save_screenshot(str(shots / "host-report-nojs.png"))
