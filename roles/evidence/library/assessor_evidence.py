#!/usr/bin/python3
"""Ansible module: collect one tier of evidence artifacts and stream them back in the result.

Every byte is hashed (SHA-256) while it is read, so the controller can prove what it
received is what the host gave. Nothing is written on the host except one temporary
directory (the commands' working directory), removed before the module returns. Each
artifact is bounded in bytes and seconds; what was cut short says so. Standard library
only, Python 3.9-compatible: it runs on the managed host's own Python.
"""

from __future__ import annotations

DOCUMENTATION = r"""
module: assessor_evidence
short_description: Collect evidence artifacts (read-only) and return them hashed
description:
- One tier of artifacts, in order of volatility, read without changing the host (one
  temporary directory, removed before the module returns), each bounded in bytes and
  seconds, and returned over the Ansible connection hashed while read.
options:
  tier:
    description: Name of the tier being collected (volatile, system, logs, files).
    type: str
    required: true
  artifacts:
    description: Artifact definitions (id, collector, paths, argv, size_cap, timeout).
    type: list
    elements: dict
    required: true
  budget:
    description: Bytes this tier may return in total.
    type: int
    default: 33554432
  deadline:
    description: Seconds this tier may take in total.
    type: int
    default: 300
"""

RETURN = r"""
evidence:
  description: The tier's artifacts (each with its command, exit code, stderr, and what was
    cut short), the collected files base64-encoded with their SHA-256 taken while read, the
    temporary directory used and whether it was removed, and the bytes of budget left.
  returned: always
  type: dict
"""

import base64
import glob
import hashlib
import os
import pwd
import shutil
import stat
import subprocess
import tempfile
import time

from ansible.module_utils.basic import AnsibleModule

CHUNK = 65536
BODYFILE_MAX_ENTRIES = 200000


class Budget:
    """Bytes and seconds left for this tier."""

    def __init__(self, size, deadline):
        self.left = size
        self.until = time.monotonic() + deadline

    def seconds(self, wanted):
        return max(0.0, min(float(wanted), self.until - time.monotonic()))

    def expired(self):
        return time.monotonic() >= self.until


def blob(name, data, source, truncated):
    return {
        "name": name, "source": source, "size": len(data), "truncated": truncated,
        "sha256": hashlib.sha256(data).hexdigest(),
        "content": base64.b64encode(data).decode("ascii"),
    }


def read_capped(path, cap):
    """Read at most `cap` bytes of a regular file without following a final symlink."""
    fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | getattr(os, "O_NONBLOCK", 0))
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise OSError("not a regular file")
        parts, size = [], 0
        while size <= cap:
            chunk = os.read(fd, min(CHUNK, cap + 1 - size))
            if not chunk:
                break
            parts.append(chunk)
            size += len(chunk)
    finally:
        os.close(fd)
    data = b"".join(parts)
    return data[:cap], len(data) > cap


def run_command(argv, cap, timeout, cwd):
    """Run argv (never a shell), keep at most `cap` bytes of stdout."""
    with tempfile.TemporaryFile(dir=cwd) as out, tempfile.TemporaryFile(dir=cwd) as err:
        try:
            proc = subprocess.Popen(argv, stdout=out, stderr=err, stdin=subprocess.DEVNULL,
                                    cwd=cwd, close_fds=True)
        except OSError as exc:
            return b"", False, 127, str(exc), False
        timed_out = False
        try:
            rc = proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            rc = proc.wait()
            timed_out = True
        out.seek(0)
        data = out.read(cap + 1)
        err.seek(0)
        stderr = err.read(4000).decode("utf-8", "backslashreplace")
    return data[:cap], len(data) > cap, rc, stderr, timed_out


def proc_text(pid, name):
    try:
        with open("/proc/%s/%s" % (pid, name), "rb") as handle:
            return handle.read(65536)
    except OSError:
        return b""


def exe_hash(pid, cap):
    digest = hashlib.sha256()
    try:
        with open("/proc/%s/exe" % pid, "rb") as handle:
            read = 0
            while read < cap:
                chunk = handle.read(CHUNK)
                if not chunk:
                    return digest.hexdigest()
                digest.update(chunk)
                read += len(chunk)
    except OSError:
        return ""
    return ""


def processes(cap):
    """Every process: exe path and its SHA-256 (read through /proc, so deleted exes too)."""
    import json

    boot = 0.0
    for line in proc_text("self", "../stat").splitlines():
        if line.startswith(b"btime "):
            boot = float(line.split()[1])
    ticks = os.sysconf("SC_CLK_TCK")
    rows = []
    for pid in sorted((p for p in os.listdir("/proc") if p.isdigit()), key=int):
        try:
            exe = os.readlink("/proc/%s/exe" % pid)
        except OSError:
            exe = ""
        statline = proc_text(pid, "stat")
        fields = statline.rsplit(b")", 1)[-1].split()
        start = boot + int(fields[19]) / ticks if len(fields) > 19 else 0
        try:
            uid = os.stat("/proc/%s" % pid).st_uid
            user = pwd.getpwuid(uid).pw_name
        except (OSError, KeyError):
            uid, user = -1, ""
        cmdline = proc_text(pid, "cmdline").split(b"\0")
        rows.append({
            "pid": int(pid), "ppid": int(fields[1]) if len(fields) > 1 else 0,
            "exe": exe, "deleted": exe.endswith(" (deleted)"),
            "sha256": exe_hash(pid, 256 * 1024 * 1024) if exe else "",
            "cmdline": [c.decode("utf-8", "backslashreplace") for c in cmdline if c],
            "uid": uid, "user": user,
            "start": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(start)) if start else "",
        })
    data = json.dumps(rows, indent=1).encode()
    return data[:cap], len(data) > cap


