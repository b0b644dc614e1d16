#!/usr/bin/python3
"""Set running kernel parameters in one module run, recording the old values first.

Only keys matching `pattern` are touched: where PID 1 is not an init system the assessor
passes `^net\\.`, because the kernel's global parameters belong to the machine, not to the
container. And only keys the running kernel lets this host write: in a container (the lab
among them) /proc/sys is read-only but for net.*, and a kernel without Yama has no
kernel.yama.*; those stay persisted for the next boot and are listed in `not_live` with
why. Check mode reports what would change. Stdlib only.
"""

from __future__ import annotations

DOCUMENTATION = r"""
module: assessor_sysctl_live
short_description: Set running kernel parameters in one module run, recording the
  old values first
description:
- 'Only keys matching `pattern` are touched: where PID 1 is not an init system the
  assessor passes `^net\.`, because the kernel''s global parameters belong to the
  machine, not to the container. And only keys the running kernel lets this host write:
  in a container (the lab among them) /proc/sys is read-only but for net.*, and a
  kernel without Yama has no kernel.yama.*; those stay persisted for the next boot
  and are listed in `not_live` with why. Check mode reports what would change. Stdlib
  only.'
options:
  settings:
    description: 'Kernel parameters to set live: {control, key, value}.'
    type: list
    elements: dict
    required: true
  pattern:
    description: Only keys matching this pattern are written.
    type: str
    default: .*
  backup_dir:
    description: Backup directory of this harden run on the host; the changed files
      are recorded there first.
    type: str
    required: true
  run_id:
    description: The harden run's id, recorded with each backup.
    type: str
    default: ''
"""

RETURN = r"""
changes:
  description: 'One entry per changed setting: control, path, before and after.'
  returned: always
  type: list
  elements: dict
not_live:
  description: 'Keys left to the next boot, each with why: {key, why}.'
  returned: always
  type: list
  elements: dict
"""

import os
import re

from ansible.module_utils.assessor_state import load, save
from ansible.module_utils.basic import AnsibleModule


def proc_path(key):
    return "/proc/sys/" + key.replace(".", "/")


def main():
    module = AnsibleModule(
        argument_spec={
            "settings": {"type": "list", "elements": "dict", "required": True},
            "pattern": {"type": "str", "default": ".*"},
            "backup_dir": {"type": "str", "required": True},
            "run_id": {"type": "str", "default": ""},
        },
        supports_check_mode=True,
    )
    p = module.params
    live = re.compile(p["pattern"])
    changes, skipped = [], []
    manifest = None
    for setting in p["settings"]:
        key, value = setting["key"], str(setting["value"])
        if not live.search(key):
            skipped.append({"key": key, "why": "not set live where PID 1 is not an init"})
            continue
        try:
            with open(proc_path(key)) as handle:
                current = " ".join(handle.read().split())
        except FileNotFoundError:
            skipped.append({"key": key, "why": "this kernel has no such parameter"})
            continue
        except OSError as exc:
            module.fail_json(msg="sysctl %s: %s" % (key, exc))
        if not os.access(proc_path(key), os.W_OK):
            skipped.append({"key": key, "why": "read-only here: the kernel is shared with "
                                              "the machine this container runs on"})
            continue
        if current == " ".join(value.split()):
            continue
        changes.append({"control": setting.get("control", ""), "before": "%s = %s" % (key, current),
                        "after": "%s = %s" % (key, value)})
        if module.check_mode:
            continue
        if manifest is None:
            manifest = load(p["backup_dir"], p["run_id"])
        if not any(s["key"] == key for s in manifest["sysctl"]):
            manifest["sysctl"].append({"key": key, "value": current,
                                       "controls": [setting.get("control", "")]})
            save(p["backup_dir"], manifest)
        with open(proc_path(key), "w") as handle:
            handle.write(value)
    module.exit_json(changed=bool(changes), changes=changes, not_live=skipped)


if __name__ == "__main__":
    main()
