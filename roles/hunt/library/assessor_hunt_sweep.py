#!/usr/bin/python3
"""Ansible module: sweep bounded paths for files matching the assessor's indicators.

One run per host: walk the given paths (local filesystems only, no symlinks followed,
a size cap, a time budget), hash each regular file (SHA-256, SHA-1, MD5) and return only
the files whose hash, name or path is an indicator. A cache of (dev, inode, size, mtime,
ctime) -> hashes under /var/lib/assessor makes a re-sweep of unchanged files cheap; a
changed ctime always means hashing again. Standard library only, Python 3.9-compatible;
it reads files and writes nothing but its own cache.
"""

from __future__ import annotations

DOCUMENTATION = r"""
module: assessor_hunt_sweep
short_description: Hash bounded paths and report indicator matches (read-only but for its cache)
description:
- Walk bounded paths (local filesystems only, no symlinks followed, a size cap, a time
  budget), hash each regular file and return only the files an indicator names.
options:
  paths:
    description: Directories to walk.
    type: list
    elements: str
    required: true
  hashes:
    description: Hash indicators (SHA-256, SHA-1 or MD5, lowercase hex).
    type: list
    elements: str
    default: []
  names:
    description: File name indicators.
    type: list
    elements: str
    default: []
  full_paths:
    description: Absolute path indicators.
    type: list
    elements: str
    default: []
  max_size:
    description: Files larger than this many bytes are counted, not hashed.
    type: int
    default: 67108864
  time_budget:
    description: Seconds the walk may take; past it the sweep says it was cut short.
    type: int
    default: 600
  cache:
    description: The hash cache, keyed by device and inode, trusted only while size,
      mtime and ctime are unchanged.
    type: str
    default: /var/lib/assessor/hunt-cache.json
"""

RETURN = r"""
sweep:
  description: The files whose hash, name or path matched (path, hashes, size, mode, owner,
    mtime), how many files were seen, hashed, taken from the cache or skipped by size, the
    mount points skipped, the seconds taken, and whether the time budget cut the walk short.
  returned: always
  type: dict
"""

import json
import os
import pwd
import stat
import time

from ansible.module_utils.assessor_filehash import file_digests
from ansible.module_utils.assessor_module_run import exit_timed
from ansible.module_utils.basic import AnsibleModule

# Filesystems that are not on this host's disks: never walked (NFS, CIFS, FUSE...).
REMOTE = {"nfs", "nfs4", "cifs", "smb3", "smbfs", "sshfs", "fuse.sshfs", "9p", "ceph",
          "glusterfs", "fuse.glusterfs", "afs", "davfs", "fuse", "proc", "sysfs",
          "devpts", "cgroup", "cgroup2", "autofs", "debugfs", "tracefs", "securityfs"}


def skipped_mounts():
    """Mount points whose filesystem is remote or virtual."""
    skipped = set()
    try:
        with open("/proc/self/mounts", encoding="utf-8", errors="replace") as handle:
            for line in handle:
                parts = line.split()
                if len(parts) >= 3 and parts[2] in REMOTE:
                    skipped.add(parts[1].replace("\\040", " "))
    except OSError:
        pass
    return skipped


def load_cache(path):
    try:
        with open(path, encoding="utf-8") as handle:
            data = json.load(handle)
        return data if isinstance(data, dict) else {}
    except (OSError, ValueError):
        return {}


def save_cache(path, cache):
    directory = os.path.dirname(path)
    os.makedirs(directory, mode=0o700, exist_ok=True)
    tmp = path + ".tmp"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        json.dump(cache, handle)
    os.replace(tmp, path)


def owner(uid):
    try:
        return pwd.getpwuid(uid).pw_name
    except KeyError:
        return str(uid)


def walk(roots, skip):
    """Every regular file under `roots`, never following links or entering `skip`."""
    seen = set()
    for root in roots:
        stack = [root]
        while stack:
            current = stack.pop()
            try:
                info = os.lstat(current)
            except OSError:
                continue
            if stat.S_ISDIR(info.st_mode):
                if current in skip or (info.st_dev, info.st_ino) in seen:
                    continue
                seen.add((info.st_dev, info.st_ino))
                try:
                    names = sorted(os.listdir(current), reverse=True)
                except OSError:
                    continue
                stack.extend(os.path.join(current, n) for n in names)
            elif stat.S_ISREG(info.st_mode):
                yield current, info


def sweep(params, clock=time.monotonic):
    wanted = set(h.lower() for h in params["hashes"])
    names = set(params["names"])
    full_paths = set(params["full_paths"])
    old = load_cache(params["cache"])
    new = {}
    hits, stats = [], {"files": 0, "hashed": 0, "cached": 0, "bytes": 0, "too_big": 0}
    deadline = clock() + params["time_budget"]
    cut_short = ""
    for path, info in walk(params["paths"], skipped_mounts()):
        if clock() > deadline:
            cut_short = "time budget of %ss spent before the sweep ended" % params["time_budget"]
            break
        stats["files"] += 1
        if info.st_size > params["max_size"]:
            stats["too_big"] += 1
            continue
        key = "%d:%d" % (info.st_dev, info.st_ino)
        sig = [info.st_size, info.st_mtime_ns, info.st_ctime_ns]
        entry = old.get(key)
        if entry and entry[:3] == sig:
            digests = entry[3:]
            stats["cached"] += 1
        else:
            try:
                digests = file_digests(path, ("sha256", "sha1", "md5"))
            except OSError:
                continue
            stats["hashed"] += 1
            stats["bytes"] += info.st_size
        new[key] = sig + list(digests)
        matched = [d for d in digests if d in wanted]
        base = os.path.basename(path)
        if matched or base in names or path in full_paths:
            hits.append({
                "path": path, "sha256": digests[0], "sha1": digests[1], "md5": digests[2],
                "size": info.st_size, "mode": "%04o" % stat.S_IMODE(info.st_mode),
                "owner": owner(info.st_uid), "uid": info.st_uid,
                "mtime": int(info.st_mtime), "ctime": int(info.st_ctime),
                "matched": {"hash": matched, "name": base in names, "path": path in full_paths},
            })
    cache_error = ""
    try:
        save_cache(params["cache"], new if not cut_short else dict(old, **new))
    except OSError as exc:
        cache_error = str(exc)
    return {"hits": hits, "stats": stats, "cut_short": cut_short, "cache_error": cache_error,
            "paths": params["paths"]}


def main():
    module = AnsibleModule(
        argument_spec={
            "paths": {"type": "list", "elements": "str", "required": True},
            "hashes": {"type": "list", "elements": "str", "default": []},
            "names": {"type": "list", "elements": "str", "default": []},
            "full_paths": {"type": "list", "elements": "str", "default": []},
            "max_size": {"type": "int", "default": 67108864},  # 64 MiB
            "time_budget": {"type": "int", "default": 600},
            "cache": {"type": "str", "default": "/var/lib/assessor/hunt-cache.json"},
        },
        supports_check_mode=True,
    )
    exit_timed(module, "sweep", sweep)


if __name__ == "__main__":
    main()
