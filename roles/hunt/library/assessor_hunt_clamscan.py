#!/usr/bin/python3
"""Ansible module: clamscan the hunt's paths with the run's signature database.

The assessor ships its signature files (built from the indicators and verified on the
controller) as a parameter; they are written to one root-only temporary directory, used
with `clamscan --database` (plus the host's official database when it has one) over the
same bounded paths the sweep walks, and removed afterwards. Never follows symlinks. Exit 2
of clamscan, a timeout or a database that does not load is reported as such: the assessor
turns it into an `error` finding. Standard library only, Python 3.9-compatible.
"""

from __future__ import annotations

DOCUMENTATION = r"""
module: assessor_hunt_clamscan
short_description: Scan bounded paths with clamscan and the run's own signature database
description:
- Write the shipped signature files into a temporary root-only directory, run clamscan
  over the given paths with them (and the host's official database if present), return
  every detection with its hash and metadata, the engine and database versions, and
  remove the directory. Reports clamscan as missing instead of failing.
options:
  databases:
    description: Signature files to use, file name to base64 of its bytes (.hsb, .hdb, .ndb,
      .ldb, .yar); base64 so that Ansible never templates a rule's text.
    type: dict
    required: true
  database_version:
    description: The version the assessor gave its database, recorded with the results.
    type: str
    default: ""
  paths:
    description: Directories to scan (those that do not exist or are symlinks are skipped).
    type: list
    elements: str
    required: true
  max_size:
    description: Files larger than this many bytes are not scanned (clamscan --max-filesize).
    type: int
    default: 67108864
  time_budget:
    description: Seconds clamscan may run; past it the scan is stopped and reported cut short.
    type: int
    default: 600
  official_db:
    description: The host's official database directory, used when it holds a database.
    type: str
    default: /var/lib/clamav
  work_dir:
    description: Root-only directory under which the temporary database directory is made.
    type: str
    default: /var/lib/assessor
"""

RETURN = r"""
clamscan:
  description: installed (bool), rc (clamscan's exit), hits (path, detections, sha256, size,
    mode, owner, mtime), scanned (files), engine, databases (the run's and the official
    database's versions), errors (clamscan's error lines), cut_short, command, seconds.
  returned: always
  type: dict
"""

import base64
import os
import pwd
import re
import shutil
import stat
import subprocess
import tempfile
import time
from typing import Any

from ansible.module_utils.assessor_filehash import file_digests
from ansible.module_utils.assessor_localfs import remote_mounts
from ansible.module_utils.assessor_names import name_of
from ansible.module_utils.basic import AnsibleModule

OFFICIAL_SUFFIXES = (".cvd", ".cld", ".cud")
_SAFE_NAME = re.compile(r"^[A-Za-z0-9._-]+$")
_SUMMARY = re.compile(r"^(Known viruses|Scanned files): (.*)$")


