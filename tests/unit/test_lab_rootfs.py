"""The lab's root cache: package lists per release as data, stale roots pruned safely."""

from __future__ import annotations

import os
import time
from pathlib import Path

from assessor.lab import rootfs


def test_every_release_has_its_own_package_lists() -> None:
    releases = rootfs.load_releases()
    assert set(releases) == {"bullseye", "bookworm", "trixie"}
    assert "rsh-server" not in releases["trixie"]["extra"]  # trixie dropped it
    assert "rsh-server" in releases["bookworm"]["extra"]
    assert all("systemd-sysv" in spec["base"] for spec in releases.values())
    assert rootfs.needs_unified_cgroup("trixie") and not rootfs.needs_unified_cgroup("bookworm")
    assert len({rootfs.recipe_key(r) for r in releases}) == 3


def made(path: Path, age: float) -> Path:
    path.mkdir()
    (path / ".complete").write_text("x\n")
    then = time.time() - age
    os.utime(path / ".complete", (then, then))
    return path


def test_only_old_unused_roots_of_the_same_release_are_pruned(tmp_path: Path) -> None:
    keep = made(tmp_path / "bookworm-new", 0)
    old = made(tmp_path / "bookworm-old", 10 * 24 * 3600)
    recent = made(tmp_path / "bookworm-recent", 60)
    other = made(tmp_path / "trixie-old", 10 * 24 * 3600)
    (tmp_path / "bookworm-x.building").mkdir()
    rootfs.prune_stale("bookworm", keep)
    assert not old.exists()
    assert keep.exists() and recent.exists() and other.exists()
    assert (tmp_path / "bookworm-x.building").exists()
