"""results.json follows the versioned JSON Schema in assessor/schemas."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from unit_builders import finding, run_of

from assessor.errors import ConfigError
from assessor.reports import json_report, write_all
from assessor.results import RESULTS_FORMAT, HostResult, RunResult, Status, WaiverNote


def test_schema_is_versioned_with_the_results_format() -> None:
    schema = json_report.schema()
    assert schema["properties"]["format"] == {"const": RESULTS_FORMAT}
    assert schema["$id"].endswith(f":{RESULTS_FORMAT}")


@pytest.mark.parametrize("kind", ["mixed", "waived", "empty"])
def test_every_written_results_json_is_valid(
    tmp_path: Path, mixed_run: RunResult, kind: str
) -> None:
    run = {
        "mixed": mixed_run,
        "waived": run_of(HostResult("h", findings=[
            finding(status=Status.WAIVED, waiver=WaiverNote("o", "r", "2027-01-01", False, "w"))
        ])),
        "empty": run_of(),
    }[kind]
    write_all(run, tmp_path)
    data = json.loads((tmp_path / "results.json").read_text())
    assert json_report.problems(data) == []
    assert data["format"] == RESULTS_FORMAT


def broken(data: dict[str, object], where: str) -> dict[str, object]:
    host = data["hosts"][0]  # type: ignore[index]
    if where == "unknown-top":
        data["surprise"] = 1
    elif where == "bad-status":
        host["findings"][0]["status"] = "exploded"
    elif where == "bad-score":
        host["score"] = 140
    elif where == "waiver-without-owner":
        host["findings"][0]["waiver"] = {"reason": "r", "expires": "2027-01-01"}
    elif where == "no-format":
        del data["format"]
    return data


@pytest.mark.parametrize(
    "where", ["unknown-top", "bad-status", "bad-score", "waiver-without-owner", "no-format"]
)
def test_schema_refuses_what_the_model_cannot_read(
    tmp_path: Path, mixed_run: RunResult, where: str
) -> None:
    data = broken(mixed_run.to_dict(), where)
    assert json_report.problems(data)
    (tmp_path / "results.json").write_text(json.dumps(data))
    with pytest.raises(ConfigError) as caught:
        json_report.read(tmp_path)
    assert "not a valid results file" in caught.value.message


def test_a_newer_format_is_refused_with_advice(tmp_path: Path, mixed_run: RunResult) -> None:
    data = mixed_run.to_dict() | {"format": RESULTS_FORMAT + 1}
    (tmp_path / "results.json").write_text(json.dumps(data))
    with pytest.raises(ConfigError, match="newer than this assessor understands"):
        json_report.read(tmp_path)


def test_fast_writer_matches_the_model(mixed_run: RunResult) -> None:
    waived = run_of(HostResult("h", facts={"os": "x"}, findings=[
        finding(status=Status.FAIL, waiver=WaiverNote("o", "r", "2020-01-01", True, "w")),
        finding("other", Status.PASS),
    ]))
    for run in (mixed_run, waived, run_of()):
        assert json_report.as_dict(run) == run.to_dict()
        assert json.loads(json.dumps(json_report.as_dict(run))) == json.loads(
            json.dumps(run.to_dict())
        )


def test_fast_and_full_validators_agree(mixed_run: RunResult) -> None:
    good = mixed_run.to_dict()
    assert json_report.is_valid(good) and not json_report.problems(good)
    for where in ("unknown-top", "bad-status", "bad-score", "waiver-without-owner", "no-format"):
        bad = broken(mixed_run.to_dict(), where)
        assert not json_report.is_valid(bad), where
