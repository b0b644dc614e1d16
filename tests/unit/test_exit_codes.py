"""Every exit code README's table documents, per command: 0, 1, 2 and 3 by one rule."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from assessor.cli import main
from assessor.commands import watch as watch_command
from assessor.errors import NOT_ASSESSED, outcome_code
from assessor.pipeline.packages import exit_code as exposure_code
from assessor.remediation.beforeafter import HostComparison, Row
from assessor.remediation.record import HardenRecord, HostRecord, RollbackRecord
from assessor.reports.diff import diff_runs
from assessor.results import Finding, HostResult, RunResult, Severity, Status
from assessor.tools import PROJECT_ROOT

ADVISORY = str(PROJECT_ROOT / "inventories/example/cert-demo-bulletin.yaml")
README = PROJECT_ROOT / "README.md"
DOCUMENTED = ("assess", "exposure", "patch", "hunt", "harden", "rollback", "restore",
              "watch --once", "doctor", "diff")


def finding(status: Status, severity: Severity = Severity.MEDIUM) -> Finding:
    return Finding(control_id="c.one", title="t", section="s", severity=severity,
                   status=status, reason="r", expected="e", observed="o")


def run_of(*hosts: HostResult) -> RunResult:
    return RunResult(run_id="r", started="2026-12-02T00:00:00Z",
                     finished="2026-12-02T00:00:01Z", tool_version="0", catalogue_version="1",
                     profile="p", inventory="i", hosts=list(hosts))


PASSING = HostResult("ok", "192.0.2.1", findings=[finding(Status.PASS)])
FAILING = HostResult("bad", "192.0.2.2", findings=[finding(Status.FAIL)])
MISSED = HostResult("gone", "192.0.2.3", error="unreachable: timed out")


def readme_rows() -> dict[str, list[str]]:
    table = README.read_text().split("### Exit codes", 1)[1].split("\n## ", 1)[0]
    rows = {}
    for line in table.splitlines():
        cells = [c.strip().strip("`") for c in line.strip().strip("|").split("|")]
        if len(cells) == 3 and cells[0] not in ("command", "---"):
            rows[cells[0]] = cells[1:]
    return rows


def test_readme_documents_every_command_once() -> None:
    rows = readme_rows()
    assert set(DOCUMENTED) <= set(rows), set(DOCUMENTED) - set(rows)
    codes = re.findall(r"^\| (\d+) \|", README.read_text().split("### Exit codes", 1)[1],
                       re.M)
    assert codes[:5] == ["0", "1", "2", "3", "130"]


def test_the_one_rule() -> None:
    assert outcome_code(some_host_missed=False, something_to_act_on=False) == 0
    assert outcome_code(some_host_missed=False, something_to_act_on=True) == 1
    assert outcome_code(some_host_missed=True, something_to_act_on=True) == NOT_ASSESSED


@pytest.mark.parametrize("argv", [
    ["assess", "-i", "{missing}"],
    ["exposure", "-i", "{missing}", "--advisories", ADVISORY],
    ["patch", "-i", "{missing}", "--advisories", ADVISORY, "--check"],
    ["hunt", "-i", "{missing}"],
    ["harden", "-i", "{missing}", "--check"],
    ["doctor", "-i", "{missing}"],
    ["rollback", "{tmp}"],  # not a harden run directory
    ["diff", "{tmp}", "{tmp}"],  # no results.json
    ["watch", "-i", "{missing}", "--config", "{missing}", "--once"],
    ["assess"],  # -i missing: argparse's usage error
    ["--config", "{missing}", "assess", "-i", "x"],
])
def test_usage_and_configuration_errors_are_2(argv: list[str], tmp_path: Path,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    words = [a.format(missing=tmp_path / "missing.yml", tmp=tmp_path) for a in argv]
    try:
        code = main(words)
    except SystemExit as exc:  # argparse exits 2 itself
        code = int(str(exc.code))
    assert code == 2, capsys.readouterr()
    assert "Traceback" not in capsys.readouterr().err


def test_assess_hunt_and_report_codes() -> None:
    assert run_of(PASSING).exit_code(Severity.LOW) == 0
    assert run_of(PASSING, FAILING).exit_code(Severity.LOW) == 1
    assert run_of(PASSING, FAILING).exit_code(Severity.HIGH) == 0  # below --fail-on
    assert run_of(FAILING, MISSED).exit_code(Severity.LOW) == 3


def test_exposure_and_patch_codes() -> None:
    exposed = HostResult("x", "192.0.2.4", findings=[finding(Status.FAIL)])
    maybe = HostResult("y", "192.0.2.5", findings=[finding(Status.ERROR)])
    assert exposure_code(run_of(PASSING)) == 0
    assert exposure_code(run_of(PASSING, exposed)) == 1
    assert exposure_code(run_of(maybe)) == 1
    assert exposure_code(run_of(exposed, MISSED)) == 3  # incomplete wins, as for assess


def harden(*hosts: HostRecord, untouched: list[str] | None = None) -> HardenRecord:
    return HardenRecord("r", "p", "inv", False, "s", "f", [], [], [], "1", 100, False,
                        untouched or [], list(hosts))


def compared(name: str, **rows: list[Row]) -> HostRecord:
    return HostRecord(name, "changed", "", [], HostComparison(name, "changed", **rows))


def test_harden_exits_1_when_an_applied_control_still_fails_or_regressed() -> None:
    row = Row("ssh.permit-root-login", "fail", "fail")
    assert harden(compared("a", fixed=[row])).exit_code() == 0
    assert harden(compared("a", still_failing=[row])).exit_code() == 1
    assert harden(compared("a", regressions=[row])).exit_code() == 1
    assert harden(compared("a"), HostRecord("b", "unreachable", "x", [])).exit_code() == 3
    assert harden(compared("a", still_failing=[row]), untouched=["c"]).exit_code() == 3


def test_rollback_codes() -> None:
    assert RollbackRecord({"a": {"actions": []}}, {}).exit_code() == 0
    assert RollbackRecord({"a": {"conflicts": [{"path": "/etc/x"}]}}, {}).exit_code() == 1
    assert RollbackRecord({"a": {"conflicts": [{"path": "/etc/x"}]}},
                          {"b": "unreachable"}).exit_code() == 3


def test_diff_codes() -> None:
    before = run_of(PASSING)
    assert diff_runs(before, run_of(PASSING)).exit_code() == 0
    regressed = HostResult("ok", "192.0.2.1", findings=[finding(Status.FAIL)])
    assert diff_runs(before, run_of(regressed)).exit_code() == 1
    assert diff_runs(before, run_of(HostResult("ok", "", error="gone"))).exit_code() == 1


@pytest.mark.parametrize(("hosts", "code"), [([PASSING, FAILING], 0), ([PASSING, MISSED], 3)])
def test_watch_once_exits_3_only_when_the_cycle_missed_a_host(
    hosts: list[HostResult], code: int, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Findings go to the sinks, never into the code; a host not assessed is exit 3."""
    class Report:
        cycle, duration, notified, notes = 1, 0.1, [], []
        results = hosts
        flush = type("Flush", (), {"sent": 0, "pending": 0})()

    def fake_watch(*args: Any, on_cycle: Any, **kwargs: Any) -> int:
        on_cycle(Report())
        return 0

    monkeypatch.setattr(watch_command, "watch", fake_watch)
    monkeypatch.setattr(watch_command, "load_config", lambda path: None)
    assert main(["watch", "-i", "inv.yml", "--config", "w.yml", "--once",
                 "--out", str(tmp_path)]) == code
