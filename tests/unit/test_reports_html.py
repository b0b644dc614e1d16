"""The HTML reports: self-contained, strict CSP, counts that match, charts, trend, waivers."""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from unit_builders import finding, run_of

from assessor.reports import host_dir, write_all
from assessor.reports.fleet import heat_map, top_failing
from assessor.reports.html import shown
from assessor.results import HostResult, RunResult, Severity, Status, WaiverNote


class Page(HTMLParser):
    """Every element with its attributes, and the text of style/script elements."""

    def __init__(self, text: str) -> None:
        super().__init__(convert_charrefs=True)
        self.elements: list[tuple[str, dict[str, str]]] = []
        self.inline: dict[str, list[str]] = {"style": [], "script": []}
        self._open: str | None = None
        self.feed(text)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.elements.append((tag, {k: v or "" for k, v in attrs}))
        self._open = tag if tag in self.inline else None

    def handle_data(self, data: str) -> None:
        if self._open:
            self.inline[self._open].append(data)

    def handle_endtag(self, tag: str) -> None:
        self._open = None

    def find(self, tag: str, **attrs: str) -> list[dict[str, str]]:
        return [
            a for t, a in self.elements
            if t == tag and all(a.get(k.replace("_", "-")) == v for k, v in attrs.items())
        ]


def sha(text: str) -> str:
    return "sha256-" + base64.b64encode(hashlib.sha256(text.encode()).digest()).decode()


@pytest.fixture
def waived_run() -> RunResult:
    host = HostResult(
        name="app1", address="10.0.0.9",
        facts={"os": "Debian GNU/Linux 12 (bookworm)", "kernel": "6.1.0-18-amd64"},
        findings=[
            finding("ssh.permit-root-login", Status.WAIVED, Severity.HIGH,
                    waiver=WaiverNote("alice", "break-glass host", "2027-01-31",
                                      source="waivers.yml")),
            finding("ssh.x11-forwarding", Status.FAIL, Severity.MEDIUM,
                    waiver=WaiverNote("bob", "legacy X app", "2025-01-01", expired=True)),
            finding("net.ip-forward", Status.PASS, Severity.MEDIUM, section="3.3 Network"),
            finding("accounts.single-uid0", Status.FAIL, Severity.CRITICAL,
                    section="5.4 Accounts", evidence="uid0: root, toor\x1b[31m"),
        ],
    )
    return dataclasses.replace(run_of(host), tailoring="tailoring/dmz.yml")


def test_pages_are_self_contained_with_a_strict_csp(tmp_path: Path, mixed_run: RunResult) -> None:
    write_all(mixed_run, tmp_path)
    for path in [tmp_path / "index.html", *tmp_path.glob("hosts/*/report.html")]:
        text = path.read_text()
        page = Page(text)
        (meta,) = page.find("meta", http_equiv="Content-Security-Policy")
        csp = meta["content"]
        assert "default-src 'none'" in csp and "unsafe-inline" not in csp, path
        for kind in ("style", "script"):
            for block in page.inline[kind]:
                assert f"'{sha(block)}'" in csp, (path, kind)
        assert not page.find("link") and not [a for _, a in page.elements if "src" in a]
        assert not re.search(r"(href|src)=\"(https?:)?//", text), path
        assert "url(" not in text


def test_host_report_header_summary_and_counts(tmp_path: Path, waived_run: RunResult) -> None:
    write_all(waived_run, tmp_path)
    text = (host_dir(tmp_path, "app1") / "report.html").read_text()
    page = Page(text)
    for fact in ("10.0.0.9", "Debian GNU/Linux 12 (bookworm)", "6.1.0-18-amd64",
                 "20260101T000000Z", "server-l1", "tailoring/dmz.yml", "2026.11.0"):
        assert fact in text, fact
    host = waived_run.hosts[0]
    for status, count in host.counts().items():
        (card,) = page.find("div", data_status=status)
        assert card["data-count"] == str(count)
    (score,) = page.find("span", id="score")
    assert score["data-score"] == f"{host.score:g}"
    assert 'data-status="fail" data-severity="critical">1<' in text
    assert 'data-status="fail" data-severity="medium">1<' in text
    ids = [a["id"] for a in page.find("article")]
    assert sorted(ids) == sorted(f.control_id for f in host.findings)
    assert len(page.find("a", href="#ssh.x11-forwarding")) == 1


