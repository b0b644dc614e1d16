#!/usr/bin/python3
"""Tighten mode and ownership of the paths a glob names, never loosen them.

The new mode is the current one with every bit outside `max_mode` cleared, so a file
already stricter than the control asks stays as it is (the `file` module would set the
mode exactly and could open it up). The owner becomes `owner` when it differs; the group
becomes the first of `group` when the current one is not among them. Check mode and diff
are honoured. Stdlib only: it runs on the target's python3.
"""

from __future__ import annotations

DOCUMENTATION = r"""
module: assessor_perms
short_description: Tighten mode and ownership of the paths a glob names, never loosen
  them
description:
- 'The new mode is the current one with every bit outside `max_mode` cleared, so a
  file already stricter than the control asks stays as it is (the `file` module would
  set the mode exactly and could open it up). The owner becomes `owner` when it differs;
  the group becomes the first of `group` when the current one is not among them. Check
  mode and diff are honoured. Stdlib only: it runs on the target''s python3.'
options:
  specs:
    description: Paths (globs) with owner, group, max_mode and types to tighten.
    type: list
    elements: dict
    required: true
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
diff:
  description: Before and after text of the file, for --diff.
  returned: changed
  type: dict
"""

import fnmatch
import glob
import grp
import os
import pwd
import stat

from ansible.module_utils.assessor_state import backup_paths
from ansible.module_utils.basic import AnsibleModule

TYPES = {"file": stat.S_ISREG, "dir": stat.S_ISDIR}


def describe(mode, uid, gid):
    return "mode %04o owner %s:%s" % (mode, user_name(uid), group_name(gid))


def user_name(uid):
    try:
        return pwd.getpwuid(uid).pw_name
    except KeyError:
        return str(uid)


def group_name(gid):
    try:
        return grp.getgrgid(gid).gr_name
    except KeyError:
        return str(gid)


def main():
    module = AnsibleModule(
        argument_spec={
            "specs": {"type": "list", "elements": "dict", "required": True},
            "backup_dir": {"type": "str", "required": True},
            "run_id": {"type": "str", "default": ""},
        },
        supports_check_mode=True,
    )
    changes, before, after = [], [], []
    for spec in module.params["specs"]:
        params = dict(SPEC_DEFAULTS, **spec)
        params["backup_dir"] = module.params["backup_dir"]
        params["run_id"] = module.params["run_id"]
        tighten(module, params, changes, before, after)
    diff = {"before": "\n".join(before) + "\n", "after": "\n".join(after) + "\n",
            "before_header": "permissions", "after_header": "permissions"}
    module.exit_json(changed=bool(changes), changes=changes, diff=diff if changes else {})


SPEC_DEFAULTS = {"owner": "", "group": [], "types": [], "exclude": [], "control": ""}


def listed(value):
    if value is None or value == "":
        return []
    return [str(v) for v in value] if isinstance(value, list) else [str(value)]


def tighten(module, params, changes, before, after):
    """One control's paths: clear mode bits beyond max_mode, fix owner and group."""
    for key in ("paths", "group", "types", "exclude"):
        params[key] = listed(params[key])
    limit = int(str(params["max_mode"]), 8)
    paths = []
    for pattern in params["paths"]:
        found = sorted(glob.glob(pattern)) if glob.has_magic(pattern) else [pattern]
        paths.extend(p for p in found if os.path.lexists(p) and p not in paths)
    for path in paths:
        # a symbolic link is never followed: the file it leads to may lie outside the
        # control's scope and outside the backup (the check skips links too, see
        # checks/config.py glob_permissions)
        if any(fnmatch.fnmatch(path, e) for e in params["exclude"]) or os.path.islink(path):
            continue
        info = os.lstat(path)
        if params["types"] and not any(TYPES[t](info.st_mode) for t in params["types"]):
            continue
        mode = stat.S_IMODE(info.st_mode)
        new_mode = mode & limit
        uid, gid = info.st_uid, info.st_gid
        new_uid = pwd.getpwnam(params["owner"]).pw_uid if params["owner"] else uid
        allowed = [g for g in params["group"] if g]
        new_gid = gid
        if allowed and group_name(gid) not in allowed:
            new_gid = grp.getgrnam(allowed[0]).gr_gid
        if (new_mode, new_uid, new_gid) == (mode, uid, gid):
            continue
        old, new = describe(mode, uid, gid), describe(new_mode, new_uid, new_gid)
        changes.append({"control": params["control"], "path": path, "before": old,
                        "after": new})
        before.append("%s: %s" % (path, old))
        after.append("%s: %s" % (path, new))
        if not module.check_mode:
            backup_paths(params["backup_dir"], params["run_id"], [path], [params["control"]])
            if (new_uid, new_gid) != (uid, gid):
                os.chown(path, new_uid, new_gid)
            os.chmod(path, new_mode)


if __name__ == "__main__":
    main()
