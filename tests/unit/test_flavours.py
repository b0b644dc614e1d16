"""Lab flavours as data: editing login.defs, staying inside a host's root, naming flavours."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from assessor.checks import parse_login_defs
from assessor.errors import ConfigError
from assessor.lab.flavours import (
    DEFAULT_FLAVOURS,
    apply_steps,
    inside,
    load_flavours,
    parse_flavours,
    set_key,
)

LOGIN_DEFS = """\
# PASS_MAX_DAYS   Maximum number of days a password may be used.
#PASS_MAX_DAYS 30
PASS_MAX_DAYS\t99999
PASS_MIN_DAYS\t0
PASS_MAX_DAYS_EXTRA 5
"""


def test_set_key_replaces_the_live_line_not_a_comment() -> None:
    text = set_key(LOGIN_DEFS, "PASS_MAX_DAYS", "365")
    lines = text.splitlines()
    assert "#PASS_MAX_DAYS 30" in lines
    assert "# PASS_MAX_DAYS   Maximum number of days a password may be used." in lines
    assert "PASS_MAX_DAYS\t365" in lines
    assert "PASS_MAX_DAYS\t99999" not in lines
    assert "PASS_MAX_DAYS_EXTRA 5" in lines
    assert len(lines) == len(LOGIN_DEFS.splitlines())
    assert parse_login_defs(text)["PASS_MAX_DAYS"] == "365"


def test_set_key_with_indented_live_line() -> None:
    text = set_key("  PASS_MIN_DAYS   0\n", "PASS_MIN_DAYS", "1")
    assert text == "PASS_MIN_DAYS\t1\n"


def test_set_key_appends_when_absent() -> None:
    text = set_key(LOGIN_DEFS, "ENCRYPT_METHOD", "YESCRYPT")
    assert text == LOGIN_DEFS + "ENCRYPT_METHOD\tYESCRYPT\n"
    assert set_key("UMASK 022", "PASS_WARN_AGE", "7") == "UMASK 022\nPASS_WARN_AGE\t7\n"


def test_set_key_appends_when_only_commented() -> None:
    text = set_key("#ENCRYPT_METHOD DES\n", "ENCRYPT_METHOD", "SHA512")
    assert text == "#ENCRYPT_METHOD DES\nENCRYPT_METHOD\tSHA512\n"
    assert parse_login_defs(text) == {"ENCRYPT_METHOD": "SHA512"}


def test_inside_resolves_under_the_root(tmp_path: Path) -> None:
    assert inside(tmp_path, "/etc/login.defs") == (tmp_path / "etc" / "login.defs").resolve()
    assert inside(tmp_path, "etc/ssh/../ssh/sshd_config") == (
        tmp_path / "etc" / "ssh" / "sshd_config"
    ).resolve()


@pytest.mark.parametrize("path", ["/../../etc/passwd", "../outside", "/etc/../../x"])
def test_inside_refuses_paths_leaving_the_root(tmp_path: Path, path: str) -> None:
    root = tmp_path / "root"
    root.mkdir()
    with pytest.raises(ConfigError, match="leaves the host's root"):
        inside(root, path)


def test_inside_refuses_a_symlink_out_of_the_root(tmp_path: Path) -> None:
    root = tmp_path / "root"
    (root / "etc").mkdir(parents=True)
    (root / "etc" / "evil").symlink_to(tmp_path / "elsewhere")
    with pytest.raises(ConfigError):
        inside(root, "/etc/evil/file")


def test_parse_flavours() -> None:
    known = load_flavours()
    assert set(DEFAULT_FLAVOURS) <= set(known)
    assert "insecure" in known
    assert parse_flavours(None, known) == list(DEFAULT_FLAVOURS)
    assert parse_flavours(" hardened , insecure,", known) == ["hardened", "insecure"]


@pytest.mark.parametrize("spec", ["hardend", "weak,bogus", ",", " "])
def test_parse_flavours_rejects_unknown_names(spec: str) -> None:
    with pytest.raises(ConfigError) as caught:
        parse_flavours(spec, load_flavours())
    assert caught.value.exit_code == 2
    assert "known: " in caught.value.message


def test_apply_steps_edits_files_in_the_root(tmp_path: Path) -> None:
    (tmp_path / "etc").mkdir()
    (tmp_path / "etc" / "login.defs").write_text(LOGIN_DEFS)
    (tmp_path / "etc" / "shadow").write_text("")
    apply_steps(tmp_path, [
        {"write": {"path": "/etc/ssh/sshd_config.d/50.conf", "content": "PermitRootLogin no\n"}},
        {"chmod": {"path": "/etc/shadow", "mode": "0640"}},
        {"set": {"path": "/etc/login.defs", "key": "PASS_MAX_DAYS", "value": "365"}},
    ])
    assert (tmp_path / "etc/ssh/sshd_config.d/50.conf").read_text() == "PermitRootLogin no\n"
    assert (tmp_path / "etc/shadow").stat().st_mode & 0o7777 == 0o640
    assert parse_login_defs((tmp_path / "etc/login.defs").read_text())["PASS_MAX_DAYS"] == "365"


def test_apply_steps_rejects_unknown_steps_and_escapes(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="not understood"):
        apply_steps(tmp_path, [{"delete": {"path": "/etc"}}])
    with pytest.raises(ConfigError, match="leaves"):
        apply_steps(tmp_path, [{"write": {"path": "/../../evil", "content": "x"}}])
    assert not (tmp_path.parent.parent / "evil").exists()


def test_stand_in_packages_script_builds_every_named_package(tmp_path: Path) -> None:
    """The script the step runs chrooted, run here on a fake dpkg: one control file each."""
    from assessor.lab.flavours import STAND_IN

    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for tool in ("dpkg-deb", "dpkg"):
        (bin_dir / tool).write_text(f"#!/bin/sh\necho {tool} \"$@\" >> {tmp_path}/calls\n")
        (bin_dir / tool).chmod(0o755)
    script = tmp_path / "stand-in.sh"
    script.write_text(STAND_IN.replace('rm -rf "$work"', f'cp -r "$work" {tmp_path}/work'))
    env = {"PATH": f"{bin_dir}:/usr/bin:/bin", "TMPDIR": str(tmp_path)}
    subprocess.run(["sh", str(script), "aide", "chrony"], check=True, env=env)
    control = (tmp_path / "work/aide/DEBIAN/control").read_text()
    assert control.startswith("Package: aide\nVersion: 99:0.0-lab\n")
    assert "Description: lab stand-in for aide\n dpkg records" in control
    assert (tmp_path / "work/chrony/DEBIAN/control").is_file()
    assert "dpkg -i" in (tmp_path / "calls").read_text()


def test_every_flavour_step_is_understood() -> None:
    for name, flavour in load_flavours().items():
        assert flavour["description"], name
        for step in flavour["steps"]:
            assert len(step) == 1 and next(iter(step)) in (
                "write", "chmod", "set", "run", "stand_in_packages"), step


# Known bugs in assessor/lab/flavours.py, left to its owner (outside this change's files).
# strict=True: once fixed, these start passing and the marker must go.


def test_set_key_value_with_backslash_is_literal() -> None:
    assert set_key("MAIL_DIR /var/mail\n", "MAIL_DIR", r"/srv/\1mail") == "MAIL_DIR\t/srv/\\1mail\n"


def test_set_key_with_repeated_key_sets_the_effective_value() -> None:
    text = set_key("PASS_MAX_DAYS 1\nPASS_MAX_DAYS 99999\n", "PASS_MAX_DAYS", "365")
    assert parse_login_defs(text)["PASS_MAX_DAYS"] == "365"


def test_watched_extends_hardened_and_builds_clamds_database_into_its_root() -> None:
    from assessor.lab.rootfs import RootExtras

    known = load_flavours()
    watched, hardened = known["watched"], known["hardened"]
    assert watched["steps"][:len(hardened["steps"])] == hardened["steps"]
    assert len(watched["steps"]) > len(hardened["steps"])
    extras = RootExtras.of(watched)
    assert extras.packages == ("clamav-daemon", "clamav-testfiles")
    assert len(extras.build) == 1 and "sigtool --build" in extras.build[0]
    # the build scripts are part of the variant's key; a flavour without any keeps its key
    assert extras.key() != RootExtras(extras.packages).key()
    assert RootExtras.of(known["execnode"]).build == ()


def test_extends_is_one_level_of_a_known_flavour() -> None:
    from assessor.lab import flavours

    merged = {
        "base": {"description": "b", "steps": [{"run": ["true"]}], "packages": ["a"],
                 "python": {}, "build": ["echo b"], "extends": ""},
        "child": {"description": "c", "steps": [{"run": ["false"]}], "packages": ["z"],
                  "python": {}, "build": [], "extends": "base"},
        "grandchild": {"description": "g", "steps": [], "packages": [], "python": {},
                       "build": [], "extends": "child"},
    }
    child = flavours.inherited("child", merged)
    assert child["steps"] == [{"run": ["true"]}, {"run": ["false"]}]
    assert child["packages"] == ["a", "z"] and child["build"] == ["echo b"]
    with pytest.raises(ConfigError, match="one level"):
        flavours.inherited("grandchild", merged)
    merged["child"]["extends"] = "nowhere"
    with pytest.raises(ConfigError, match="nowhere"):
        flavours.inherited("child", merged)