def test_findings_show_waivers_references_and_inert_controls(
    tmp_path: Path, waived_run: RunResult
) -> None:
    write_all(waived_run, tmp_path)
    text = (host_dir(tmp_path, "app1") / "report.html").read_text()
    assert "break-glass host — owner alice, expires 2027-01-31 (waivers.yml)" in text
    assert "<strong>EXPIRED</strong> legacy X app — owner bob, expired 2025-01-01" in text
    assert "CIS Debian 12: 5.1.20" in text and "NIST SP 800-53: AC-6(2), IA-2" in text
    assert "\x1b" not in text and "toor␛[31m" in text
    assert 'class="remediation">Apply role harden_ssh with tag x.<' in text


def test_section_chart_draws_every_finding(tmp_path: Path, waived_run: RunResult) -> None:
    write_all(waived_run, tmp_path)
    page = Page((host_dir(tmp_path, "app1") / "report.html").read_text())
    bars = page.find("g")
    assert sorted(b["data-section"] for b in bars) == ["3.3 Network", "5.1 SSH Server",
                                                        "5.4 Accounts"]
    assert sum(int(b["data-total"]) for b in bars) == 4
    rects = [a for t, a in page.elements if t == "rect"]
    assert sorted(r["class"] for r in rects) == ["c-fail", "c-fail", "c-pass", "c-waived"]
    assert all(float(r["width"]) > 0 for r in rects)


def test_trend_reads_earlier_runs_in_the_same_directory(
    tmp_path: Path, waived_run: RunResult
) -> None:
    first = waived_run
    second = dataclasses.replace(
        first, run_id="20260102T000000Z", started="2026-01-02T00:00:00+00:00",
        hosts=[dataclasses.replace(first.hosts[0], findings=first.hosts[0].findings[:3])],
    )
    write_all(first, tmp_path / first.run_id)
    (tmp_path / "not-a-run").mkdir()
    (tmp_path / "not-a-run" / "results.json").write_text("{broken")
    write_all(second, tmp_path / second.run_id)
    later = Page((host_dir(tmp_path / second.run_id, "app1") / "report.html").read_text())
    points = later.find("circle")
    assert [p["data-run"] for p in points] == [first.run_id, second.run_id]
    assert [float(p["data-score"]) for p in points] == [
        first.hosts[0].score, second.hosts[0].score
    ]
    index = Page((tmp_path / second.run_id / "index.html").read_text())
    assert [float(p["data-score"]) for p in index.find("circle")] == [first.score, second.score]
    earlier = (host_dir(tmp_path / first.run_id, "app1") / "report.html").read_text()
    assert 'id="trend-none"' in earlier and "<circle" not in earlier


def test_index_lists_hosts_scores_unreachable_and_links(
    tmp_path: Path, mixed_run: RunResult
) -> None:
    write_all(mixed_run, tmp_path)
    text = (tmp_path / "index.html").read_text()
    page = Page(text)
    assert page.find("a", href="hosts/web1/report.html")
    assert page.find("a", href="hosts/db1/junit.xml")
    assert page.find("a", href="junit.xml")
    (score,) = page.find("td", data_score=f"{mixed_run.hosts[0].score:g}")
    assert score
    assert '<td class="reason">unreachable: no route to host</td>' in text
    (lost,) = page.find("span", id="unreachable-count")
    assert lost["data-count"] == "1"
    cells = page.find("td", **{"class": "c-fail"})
    assert len(cells) == 1
    assert page.find("a", href="hosts/web1/report.html#ssh.x11-forwarding")


def test_heat_map_orders_controls_by_failures_and_caps_hosts() -> None:
    hosts = [
        HostResult(f"h{i:02d}", findings=[
            finding("a.always", Status.FAIL),
            finding("b.sometimes", Status.FAIL if i % 2 else Status.PASS),
            finding("c.never", Status.PASS),
        ])
        for i in range(10)
    ]
    run = run_of(*hosts, HostResult("gone", error="unreachable"))
    heat = heat_map(run, limit=4)
    assert [r.control_id for r in heat.rows] == ["a.always", "b.sometimes", "c.never"]
    assert len(heat.hosts) == 4 and heat.left_out == 6
    assert all(h.name in {"h01", "h03", "h05", "h07"} for h in heat.hosts)  # worst first
    (always, sometimes) = top_failing(run)
    assert (always.control_id, always.hosts, always.share) == ("a.always", 10, 100.0)
    assert (sometimes.hosts, sometimes.share) == (5, 50.0)


def test_shown_makes_control_characters_visible() -> None:
    assert shown("a\x1b[31mb\x00c\td\ne\x9b") == "a␛[31mb␀c\td\ne\ufffd"
