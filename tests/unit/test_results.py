"""The result model: JSON round trip and the exit code a run ends with."""

from __future__ import annotations

import json

import pytest
from unit_builders import finding, run_of

from assessor.results import RESULTS_FORMAT, Finding, HostResult, RunResult, Severity, Status


def test_round_trip_through_json(mixed_run: RunResult) -> None:
    data = json.loads(json.dumps(mixed_run.to_dict()))
    assert data["format"] == RESULTS_FORMAT
    assert data["hosts"][0]["findings"][1]["status"] == "fail"
    again = RunResult.from_dict(data)
    assert again == mixed_run
    assert again.hosts[0].findings[1].status is Status.FAIL
    assert again.hosts[0].findings[1].severity is Severity.MEDIUM
    assert not again.hosts[1].assessed


def test_counts_cover_every_status(mixed_run: RunResult) -> None:
    counts = mixed_run.hosts[0].counts()
    assert set(counts) == {s.value for s in Status}
    assert counts == {
        "pass": 1, "fail": 1, "error": 1, "notapplicable": 1, "waived": 0, "manual": 0,
    }


def test_severity_ranks_in_order() -> None:
    ranks = [s.rank for s in (Severity.INFO, Severity.LOW, Severity.MEDIUM, Severity.HIGH,
                               Severity.CRITICAL)]
    assert ranks == sorted(ranks)
    assert len(set(ranks)) == 5


def host(*findings: Finding, error: str = "") -> HostResult:
    return HostResult(name="h", findings=list(findings), error=error)


def test_exit_0_when_all_pass() -> None:
    run = run_of(host(finding(status=Status.PASS), finding("b", Status.NOTAPPLICABLE)))
    assert run.exit_code(Severity.LOW) == 0
    assert run.exit_code(Severity.INFO) == 0


def test_exit_1_when_a_failure_is_at_or_above_fail_on() -> None:
    run = run_of(host(finding(status=Status.PASS)), host(finding("x", Status.FAIL, Severity.HIGH)))
    assert run.exit_code(Severity.LOW) == 1
    assert run.exit_code(Severity.HIGH) == 1


def test_exit_0_when_failures_are_only_below_fail_on() -> None:
    run = run_of(host(finding("x", Status.FAIL, Severity.MEDIUM)))
    assert run.exit_code(Severity.HIGH) == 0
    assert run.exit_code(Severity.CRITICAL) == 0
    assert run.exit_code(Severity.MEDIUM) == 1


def test_errors_and_waivers_on_an_assessed_host_do_not_fail_the_run() -> None:
    run = run_of(host(finding("x", Status.ERROR, Severity.CRITICAL),
                      finding("y", Status.WAIVED, Severity.CRITICAL)))
    assert run.exit_code(Severity.INFO) == 0


@pytest.mark.parametrize("fail_on", list(Severity))
def test_exit_3_when_a_host_could_not_be_assessed_takes_priority(fail_on: Severity) -> None:
    run = run_of(
        host(finding("x", Status.FAIL, Severity.CRITICAL)),
        host(error="unreachable: connection refused"),
    )
    assert run.exit_code(fail_on) == 3


def test_failures_at_or_above() -> None:
    h = host(
        finding("low", Status.FAIL, Severity.LOW),
        finding("high", Status.FAIL, Severity.HIGH),
        finding("ok", Status.PASS, Severity.CRITICAL),
    )
    assert [f.control_id for f in h.failures_at_or_above(Severity.MEDIUM)] == ["high"]
    assert [f.control_id for f in h.failures_at_or_above(Severity.INFO)] == ["low", "high"]


def test_score_weighs_failures_by_severity() -> None:
    from assessor.results import score

    critical_fail = [finding("a", Status.PASS, Severity.LOW), finding("b", Status.FAIL,
                                                                     Severity.CRITICAL)]
    low_fail = [finding("a", Status.PASS, Severity.CRITICAL), finding("b", Status.FAIL,
                                                                     Severity.LOW)]
    assert score(critical_fail) == round(100 * 1 / 11, 1)
    assert score(low_fail) == round(100 * 10 / 11, 1)


def test_score_ignores_waived_notapplicable_manual_but_counts_errors() -> None:
    from assessor.results import score

    findings = [finding("a", Status.PASS, Severity.HIGH), finding("b", Status.ERROR, Severity.HIGH),
                finding("c", Status.WAIVED), finding("d", Status.NOTAPPLICABLE),
                finding("e", Status.MANUAL)]
    assert score(findings) == 50.0
    assert score([finding("x", Status.NOTAPPLICABLE)]) is None


def test_scores_are_in_results_json_per_host_and_fleet() -> None:
    good = HostResult("a", findings=[finding("x", Status.PASS)])
    bad = HostResult("b", findings=[finding("x", Status.FAIL)])
    down = HostResult("c", error="unreachable")
    data = run_of(good, bad, down).to_dict()
    assert [h["score"] for h in data["hosts"]] == [100.0, 0.0, None]
    assert data["score"] == 50.0
