"""`assessor diff` and `assessor report`: what changed between runs, re-rendering from JSON."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import pytest
from unit_builders import finding, run_of

from assessor.cli import main
from assessor.reports import host_dir, write_all
from assessor.reports.diff import diff_runs, text_lines
from assessor.results import HostResult, RunResult, Status

EVIL = "<script>alert(1)</script>\x1b[2J\x1b]0;owned\x07"


def later(run: RunResult, *hosts: HostResult) -> RunResult:
    return dataclasses.replace(
        run, run_id="20260102T000000Z", started="2026-01-02T00:00:00+00:00",
        finished="2026-01-02T00:01:00+00:00", hosts=list(hosts),
    )


@pytest.fixture
def before() -> RunResult:
    return run_of(
        HostResult("web1", findings=[
            finding("a.regresses", Status.PASS),
            finding("b.fixed", Status.FAIL),
            finding("c.evidence", Status.FAIL, evidence="mode 0644"),
            finding("d.same", Status.PASS),
            finding("e.dropped", Status.PASS),
        ]),
        HostResult("db1", findings=[finding("a.regresses", Status.PASS)]),
        HostResult("old1", findings=[finding("a.regresses", Status.PASS)]),
    )


@pytest.fixture
def after(before: RunResult) -> RunResult:
    return later(
        before,
        HostResult("web1", findings=[
            finding("a.regresses", Status.FAIL, observed=EVIL),
            finding("b.fixed", Status.PASS),
            finding("c.evidence", Status.FAIL, evidence="mode 0666"),
            finding("d.same", Status.PASS),
            finding("f.added", Status.ERROR, reason="probe failed"),
        ]),
        HostResult("db1", error="unreachable: timed out"),
        HostResult("new1", findings=[finding("a.regresses", Status.FAIL)]),
    )


def test_diff_sorts_changes_per_host(before: RunResult, after: RunResult) -> None:
    diff = diff_runs(before, after)
    web, db = diff.hosts
    assert [c.control_id for c in web.newly_failing] == ["a.regresses", "f.added"]
    assert [c.control_id for c in web.fixed] == ["b.fixed"]
    assert [(c.control_id, c.evidence_before, c.evidence_after) for c in web.changed_evidence] \
        == [("c.evidence", "mode 0644", "mode 0666")]
    assert [(c.control_id, c.before, c.after) for c in web.other] == [("e.dropped", "pass", "")]
    assert db.lost == "unreachable: timed out" and db.regressed
    assert [h.name for h in diff.new_hosts] == ["new1"]
    assert [h.name for h in diff.gone_hosts] == ["old1"]
    assert diff.regressed and diff.exit_code() == 1


def test_no_change_is_no_regression(before: RunResult) -> None:
    diff = diff_runs(before, later(before, *before.hosts))
    assert not diff.regressed and diff.exit_code() == 0
    assert not any(h.changed for h in diff.hosts)
    assert text_lines(diff)[-1].startswith("no regression: 0 regression(s)")


def test_only_fixes_are_no_regression(before: RunResult) -> None:
    web = before.hosts[0]
    fixed = dataclasses.replace(web, findings=[
        dataclasses.replace(f, status=Status.PASS) for f in web.findings
    ])
    diff = diff_runs(before, later(before, fixed, *before.hosts[1:]))
    assert diff.exit_code() == 0
    assert [c.control_id for c in diff.hosts[0].fixed] == ["b.fixed", "c.evidence"]


def write_runs(tmp_path: Path, *runs: RunResult) -> list[Path]:
    dirs = []
    for run in runs:
        write_all(run, tmp_path / run.run_id)
        dirs.append(tmp_path / run.run_id)
    return dirs


def test_diff_command_exits_1_and_writes_an_inert_page(
    tmp_path: Path, before: RunResult, after: RunResult, capsys: pytest.CaptureFixture[str]
) -> None:
    a, b = write_runs(tmp_path, before, after)
    assert main(["diff", str(a), str(b), "--format", "table"]) == 1
    out = capsys.readouterr().out
    assert "newly failing: a.regresses" in out and "gone host: old1" in out
    assert "REGRESSED: could not be assessed: unreachable: timed out" in out
    assert not re.search(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]", out)
    page = (b / "diff.html").read_text()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;␛[2J" in page
    assert "<script" not in page
    assert 'data-regressed="yes"' in page
    assert main(["diff", str(a), str(a), "--html", str(tmp_path / "same.html")]) == 0
    assert 'id="no-changes"' in (tmp_path / "same.html").read_text()


def test_diff_of_a_directory_without_results_is_a_usage_error(
    tmp_path: Path, before: RunResult, capsys: pytest.CaptureFixture[str]
) -> None:
    (a,) = write_runs(tmp_path, before)
    assert main(["diff", str(a), str(tmp_path / "missing")]) == 2
    assert "no results.json" in capsys.readouterr().err


def test_report_command_rerenders_without_touching_results(
    tmp_path: Path, mixed_run: RunResult, capsys: pytest.CaptureFixture[str]
) -> None:
    (run_dir,) = write_runs(tmp_path, mixed_run)
    originals = {
        p: p.read_bytes()
        for p in run_dir.rglob("*") if p.is_file()
    }
    results_mtime = (run_dir / "results.json").stat().st_mtime_ns
    for p in originals:
        if p.name != "results.json":
            p.unlink()
    assert main(["report", str(run_dir)]) == 0
    assert (run_dir / "results.json").stat().st_mtime_ns == results_mtime
    for path, content in originals.items():
        assert path.read_bytes() == content, path
    assert (host_dir(run_dir, "web1") / "report.html").exists()
    assert "Rendered" in capsys.readouterr().err  # piped: the data alone on stdout


def test_report_command_refuses_a_missing_directory(tmp_path: Path) -> None:
    assert main(["report", str(tmp_path / "nope")]) == 2
