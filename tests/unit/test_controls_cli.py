"""`assessor controls list|show` prints the catalogue; unknown ids are a usage error."""

from __future__ import annotations

import pytest

from assessor.catalogue import load_catalogue
from assessor.cli import main


def test_list_profile_counts(capsys: pytest.CaptureFixture[str]) -> None:
    """Piped (not a terminal): one header line, then one tab-separated line per control."""
    assert main(["controls", "list", "--profile", "workstation-l1"]) == 0
    lines = capsys.readouterr().out.splitlines()
    expected = load_catalogue().profile("workstation-l1")
    assert lines[0].split("\t") == ["id", "severity", "cis", "title", "profiles"]
    assert [line.split("\t")[0] for line in lines[1:]] == [c.id for c in expected]
    assert all(line.count("\t") == 4 for line in lines)
    assert main(["controls", "list", "--profile", "workstation-l1", "--format", "table"]) == 0
    assert f"{len(expected)} controls" in capsys.readouterr().out


def test_show_prints_check_and_refs(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["controls", "show", "ssh.permit-root-login", "--format", "table"]) == 0
    out = capsys.readouterr().out
    assert "kind: sshd_effective" in out and "cis_debian12" in out and "harden_ssh" in out


def test_show_unknown_is_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["controls", "show", "no.such"]) == 2
    assert "no control 'no.such'" in capsys.readouterr().err
