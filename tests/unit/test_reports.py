"""Reports from one RunResult: JUnit per host, HTML, results.json; hostile host data stays inert."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from io import StringIO
from pathlib import Path

import pytest
from junitparser import Error, Failure, JUnitXml, Skipped, TestSuite
from rich.console import Console
from unit_builders import finding, run_of

from assessor import rundir as atomic
from assessor.errors import ConfigError
from assessor.reports import REPORTERS, host_dir, json_report, write_all
from assessor.reports.html import SCRIPT
from assessor.reports.tabular import emit
from assessor.reports.terminal import summary_listing
from assessor.reports.text import printable, xml_safe
from assessor.results import HostResult, RunResult, Severity, Status
from assessor.rundir import host_slug

HOSTILE = "<script>alert(1)</script>\x1b[2J\x1b]0;owned\x07\x1b[31mred\x00\x08\r"


def junit_suite(run_dir: Path, host: str) -> TestSuite:
    xml = JUnitXml.fromfile(str(host_dir(run_dir, host) / "junit.xml"))
    suites = list(xml) if isinstance(xml, JUnitXml) else [xml]
    assert len(suites) == 1
    suite = suites[0]
    assert isinstance(suite, TestSuite)
    return suite


def results_of(suite: TestSuite, kind: type) -> list[object]:
    return [r for case in suite for r in case.result if isinstance(r, kind)]


def test_write_all_writes_every_report(tmp_path: Path, mixed_run: RunResult) -> None:
    written = write_all(mixed_run, tmp_path)
    expected = {
        tmp_path / "results.json",
        tmp_path / "index.html",
        host_dir(tmp_path, "web1") / "junit.xml",
        host_dir(tmp_path, "web1") / "report.html",
        host_dir(tmp_path, "db1") / "junit.xml",
        host_dir(tmp_path, "db1") / "report.html",
        tmp_path / "junit.xml",
    }
    assert set(written) == expected
    assert all(p.is_file() and p.stat().st_size > 0 for p in expected)
    assert set(REPORTERS) == {"json", "junit", "html"}
    assert not list(tmp_path.rglob("*.tmp"))


def test_junit_counts_match_the_results(tmp_path: Path, mixed_run: RunResult) -> None:
    write_all(mixed_run, tmp_path)
    suite = junit_suite(tmp_path, "web1")
    counts = mixed_run.hosts[0].counts()
    assert suite.name == "web1"
    assert suite.tests == len(mixed_run.hosts[0].findings)
    assert suite.failures == counts["fail"] == 1
    assert suite.errors == counts["error"] == 1
    assert suite.skipped == counts["notapplicable"] + counts["waived"] + counts["manual"] == 1


def test_junit_failure_is_expected_vs_observed_and_body_is_remediation(
    tmp_path: Path, mixed_run: RunResult
) -> None:
    write_all(mixed_run, tmp_path)
    suite = junit_suite(tmp_path, "web1")
    (failure,) = results_of(suite, Failure)
    assert isinstance(failure, Failure)
    assert failure.message == "expected no, observed yes"
    assert "remediation: Apply role harden_ssh" in (failure.text or "")
    assert "severity: medium" in (failure.text or "")
    (error,) = results_of(suite, Error)
    assert isinstance(error, Error)
    assert error.message == "probe 'sysctl' failed: PermissionError"
    (skipped,) = results_of(suite, Skipped)
    assert isinstance(skipped, Skipped)
    assert skipped.message == "notapplicable: not for platform debian11"
    names = [case.name for case in suite]
    assert "ssh.x11-forwarding title of ssh.x11-forwarding" in names


def test_junit_of_an_unassessed_host_is_one_error_with_the_reason(
    tmp_path: Path, mixed_run: RunResult
) -> None:
    write_all(mixed_run, tmp_path)
    suite = junit_suite(tmp_path, "db1")
    assert (suite.tests, suite.errors, suite.failures) == (1, 1, 0)
    (error,) = results_of(suite, Error)
    assert isinstance(error, Error)
    assert error.message == "host could not be assessed: unreachable: no route to host"


def test_results_json_reads_back_to_the_same_run(tmp_path: Path, mixed_run: RunResult) -> None:
    write_all(mixed_run, tmp_path)
    assert json_report.read(tmp_path) == mixed_run


def test_html_reports_show_the_findings(tmp_path: Path, mixed_run: RunResult) -> None:
    write_all(mixed_run, tmp_path)
    index = (tmp_path / "index.html").read_text()
    assert 'href="hosts/web1/report.html"' in index
    assert 'href="hosts/db1/junit.xml"' in index
    assert "could not be assessed: unreachable: no route to host" in index
    assert '<td data-status="fail">1</td>' in index
    report = (host_dir(tmp_path, "web1") / "report.html").read_text()
    assert report.count('class="finding"') == 4
    assert 'id="ssh.x11-forwarding" class="finding" data-status="fail"' in report
    unassessed = (host_dir(tmp_path, "db1") / "report.html").read_text()
    assert 'id="host-error"' in unassessed
    assert "unreachable: no route to host" in unassessed


def test_reports_rerender_from_results_json(tmp_path: Path, mixed_run: RunResult) -> None:
    first = tmp_path / "first"
    write_all(mixed_run, first)
    second = tmp_path / "second"
    write_all(json_report.read(first), second)
    for name in ("index.html", "results.json", "hosts/web1/junit.xml", "hosts/web1/report.html"):
        assert (first / name).read_text() == (second / name).read_text(), name


# --- hostile data -------------------------------------------------------------------------


@pytest.fixture
def hostile_run() -> RunResult:
    bad = HostResult(
        name=f"evil{HOSTILE}",
        address=HOSTILE,
        facts={"os": HOSTILE, "kernel": HOSTILE},
        findings=[
            finding("ssh.permit-root-login", Status.FAIL, Severity.HIGH, observed=HOSTILE,
                    evidence=HOSTILE, reason=f"sshd permitrootlogin is {HOSTILE}"),
            finding("net.ip-forward", Status.ERROR, reason=HOSTILE, evidence=HOSTILE),
            finding("files.shadow", Status.NOTAPPLICABLE, reason=HOSTILE),
            finding("files.passwd", Status.PASS, evidence=HOSTILE, title=HOSTILE,
                    section=HOSTILE),
        ],
    )
    down = HostResult(name=f"down{HOSTILE}", error=f"unreachable: {HOSTILE}")
    return run_of(bad, down)


def test_hostile_data_is_inert_in_html(tmp_path: Path, hostile_run: RunResult) -> None:
    write_all(hostile_run, tmp_path)
    pages = [tmp_path / "index.html", *tmp_path.glob("hosts/*/report.html")]
    assert len(pages) == 3
    for page in pages:
        html = page.read_text()
        # the only script is our own filter, allowed by hash in the page's CSP
        assert html.lower().count("<script") == html.count(f"<script>{SCRIPT}</script>"), page
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html, page


def test_hostile_data_keeps_junit_parseable(tmp_path: Path, hostile_run: RunResult) -> None:
    write_all(hostile_run, tmp_path)
    junits = sorted(tmp_path.glob("hosts/*/junit.xml"))
    assert len(junits) == 2
    for path in junits:
        root = ET.parse(path).getroot()
        text = path.read_text()
        assert "\x1b" not in text and "\x00" not in text and "\x07" not in text
        assert "<script>" not in text
        assert len(list(root.iter("testcase"))) >= 1
    suite = junit_suite(tmp_path, hostile_run.hosts[0].name)
    assert (suite.tests, suite.failures, suite.errors, suite.skipped) == (4, 1, 1, 1)
    (failure,) = results_of(suite, Failure)
    assert isinstance(failure, Failure)
    assert "<script>alert(1)</script>" in (failure.message or "")  # escaped, then parsed back


def test_hostile_host_names_stay_inside_the_run_directory(tmp_path: Path) -> None:
    for name in ("../../etc", "/etc/passwd", "..", ".", "", "a/b", HOSTILE, "x" * 500):
        slug = host_slug(name)
        assert re.fullmatch(r"[A-Za-z0-9_][A-Za-z0-9._-]*", slug), slug
        assert len(slug) <= 100
        assert host_dir(tmp_path, name).resolve().parent == (tmp_path / "hosts").resolve()


def test_hostile_data_round_trips_through_results_json(
    tmp_path: Path, hostile_run: RunResult
) -> None:
    write_all(hostile_run, tmp_path)
    assert json_report.read(tmp_path) == hostile_run


def test_printable_strips_terminal_controls() -> None:
    assert printable(HOSTILE) == "<script>alert(1)</script>red"
    assert printable("tab\tand\nnewline") == "tab\tand\nnewline"
    assert printable("\x9b31m c1 csi") == "31m c1 csi"
    assert printable("plain ünïcode") == "plain ünïcode"


def test_xml_safe_replaces_what_xml_cannot_carry() -> None:
    assert xml_safe("a\x00b\x1bc\td\ne") == "a\ufffdb\ufffdc\td\ne"
    assert xml_safe("<ok & fine>") == "<ok & fine>"


def test_terminal_summary_is_sanitised(hostile_run: RunResult) -> None:
    out = StringIO()
    console = Console(file=out, width=200, color_system=None, force_terminal=False)
    emit(summary_listing(hostile_run, Severity.LOW), console, "table")
    text = out.getvalue()
    assert "evil<script>alert(1)</script>" in text
    assert not re.search(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]", text)
    assert "could not be assessed" in text


# --- results.json reading and atomic writes -----------------------------------------------


def test_read_without_results_json(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        json_report.read(tmp_path)
    assert "no results.json" in caught.value.message


@pytest.mark.parametrize(
    "content",
    [
        "{not json",
        json.dumps({"run_id": "x"}),
        json.dumps({
            "run_id": "r", "started": "s", "finished": "f", "tool_version": "t",
            "catalogue_version": "c", "profile": "p", "inventory": "i",
            "hosts": [{"name": "h", "findings": [{
                **finding().__dict__, "severity": "high", "status": "pass", "surprise": 1,
            }]}],
        }),
        json.dumps({
            "run_id": "r", "started": "s", "finished": "f", "tool_version": "t",
            "catalogue_version": "c", "profile": "p", "inventory": "i",
            "hosts": [{"name": "h", "findings": [{
                **finding().__dict__, "severity": "high", "status": "exploded",
            }]}],
        }),
        json.dumps({
            "run_id": "r", "started": "s", "finished": "f", "tool_version": "t",
            "catalogue_version": "c", "profile": "p", "inventory": "i", "hosts": {"h": 1},
        }),
    ],
    ids=["syntax", "missing-keys", "unknown-field", "bad-status", "hosts-not-a-list"],
)
def test_read_invalid_results_is_a_config_error(tmp_path: Path, content: str) -> None:
    (tmp_path / "results.json").write_text(content)
    with pytest.raises(ConfigError) as caught:
        json_report.read(tmp_path)
    assert "not a valid results file" in caught.value.message


def test_atomic_write_replaces_and_leaves_no_temp_file(tmp_path: Path) -> None:
    target = tmp_path / "sub" / "out.txt"
    atomic.write_text(target, "old")
    atomic.write_text(target, "new ✓")
    assert target.read_text(encoding="utf-8") == "new ✓"
    assert [p.name for p in target.parent.iterdir()] == ["out.txt"]
    assert target.stat().st_mode & 0o777 == 0o644


def test_atomic_write_failure_keeps_the_old_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "out.txt"
    atomic.write_text(target, "old")

    def refuse(_src: object, _dst: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(atomic.os, "replace", refuse)
    with pytest.raises(OSError, match="No space left"):
        atomic.write_text(target, "new")
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["out.txt"]


def test_host_slugs_never_collide() -> None:
    from assessor.rundir import host_slug

    names = ["web:1", "web_1", "web/1", "../web_1", "web-01.example.org"]
    slugs = [host_slug(n) for n in names]
    assert len(set(slugs)) == len(names)
    assert host_slug("web-01.example.org") == "web-01.example.org"
    assert all("/" not in s and not s.startswith(".") for s in slugs)


@pytest.mark.parametrize("width", [60, 80, 200])
def test_exposure_summary_never_cuts_a_version_or_a_host(width: int) -> None:
    """Issue: the summary cut versions ("2.36-9+deb…"), the one thing an operator reads."""
    from rich.console import Console

    from assessor.reports.tabular import emit
    from assessor.reports.terminal import exposure_listing
    from assessor.results import Finding, HostResult, RunResult, Severity, Status

    finding = Finding(
        control_id="DSA-5514-1", title="glibc", section="advisories", severity=Severity.HIGH,
        status=Status.FAIL, reason="exposed: the installed version is older than the fix " * 2,
        expected="libc6 >= 2.36-9+deb12u3", evidence="",
        observed="libc6 2.36-9+deb12u1 (source glibc 2.36-9+deb12u1)")
    run = RunResult(run_id="r", started="", finished="", tool_version="", catalogue_version="",
                    profile="exposure", inventory="",
                    hosts=[HostResult("hardened-01.example.org", "192.0.2.1", findings=[finding])])
    console = Console(width=width, record=True)
    emit(exposure_listing(run), console, "table")
    words = console.export_text().split()
    assert "…" not in console.export_text()
    for token in ("2.36-9+deb12u1", "2.36-9+deb12u3", "hardened-01.example.org", "DSA-5514-1"):
        assert any(token in w for w in words), (width, token)
