"""Listings: plain lines when piped, json/csv that parse, nothing important cut at any width."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import jsonschema
import pytest
from rich.console import Console

from assessor.catalogue import load_catalogue
from assessor.cli import main
from assessor.commands.controls import control_listing
from assessor.reports import json_report
from assessor.reports.tabular import Column, Listing, emit, render_text
from assessor.reports.terminal import exposure_listing, summary_listing
from assessor.results import Finding, HostResult, RunResult, Severity, Status

LONG_HOST = "hardened-01.eu-west-1.compute.internal.example.org"
LONG_ID = "ssh.permit-root-login-with-a-very-long-control-identifier"


def run_with_long_names() -> RunResult:
    finding = Finding(control_id=LONG_ID, title="A title long enough to need wrapping " * 3,
                      section="5.1", severity=Severity.HIGH, status=Status.FAIL,
                      reason="PermitRootLogin yes", expected="no", observed="yes")
    return RunResult(
        run_id="20261202T000000Z", started="2026-12-02T00:00:00Z",
        finished="2026-12-02T00:01:00Z", tool_version="0", catalogue_version="1",
        profile="server-l1", inventory="inv.yml",
        hosts=[HostResult(LONG_HOST, "192.0.2.1", findings=[finding]),
               HostResult("partial-02", "192.0.2.2", error="unreachable: timed out")])


def table_text(listing: Listing, width: int) -> str:
    console = Console(width=width, record=True, file=io.StringIO())
    emit(listing, console, "table")
    return console.export_text()


@pytest.mark.parametrize("width", [60, 80, 200])
def test_host_names_and_control_ids_are_never_cut(width: int) -> None:
    run = run_with_long_names()
    for listing in (summary_listing(run, Severity.LOW), exposure_listing(run)):
        text = table_text(listing, width)
        assert "…" not in text, (width, text)
        assert LONG_HOST in text.split() or f"{LONG_HOST}" in text, (width, text)
        assert "partial-02" in text
        assert all(len(line) <= width for line in text.splitlines()), width
    exposure = table_text(exposure_listing(run), width)
    assert LONG_ID in exposure, (width, exposure)


@pytest.mark.parametrize("width", [60, 80, 200])
def test_the_catalogue_listing_keeps_ids_whole_and_wraps_titles(width: int) -> None:
    catalogue = load_catalogue()
    controls = list(catalogue.controls)[:40]
    text = table_text(control_listing(controls, catalogue.version), width)
    assert "…" not in text
    for control in controls:
        assert control.id in text, (width, control.id)
    assert all(len(line) <= width for line in text.splitlines())


def test_wide_terminals_get_a_table_narrow_ones_blocks() -> None:
    run = run_with_long_names()
    assert "┃" in table_text(summary_listing(run, Severity.LOW), 200)
    narrow = table_text(exposure_listing(run), 60)
    assert "┃" not in narrow and "  why: " in narrow


def test_plain_is_one_tab_separated_line_per_row_without_colour() -> None:
    listing = Listing("t", [Column("host", key=True), Column("note")])
    listing.add("web\x1b[31m1", "two\nlines\tand a tab", style={1: "red"})
    text = render_text(listing, "plain")
    assert text == "host\tnote\nweb1\ttwo lines and a tab\n"
    out = io.StringIO()
    emit(listing, Console(file=out, force_terminal=True), "plain")
    assert "\x1b" not in out.getvalue() and out.getvalue() == text


def test_csv_round_trips_and_json_is_checked_against_its_schema() -> None:
    listing = Listing("t", [Column("a"), Column("b")])
    listing.add('say "hi", then', "x")
    assert list(csv.reader(io.StringIO(render_text(listing, "csv")))) == [
        ["a", "b"], ['say "hi", then', "x"]]
    assert json.loads(render_text(listing, "json")) == [{"a": 'say "hi", then', "b": "x"}]
    listing.data = {"not": "a listing"}
    with pytest.raises(jsonschema.ValidationError):
        render_text(listing, "json")


def test_summary_json_is_results_json_summarised(tmp_path: Path) -> None:
    """--format json of a summary: the same data whether from the run or its results.json."""
    run = run_with_long_names()
    json_report.write(run, tmp_path)
    again = json_report.read(tmp_path)
    data = json.loads(render_text(summary_listing(again, Severity.LOW), "json"))
    assert data == json.loads(json.dumps(json_report.summary(run, Severity.LOW)))
    web = data["hosts"][0]
    assert web["name"] == LONG_HOST and web["counts"]["fail"] == 1
    assert web["findings"][0]["control_id"] == LONG_ID
    assert data["hosts"][1] == {**data["hosts"][1], "assessed": False,
                                "error": "unreachable: timed out"}


def test_terminal_defaults_to_table_and_a_pipe_to_plain(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    assert main(["controls", "list", "--profile", "server-l1"]) == 0
    piped = capsys.readouterr().out
    assert "┃" not in piped and "\x1b" not in piped and piped.startswith("id\tseverity\t")
    assert main(["controls", "list", "--profile", "server-l1", "--format", "csv"]) == 0
    rows = list(csv.reader(io.StringIO(capsys.readouterr().out)))
    assert rows[0][0] == "id" and len(rows) == len(load_catalogue().profile("server-l1")) + 1
    assert main(["controls", "show", "ssh.permit-root-login", "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out)["check"]["kind"] == "sshd_effective"


@pytest.mark.parametrize("no_color", [False, True])
def test_no_color_is_honoured_on_a_terminal(monkeypatch: pytest.MonkeyPatch,
                                            no_color: bool) -> None:
    if no_color:
        monkeypatch.setenv("NO_COLOR", "1")
    else:
        monkeypatch.delenv("NO_COLOR", raising=False)
    out = io.StringIO()
    console = Console(file=out, force_terminal=True, width=200, color_system="standard")
    emit(summary_listing(run_with_long_names(), Severity.LOW), console, "table")
    assert "┃" in out.getvalue()
    coloured = "\x1b[31m" in out.getvalue() or "\x1b[32m" in out.getvalue()
    assert coloured is not no_color


def test_between_boxed_and_blocks_a_compact_table() -> None:
    from assessor.reports.tabular import Fitted

    ok = HostResult("weak-01", "192.0.2.9", findings=[
        Finding(control_id="c", title="t", section="s", severity=Severity.LOW,
                status=Status.PASS, reason="", expected="", observed="")])
    run = RunResult(run_id="r", started="", finished="", tool_version="", catalogue_version="",
                    profile="p", inventory="", hosts=[ok])
    listing = summary_listing(run, Severity.LOW)
    fitted = Fitted(listing)
    assert "why" not in [listing.columns[i].name for i in fitted.shown]  # empty: not shown
    boxed, compact = fitted.needed_width(), fitted.needed_width(Fitted.COMPACT_PAD)
    assert compact < boxed
    assert "┃" in table_text(listing, boxed)
    middle = table_text(listing, compact)
    assert "┃" not in middle and any(line.startswith("weak-01 ") for line in middle.splitlines())
    assert "n/a" in middle  # the short header; plain keeps the whole name
    assert "notapplicable" in render_text(listing, "plain").splitlines()[0]
    assert "  score: " in table_text(listing, compact - 1)


def test_an_optional_column_goes_before_the_table_gives_up() -> None:
    listing = Listing("t", [Column("id", key=True), Column("title", wide=True),
                            Column("profiles", optional=True)])
    listing.add("ssh.permit-root-login", "SSH root login is disabled",
                "server-l1, server-l2, workstation-l1")
    wide, narrow = table_text(listing, 120), table_text(listing, 45)
    assert "profiles" in wide and "┃" in wide
    assert "profiles" not in narrow and "ssh.permit-root-login" in narrow and "┃" in narrow
    assert "profiles" in render_text(listing, "plain")


def test_harden_json_is_its_record_summarised_and_schema_checked() -> None:
    from assessor.remediation.beforeafter import HostComparison, Row
    from assessor.remediation.changes import Change
    from assessor.remediation.record import HardenRecord, HostRecord
    from assessor.reports.harden import before_after_listing, changes_listing

    change = Change(host="weak-01", control="ssh.permit-root-login", task="t",
                    status="changed", diff="-PermitRootLogin yes\n+PermitRootLogin no\n")
    host = HostRecord("weak-01", "changed", "", [change], HostComparison(
        "weak-01", "changed", fixed=[Row("ssh.permit-root-login", "fail", "pass")]))
    record = HardenRecord("r", "server-l1", "inv", False, "s", "f", [], [], [], "1", 100,
                          False, [], [host])
    data = json.loads(render_text(before_after_listing(record), "json"))
    assert data["hosts"][0]["fixed"] == ["ssh.permit-root-login"]
    assert data["hosts"][0]["changes"] == [{"control": "ssh.permit-root-login",
                                            "status": "changed"}]
    plain = render_text(changes_listing(record), "plain").splitlines()
    assert plain[1].startswith("weak-01\tchanged\tssh.permit-root-login\t-PermitRootLogin yes ")
