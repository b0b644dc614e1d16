"""The walk probe: one bounded walk over the local filesystems for every category asked.

Moved verbatim from roles/collect/library/assessor_snapshot.py; runs on the host.
"""

from __future__ import annotations

import grp
import os
import pwd
import stat
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from ansible.module_utils.assessor_probe_mounts import read_mounts

# --- one bounded walk over the local filesystems ---------------------------------------------

WALK_CATEGORIES = (
    "world_writable_files", "world_writable_dirs_no_sticky", "unowned_user", "unowned_group",
    "suid", "sgid",
)
WALK_MAX_SECONDS = 120
WALK_MAX_ENTRIES = 2000000
WALK_MAX_LISTED = 1000
# Not local storage: kernel interfaces, memory-backed and network filesystems.
NOT_LOCAL = frozenset((
    "proc", "sysfs", "tmpfs", "devtmpfs", "devpts", "ramfs", "cgroup", "cgroup2", "securityfs",
    "debugfs", "tracefs", "pstore", "bpf", "mqueue", "hugetlbfs", "configfs", "fusectl",
    "autofs", "binfmt_misc", "efivarfs", "selinuxfs", "rpc_pipefs", "nfsd", "nsfs", "nfs",
    "nfs4", "cifs", "smb3", "smbfs", "ceph", "glusterfs", "9p", "afs", "sshfs", "lustre",
    "gpfs", "ocfs2", "davfs", "virtiofs", "squashfs", "iso9660", "udf",
))


def walk_request(items: Iterable[object]) -> tuple[list[str], float, int]:
    """Categories to collect and the bounds, from items like "suid" or "max_seconds=30"."""
    wanted: list[str] = []
    seconds: float = WALK_MAX_SECONDS
    entries = WALK_MAX_ENTRIES
    for item in items:
        key, sep, value = str(item).partition("=")
        if sep and key == "max_seconds":
            seconds = min(seconds, float(value))
        elif sep and key == "max_entries":
            entries = min(entries, int(value))
        elif key in WALK_CATEGORIES:
            wanted.append(key)
    return wanted, seconds, entries


def excluded_devices(mounts: Iterable[Mapping[str, Any]]) -> tuple[set[int], list[str]]:
    skipped: list[str] = []
    devices: set[int] = set()
    for mount in mounts:
        if mount["fstype"] in NOT_LOCAL or mount["fstype"].startswith("fuse"):
            try:
                devices.add(os.stat(mount["target"]).st_dev)
                skipped.append(mount["target"])
            except OSError:
                continue
    return devices, skipped


def shown(path: str) -> str:
    return path.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")


def classify(
    path: str, st: os.stat_result, wanted: list[str], users: set[int], groups: set[int],
    found: dict[str, dict[str, Any]],
) -> None:
    mode = st.st_mode
    regular = stat.S_ISREG(mode)
    hits = []
    if regular and mode & stat.S_IWOTH and "world_writable_files" in wanted:
        hits.append("world_writable_files")
    if stat.S_ISDIR(mode) and mode & stat.S_IWOTH and not mode & stat.S_ISVTX:
        hits.append("world_writable_dirs_no_sticky")
    if st.st_uid not in users:
        hits.append("unowned_user")
    if st.st_gid not in groups:
        hits.append("unowned_group")
    if regular and mode & stat.S_ISUID:
        hits.append("suid")
    if regular and mode & stat.S_ISGID:
        hits.append("sgid")
    for category in hits:
        if category in found:
            found[category]["count"] += 1
            if len(found[category]["paths"]) < WALK_MAX_LISTED:
                found[category]["paths"].append(shown(path))


def probe_walk(
    items: Iterable[object], root: str = "/",
    mounts: Iterable[Mapping[str, Any]] | None = None,
    clock: Callable[[], float] | None = None,
) -> dict[str, Any]:
    """One walk of the local filesystems for every category asked; bounded in time and size.

    When a bound is hit the result says so (complete false, with the reason): a partial
    walk must never read as a clean one.
    """
    clock = clock or __import__("time").monotonic
    wanted, max_seconds, max_entries = walk_request(items)
    devices, skipped = excluded_devices(read_mounts() if mounts is None else mounts)
    users = set(u.pw_uid for u in pwd.getpwall())
    groups = set(g.gr_gid for g in grp.getgrall())
    found: dict[str, dict[str, Any]] = dict((c, {"count": 0, "paths": []}) for c in wanted)
    started = clock()
    entries, errors, stack = 0, 0, [root]
    reason = ""
    while stack and not reason:
        directory = stack.pop()
        try:
            iterator = os.scandir(directory)
        except OSError:
            errors += 1
            continue
        with iterator:
            for entry in iterator:
                entries += 1
                if entries % 1000 == 0 and clock() - started > max_seconds:
                    reason = "time budget of %ss used up" % max_seconds
                if entries >= max_entries:
                    reason = "entry cap of %d reached" % max_entries
                if reason:
                    break
                try:
                    st = entry.stat(follow_symlinks=False)
                except OSError:
                    errors += 1
                    continue
                if stat.S_ISLNK(st.st_mode):
                    continue
                if stat.S_ISDIR(st.st_mode):
                    if st.st_dev in devices:
                        continue
                    stack.append(entry.path)
                classify(entry.path, st, wanted, users, groups, found)
    return {
        "complete": not reason,
        "reason": reason and "walk stopped early: %s after %d entries" % (reason, entries),
        "entries": entries,
        "unreadable": errors,
        "seconds": round(clock() - started, 2),
        "skipped_mounts": skipped[:200],
        "found": found,
    }
