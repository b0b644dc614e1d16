#!/usr/bin/python3
"""Put back what `assessor_backup` recorded for one harden run, byte for byte.

For each recorded path: if it is as it was before the run, nothing to do; if it is as the
run left it (or the run's "after" is unknown), restore it: the saved bytes, mode, owner
and group, the old link target, or delete it when it did not exist before. A path edited
by someone else since the run is a conflict and is left alone unless `force`. Live sysctl
values and unit enablement are restored the same way; removed packages cannot be put
back byte for byte, so they are returned as `packages_not_restored` with their versions.
Stdlib only: it runs on the target's python3.
"""

from __future__ import annotations

DOCUMENTATION = r"""
module: assessor_restore
short_description: Put back what `assessor_backup` recorded for one harden run, byte
  for byte
description:
- 'For each recorded path: if it is as it was before the run, nothing to do; if it
  is as the run left it (or the run''s "after" is unknown), restore it: the saved
  bytes, mode, owner and group, the old link target, or delete it when it did not
  exist before. A path edited by someone else since the run is a conflict and is left
  alone unless `force`. Live sysctl values and unit enablement are restored the same
  way; removed packages cannot be put back byte for byte, so they are returned as
  `packages_not_restored` with their versions. Stdlib only: it runs on the target''s
  python3.'
options:
  dir:
    description: The harden run's backup directory on the host.
    type: str
    required: true
  force:
    description: Also restore paths someone changed after the run.
    type: bool
    default: false
  sysctl_pattern:
    description: Only kernel parameters matching this pattern are written back live.
    type: str
    default: .*
"""

RETURN = r"""
actions:
  description: 'What was restored: path, action and controls.'
  returned: always
  type: list
  elements: dict
conflicts:
  description: Paths changed after the run and left alone, with why.
  returned: always
  type: list
  elements: dict
reloads:
  description: Services to reload after validation.
  returned: always
  type: list
  elements: str
errors:
  description: What could not be restored.
  returned: always
  type: list
  elements: str
packages_not_restored:
  description: Packages the run removed, with the versions to reinstall.
  returned: always
  type: list
  elements: dict
"""

import json
import os
import re
import shutil
import subprocess

from ansible.module_utils.assessor_state import state_of, unit_activity, unit_enablement
from ansible.module_utils.basic import AnsibleModule


def same(now, then):
    keys = ("type", "sha256", "mode", "uid", "gid", "link")
    return all(now.get(k) == then.get(k) for k in keys)


def restore_entry(directory, entry):
    """Make `entry['path']` as it was; returns the action taken."""
    path = entry["path"]
    kind = entry["type"]
    now = state_of(path)
    if kind == "absent":
        if now["type"] == "dir":
            os.rmdir(path)
        elif now["type"] != "absent":
            os.unlink(path)
        return "deleted (did not exist before)"
    if kind == "file":
        source = os.path.join(directory, entry["backup"])
        if now["type"] not in ("file", "absent"):
            raise ValueError("%s is now a %s, not a file: not replaced" % (path, now["type"]))
        tmp = path + ".assessor-restore"
        shutil.copyfile(source, tmp)
        os.chown(tmp, entry["uid"], entry["gid"])
        os.chmod(tmp, int(entry["mode"], 8))
        os.replace(tmp, path)
        return "restored content, mode and owner"
    if kind == "link":
        if now["type"] != "absent":
            os.unlink(path)
        os.symlink(entry["link"], path)
        return "restored link to " + entry["link"]
    if kind == "dir":
        if now["type"] == "absent":
            os.makedirs(path)
        os.chown(path, entry["uid"], entry["gid"])
        os.chmod(path, int(entry["mode"], 8))
        return "restored mode and owner"
    raise ValueError("%s: cannot restore a %s" % (path, kind))


def read_sysctl(key):
    with open("/proc/sys/" + key.replace(".", "/")) as handle:
        return " ".join(handle.read().split())


