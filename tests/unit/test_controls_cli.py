"""`assessor controls list|show` prints the catalogue; unknown ids are a usage error."""

from __future__ import annotations

import pytest

from assessor.catalogue import load_catalogue
from assessor.cli import main


def test_list_profile_counts(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["controls", "list", "--profile", "workstation-l1"]) == 0
    out = capsys.readouterr().out
    expected = len(load_catalogue().profile("workstation-l1"))
    assert f"{expected} controls" in out


def test_show_prints_check_and_refs(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["controls", "show", "ssh.permit-root-login"]) == 0
    out = capsys.readouterr().out
    assert "kind: sshd_effective" in out and "cis_debian12" in out and "harden_ssh" in out


def test_show_unknown_is_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["controls", "show", "no.such"]) == 2
    assert "no control 'no.such'" in capsys.readouterr().err