def write_databases(directory: str, databases: dict[str, str]) -> None:
    for name, encoded in databases.items():
        if not _SAFE_NAME.match(name) or name.startswith("."):
            raise ValueError("unsafe database file name %r" % name)
        fd = os.open(os.path.join(directory, name),
                     os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(base64.b64decode(encoded))


def versions(binary: str, directory: str) -> tuple[str, str]:
    """(engine, official database version or "") from `clamscan --version`."""
    try:
        out = subprocess.run([binary, "--version"], capture_output=True, text=True,
                             timeout=60, check=False).stdout.strip()
    except (OSError, subprocess.TimeoutExpired):
        out = ""
    engine, _, official = out.replace("ClamAV ", "", 1).partition("/")
    try:
        present = any(n.endswith(OFFICIAL_SUFFIXES) for n in os.listdir(directory))
    except OSError:
        present = False
    return engine, (official or "present (version unreadable)") if present else ""


def parse_found(line: str) -> tuple[str | None, str | None]:
    """`path: Name FOUND` -> (path, name); the path itself may hold ': '."""
    body = line[: -len(" FOUND")]
    cut = body.rfind(": ")
    return (body[:cut], body[cut + 2:]) if cut > 0 else (None, None)


def describe(path: str, names: list[str]) -> dict[str, Any]:
    hit: dict[str, Any] = {"path": path, "detections": names}
    try:
        info = os.lstat(path)
        if stat.S_ISREG(info.st_mode):
            hit.update(sha256=file_digests(path)[0], size=info.st_size,
                       mode="%04o" % stat.S_IMODE(info.st_mode),
                       owner=name_of(pwd.getpwuid, info.st_uid), uid=info.st_uid,
                       mtime=int(info.st_mtime))
    except OSError as exc:
        hit["error"] = str(exc)
    return hit


def existing_dirs(paths: list[str]) -> list[str]:
    keep = []
    for path in paths:
        try:
            if stat.S_ISDIR(os.lstat(path).st_mode):
                keep.append(path)
        except OSError:
            continue
    return keep


def scan(params: dict[str, Any]) -> dict[str, Any]:
    result: dict[str, Any] = {
        "installed": False, "rc": None, "hits": [], "scanned": 0, "engine": "",
        "databases": [], "errors": [], "cut_short": "", "command": [],
    }
    binary = shutil.which("clamscan")
    if binary is None:
        return result
    result["installed"] = True
    os.makedirs(params["work_dir"], mode=0o700, exist_ok=True)
    tmp = tempfile.mkdtemp(prefix="clamdb-", dir=params["work_dir"])
    try:
        write_databases(tmp, params["databases"])
        command = [binary, "--database=" + tmp, "-r", "--infected",
                   "--follow-dir-symlinks=0", "--follow-file-symlinks=0",
                   "--max-filesize=%d" % params["max_size"],
                   "--max-scansize=%d" % params["max_size"]]
        result["databases"].append(params["database_version"] or "assessor (shipped)")
        result["engine"], official = versions(binary, params["official_db"])
        if official:
            command.append("--database=" + params["official_db"])
            result["databases"].append("official " + official)
        # Local filesystems only, as the sweep: no network share, no /proc below a path.
        command.extend("--exclude-dir=^%s(/|$)" % re.escape(m) for m in remote_mounts()
                       if any(m == p or m.startswith(p.rstrip("/") + "/")
                              for p in params["paths"]))
        dirs = existing_dirs(params["paths"])
        if not dirs:  # clamscan with no path would scan its working directory
            result["rc"] = 0
            return result
        command.extend(dirs)
        result["command"] = command
        try:
            proc = subprocess.run(command, capture_output=True, text=True, errors="replace",
                                  timeout=params["time_budget"], check=False)
        except subprocess.TimeoutExpired:
            result["cut_short"] = "clamscan ran past the time budget of %ss" % params["time_budget"]
            return result
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    result["rc"] = proc.returncode
    found: dict[str, list[str]] = {}
    for line in proc.stdout.splitlines():
        summary = _SUMMARY.match(line)
        if summary:
            if summary.group(1) == "Scanned files":
                result["scanned"] = int(summary.group(2).strip() or 0)
            continue
        if line.endswith(" FOUND"):
            path, name = parse_found(line)
            if path and name:
                found.setdefault(path, []).append(name)
    result["hits"] = [describe(p, n) for p, n in sorted(found.items())]
    result["errors"] = [line for line in proc.stderr.splitlines()
                        if line.strip() and "Can't access file" not in line][:200]
    return result


def main() -> None:
    module = AnsibleModule(
        argument_spec={
            "databases": {"type": "dict", "required": True},
            "database_version": {"type": "str", "default": ""},
            "paths": {"type": "list", "elements": "str", "required": True},
            "max_size": {"type": "int", "default": 67108864},
            "time_budget": {"type": "int", "default": 600},
            "official_db": {"type": "str", "default": "/var/lib/clamav"},
            "work_dir": {"type": "str", "default": "/var/lib/assessor"},
        },
        supports_check_mode=True,
    )
    started = time.monotonic()
    try:
        result = scan(module.params)
    except (OSError, ValueError, subprocess.SubprocessError) as exc:
        # Never a failed task: the sweep's result stays, and this is an `error` finding.
        result = {"installed": True, "rc": None, "hits": [], "scanned": 0, "engine": "",
                  "databases": [], "errors": ["clamscan could not run: %s" % exc],
                  "cut_short": "", "command": []}
    result["seconds"] = round(time.monotonic() - started, 3)
    module.exit_json(changed=False, clamscan=result)


if __name__ == "__main__":
    main()
