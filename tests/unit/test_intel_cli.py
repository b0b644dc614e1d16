"""`assessor intel show` prints what was understood; bad input is one line and exit 2."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from assessor.cli import main

DATA = Path(__file__).parents[1] / "data" / "intel"
AT = ["--at", "2026-12-01T00:00:00Z"]


def test_show_json(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["intel", "show", str(DATA / "cert-bundle.json"), str(DATA / "misp-event.json"),
                 "--allowlist", str(DATA / "allowlist-hostnames.json"), *AT,
                 "--format", "json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["by_type"]["sha256"] == 2
    assert summary["skipped"] == {"expired": 1, "revoked": 2, "unsupported": 5,
                                  "allowlisted": 1, "not-for-detection": 2}
    assert {u["id"] for u in summary["unsupported"]} >= {
        "indicator--e1f2c3d4-1111-4a2b-9c3d-000000000001", "b8e1a0f2-0007-4b3c-8d2e-6f7a8b9c0d07"}
    assert sum(summary["by_type"].values()) == summary["indicators"]


def test_show_text(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["intel", "show", str(DATA / "misp-feed"), str(DATA / "blocklist.txt"),
                 *AT, "--format", "table"]) == 0
    out = capsys.readouterr().out
    assert "indicators from 3 sources" in out
    assert "by type" in out and "unsupported" in out and "user-agent" in out


def test_show_min_confidence(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["intel", "show", str(DATA / "cert-bundle.json"), *AT, "--min-confidence", "65",
                 "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out)["skipped"]["low-confidence"] == 5


def test_bad_source_is_exit_2_with_file_and_line(tmp_path: Path,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "iocs.csv"
    bad.write_text("type,value\nmd5,123\n")
    assert main(["intel", "show", str(bad)]) == 2
    err = capsys.readouterr().err  # rich wraps long lines at the terminal width
    assert f"{bad}:2: '123' is not a md5" in "".join(err.split("\n"))


def test_missing_path_is_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["intel", "show", str(tmp_path / "nope.json")]) == 2
    assert "no such file or directory" in capsys.readouterr().err


def test_bad_option_values_are_usage_errors(capsys: pytest.CaptureFixture[str]) -> None:
    for argv in (["--min-confidence", "101"], ["--at", "yesterday"]):
        with pytest.raises(SystemExit) as caught:
            main(["intel", "show", str(DATA / "blocklist.txt"), *argv])
        assert caught.value.code == 2


def test_show_text_prints_patterns_verbatim(capsys: pytest.CaptureFixture[str],
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    """STIX patterns look like rich markup ([...]); they must print as written."""
    monkeypatch.setenv("COLUMNS", "400")  # one table row a line
    assert main(["intel", "show", str(DATA / "cert-bundle.json"), *AT]) == 0
    out = capsys.readouterr().out
    assert "[file:hashes.MD5 = '0cc175b9c0f1b6a831c399e269772661' AND file:name = 'sshd']" in out


def test_pull_user_without_password_is_exit_2(capsys: pytest.CaptureFixture[str],
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ASSESSOR_TAXII_PASSWORD", raising=False)
    assert main(["intel", "pull", "--taxii", "http://127.0.0.1:9/api/", "--collection", "c",
                 "--user", "hunter"]) == 2
    assert "needs a password" in capsys.readouterr().err
