"""Content baseline of watched paths, kept on the host between watch cycles.

The cache maps each path to its stat key (dev, inode, size, mtime, ctime), its SHA-256 now
and the accepted SHA-256 (the baseline). Only files whose stat key moved are read again, so
a cycle over an unchanged /usr costs a walk of lstat calls. A file that differs from its
baseline stays reported until it is restored, unless dpkg vouches for it: its MD5 is the
one the owning package's md5sums (or conffiles) lists, which is what a package upgrade
leaves; then the new content becomes the baseline and the change is reported once, with
the package and its version.
"""

from __future__ import annotations

import fnmatch
import glob
import json
import os
from typing import Any

from ansible.module_utils.assessor_dpkg import STATUS_FILE, is_installed, stanzas
from ansible.module_utils.assessor_filehash import file_digests
from ansible.module_utils.assessor_tree import regular_files

DPKG_INFO = "/var/lib/dpkg/info"


def _excluded(path: str, patterns: list[str]) -> bool:
    return any(fnmatch.fnmatchcase(path, p) for p in patterns)


def walk_files(roots: list[str], exclude: list[str]) -> dict[str, list[int]]:
    """path -> stat key of every regular file under `roots`, links never followed."""
    found: dict[str, list[int]] = {}
    for root in roots:
        for path, info in regular_files(root, lambda _p, _i: True,
                                        lambda p: not _excluded(p, exclude)):
            found[path] = [info.st_dev, info.st_ino, info.st_size, info.st_mtime_ns,
                           info.st_ctime_ns]
    return found


def dpkg_vouchers(paths: set[str]) -> dict[str, tuple[str, str, str]]:
    """path -> (package, version, md5) for the given paths that an installed package ships."""
    if not paths:
        return {}
    versions: dict[str, str] = {}
    vouched: dict[str, tuple[str, str, str]] = {}
    with open(STATUS_FILE, encoding="utf-8", errors="replace") as handle:
        status = handle.read()
    for fields in stanzas(status):
        if not is_installed(fields.get("Status", "")):
            continue
        versions[fields["Package"]] = fields.get("Version", "")
        versions["%s:%s" % (fields["Package"], fields.get("Architecture", ""))] = versions[
            fields["Package"]]
    # conffiles are listed in the status file's continuation lines, which stanzas() drops
    package = ""
    for line in status.splitlines():
        if line.startswith("Package:"):
            package = line.split(":", 1)[1].strip()
        elif line.startswith(" /"):
            words = line.split()
            if len(words) >= 2 and words[0] in paths and len(words[1]) == 32:
                vouched[words[0]] = (package, versions.get(package, ""), words[1])
    for listing in glob.glob(os.path.join(DPKG_INFO, "*.md5sums")):
        owner = os.path.basename(listing)[:-len(".md5sums")]
        try:
            with open(listing, encoding="utf-8", errors="replace") as handle:
                for line in handle:
                    md5, _, name = line.rstrip("\n").partition("  ")
                    path = "/" + name
                    if path in paths:
                        vouched.setdefault(path, (owner.split(":")[0],
                                                  versions.get(owner, ""), md5))
        except OSError:
            continue
    return vouched


def load_cache(path: str) -> dict[str, Any]:
    try:
        with open(path, encoding="utf-8") as handle:
            data = json.load(handle)
        return data if isinstance(data, dict) and isinstance(data.get("files"), dict) else {}
    except (OSError, ValueError):
        return {}


def save_cache(path: str, data: dict[str, Any]) -> None:
    os.makedirs(os.path.dirname(path), mode=0o700, exist_ok=True)
    tmp = path + ".tmp"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        json.dump(data, handle)
    os.replace(tmp, path)


def integrity(roots: list[str], exclude: list[str], cache_path: str,
              max_size: int) -> dict[str, Any]:
    """Compare watched paths with their baseline; returns what differs and what dpkg vouched."""
    cache = load_cache(cache_path)
    first = not cache or cache.get("roots") != roots
    old: dict[str, Any] = {} if first else cache["files"]
    files = walk_files(roots, exclude)
    new: dict[str, Any] = {}
    stats = {"files": len(files), "hashed": 0, "too_big": 0}
    for path, key in files.items():
        entry = old.get(path)
        if entry and entry["key"] == key:
            new[path] = entry
            continue
        if key[2] > max_size:
            stats["too_big"] += 1
            sha, md5 = "size:%d" % key[2], ""
        else:
            try:
                sha, md5 = file_digests(path, ("sha256", "md5"))
            except OSError:
                continue
            stats["hashed"] += 1
        base = entry["base"] if entry else (sha if first else None)
        new[path] = {"key": key, "sha": sha, "md5": md5, "base": base}
    removed = {p: e for p, e in old.items() if p not in files and e.get("base")}
    differing = {p for p, e in new.items() if e["sha"] != e["base"]}
    vouchers = dpkg_vouchers(differing | set(removed))
    changed, added, vouched = [], [], []
    for path in sorted(differing):
        entry = new[path]
        voucher = vouchers.get(path)
        if voucher and voucher[2] == entry["md5"]:
            vouched.append({"path": path, "package": voucher[0], "version": voucher[1],
                            "was": entry["base"] or "", "now": entry["sha"]})
            entry["base"] = entry["sha"]
        elif entry["base"] is None:
            added.append({"path": path, "now": entry["sha"]})
        else:
            changed.append({"path": path, "was": entry["base"], "now": entry["sha"]})
    gone, deleted = [], []
    for path, entry in sorted(removed.items()):
        if path in vouchers:  # a package still ships it: it was deleted behind dpkg's back
            gone.append({"path": path, "was": entry["base"], "package": vouchers[path][0]})
            new[path] = dict(entry, key=None, sha="")
        else:  # nothing vouches for it any more: reported once, then forgotten
            deleted.append({"path": path, "was": entry["base"]})
    save_cache(cache_path, {"roots": roots, "files": new})
    return {"baseline": "new" if first else "kept", "changed": changed, "added": added,
            "removed": gone, "deleted": deleted, "vouched": vouched, "stats": stats}
