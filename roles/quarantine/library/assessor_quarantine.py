#!/usr/bin/python3
"""Ansible module: move detected files into a root-only vault with proof, or put them back.

quarantine: each item (path + the SHA-256 the hunt saw) is checked again on the host, then
moved into <vault>/<run id>/<item id> (directories 0700, the file mode 000) beside a
sidecar JSON holding everything needed to undo it: original path, SHA-256, size, mode,
owner, times, extended attributes, the detection, engine and database versions, run id.
A rename when the vault is on the same filesystem; otherwise a copy verified by its hash
before the original is unlinked. Refused and said why: a symlink (never followed, never
moved: it is not the file that matched), a file dpkg owns (reinstall the package instead),
a file changed since the scan. Processes using the file are stopped only when asked.
Other persistence (restore, from each hunt rule's `remove:`), by the item's `action`:
lines (named lines removed from a file in place, never through a symlink, mode, owner and
inode kept, the original in the vault), unit (stopped, its enabling links removed, its
file moved), process (its executable kept through /proc, then its own unit stopped and
removed, or the process killed), account (an extra UID 0 account locked and removed,
passwd/shadow/group/gshadow kept first), shell (a system account back to nologin),
unmount (a mount over /proc/PID). Each result says whether it can be undone.
restore: the bytes go back through a new file in the original directory (never through a
symlink, never over a different file), with owner, mode, xattrs and times, and the hash is
verified before and after; removed lines come back only into the file as it was left.
Check mode reports what would happen and changes nothing.
Standard library only, Python 3.9-compatible.
"""

from __future__ import annotations

DOCUMENTATION = r"""
module: assessor_quarantine
short_description: Quarantine detected files into a root-only vault, or restore them
description:
- Move files the hunt detected into a per-run vault with a sidecar of their metadata and
  detection, or restore them byte for byte with owner, mode, times and xattrs. Refuses
  symlinks, dpkg-owned files and files changed since the scan. Honours check mode.
options:
  action:
    description: quarantine or restore.
    type: str
    choices: [quarantine, restore]
    required: true
  items_b64:
    description: Base64 of a JSON list (so that no host-supplied path is ever templated by
      Ansible); for quarantine, dicts with id, path, sha256, detection, engine, databases;
      for restore, dicts with id, path, sha256 (as the run's manifest has them). An item's
      action (file, lines, unit, process, account, shell, unmount; default file) says what
      removing it means; lines, scope, pid and name go with the actions that need them.
    type: str
    required: true
  run_id:
    description: The hunt run whose vault directory holds the items.
    type: str
    required: true
  vault:
    description: The vault's root directory (root-only).
    type: str
    default: /var/lib/assessor/quarantine
  kill_processes:
    description: Stop (SIGKILL) processes running or holding the file before it moves.
    type: bool
    default: false
"""

RETURN = r"""
quarantine:
  description: action, check (bool), and items, each with id, action, path, status (moved,
    would-move, removed, would-remove, restored, would-restore, identical, refused, missing,
    error), reason, reversible where it is known, and for
    moved items the vault path and the sidecar written; processes found and stopped.
  returned: always
  type: dict
"""

import base64
import contextlib
import glob
import grp
import hashlib
import json
import os
import pwd
import re
import signal
import stat
import subprocess
import time
from typing import Any

from ansible.module_utils.assessor_dpkg import package_of, path_packages
from ansible.module_utils.assessor_filehash import file_digests
from ansible.module_utils.assessor_names import name_of
from ansible.module_utils.basic import AnsibleModule

_ID = re.compile(r"^[A-Za-z0-9._-]{1,80}$")
CHUNK = 1 << 20


def sha256_fd(fd: int) -> str:
    digest = hashlib.sha256()
    os.lseek(fd, 0, os.SEEK_SET)
    while True:
        block = os.read(fd, CHUNK)
        if not block:
            return digest.hexdigest()
        digest.update(block)


def sha256_path(path: str) -> str:
    return str(file_digests(path)[0])


def xattrs_of(path: str) -> dict[str, str]:
    found: dict[str, str] = {}
    try:
        names = os.listxattr(path, follow_symlinks=False)
    except OSError:
        return found
    for name in names:
        try:
            found[name] = base64.b64encode(os.getxattr(path, name, follow_symlinks=False)).decode()
        except OSError:
            continue
    return found


def dpkg_owner(path: str, cache: dict[str, dict[str, str]]) -> str:
    """The package whose file list names `path` (or its merged-/usr twin), or ""; the
    file lists are read once per run."""
    if "table" not in cache:
        cache["table"] = path_packages()
    return str(package_of(path, cache["table"]))


