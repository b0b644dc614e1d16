"""Reports of real lab runs: schema-valid JSON, XSD-valid JUnit, re-rendering, diff, hostile data.

The lab has a `weak` host and a `hostile` one (markup, terminal escapes and bytes that are
not UTF-8 planted in login.defs values and account names). Two runs go into one output
directory, with a real regression made on the weak host in between.
"""

from __future__ import annotations

import json
import os
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path

import pytest
import xmlschema
from junitparser import JUnitXml, TestSuite
from labrun import assess, run_cli, running_lab

from assessor.cli import main
from assessor.lab import fleet
from assessor.reports import host_dir, json_report

LAB = os.environ.get("ASSESSOR_REP_LAB", "irep")
XSD = Path(__file__).resolve().parents[1] / "data" / "junit" / "junit.xsd"
CONTROL_CHARS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
SKIPPED = ("notapplicable", "waived", "manual")
HOSTILE_LINE = b"PASS_MAX_DAYS \x1b]0;pwned\x07\x1b[5m<b>9</b>\xc3\n"


@pytest.fixture(scope="module")
def replab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[fleet.LabState]:
    inventory = tmp_path_factory.mktemp("replab") / "inventory.yml"
    with running_lab(LAB, 2, "weak,hostile", inventory) as state:
        yield state


@pytest.fixture(scope="module")
def runs(replab: fleet.LabState, tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    """Two runs in one output directory. In between, weak's /etc/shadow becomes
    world-readable (a real regression) and hostile's login.defs gets a new escape sequence."""
    out = tmp_path_factory.mktemp("reports")
    first = assess(Path(replab.inventory), out, "--profile", "server-l2")
    assert first.code == 1, first.stderr
    roots = {h.flavour: fleet.host_paths(replab, h)["merged"] for h in replab.hosts}
    shadow = roots["weak"] / "etc" / "shadow"
    login_defs = roots["hostile"] / "etc" / "login.defs"
    mode, defs = shadow.stat().st_mode & 0o7777, login_defs.read_bytes()
    shadow.chmod(0o644)
    login_defs.write_bytes(defs + HOSTILE_LINE)
    try:
        second = assess(Path(replab.inventory), out, "--profile", "server-l2")
    finally:
        shadow.chmod(mode)
        login_defs.write_bytes(defs)
    assert second.code == 1, second.stderr
    for run in (first, second):
        assert not CONTROL_CHARS.search(run.stdout), "terminal output carries control characters"
    return sorted(p for p in out.iterdir() if p.is_dir())


def host_names(replab: fleet.LabState) -> dict[str, str]:
    return {h.flavour: h.name for h in replab.hosts}


def results(run_dir: Path) -> dict[str, object]:
    return json.loads((run_dir / "results.json").read_text())  # type: ignore[no-any-return]


def test_every_results_json_follows_the_schema(runs: list[Path]) -> None:
    assert len(runs) == 2
    for run_dir in runs:
        data = results(run_dir)
        assert json_report.problems(data) == [], run_dir
        assert json_report.read(run_dir).run_id == data["run_id"]


def test_junit_validates_and_counts_match(runs: list[Path], replab: fleet.LabState) -> None:
    schema = xmlschema.XMLSchema(str(XSD))
    for run_dir in runs:
        data = results(run_dir)
        schema.validate(str(run_dir / "junit.xml"))
        merged = JUnitXml.fromfile(str(run_dir / "junit.xml"))
        assert {s.name for s in merged} == set(host_names(replab).values())
        for host in data["hosts"]:  # type: ignore[attr-defined]
            path = host_dir(run_dir, host["name"]) / "junit.xml"
            schema.validate(str(path))
            assert ET.parse(path).getroot().tag == "testsuite"
            (suite,) = list(JUnitXml.fromfile(str(path)))
            assert isinstance(suite, TestSuite)
            statuses = [f["status"] for f in host["findings"]]
            assert suite.name == host["name"]
            assert suite.tests == len(statuses) > 0
            assert suite.failures == statuses.count("fail")
            assert suite.errors == statuses.count("error")
            assert suite.skipped == sum(statuses.count(s) for s in SKIPPED)
            props = {p.name: p.value for p in suite.properties()}
            assert props["address"] == host["address"] and "bookworm" in props["os"]


def test_report_rerenders_the_same_files_without_hosts(runs: list[Path]) -> None:
    run_dir = runs[-1]
    pages = [run_dir / "index.html", run_dir / "junit.xml",
             *run_dir.glob("hosts/*/report.html"), *run_dir.glob("hosts/*/junit.xml")]
    before = {p: p.read_bytes() for p in pages}
    for page in pages:
        page.unlink()
    proc = run_cli("report", str(run_dir), timeout=60)
    assert proc.returncode == 0, proc.stderr
    for page, content in before.items():
        assert page.read_bytes() == content, page


def test_diff_finds_the_regression(runs: list[Path], replab: fleet.LabState,
                                   capsys: pytest.CaptureFixture[str]) -> None:
    weak = host_names(replab)["weak"]
    proc = run_cli("diff", str(runs[0]), str(runs[1]), "--format", "table", timeout=60)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert f"{weak}: score" in proc.stdout
    assert "newly failing: files.shadow [high] pass -> fail" in proc.stdout
    hostile = host_names(replab)["hostile"]
    assert "changed evidence: login.pass-max-days" in proc.stdout, proc.stdout
    assert f"{hostile}: score" in proc.stdout
    assert not CONTROL_CHARS.search(proc.stdout)
    # piped, plain: a row a change (the CLI's entry in this process: no second start-up)
    capsys.readouterr()
    assert main(["diff", str(runs[0]), str(runs[1])]) == 1
    piped = capsys.readouterr().out
    assert f"{weak}\tnewly failing\tfiles.shadow\thigh\tpass\tfail\t" in piped
    assert not CONTROL_CHARS.search(piped)
    page = (runs[1] / "diff.html").read_text()
    assert 'data-regressed="yes"' in page and 'data-control="files.shadow"' in page
    same = run_cli("diff", str(runs[1]), str(runs[1]), "--html", str(runs[1] / "same.html"))
    assert same.returncode == 0, same.stdout


def test_trend_shows_both_runs(runs: list[Path], replab: fleet.LabState) -> None:
    weak = host_names(replab)["weak"]
    page = (host_dir(runs[1], weak) / "report.html").read_text()
    assert page.count('<circle class="point"') == 2
    scores = [h["score"] for run in runs for h in results(run)["hosts"]  # type: ignore[attr-defined]
              if h["name"] == weak]
    assert scores[1] < scores[0]
    for run_id, score in zip((r.name for r in runs), scores, strict=True):
        assert f'data-run="{run_id}" data-score="{score}"' in page


class Elements(HTMLParser):
    def __init__(self, text: str) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.feed(text)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))


