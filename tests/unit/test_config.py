"""assessor.toml: found in order, flags win, errors name file and line, `config show`."""

from __future__ import annotations

from pathlib import Path

import pytest

from assessor import config
from assessor.cli import main, parse_arguments
from assessor.errors import ConfigError
from assessor.results import Severity

SETTINGS = """\
forks = 5
out = "prod-reports"
inventory = "inventories/prod.yml"

[assess]
fail-on = "high"
profile = "server-l2"

[exposure]
advisories = ["a.yaml", "b.json"]
no_update_cache = true
"""


@pytest.fixture
def here(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv(config.ENV, raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    (tmp_path / "assessor.toml").write_text(SETTINGS)
    return tmp_path


def test_values_become_defaults_and_flags_win(here: Path) -> None:
    args = parse_arguments(["assess"])  # -i is required, and the file gives it
    assert (args.forks, args.out, args.inventory) == (5, Path("prod-reports"),
                                                      Path("inventories/prod.yml"))
    assert (args.fail_on, args.profile) == (Severity.HIGH, "server-l2")
    args = parse_arguments(["assess", "--forks", "7", "--fail-on", "low", "-i", "x.yml"])
    assert (args.forks, args.fail_on, args.inventory) == (7, Severity.LOW, Path("x.yml"))
    assert parse_arguments(["harden"]).profile is None  # [assess] is assess's only


def test_lists_come_from_the_file_unless_the_flag_is_given(here: Path) -> None:
    args = parse_arguments(["exposure"])
    assert args.advisories == [Path("a.yaml"), Path("b.json")] and args.no_update_cache
    args = parse_arguments(["exposure", "--advisories", "c.yaml"])
    assert args.advisories == [Path("c.yaml")]


def test_intel_pull_keeps_its_own_out(here: Path) -> None:
    args = parse_arguments(["intel", "pull", "--taxii", "http://127.0.0.1:1/", "--collection",
                            "c"])
    assert args.out == Path("taxii-bundle.json")


def test_search_order(tmp_path: Path) -> None:
    (tmp_path / "cwd").mkdir()
    xdg = tmp_path / "xdg" / "assessor"
    xdg.mkdir(parents=True)
    (xdg / "assessor.toml").write_text("forks = 3\n")
    env = {"XDG_CONFIG_HOME": str(tmp_path / "xdg")}
    assert config.find(None, tmp_path / "cwd", env) == xdg / "assessor.toml"
    (tmp_path / "cwd" / "assessor.toml").write_text("forks = 4\n")
    assert config.find(None, tmp_path / "cwd", env) == tmp_path / "cwd" / "assessor.toml"
    explicit = tmp_path / "other.toml"
    explicit.write_text("")
    assert config.find(None, tmp_path / "cwd", env | {config.ENV: str(explicit)}) == explicit
    assert config.find(explicit, tmp_path / "cwd", env) == explicit
    with pytest.raises(ConfigError, match="settings file not found"):
        config.find(tmp_path / "nope.toml", tmp_path, env)
    assert config.find(None, tmp_path, {"HOME": str(tmp_path / "nohome")}) is None


@pytest.mark.parametrize(("text", "message"), [
    ("forks = 5\nforks2 = 1\n", "x.toml:2: no command has an option --forks2"),
    ("[assess]\n\nforks = 0\n", "x.toml:3 [assess]: --forks: must be at least 1"),
    ("[assess]\nfail_on = \"severe\"\n",
     "x.toml:2 [assess]: --fail-on: 'severe' is not one of info, low, medium, high, critical"),
    ("[asses]\nforks = 1\n", "x.toml:2: [asses] is not a command"),
    ("[lab]\nprofile = \"x\"\n", "x.toml:2 [lab]: lab has no option --profile"),
    ("check = \"yes\"\n", "x.toml:1: --check is a switch: give true or false"),
    ("forks = [1, 2]\n", "x.toml:1: --forks takes one value"),
    ("forks = \n", "x.toml:1:9: not valid TOML"),
])
def test_errors_name_the_file_and_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                       capsys: pytest.CaptureFixture[str], text: str,
                                       message: str) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "x.toml").write_text(text)
    assert main(["--config", "x.toml", "controls", "list"]) == 2
    assert f"assessor: {message}" in capsys.readouterr().err


def test_config_show_says_where_each_value_came_from(
    here: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["config", "show", "assess"]) == 0
    rows = {line.split("\t")[1]: line.split("\t") for line in
            capsys.readouterr().out.splitlines()[1:]}
    assert rows["--forks"][2:] == ["5", f"{here / 'assessor.toml'}:1"]
    assert rows["--fail-on"][2:] == ["high", f"{here / 'assessor.toml'}:6 [assess]"]
    assert rows["--waivers"][2:] == ["", "default"]
    assert main(["config", "show"]) == 0  # only what the file sets, for every command
    out = capsys.readouterr().out
    assert "doctor\t--forks\t5\t" in out and "default" not in out


def test_watch_keeps_its_own_config_option(here: Path) -> None:
    args = parse_arguments(["watch", "-i", "inv.yml", "--config", "watch.yml", "--once"])
    assert args.config == Path("watch.yml") and args.config_file is None
    assert args.out == Path("prod-reports")  # the top-level `out` applies to watch too


def test_a_home_this_user_may_not_enter_holds_no_settings(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`sudo -u nobody assessor ...` keeps HOME=/root: stat there is EACCES, not a crash."""
    real = Path.is_file

    def is_file(path: Path) -> bool:
        if "locked" in str(path):
            raise PermissionError(13, "Permission denied", str(path))
        return real(path)

    monkeypatch.setattr(Path, "is_file", is_file)
    assert config.find(None, cwd=tmp_path, env={"HOME": str(tmp_path / "locked")}) is None