def users_of(info: os.stat_result, path: str) -> list[dict[str, Any]]:
    """Processes whose executable, open files or mappings are this inode."""
    found: list[dict[str, Any]] = []
    own = os.getpid()
    for proc in glob.glob("/proc/[0-9]*"):
        pid = int(proc.rsplit("/", 1)[1])
        if pid == own:
            continue
        how = []
        links = [proc + "/exe", *glob.glob(proc + "/fd/*")]
        for link in links:
            try:
                other = os.stat(link)
            except OSError:
                continue
            if (other.st_dev, other.st_ino) == (info.st_dev, info.st_ino):
                how.append("exe" if link.endswith("/exe") else "open file")
        try:
            with open(proc + "/maps", encoding="utf-8", errors="replace") as handle:
                if any(line.rstrip("\n").endswith(" " + path) for line in handle):
                    how.append("mapped")
        except OSError:
            pass
        if how:
            try:
                with open(proc + "/cmdline", "rb") as handle:
                    cmdline = handle.read().replace(b"\0", b" ").decode("utf-8", "replace")
            except OSError:
                cmdline = ""
            found.append({"pid": pid, "how": sorted(set(how)), "cmdline": cmdline.strip()[:300]})
    return found


def safe_dir(path: str) -> bool:
    """A path whose parent directories are real directories, not symlinks."""
    parent = os.path.dirname(path)
    return os.path.isabs(path) and os.path.normpath(path) == path and \
        os.path.realpath(parent) == parent


def vault_dir(vault: str, run_id: str) -> str:
    for directory in (os.path.dirname(vault), vault, os.path.join(vault, run_id)):
        with contextlib.suppress(FileExistsError):
            os.mkdir(directory, 0o700)
        info = os.lstat(directory)
        if not stat.S_ISDIR(info.st_mode) or info.st_uid != 0:
            raise OSError("vault directory %s is not a root-owned directory" % directory)
    os.chmod(vault, 0o700)
    os.chmod(os.path.join(vault, run_id), 0o700)
    return os.path.join(vault, run_id)


def write_json(path: str, data: Any, mode: int = 0o400) -> None:
    tmp = path + ".tmp"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        json.dump(data, handle, indent=1, sort_keys=True)
        handle.flush()
        os.fsync(handle.fileno())
    os.chmod(tmp, mode)
    os.replace(tmp, path)


def copy_fd(source: int, target: int) -> None:
    os.lseek(source, 0, os.SEEK_SET)
    while True:
        block = os.read(source, CHUNK)
        if not block:
            break
        view = memoryview(block)
        while view:
            view = view[os.write(target, view):]
    os.fsync(target)


def move_into(path: str, info: os.stat_result, item_path: str) -> str:
    """Rename when the vault shares the filesystem; else copy, verify, then unlink."""
    if os.lstat(os.path.dirname(item_path)).st_dev == info.st_dev:
        os.rename(path, item_path)
        return "rename"
    src = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
    tmp = item_path + ".part"
    try:
        dst = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o000)
        try:
            copy_fd(src, dst)
        finally:
            os.close(dst)
        if sha256_path(tmp) != sha256_fd(src):
            raise OSError("the vault copy of %s does not hash like the original" % path)
        now = os.lstat(path)
        if (now.st_dev, now.st_ino) != (info.st_dev, info.st_ino):
            raise OSError("%s was replaced while it was being quarantined" % path)
        os.rename(tmp, item_path)
        os.unlink(path)
    finally:
        os.close(src)
        if os.path.lexists(tmp):
            os.unlink(tmp)
    return "copy, verified, original unlinked"


