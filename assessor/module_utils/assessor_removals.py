"""Removing persistence other than a whole file, as restore does for every hunt rule's hit:
lines of a file, a unit, a process, a mount over /proc/PID, an extra UID 0 account, a
system account's login shell. Each keeps in the vault (assessor_vault) what it needs to
show and, where it can, to undo what it changed; each honours check mode."""

from __future__ import annotations

import glob
import grp
import hashlib
import os
import pwd
import re
import signal
import stat
import subprocess
import time
from typing import Any

from ansible.module_utils.assessor_dpkg import package_of, path_packages
from ansible.module_utils.assessor_names import name_of
from ansible.module_utils.assessor_vault import (
    CHUNK,
    ITEM_ID,
    keep_copy,
    move_into,
    safe_dir,
    sha256_path,
    write_json,
    xattrs_of,
)


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


def quarantine_one(item: dict[str, Any], params: dict[str, Any], vault_run: str,
                   dpkg_cache: dict[str, dict[str, str]], check: bool) -> dict[str, Any]:
    path, expected = item.get("path", ""), str(item.get("sha256", "")).lower()
    record: dict[str, Any] = {"id": item.get("id", ""), "action": "file", "path": path,
                              "sha256": expected}
    if not ITEM_ID.match(record["id"]) or not safe_dir(path):
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


# The order runs unmounts first (a masked /proc entry hides a process), then processes
# (their units stopped), units, files, lines, accounts and shells.
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


def dpkg_owner(path: str, cache: dict[str, dict[str, str]]) -> str:
    """The package whose file list names `path` (or its merged-/usr twin), or ""; the
    file lists are read once per run."""
    if "table" not in cache:
        cache["table"] = path_packages()
    return str(package_of(path, cache["table"]))


def remove_lines(item: dict[str, Any], vault_run: str, check: bool) -> dict[str, Any]:
    """Remove the named lines (number and text as the hunt saw them) from one file, in
    place (mode, owner, xattrs and inode kept), after its original went to the vault."""
    record = base_record(item)
    path, wanted = record["path"], item.get("lines") or []
    if not ITEM_ID.match(record["id"]) or not safe_dir(path):
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
    if not ITEM_ID.match(record["id"]) or not safe_dir(path):
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
