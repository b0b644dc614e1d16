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
    (tree / scanner.VERSIONS).write_text("openscap-scanner=1.4.2+dfsg-1\nssg-debian=0.1.82-1\n")
    monkeypatch.setattr(debarchive, "download", lambda *a, **k: pytest.fail("downloaded"))
    assert scanner.ensure(tree) == tree
    assert scanner.versions(tree) == {"openscap-scanner": "1.4.2+dfsg-1",
                                      "ssg-debian": "0.1.82-1"}
    (tree / scanner.CONTENT_DIR / "ssg-debian12-ds.xml").write_text("<ds/>")
    assert scanner.content(tree, 12).name == "ssg-debian12-ds.xml"
    with pytest.raises(ConfigError, match="Debian 13"):
        scanner.content(tree, 13)
