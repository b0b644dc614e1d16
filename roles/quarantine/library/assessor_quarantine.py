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
import json
import os
import stat
from typing import Any

from ansible.module_utils.assessor_removals import ORDER, act
from ansible.module_utils.assessor_vault import (
    ITEM_ID,
    copy_fd,
    safe_dir,
    sha256_fd,
    sha256_path,
    vault_dir,
)
from ansible.module_utils.basic import AnsibleModule


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
    if not ITEM_ID.match(record["id"]):
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
    if not ITEM_ID.match(params["run_id"]):
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