def test_hostile_values_are_reported_and_inert(runs: list[Path], replab: fleet.LabState) -> None:
    hostile = host_names(replab)["hostile"]
    run_dir = runs[0]
    host = next(h for h in results(run_dir)["hosts"]  # type: ignore[attr-defined]
                if h["name"] == hostile)
    found = {f["control_id"]: f for f in host["findings"]}
    assert found["login.pass-max-days"]["observed"].startswith("<script>")
    assert '><img src=x onerror=' in found["login.pass-warn-age"]["observed"]
    assert "\x1b[2J" in found["login.encrypt-method"]["observed"]
    assert found["login.pass-min-days"]["observed"] == "\\xff\\xfenot-utf8"  # module's escape
    uid0 = found["accounts.single-uid0"]
    assert uid0["status"] == "fail" and "<script>" in uid0["evidence"]
    assert "\x1b[31m" in uid0["evidence"]

    for page in (host_dir(run_dir, hostile) / "report.html", run_dir / "index.html"):
        text = page.read_text()
        tags = Elements(text).tags
        assert [t for t, _ in tags].count("script") <= 1, page  # ours, on host pages only
        assert not [t for t, a in tags if t == "img" or any(k.startswith("on") for k in a)]
        assert "\x1b" not in text
    report = (host_dir(run_dir, hostile) / "report.html").read_text()
    assert "&lt;script&gt;document.documentElement.dataset.pwned" in report
    assert "␛[2J" in report

    junit = host_dir(run_dir, hostile) / "junit.xml"
    root = ET.parse(junit).getroot()
    messages = " ".join(f.get("message", "") for f in root.iter("failure"))
    assert "observed <script>document.documentElement" in messages
    assert "\x1b" not in junit.read_text()