def write_sysctl(key, value):
    with open("/proc/sys/" + key.replace(".", "/"), "w") as handle:
        handle.write(value)


def restore_activity(unit, check_mode):
    """Stop a unit the run started (recorded not running), start one it stopped; an older
    manifest, without `active`, leaves the unit as it runs now."""
    was = unit.get("active")
    now = unit_activity(unit["unit"])
    if was not in ("active", "inactive") or (now == "active") == (was == "active"):
        return None
    verb = "start" if was == "active" else "stop"
    if not check_mode:
        subprocess.run(["systemctl", verb, unit["unit"]], capture_output=True, check=False)
    return {"path": "unit " + unit["unit"], "action": "%s -> %s" % (now, verb),
            "controls": unit["controls"]}


def main():
    module = AnsibleModule(
        argument_spec={
            "dir": {"type": "str", "required": True},
            "force": {"type": "bool", "default": False},
            "sysctl_pattern": {"type": "str", "default": ".*"},
        },
        supports_check_mode=True,
    )
    directory = module.params["dir"]
    path = os.path.join(directory, "manifest.json")
    if not os.path.exists(path):
        module.fail_json(msg="no backup manifest at %s: nothing to roll back from" % path)
    with open(path) as handle:
        manifest = json.load(handle)
    actions, conflicts, reloads, errors = [], [], set(), []
    for entry in reversed(manifest["entries"]):  # a file before the directory made for it
        now = state_of(entry["path"])
        if same(now, entry):
            continue
        after = entry.get("after")
        if after is not None and not same(now, after) and not module.params["force"]:
            conflicts.append({"path": entry["path"],
                              "why": "changed since the harden run; not restored (use --force)"})
            continue
        action = "would restore" if module.check_mode else ""
        if not module.check_mode:
            try:
                action = restore_entry(directory, entry)
            except (OSError, ValueError) as exc:
                errors.append("%s: %s" % (entry["path"], exc))
                continue
        actions.append({"path": entry["path"], "action": action, "controls": entry["controls"]})
        reloads.update(entry.get("reloads", []))
    live = re.compile(module.params["sysctl_pattern"])
    for item in manifest.get("sysctl", []):
        try:
            current = read_sysctl(item["key"])
        except OSError as exc:
            errors.append("sysctl %s: %s" % (item["key"], exc))
            continue
        if current == item["value"] or not live.search(item["key"]):
            continue
        if not module.check_mode:
            write_sysctl(item["key"], item["value"])
        actions.append({"path": "sysctl " + item["key"],
                        "action": "%s -> %s" % (current, item["value"]),
                        "controls": item["controls"]})
    for unit in manifest.get("units", []):
        current = unit_enablement(unit["unit"])
        if current == unit["state"] or unit["state"] not in ("enabled", "disabled", "masked"):
            activity = restore_activity(unit, module.check_mode)
            if activity:
                actions.append(activity)
            continue
        verb = {"enabled": "enable", "disabled": "disable", "masked": "mask"}[unit["state"]]
        if current == "masked" and verb != "mask" and not module.check_mode:
            subprocess.run(["systemctl", "unmask", unit["unit"]], capture_output=True, check=False)
        if not module.check_mode:
            subprocess.run(["systemctl", verb, unit["unit"]], capture_output=True, check=False)
        actions.append({"path": "unit " + unit["unit"], "action": "%s -> %s" % (current, verb),
                        "controls": unit["controls"]})
        activity = restore_activity(unit, module.check_mode)
        if activity:
            actions.append(activity)
    result = {
        "changed": bool(actions), "actions": actions, "conflicts": conflicts,
        "reloads": sorted(reloads), "errors": errors,
        "packages_not_restored": manifest.get("packages", []),
    }
    if errors:
        module.fail_json(msg="rollback incomplete: " + "; ".join(errors), **result)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
