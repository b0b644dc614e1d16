#!/usr/bin/python3
"""Record, before a harden role changes anything, what the host looked like.

One run keeps one directory on the host (`dir`, e.g. /var/backups/assessor/<run-id>):
`manifest.json` lists every path the run may change (existed or not, type, SHA-256,
mode, owner, group, link target) with a byte copy under `files/`, the installed version
of every package the run may remove, the live value of every sysctl it may write and the
enablement of every unit it may switch. The first record of a path wins, so a second
role touching the same file cannot overwrite the true "before". `finalize` adds the
state after the run, so a rollback can tell a later edit by someone else from ours.

Bookkeeping only: it never reports `changed` (a second harden run must report zero
changes) and writes nothing in check mode. Stdlib only: it runs on the target's python3.
"""

from __future__ import annotations

DOCUMENTATION = r"""
module: assessor_backup
short_description: Record, before a harden role changes anything, what the host looked
  like
description:
- 'One run keeps one directory on the host (`dir`, e.g. /var/backups/assessor/<run-id>):
  `manifest.json` lists every path the run may change (existed or not, type, SHA-256,
  mode, owner, group, link target) with a byte copy under `files/`, the installed
  version of every package the run may remove, the live value of every sysctl it may
  write and the enablement of every unit it may switch. The first record of a path
  wins, so a second role touching the same file cannot overwrite the true "before".
  `finalize` adds the state after the run, so a rollback can tell a later edit by
  someone else from ours.'
- 'Bookkeeping only: it never reports `changed` (a second harden run must report zero
  changes) and writes nothing in check mode. Stdlib only: it runs on the target''s
  python3.'
options:
  dir:
    description: The run's backup directory on the host.
    type: str
    required: true
  run_id:
    description: The harden run's id, recorded with each backup.
    type: str
    default: ''
  paths:
    description: Paths (globs) the run may change.
    type: list
    elements: str
    default: []
  packages:
    description: 'Packages the run may remove: their versions are recorded.'
    type: list
    elements: str
    default: []
  sysctl:
    description: 'Kernel parameters the run may write: their live values are recorded.'
    type: list
    elements: str
    default: []
  units:
    description: 'Units the run may switch: their enablement and whether they run are recorded.'
    type: list
    elements: str
    default: []
  control:
    description: The control these records belong to.
    type: str
    default: ''
  controls:
    description: The controls these records belong to (instead of control).
    type: list
    elements: str
    default: []
  reload:
    description: Service to reload when these paths are restored.
    type: str
    default: ''
  finalize:
    description: Record the state after the run, so rollback can tell a later edit
      from ours.
    type: bool
    default: false
"""

RETURN = r"""
manifest:
  description: The run's backup manifest as it stands now.
  returned: always
  type: dict
recorded:
  description: Paths recorded by this call (first record wins).
  returned: always
  type: list
  elements: str
check_mode:
  description: True when nothing was recorded because of check mode.
  returned: check mode
  type: bool
"""

import subprocess
import time

from ansible.module_utils.assessor_state import (
    expand,
    load,
    record_path,
    save,
    state_of,
    unit_activity,
    unit_enablement,
)
from ansible.module_utils.basic import AnsibleModule


def installed_version(package):
    proc = subprocess.run(
        ["dpkg-query", "-W", "-f=${Status}\t${Version}", package],
        capture_output=True, text=True, check=False,
    )
    status, _, version = proc.stdout.partition("\t")
    return version if proc.returncode == 0 and status.endswith(" installed") else None


def record_package(manifest, package, control):
    if any(p["name"] == package for p in manifest["packages"]):
        return False
    version = installed_version(package)
    if version is None:
        return False
    manifest["packages"].append({"name": package, "version": version, "controls": [control]})
    return True


def record_sysctl(manifest, key, control):
    if any(s["key"] == key for s in manifest["sysctl"]):
        return False
    try:
        with open("/proc/sys/" + key.replace(".", "/")) as handle:
            value = " ".join(handle.read().split())
    except OSError:
        return False
    manifest["sysctl"].append({"key": key, "value": value, "controls": [control]})
    return True


def record_unit(manifest, unit, control):
    if any(u["unit"] == unit for u in manifest["units"]):
        return False
    manifest["units"].append({"unit": unit, "state": unit_enablement(unit),
                              "active": unit_activity(unit), "controls": [control]})
    return True


def finalize(manifest):
    for entry in manifest["entries"]:
        entry["after"] = state_of(entry["path"])
    for unit in manifest["units"]:
        unit["after"] = unit_enablement(unit["unit"])
        unit["active_after"] = unit_activity(unit["unit"])
    manifest["finalized"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


def main():
    module = AnsibleModule(
        argument_spec={
            "dir": {"type": "str", "required": True},
            "run_id": {"type": "str", "default": ""},
            "paths": {"type": "list", "elements": "str", "default": []},
            "packages": {"type": "list", "elements": "str", "default": []},
            "sysctl": {"type": "list", "elements": "str", "default": []},
            "units": {"type": "list", "elements": "str", "default": []},
            "control": {"type": "str", "default": ""},
            "controls": {"type": "list", "elements": "str", "default": []},
            "reload": {"type": "str", "default": ""},
            "finalize": {"type": "bool", "default": False},
        },
        supports_check_mode=True,
    )
    params = module.params
    directory = params["dir"]
    manifest = load(directory, params["run_id"])
    if module.check_mode:
        module.exit_json(changed=False, manifest=manifest, recorded=[], check_mode=True)
    recorded = []
    controls = params["controls"] or [params["control"]]
    control = ",".join(c for c in controls if c)
    for path in expand(params["paths"]):
        for one in controls:
            if record_path(directory, manifest, path, one, params["reload"]):
                recorded.append(path)
    for package in params["packages"]:
        if record_package(manifest, package, control):
            recorded.append("package " + package)
    for key in params["sysctl"]:
        if record_sysctl(manifest, key, control):
            recorded.append("sysctl " + key)
    for unit in params["units"]:
        if record_unit(manifest, unit, control):
            recorded.append("unit " + unit)
    if params["finalize"]:
        finalize(manifest)
    save(directory, manifest)
    module.exit_json(changed=False, manifest=manifest, recorded=recorded)


if __name__ == "__main__":
    main()
