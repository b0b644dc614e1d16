"""The collect module's system probes, run for real on temporary trees and this machine."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest

from assessor.checks import judge
from assessor.results import Status

ALL_FINDS = ["world_writable_files", "world_writable_dirs_no_sticky", "unowned_user",
             "unowned_group", "suid", "sgid"]


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    (tmp_path / "ok").write_text("x")
    (tmp_path / "ww").write_text("x")
    (tmp_path / "ww").chmod(0o666)
    (tmp_path / "drop").mkdir()
    (tmp_path / "drop").chmod(0o777)
    (tmp_path / "sticky").mkdir()
    (tmp_path / "sticky").chmod(0o1777)
    (tmp_path / "suid").write_text("x")
    (tmp_path / "suid").chmod(0o4755)
    (tmp_path / "sgid").write_text("x")
    (tmp_path / "sgid").chmod(0o2755)
    (tmp_path / "link").symlink_to("/etc/passwd")
    deep = tmp_path / "a" / "b"
    deep.mkdir(parents=True)
    (deep / "orphan").write_text("x")
    if os.geteuid() == 0:
        os.chown(deep / "orphan", 4242, 4243)
    return tmp_path


def found(result: dict[str, object], category: str) -> list[str]:
    return sorted(Path(p).name for p in result["found"][category]["paths"])  # type: ignore[index]


def test_walk_finds_every_category(snapshot_module: ModuleType, tree: Path) -> None:
    result = snapshot_module.probe_walk(ALL_FINDS, root=str(tree), mounts=[])
    assert result["complete"] is True, result["reason"]
    assert found(result, "world_writable_files") == ["ww"]
    assert found(result, "world_writable_dirs_no_sticky") == ["drop"]
    assert found(result, "suid") == ["suid"]
    assert found(result, "sgid") == ["sgid"]
    if os.geteuid() == 0:
        assert found(result, "unowned_user") == ["orphan"]
        assert found(result, "unowned_group") == ["orphan"]
    assert result["entries"] >= 9


def test_walk_only_collects_what_was_asked(snapshot_module: ModuleType, tree: Path) -> None:
    result = snapshot_module.probe_walk(["suid"], root=str(tree), mounts=[])
    assert set(result["found"]) == {"suid"}


def test_walk_cut_short_by_entry_cap_says_so(snapshot_module: ModuleType, tree: Path) -> None:
    result = snapshot_module.probe_walk(["suid", "max_entries=3"], root=str(tree), mounts=[])
    assert result["complete"] is False
    assert "entry cap of 3" in result["reason"]
    obs = judge("walk", {"walk": result, "errors": {}}, {"find": "suid"})
    assert obs.status is Status.ERROR
    assert "entry cap" in obs.reason


def test_walk_cut_short_by_time_budget(
    snapshot_module: ModuleType, tmp_path: Path
) -> None:
    for i in range(1100):
        (tmp_path / f"f{i}").write_text("")
    ticks: Iterator[float] = iter(range(0, 10**6, 100))
    result = snapshot_module.probe_walk(["suid", "max_seconds=5"], root=str(tmp_path),
                                        mounts=[], clock=lambda: float(next(ticks)))
    assert result["complete"] is False
    assert "time budget of 5.0s" in result["reason"]


def test_walk_skips_filesystems_that_are_not_local(
    snapshot_module: ModuleType, tree: Path
) -> None:
    """A directory on the device of a network or pseudo filesystem is not entered."""
    sub = tree / "a"
    (sub / "b" / "hidden").write_text("x")
    (sub / "b" / "hidden").chmod(0o4755)
    mounts = [{"source": "server:/export", "target": str(sub), "fstype": "nfs4",
               "options": ["rw"]}]
    result = snapshot_module.probe_walk(["suid"], root=str(tree), mounts=mounts)
    assert str(sub) in result["skipped_mounts"]
    assert found(result, "suid") == ["suid"]  # the top level is walked, a/ is not entered


def test_walk_request_takes_the_tightest_bounds(snapshot_module: ModuleType) -> None:
    wanted, seconds, entries = snapshot_module.walk_request(
        ["suid", "max_seconds=30", "max_seconds=10", "max_entries=5", "bogus"])
    assert (wanted, seconds, entries) == (["suid"], 10.0, 5)


def test_mount_fields_are_unescaped(snapshot_module: ModuleType) -> None:
    assert snapshot_module.unescape_mount("/mnt/my\\040disk\\134x") == "/mnt/my disk\\x"
    mounts = snapshot_module.probe_mounts(True)
    assert any(m["target"] == "/" for m in mounts)
    assert all(isinstance(m["options"], list) for m in mounts)


def test_conf_dirs_are_read_whole(snapshot_module: ModuleType, tmp_path: Path) -> None:
    etc, lib = tmp_path / "etc", tmp_path / "lib"
    etc.mkdir()
    lib.mkdir()
    (etc / "60-a.conf").write_text("a.b = 1\n")
    (etc / "README").write_text("not a conf file\n")
    (lib / "60-a.conf").write_text("a.b = 0\n")
    probe = snapshot_module.read_conf_dirs([str(etc), str(lib), str(tmp_path / "none")],
                                           extra=(str(tmp_path / "sysctl.conf"),))
    assert sorted(probe["files"]) == [str(etc / "60-a.conf"), str(lib / "60-a.conf")]
    assert probe["dirs"][0] == str(etc)


def test_nft_config_includes_are_inlined(snapshot_module: ModuleType, tmp_path: Path) -> None:
    part = tmp_path / "rules.d"
    part.mkdir()
    (part / "10-input.nft").write_text("chain input { type filter hook input priority 0; }\n")
    main = tmp_path / "nftables.conf"
    main.write_text(f'table inet filter {{\n  include "{part}/*.nft"\n}}\n')
    text = snapshot_module.inline_includes(str(main), 0)
    assert "hook input" in text
    assert "include \"" not in text


def test_modules_probe_reads_this_kernel(snapshot_module: ModuleType) -> None:
    probe = snapshot_module.probe_modules(["cramfs"])
    assert probe["loaded"] is None or isinstance(probe["loaded"], list)
    assert "ext4" in probe["filesystems"] or probe["filesystems"]
    assert "/etc/modprobe.d" in probe["dirs"]


def test_root_env_runs_a_login_shell(snapshot_module: ModuleType) -> None:
    if os.geteuid() != 0:
        pytest.skip("root's login environment is read as root")
    probe = snapshot_module.probe_root_env(True)
    assert probe["rc"] == 0, probe["stderr"]
    assert probe["path"] and "/usr/bin" in probe["path"].split(":")
    assert probe["dirs"]["/usr/bin"]["uid"] == 0
    assert len(probe["umask"]) == 4


def test_accounts_groups_homes_and_unshadowed(
    snapshot_module: ModuleType, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    files = {
        "/etc/passwd": (f"root:x:0:0::{tmp_path}:/bin/bash\n"
                        "old:$1$salt$hash:1001:1001::/nonexistent:/bin/sh\n"),
        "/etc/shadow": "root:*:1::::::\n",
        "/etc/group": "root:x:0:\nshadow:x:42:alice,bob\nbad line\n",
    }

    def read(path: str) -> tuple[str, bool]:
        return files[path], False

    monkeypatch.setattr(snapshot_module, "read_text_unbounded", read)
    accounts = snapshot_module.probe_accounts(True)
    assert accounts["unshadowed"] == ["old"]
    assert "$1$" not in repr(accounts)
    assert accounts["groups"][1] == {"name": "shadow", "gid": "42",
                                     "members": ["alice", "bob"], "line": 2}
    assert accounts["homes"][str(tmp_path)]["dir"] is True
    assert accounts["homes"]["/nonexistent"]["exists"] is False


def test_every_system_probe_in_one_module_run(snapshot_module: ModuleType) -> None:
    result = snapshot_module.snapshot({
        "mounts": True, "modules": ["cramfs"], "sysctl_files": True, "nft_config": True,
        "nft_ruleset": True, "accounts": True,
        "walk": ["suid", "max_entries=200"],
    })
    assert result["errors"] == {}
    for probe in ("mounts", "modules", "sysctl_files", "nft_config", "nft_ruleset", "walk"):
        assert probe in result


def test_conf_dirs_record_what_they_could_not_read(snapshot_module: ModuleType,
                                                   tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """No silent evidence loss: dangling, truncated and dropped files are all listed."""
    etc = tmp_path / "etc"
    etc.mkdir()
    (etc / "10-dangling.conf").symlink_to(tmp_path / "gone")
    (etc / "20-big.conf").write_text("x" * (snapshot_module.MAX_FILE_BYTES + 10))
    for n in range(3):
        (etc / f"3{n}-many.conf").write_text("a.b = 1\n")
    # the limit lives with read_conf_dirs (module_utils), wherever the module imports it from
    monkeypatch.setitem(snapshot_module.read_conf_dirs.__globals__, "MAX_CONF_FILES", 4)
    probe = snapshot_module.read_conf_dirs([str(etc)])
    problems = {p["path"]: p["problem"] for p in probe["problems"]}
    assert problems[str(etc / "10-dangling.conf")] == "unreadable: a dangling link"
    assert problems[str(etc / "20-big.conf")].startswith("truncated")
    assert problems[str(etc / "32-many.conf")] == "not read: over 4 files"
    assert str(etc / "31-many.conf") in probe["files"]


def test_sysctl_files_say_which_init_applies_them(snapshot_module: ModuleType) -> None:
    probe = snapshot_module.probe_sysctl_files(True)
    assert probe["init"] in ("systemd", "other")
    assert "problems" in probe


def test_dot_files_are_lstat_and_a_link_is_a_link(
    snapshot_module: ModuleType, tmp_path: Path
) -> None:
    """CIS 7.2.10's evidence: a link planted as .rhosts stays a link (never followed to
    the file it names), plain files keep their mode, non-dot names are left out."""
    module = snapshot_module
    (tmp_path / ".profile").write_text("x")
    (tmp_path / ".profile").chmod(0o664)
    (tmp_path / "notes").write_text("x")
    (tmp_path / ".rhosts").symlink_to("/etc/passwd")
    found = module.dot_files(str(tmp_path))["files"]
    assert [(f["name"], f["type"], f["mode"]) for f in found] == [
        (".profile", "file", "0664"), (".rhosts", "link", "0777")]