def quarantine_one(item: dict[str, Any], params: dict[str, Any], vault_run: str,
                   dpkg_cache: dict[str, dict[str, str]], check: bool) -> dict[str, Any]:
    path, expected = item.get("path", ""), str(item.get("sha256", "")).lower()
    record: dict[str, Any] = {"id": item.get("id", ""), "action": "file", "path": path,
                              "sha256": expected}
    if not _ID.match(record["id"]) or not safe_dir(path):
        return dict(record, status="refused",
                    reason="not an absolute, normalised path below real directories")
    try:
        info = os.lstat(path)
    except FileNotFoundError:
        return dict(record, status="missing", reason="no such file any more")
    if stat.S_ISLNK(info.st_mode):
        return dict(record, status="refused",
                    reason="a symlink: never followed and not moved (the link is not what matched)")
    if not stat.S_ISREG(info.st_mode):
        return dict(record, status="refused", reason="not a regular file")
    package = dpkg_owner(path, dpkg_cache)
    if package:
        return dict(record, status="refused", package=package,
                    reason="dpkg owns it (package %s): not moved; restore reinstalls the "
                    "package: apt-get install --reinstall %s" % (package, package))
    actual = sha256_path(path)
    if expected and actual != expected:
        return dict(record, status="refused",
                    reason="changed since the scan (sha256 now %s)" % actual)
    record["sha256"] = actual  # a rule's hit names the file, not always its hash
    users = users_of(info, path)
    sidecar: dict[str, Any] = {
        "id": record["id"], "run_id": params["run_id"], "path": path, "sha256": actual,
        "size": info.st_size, "mode": "%04o" % stat.S_IMODE(info.st_mode),
        "uid": info.st_uid, "gid": info.st_gid, "owner": name_of(pwd.getpwuid, info.st_uid),
        "group": name_of(grp.getgrgid, info.st_gid), "atime_ns": info.st_atime_ns,
        "mtime_ns": info.st_mtime_ns, "ctime_ns": info.st_ctime_ns, "xattrs": xattrs_of(path),
        "detection": item.get("detection", ""), "engine": item.get("engine", ""),
        "databases": item.get("databases", []), "processes": users,
        "processes_stopped": [],
    }
    if check:
        note = ""
        if users:
            note = "; processes using it: %s (%s)" % (
                ", ".join(str(u["pid"]) for u in users),
                "would be stopped" if params["kill_processes"] else "left running")
        return dict(record, status="would-move", reason="would move to the vault" + note,
                    sidecar=sidecar)
    if users and params["kill_processes"]:
        for user in users:
            try:
                os.kill(user["pid"], signal.SIGKILL)
                sidecar["processes_stopped"].append(user["pid"])
            except OSError as exc:
                user["stop_error"] = str(exc)
    item_path = os.path.join(vault_run, record["id"])
    if os.path.lexists(item_path):
        return dict(record, status="refused", reason="vault item %s exists already" % item_path)
    sidecar["quarantined_at"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    write_json(item_path + ".json", sidecar)
    try:
        sidecar["moved_by"] = move_into(path, info, item_path)
        os.chmod(item_path, 0o000)
        if sha256_path(item_path) != actual:
            raise OSError("the vault item does not hash like the file that matched")
    except OSError as exc:
        if not os.path.lexists(item_path):
            os.unlink(item_path + ".json")
        return dict(record, status="error", reason="not moved: %s" % exc)
    write_json(item_path + ".json", sidecar)  # now with how it moved
    still = [u["pid"] for u in users if u["pid"] not in sidecar["processes_stopped"]]
    reason = "moved to %s (%s)" % (item_path, sidecar["moved_by"])
    if still:
        reason += "; still running, not stopped: pid %s (--kill-processes stops them)" % (
            ", ".join(str(p) for p in still))
    return dict(record, status="moved", reason=reason, vault=item_path, sidecar=sidecar)


# --- persistence other than a whole file (restore removes what every hunt rule finds) ----
# Each action below keeps in the vault what it needs to show, and where it can to undo,
# what it changed; the order runs unmounts first (a masked /proc entry hides a process),
# then processes (their units stopped), units, files, lines, accounts and shells.
ORDER = ("unmount", "process", "unit", "file", "lines", "account", "shell")
NOLOGIN = "/usr/sbin/nologin"
PROTECTED_UNITS = ("ssh.service", "sshd.service", "systemd-journald.service", "dbus.service",
                   "systemd-logind.service", "init.scope", "cron.service")
UNIT_SCOPES = {"system": ("/etc/systemd/system", "/run/systemd/system"),
               "user": ("/etc/systemd/user",)}


def command(argv: list[str], timeout: int = 60) -> tuple[int, str]:
    """Run argv (never a shell), bounded; (exit code, output tail)."""
    try:
        proc = subprocess.run(argv, capture_output=True, text=True, timeout=timeout,
                              check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return 127, str(exc)
    return proc.returncode, (proc.stdout + proc.stderr).strip()[-500:]


def base_record(item: dict[str, Any]) -> dict[str, Any]:
    return {"id": item.get("id", ""), "action": item.get("action", "file"),
            "path": item.get("path", ""), "sha256": str(item.get("sha256", "")).lower()}


def keep_copy(fd: int, item_path: str, sidecar: dict[str, Any]) -> str:
    """A verified copy of an open file into the vault (mode 000) beside its sidecar."""
    tmp = item_path + ".part"
    dst = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o000)
    try:
        copy_fd(fd, dst)
    finally:
        os.close(dst)
    digest = sha256_path(tmp)
    if digest != sha256_fd(fd):
        os.unlink(tmp)
        raise OSError("the vault copy does not hash like the original")
    os.rename(tmp, item_path)
    sidecar["vault_sha256"] = digest
    write_json(item_path + ".json", sidecar)
    return digest


def remove_lines(item: dict[str, Any], vault_run: str, check: bool) -> dict[str, Any]:
    """Remove the named lines (number and text as the hunt saw them) from one file, in
    place (mode, owner, xattrs and inode kept), after its original went to the vault."""
    record = base_record(item)
    path, wanted = record["path"], item.get("lines") or []
    if not _ID.match(record["id"]) or not safe_dir(path):
        return dict(record, status="refused",
                    reason="not an absolute, normalised path below real directories")
    try:
        fd = os.open(path, os.O_RDWR | os.O_NOFOLLOW)
    except FileNotFoundError:
        return dict(record, status="missing", reason="no such file any more")
    except OSError as exc:
        return dict(record, status="refused", reason="not opened without following a "
                    "symlink: %s" % exc)
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            return dict(record, status="refused", reason="not a regular file")
        os.lseek(fd, 0, os.SEEK_SET)
        data = b""
        while True:
            block = os.read(fd, CHUNK)
            if not block:
                break
            data += block
        lines = data.splitlines(keepends=True)
        drop = set()
        for entry in wanted:
            number, text = int(entry.get("line", 0)), str(entry.get("text", ""))
            if not 0 < number <= len(lines) or \
                    lines[number - 1].decode("utf-8", "surrogateescape").strip() != text:
                return dict(record, status="refused",
                            reason="line %d is not what the hunt saw any more: not changed"
                            % number)
            drop.add(number)
        before = hashlib.sha256(data).hexdigest()
        kept = b"".join(line for n, line in enumerate(lines, 1) if n not in drop)
        after = hashlib.sha256(kept).hexdigest()
        removed = [lines[n - 1].decode("utf-8", "replace").rstrip("\n") for n in sorted(drop)]
        reason = "line(s) %s removed, the original file kept in the vault" % (
            ", ".join(str(n) for n in sorted(drop)))
        if check:
            return dict(record, status="would-remove", reason="would remove " +
                        reason.split(" removed")[0], removed=removed)
        item_path = os.path.join(vault_run, record["id"])
        if os.path.lexists(item_path):
            return dict(record, status="refused", reason="vault item %s exists already"
                        % item_path)
        sidecar = {"id": record["id"], "action": "lines", "path": path, "sha256": before,
                   "sha256_after": after, "size": info.st_size,
                   "mode": "%04o" % stat.S_IMODE(info.st_mode), "uid": info.st_uid,
                   "gid": info.st_gid, "removed": removed, "lines": sorted(drop),
                   "detection": item.get("detection", ""), "reversible": True,
                   "quarantined_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}
        keep_copy(fd, item_path, sidecar)
        os.lseek(fd, 0, os.SEEK_SET)
        os.ftruncate(fd, 0)
        view = memoryview(kept)
        while view:
            view = view[os.write(fd, view):]
        os.fsync(fd)
    finally:
        os.close(fd)
    return dict(record, status="moved", reason=reason, vault=item_path, removed=removed,
                sha256=before, sha256_after=after, reversible=True)


def unit_links(unit: str, path: str, scope: str) -> list[str]:
    """Symlinks enabling the unit: in *.wants/ and *.requires/ of the unit directories (for a
    user unit, also beside its own file), naming it or pointing at its file."""
    roots = list(UNIT_SCOPES.get(scope, ()))
    if scope == "user":
        roots.append(os.path.dirname(path))
    found = []
    for root in roots:
        for link in glob.glob(os.path.join(root, "*.wants", "*")) + \
                glob.glob(os.path.join(root, "*.requires", "*")):
            try:
                if not os.path.islink(link):
                    continue
                target = os.readlink(link)
            except OSError:
                continue
            if os.path.basename(link) == unit or target == path:
                found.append(link)
    return sorted(set(found))


def remove_unit(item: dict[str, Any], params: dict[str, Any], vault_run: str,
                dpkg_cache: dict[str, dict[str, str]], check: bool) -> dict[str, Any]:
    """Stop a unit, remove the links that enable it and move its file into the vault."""
    record = base_record(item)
    path, scope = record["path"], str(item.get("scope") or "system")
    unit = os.path.basename(path)
    if not _ID.match(record["id"]) or not safe_dir(path):
        return dict(record, status="refused",
                    reason="not an absolute, normalised path below real directories")
    if unit in PROTECTED_UNITS:
        return dict(record, status="refused", reason="%s is not stopped by a quarantine: "
                    "it is how the host is reached or kept alive" % unit)
    if not os.path.lexists(path):
        return dict(record, status="missing", reason="no such unit file any more")
    package = dpkg_owner(path, dpkg_cache)
    if package:
        return dict(record, status="refused", package=package,
                    reason="dpkg owns it (package %s): reinstall the package instead" % package)
    links = unit_links(unit, path, scope)
    if check:
        return dict(record, status="would-remove", links=links,
                    reason="would stop %s, remove %d enabling link(s) and move its file to the "
                    "vault" % (unit, len(links)))
    steps = []
    if scope == "system":
        code, out = command(["systemctl", "stop", unit], timeout=90)
        steps.append("stop: %s" % ("ok" if code == 0 else "exit %d %s" % (code, out)))
    for link in links:
        os.unlink(link)
    moved = quarantine_one({"id": record["id"], "path": path, "sha256": "",
                            "detection": item.get("detection", "")},
                           params, vault_run, dpkg_cache, False)
    if scope == "system":
        command(["systemctl", "daemon-reload"], timeout=90)
        command(["systemctl", "reset-failed", unit], timeout=30)
    if moved["status"] != "moved":
        return dict(record, status=moved["status"], links_removed=links,
                    reason="stopped, links removed, but its file: %s" % moved["reason"])
    return dict(record, status="moved", vault=moved["vault"], sha256=moved["sha256"],
                links_removed=links, steps=steps, reversible=True,
                reason="%s stopped (%s), %d enabling link(s) removed (%s), file moved to %s; "
                "undo puts the file back: re-enable it by hand" % (
                    unit, "; ".join(steps) or "user unit: not running as a system unit",
                    len(links), ", ".join(links) or "none", moved["vault"]))


def unit_of(pid: int) -> str:
    """The systemd service a process runs in, from its cgroup, or ""."""
    text = (read_proc("/proc/%d/cgroup" % pid) or b"").decode("utf-8", "replace")
    for line in text.splitlines():
        for part in reversed(line.split(":", 2)[-1].split("/")):
            if part.endswith(".service"):
                return part
    return ""


def read_proc(path: str) -> bytes | None:
    try:
        with open(path, "rb") as handle:
            return handle.read(1 << 16)
    except OSError:
        return None


def fragment_of(unit: str) -> str:
    code, out = command(["systemctl", "show", "--property=FragmentPath", "--value", unit],
                        timeout=30)
    return out.strip() if code == 0 else ""


def stop_process(item: dict[str, Any], params: dict[str, Any], vault_run: str,
                 dpkg_cache: dict[str, dict[str, str]], check: bool,
                 units_done: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """Keep the process's executable in the vault (read through /proc, so a deleted one
    too), then stop the unprivileged unit it runs in (and remove that unit like any other)
    or, when it runs in a packaged or vital unit, kill the process alone."""
    record = base_record(item)
    try:
        pid = int(item.get("pid", 0))
    except (TypeError, ValueError):
        pid = 0
    if pid <= 1 or pid == os.getpid():
        return dict(record, status="refused", reason="no process id to act on")
    try:
        exe = os.readlink("/proc/%d/exe" % pid)
        info = os.stat("/proc/%d" % pid)
    except OSError:
        masked = "/proc/%d" % pid in [line.split()[4] for line in (read_proc(
            "/proc/self/mountinfo") or b"").decode("utf-8", "replace").splitlines()
            if len(line.split()) > 4]
        if masked and check:
            return dict(record, status="would-remove", reason="process %d is hidden by a "
                        "mount over /proc/%d: once that is unmounted, its unit would be "
                        "stopped or it killed" % (pid, pid))
        return dict(record, status="missing", reason="process %d is gone" % pid)
    comm = (read_proc("/proc/%d/comm" % pid) or b"").decode("utf-8", "replace").strip()
    cmdline = (read_proc("/proc/%d/cmdline" % pid) or b"").replace(b"\0", b" ").decode(
        "utf-8", "replace").strip()[:300]
    unit = unit_of(pid)
    fragment = fragment_of(unit) if unit else ""
    plain = exe[:-len(" (deleted)")] if exe.endswith(" (deleted)") else exe
    packaged_exe = not exe.endswith(" (deleted)") and bool(dpkg_owner(plain, dpkg_cache))
    own_unit = bool(fragment) and unit not in PROTECTED_UNITS and \
        not dpkg_owner(fragment, dpkg_cache) and fragment.startswith("/etc/systemd/system/")
    plan = ("stop unit %s and remove it (%s)" % (unit, fragment) if own_unit
            else "kill process %d" % pid)
    if check:
        return dict(record, status="would-remove", exe=exe, unit=unit,
                    reason="would keep %s in the vault, then %s" % (
                        "nothing (a packaged program: %s)" % exe if packaged_exe else exe, plan))
    sidecar: dict[str, Any] = {
        "id": record["id"], "action": "process", "pid": pid, "exe": exe, "comm": comm,
        "cmdline": cmdline, "uid": info.st_uid, "unit": unit, "unit_file": fragment,
        "detection": item.get("detection", ""), "reversible": False,
        "quarantined_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}
    item_path = os.path.join(vault_run, record["id"])
    kept = ""
    if not packaged_exe and not os.path.lexists(item_path):
        try:
            fd = os.open("/proc/%d/exe" % pid, os.O_RDONLY)
            try:
                kept = keep_copy(fd, item_path, sidecar)
            finally:
                os.close(fd)
        except OSError as exc:
            sidecar["exe_error"] = str(exc)
    if not kept:
        write_json(item_path + ".json", sidecar)
    result: dict[str, Any] = dict(record, exe=exe, unit=unit, sha256=kept, reversible=False,
                                  vault=item_path if kept else "")
    if own_unit:
        removed = remove_unit({"id": record["id"] + "-unit", "path": fragment,
                               "scope": "system", "detection": item.get("detection", "")},
                              params, vault_run, dpkg_cache, False)
        units_done[fragment] = removed
        result["unit_removed"] = removed
        how = "unit %s: %s" % (unit, removed["reason"])
    else:
        how = ""
    if os.path.exists("/proc/%d" % pid):
        try:
            os.kill(pid, signal.SIGKILL)
            how += ("; " if how else "") + "process %d killed" % pid
        except OSError as exc:
            how += ("; " if how else "") + "process %d not killed: %s" % (pid, exc)
    else:
        how = how or "process %d ended" % pid
    return dict(result, status="removed",
                reason="%s; executable %s" % (how, "kept in the vault (sha256 %s)" % kept
                                               if kept else "not kept: %s" % (
                                                   "a packaged program" if packaged_exe else
                                                   sidecar.get("exe_error", "exists already"))))


def unmount(item: dict[str, Any], check: bool) -> dict[str, Any]:
    """Unmount what is mounted over a /proc/PID entry (it hides a process from ps)."""
    record = base_record(item)
    target = record["path"]
    if not re.match(r"^/proc/[0-9]+$", target):
        return dict(record, status="refused", reason="only mounts over /proc/PID are removed")
    mounted = [line.split() for line in (read_proc("/proc/self/mountinfo") or b"").decode(
        "utf-8", "replace").splitlines()]
    if not any(len(p) > 4 and p[4] == target for p in mounted):
        return dict(record, status="missing", reason="nothing is mounted over %s now" % target)
    source = next((p[3] for p in mounted if len(p) > 4 and p[4] == target), "")
    if check:
        return dict(record, status="would-remove",
                    reason="would unmount %s (from %s)" % (target, source))
    code, out = command(["umount", target], timeout=30)
    if code:
        return dict(record, status="error", reason="umount %s failed: %s" % (target, out))
    return dict(record, status="removed", reversible=False,
                reason="unmounted %s (it showed %s); the process is visible again" % (
                    target, source))


def account_backup(vault_run: str, record_id: str, sidecar: dict[str, Any]) -> list[str]:
    """passwd, shadow, group and gshadow copied into the vault before an account changes."""
    kept = []
    for name in ("passwd", "shadow", "group", "gshadow"):
        path = "/etc/" + name
        if not os.path.exists(path):
            continue
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
        try:
            keep_copy(fd, os.path.join(vault_run, "%s.%s" % (record_id, name)),
                      dict(sidecar, path=path))
        finally:
            os.close(fd)
        kept.append(path)
    return kept


def passwd_entry(name: str) -> list[str] | None:
    with open("/etc/passwd", encoding="utf-8", errors="replace") as handle:
        for line in handle:
            fields = line.rstrip("\n").split(":")
            if len(fields) >= 7 and fields[0] == name:
                return fields
    return None


def remove_account(item: dict[str, Any], vault_run: str, check: bool) -> dict[str, Any]:
    """An extra UID 0 account: locked, then removed (its entries kept in the vault)."""
    record = base_record(item)
    name = str(item.get("name", ""))
    entry = passwd_entry(name) if re.match(r"^[a-z_][a-z0-9_.-]{0,31}$", name) else None
    if name == "root" or entry is None:
        return dict(record, status="missing" if entry is None else "refused",
                    reason="no such account" if entry is None else "root stays")
    if entry[2] != "0":
        return dict(record, status="refused", reason="%s has UID %s now, not 0" % (name,
                                                                                  entry[2]))
    if check:
        return dict(record, status="would-remove", reason="would lock and remove account "
                    "%s (passwd, shadow, group and gshadow kept in the vault first)" % name)
    sidecar = {"id": record["id"], "action": "account", "name": name,
               "passwd": ":".join(entry), "reversible": False,
               "detection": item.get("detection", ""),
               "quarantined_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}
    kept = account_backup(vault_run, record["id"], sidecar)
    lock, lock_out = command(["usermod", "--lock", name])
    code, out = command(["userdel", "--force", name])
    root = passwd_entry("root")
    if root is None or root[2] != "0":
        raise OSError("root's entry changed while removing %s: put /etc/passwd back from %s"
                      % (name, vault_run))
    if code:
        return dict(record, status="error", reason="userdel %s failed: %s (locked: %s)" % (
            name, out, "yes" if lock == 0 else lock_out))
    return dict(record, status="removed", backups=kept, reversible=False,
                reason="account %s locked and removed; %s kept in the vault" % (
                    name, ", ".join(kept)))


def set_nologin(item: dict[str, Any], check: bool) -> dict[str, Any]:
    """A system account's login shell back to /usr/sbin/nologin (the old one recorded)."""
    record = base_record(item)
    name = str(item.get("name", ""))
    entry = passwd_entry(name) if re.match(r"^[a-z_][a-z0-9_.-]{0,31}$", name) else None
    if entry is None or name == "root":
        return dict(record, status="missing" if entry is None else "refused",
                    reason="no such account" if entry is None else "root keeps its shell")
    if entry[6] == NOLOGIN:
        return dict(record, status="missing", reason="%s has %s already" % (name, NOLOGIN))
    if check:
        return dict(record, status="would-remove", reason="would set %s's shell %s back to "
                    "%s" % (name, entry[6], NOLOGIN))
    code, out = command(["usermod", "--shell", NOLOGIN, name])
    if code:
        return dict(record, status="error", reason="usermod failed: %s" % out)
    return dict(record, status="removed", previous_shell=entry[6], reversible=True,
                reason="%s's shell %s set back to %s (undo: usermod --shell %s %s)" % (
                    name, entry[6], NOLOGIN, entry[6], name))


def act(item: dict[str, Any], params: dict[str, Any], vault_run: str,
        dpkg_cache: dict[str, dict[str, str]], check: bool,
        units_done: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """One item, by its action (a whole file when none is named)."""
    action = item.get("action", "file")
    if action == "file":
        return quarantine_one(item, params, vault_run, dpkg_cache, check)
    if action == "lines":
        return remove_lines(item, vault_run, check)
    if action == "unit":
        done = units_done.get(str(item.get("path")))
        if done is not None and not check:
            return dict(base_record(item), status=done["status"],
                        reason="with the process in it: %s" % done["reason"])
        return remove_unit(item, params, vault_run, dpkg_cache, check)
    if action == "process":
        return stop_process(item, params, vault_run, dpkg_cache, check, units_done)
    if action == "unmount":
        return unmount(item, check)
    if action == "account":
        return remove_account(item, vault_run, check)
    if action == "shell":
        return set_nologin(item, check)
    return dict(base_record(item), status="refused", reason="unknown action %r" % action)


def restore_lines(record: dict[str, Any], sidecar: dict[str, Any], item_path: str,
                  held: str, check: bool) -> dict[str, Any]:
    """Put a file whose lines were removed back as it was, only if nobody changed it since."""
    path = sidecar.get("path", "")
    if path != record["path"] or held != sidecar.get("sha256") or not safe_dir(path):
        return dict(record, status="refused",
                    reason="vault item does not match the manifest (path or sha256)")
    try:
        fd = os.open(path, os.O_RDWR | os.O_NOFOLLOW)
    except OSError as exc:
        return dict(record, status="refused", reason="not opened without following a "
                    "symlink: %s" % exc)
    try:
        now_sha = sha256_fd(fd)
        if now_sha == held:
            return dict(record, status="identical", reason="the file is as it was already")
        if now_sha != sidecar.get("sha256_after"):
            return dict(record, status="refused", reason="the file changed since the lines "
                        "were removed: not overwritten")
        if check:
            return dict(record, status="would-restore",
                        reason="would put back line(s) %s" % sidecar.get("lines"))
        src = os.open(item_path, os.O_RDONLY | os.O_NOFOLLOW)
        try:
            os.lseek(fd, 0, os.SEEK_SET)
            os.ftruncate(fd, 0)
            copy_fd(src, fd)
        finally:
            os.close(src)
        if sha256_fd(fd) != held:
            raise OSError("the restored file does not hash like the vault item")
    finally:
        os.close(fd)
    os.unlink(item_path)
    os.rename(item_path + ".json", item_path + ".restored.json")
    return dict(record, status="restored", reason="line(s) %s put back (sha256 %s)" % (
        sidecar.get("lines"), held))


def restore_one(item: dict[str, Any], vault_run: str, check: bool) -> dict[str, Any]:
    record: dict[str, Any] = {"id": item.get("id", ""), "path": item.get("path", ""),
              "sha256": str(item.get("sha256", "")).lower()}
    if not _ID.match(record["id"]):
        return dict(record, status="refused", reason="bad item id")
    item_path = os.path.join(vault_run, record["id"])
    try:
        with open(item_path + ".json", encoding="utf-8") as handle:
            sidecar = json.load(handle)
        if stat.S_ISLNK(os.lstat(item_path).st_mode):
            raise OSError("vault item is a symlink")
        held = sha256_path(item_path)
    except (OSError, ValueError) as exc:
        return dict(record, status="error", reason="vault item unreadable: %s" % exc)
    path = sidecar.get("path", "")
    if sidecar.get("reversible") is False:
        return dict(record, status="refused", reason="a %s action is not undone by a restore: "
                    "its record stays in the vault" % sidecar.get("action"))
    if sidecar.get("action") == "lines":
        return restore_lines(record, sidecar, item_path, held, check)
    if path != record["path"] or held != record["sha256"] or held != sidecar.get("sha256"):
        return dict(record, status="refused",
                    reason="vault item does not match the manifest (path or sha256)")
    if not safe_dir(path) or not os.path.isdir(os.path.dirname(path)):
        return dict(record, status="refused",
                    reason="the original directory is missing or reached through a symlink")
    if os.path.lexists(path):
        same = stat.S_ISREG(os.lstat(path).st_mode) and sha256_path(path) == held
        if same:
            return dict(record, status="identical",
                        reason="an identical file is already there; the vault keeps its copy")
        return dict(record, status="refused",
                    reason="something else exists at the path now: not overwritten")
    if check:
        return dict(record, status="would-restore",
                    reason="would restore %s bytes, mode %s, owner %s:%s" % (
                        sidecar["size"], sidecar["mode"], sidecar["owner"], sidecar["group"]))
    tmp = os.path.join(os.path.dirname(path), ".%s.assessor-restore" % record["id"])
    src = os.open(item_path, os.O_RDONLY | os.O_NOFOLLOW)
    try:
        dst = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
        try:
            copy_fd(src, dst)
            os.fchown(dst, sidecar["uid"], sidecar["gid"])
            os.fchmod(dst, int(sidecar["mode"], 8))
            for name, value in sidecar.get("xattrs", {}).items():
                os.setxattr(dst, name, base64.b64decode(value))
            os.utime(dst, ns=(sidecar["atime_ns"], sidecar["mtime_ns"]))
            os.fsync(dst)
        finally:
            os.close(dst)
        if sha256_path(tmp) != held:
            raise OSError("the restored copy does not hash like the vault item")
        os.link(tmp, path)  # fails rather than replace anything that appeared meanwhile
    except OSError as exc:
        return dict(record, status="error", reason="not restored: %s" % exc)
    finally:
        os.close(src)
        if os.path.lexists(tmp):
            os.unlink(tmp)
    os.unlink(item_path)
    os.rename(item_path + ".json", item_path + ".restored.json")
    after = os.lstat(path)
    return dict(record, status="restored", reason="restored and verified (sha256 %s)" % held,
                restored={"mode": "%04o" % stat.S_IMODE(after.st_mode), "uid": after.st_uid,
                          "gid": after.st_gid, "mtime_ns": after.st_mtime_ns})


def main() -> None:
    module = AnsibleModule(
        argument_spec={
            "action": {"type": "str", "required": True, "choices": ["quarantine", "restore"]},
            "items_b64": {"type": "str", "required": True},
            "run_id": {"type": "str", "required": True},
            "vault": {"type": "str", "default": "/var/lib/assessor/quarantine"},
            "kill_processes": {"type": "bool", "default": False},
        },
        supports_check_mode=True,
    )
    params, check = module.params, module.check_mode
    if not _ID.match(params["run_id"]):
        module.fail_json(msg="bad run id %r" % params["run_id"])
    try:
        items = json.loads(base64.b64decode(params["items_b64"]).decode("utf-8"))
    except ValueError as exc:
        module.fail_json(msg="items_b64 is not base64 JSON: %s" % exc)
    if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
        module.fail_json(msg="items_b64 must hold a list of objects")
    done: list[dict[str, Any]] = []
    try:
        vault_run = os.path.join(params["vault"], params["run_id"])
        if params["action"] == "quarantine" and items and not check:
            vault_run = vault_dir(params["vault"], params["run_id"])
        cache: dict[str, dict[str, str]] = {}
        units_done: dict[str, dict[str, Any]] = {}
        if params["action"] == "quarantine":
            items.sort(key=lambda i: ORDER.index(i.get("action", "file"))
                       if i.get("action", "file") in ORDER else len(ORDER))
        for item in items:
            if params["action"] == "quarantine":
                done.append(act(item, params, vault_run, cache, check, units_done))
            else:
                done.append(restore_one(item, vault_run, check))
    except OSError as exc:
        module.fail_json(msg="quarantine: %s" % exc, items=done)
    changed = any(d["status"] in ("moved", "removed", "restored") for d in done)
    module.exit_json(changed=changed, quarantine={"action": params["action"], "check": check,
                                                  "items": done})


if __name__ == "__main__":
    main()
