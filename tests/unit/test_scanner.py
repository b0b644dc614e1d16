"""The OpenSCAP scanner tree's pure parts: apt's private state, the closure, the tree's
versions; building it downloads, so the lab test (test_lab_oscap.py) covers that."""

from __future__ import annotations

from pathlib import Path

import pytest

from assessor.errors import ConfigError
from assessor.lab import debarchive, scanner


def test_private_state_reads_only_its_own_sources(tmp_path: Path) -> None:
    options = debarchive.private_state(tmp_path / "state", "trixie")
    assert (tmp_path / "state/sources.list").read_text() == (
        f"deb {debarchive.ARCHIVE} trixie main\n")
    pairs = dict(o.split("=", 1) for o in options if "=" in o)
    assert pairs["Dir::Etc::sourceparts"] == "-"  # never this machine's sources.list.d
    assert pairs["Dir::State::status"] == "/dev/null"  # nothing counts as installed
    assert pairs["Dir::Cache"] == str(tmp_path / "state")


def test_closure_is_every_package_apt_would_install(monkeypatch: pytest.MonkeyPatch) -> None:
    simulated = ("NOTE: This is only a simulation!\n"
                 "Inst libc6 (2.41-12 Debian:13.1/stable [amd64])\n"
                 "Inst openscap-scanner (1.4.2+dfsg-1 Debian:13.1/stable [amd64])\n"
                 "Conf libc6 (2.41-12 Debian:13.1/stable [amd64])\n")
    seen: list[tuple[str, ...]] = []

    def apt(*args: str, cwd: Path | None = None) -> str:
        seen.append(args)
        return simulated

    monkeypatch.setattr(debarchive, "_apt", apt)
    assert debarchive.closure(["-o", "x=y"], ["openscap-scanner"]) == [
        "libc6", "openscap-scanner"]
    assert "APT::Install-Recommends=0" in seen[0] and seen[0][-1] == "openscap-scanner"


def test_a_built_tree_is_used_as_it_is(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    tree = tmp_path / "tree"
    (tree / scanner.CONTENT_DIR).mkdir(parents=True)
    (tree / scanner.VERSIONS).write_text(
        "openscap-scanner=1.4.2+dfsg-1\nssg-base=0.1.82-1\nssg-debian=0.1.82-1\n")
    monkeypatch.setattr(debarchive, "download", lambda *a, **k: pytest.fail("downloaded"))
    assert scanner.ensure(tree) == tree
    assert scanner.versions(tree) == {"openscap-scanner": "1.4.2+dfsg-1",
                                      "ssg-base": "0.1.82-1", "ssg-debian": "0.1.82-1"}
    (tree / scanner.CONTENT_DIR / "ssg-debian12-ds.xml").write_text("<ds/>")
    assert scanner.content(tree, 12).name == "ssg-debian12-ds.xml"
    with pytest.raises(ConfigError, match="Debian 13"):
        scanner.content(tree, 13)


def test_a_tree_with_other_content_is_not_the_pinned_one(tmp_path: Path) -> None:
    tree = tmp_path / "tree"
    tree.mkdir()
    assert not scanner.pinned(tree)  # not built
    (tree / scanner.VERSIONS).write_text("ssg-base=0.1.83-1\nssg-debian=0.1.83-1\n")
    assert not scanner.pinned(tree)  # forky moved on: ensure() builds it again
    (tree / scanner.VERSIONS).write_text("".join(f"{n}={v}\n"
                                                 for n, v in scanner.CONTENT[1].items()))
    assert scanner.pinned(tree)


def test_kept_debs_of_the_pinned_versions_are_used_offline(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("ssg-debian_0.1.82-1_all.deb", "ssg-base_0.1.82-1_all.deb",
                 "ssg-debian_0.1.83-1_all.deb"):
        (tmp_path / name).write_bytes(b"")
    monkeypatch.setattr(debarchive, "_apt", lambda *a, **k: pytest.fail("reached the archive"))
    debs = debarchive.download_pinned(tmp_path, "forky",
                                      {"ssg-debian": "0.1.82-1", "ssg-base": "0.1.82-1"})
    assert [d.name for d in debs] == ["ssg-base_0.1.82-1_all.deb", "ssg-debian_0.1.82-1_all.deb"]


def test_a_pinned_version_the_archive_dropped_says_the_pin_must_move(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def apt(*args: str, cwd: Path | None = None) -> str:
        if "download" in args:
            raise ConfigError("E: Can't find a source to download version '0.1.82-1'")
        return ""

    monkeypatch.setattr(debarchive, "_apt", apt)
    with pytest.raises(ConfigError, match="pin the versions the suite has now"):
        debarchive.download_pinned(tmp_path, "forky", {"ssg-debian": "0.1.82-1"})


def test_deb_names_encode_an_epoch_as_apt_does() -> None:
    assert debarchive.deb_name("libfoo", "1:2.0-1", "amd64") == "libfoo_1%3a2.0-1_amd64.deb"
