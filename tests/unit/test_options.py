"""Shared options: --forks, --serial and --max-fail-percentage are refused with exit 2."""

from __future__ import annotations

import pytest

from assessor.cli import main


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["assess", "-i", "x", "--forks", "0"], "argument --forks: must be at least 1"),
        (["rollback", "x", "--forks", "-3"], "argument --forks: must be at least 1"),
        (["harden", "-i", "x", "--serial", "0"], "argument --serial: '0'"),
        (["harden", "-i", "x", "--serial", "101%"], "argument --serial: '101%'"),
        (["patch", "-i", "x", "--advisories", "y", "--serial", "5x"], "argument --serial"),
        (["patch", "-i", "x", "--advisories", "y", "--max-fail-percentage", "101"],
         "argument --max-fail-percentage: must be between 0 and 100"),
    ],
)
def test_bad_shared_options_exit_2(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as caught:
        main(argv)
    assert caught.value.code == 2
    assert message in capsys.readouterr().err


def test_good_wave_values_parse() -> None:
    from assessor.commands.options import percentage, wave_size

    assert wave_size("5") == "5" and wave_size("25%") == "25%" and wave_size("100%") == "100%"
    assert percentage("0") == 0 and percentage("100") == 100
