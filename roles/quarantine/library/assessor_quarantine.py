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
restore: the bytes go back through a new file in the original directory (never through a
symlink, never over a different file), with owner, mode, xattrs and times, and the hash is
verified before and after. Check mode reports what would happen and changes nothing.
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
      for restore, dicts with id, path, sha256 (as the run's manifest has them).
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
  description: action, check (bool), and items, each with id, path, status (moved,
    would-move, restored, would-restore, identical, refused, missing, error), reason, and for
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
import time
from typing import Any

from ansible.module_utils.basic import AnsibleModule

_ID = re.compile(r"^[A-Za-z0-9._-]{1,80}$")
CHUNK = 1 << 20
MERGED_USR = ("/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32")


def sha256_fd(fd: int) -> str:
    digest = hashlib.sha256()
    os.lseek(fd, 0, os.SEEK_SET)
    while True:
        block = os.read(fd, CHUNK)
        if not block:
            return digest.hexdigest()
        digest.update(block)


def sha256_path(path: str) -> str:
    fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
    try:
        return sha256_fd(fd)
    finally:
        os.close(fd)


def name_of(table: Any, key: str, number: int) -> str:
    try:
        return str(getattr(table, key)(number)[0])
    except KeyError:
        return str(number)


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
    """The package whose file list names `path` exactly, or ""."""
    if "table" not in cache:
        table: dict[str, str] = {}
        for listing in glob.glob("/var/lib/dpkg/info/*.list"):
            package = os.path.basename(listing)[: -len(".list")].split(":")[0]
            try:
                with open(listing, encoding="utf-8", errors="replace") as handle:
                    for line in handle:
                        table.setdefault(line.rstrip("\n"), package)
            except OSError:
                continue
        cache["table"] = table
    for alias in aliases(path):
        if alias in cache["table"]:
            return cache["table"][alias]
    return ""


def aliases(path: str) -> list[str]:
    """The path and its merged-/usr twin: dpkg may list /bin/sleep for /usr/bin/sleep."""
    names = [path]
    for top in MERGED_USR:
        if path.startswith("/usr" + top + "/"):
            names.append(path[len("/usr"):])
        elif path.startswith(top + "/"):
            names.append("/usr" + path)
    return names


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
    record: dict[str, Any] = {"id": item.get("id", ""), "path": path, "sha256": expected}
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
    if actual != expected:
        return dict(record, status="refused",
                    reason="changed since the scan (sha256 now %s)" % actual)
    users = users_of(info, path)
    sidecar: dict[str, Any] = {
        "id": record["id"], "run_id": params["run_id"], "path": path, "sha256": actual,
        "size": info.st_size, "mode": "%04o" % stat.S_IMODE(info.st_mode),
        "uid": info.st_uid, "gid": info.st_gid, "owner": name_of(pwd, "getpwuid", info.st_uid),
        "group": name_of(grp, "getgrgid", info.st_gid), "atime_ns": info.st_atime_ns,
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
        for item in items:
            if params["action"] == "quarantine":
                done.append(quarantine_one(item, params, vault_run, cache, check))
            else:
                done.append(restore_one(item, vault_run, check))
    except OSError as exc:
        module.fail_json(msg="quarantine: %s" % exc, items=done)
    changed = any(d["status"] in ("moved", "restored") for d in done)
    module.exit_json(changed=changed, quarantine={"action": params["action"], "check": check,
                                                  "items": done})


if __name__ == "__main__":
    main()