def mode_string(mode):
    kinds = ((stat.S_ISDIR, "d"), (stat.S_ISLNK, "l"), (stat.S_ISREG, "r"))
    kind = next((c for test, c in kinds if test(mode)), "-")
    bits = ""
    for who in ("USR", "GRP", "OTH"):
        for perm in ("R", "W", "X"):
            bits += perm.lower() if mode & getattr(stat, "S_I%s%s" % (perm, who)) else "-"
    return "%s/-%s" % (kind, bits)


def bodyfile(roots, cap, budget):
    """Sleuthkit bodyfile 3.x lines (MD5|name|inode|mode|UID|GID|size|atime|mtime|ctime|crtime)."""
    lines, size, count, truncated = [], 0, 0, False
    for root in roots:
        for top, dirs, files in os.walk(root, followlinks=False):
            dirs.sort()
            links = [d for d in dirs if os.path.islink(os.path.join(top, d))]
            for name in ["", *sorted(files + links)]:
                path = os.path.join(top, name) if name else top
                try:
                    st = os.lstat(path)
                except OSError:
                    continue
                clean = path.replace("|", "%7C").replace("\n", "%0A")
                line = "0|%s|%d|%s|%d|%d|%d|%d|%d|%d|0\n" % (
                    clean, st.st_ino, mode_string(st.st_mode), st.st_uid, st.st_gid,
                    st.st_size, int(st.st_atime), int(st.st_mtime), int(st.st_ctime))
                count += 1
                size += len(line)
                if size > cap or count > BODYFILE_MAX_ENTRIES or budget.expired():
                    return "".join(lines).encode(), True
                lines.append(line)
    return "".join(lines).encode(), truncated


def safe_name(path):
    kept = "".join(c if c.isalnum() or c in "._-/" else "_" for c in path)
    return "/".join(p for p in kept.split("/") if p not in ("", ".", ".."))


def collect(artifact, budget, workdir):
    """One artifact: its record and the blobs it produced."""
    kind = artifact["collector"]
    cap = min(int(artifact.get("size_cap", 1048576)), max(budget.left, 0))
    timeout = budget.seconds(artifact.get("timeout", 60))
    record = {"id": artifact["id"], "collector": kind, "command": [], "rc": 0, "stderr": "",
              "truncated": False, "errors": [],
              "started": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}
    blobs = []
    base = "%s/%s" % (artifact.get("tier", "misc"), artifact["id"])
    if budget.expired() or cap <= 0:
        record["truncated"] = True
        record["errors"].append("skipped: tier budget of bytes or time used up")
        return record, blobs
    if kind == "command":
        record["command"] = list(artifact["argv"])
        data, cut, rc, stderr, timed_out = run_command(artifact["argv"], cap, timeout, workdir)
        record.update(rc=rc, stderr=stderr, truncated=cut or timed_out)
        if timed_out:
            record["errors"].append("timed out after %ds" % int(timeout))
        blobs.append(blob(base + ".txt", data, " ".join(artifact["argv"]), cut or timed_out))
    elif kind == "processes":
        data, cut = processes(cap)
        record["truncated"] = cut
        blobs.append(blob(base + ".json", data, "/proc", cut))
    elif kind == "stat":
        data, cut = bodyfile(artifact.get("paths", []), cap, budget)
        record["truncated"] = cut
        blobs.append(blob(base + ".body", data, " ".join(artifact.get("paths", [])), cut))
    elif kind in ("file", "glob", "hash"):
        paths = []
        for pattern in artifact.get("paths", []):
            paths.extend(sorted(glob.glob(pattern)) if kind != "file" else [pattern])
        sums = []
        for path in paths[: int(artifact.get("max_files", 2000))]:
            if budget.expired():
                record["truncated"] = True
                record["errors"].append("time budget used up before %s" % path)
                break
            left = min(cap, budget.left)
            try:
                if os.path.isdir(path) and not os.path.islink(path):
                    continue
                data, cut = read_capped(path, max(left, 0))
            except OSError as exc:
                record["errors"].append("%s: %s" % (path, exc.strerror or exc))
                continue
            if kind == "hash":
                sums.append("%s  %s\n" % (hashlib.sha256(data).hexdigest(), path))
                continue
            blobs.append(blob("files/" + safe_name(path), data, path, cut))
            budget.left -= len(data)
            record["truncated"] = record["truncated"] or cut
        if kind == "hash":
            blobs.append(blob(base + ".sha256", "".join(sums).encode(), "sha256", False))
    else:
        record["errors"].append("unknown collector %s" % kind)
    for item in blobs:
        if kind not in ("file", "glob"):
            budget.left -= item["size"]
    record["finished"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    return record, blobs


def main():
    module = AnsibleModule(
        argument_spec={
            "tier": {"type": "str", "required": True},
            "artifacts": {"type": "list", "elements": "dict", "required": True},
            "budget": {"type": "int", "default": 33554432},  # 32 MiB
            "deadline": {"type": "int", "default": 300},
        },
        supports_check_mode=True,
    )
    params = module.params
    budget = Budget(params["budget"], params["deadline"])
    workdir = tempfile.mkdtemp(prefix="assessor-evidence-")
    records, blobs = [], []
    try:
        for artifact in params["artifacts"]:
            record, produced = collect(artifact, budget, workdir)
            records.append(record)
            blobs.extend(produced)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    module.exit_json(changed=False, evidence={
        "tier": params["tier"], "artifacts": records, "blobs": blobs, "workdir": workdir,
        "workdir_removed": not os.path.exists(workdir),
        "budget_left": budget.left,
    })


if __name__ == "__main__":
    main()
