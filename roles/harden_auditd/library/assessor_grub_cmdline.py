#!/usr/bin/python3
"""Set kernel arguments in GRUB_CMDLINE_LINUX of /etc/default/grub, one per control.

update-grub writes GRUB_CMDLINE_LINUX onto every `linux` line of /boot/grub/grub.cfg
(recovery entries too), so that variable is where a boot argument belongs. An argument
already there with another value is replaced in place; a missing one is appended. The
file is recorded in the run's backup manifest before it changes (created when absent,
which a rollback then deletes). Check mode and diff are honoured. Regenerating grub.cfg
is the role's next task, not this module's. Stdlib only: it runs on the target's python3.
"""

from __future__ import annotations

DOCUMENTATION = r"""
module: assessor_grub_cmdline
short_description: Set kernel arguments in GRUB_CMDLINE_LINUX of /etc/default/grub,
  one per control
description:
- 'update-grub writes GRUB_CMDLINE_LINUX onto every `linux` line of /boot/grub/grub.cfg
  (recovery entries too), so that variable is where a boot argument belongs. An argument
  already there with another value is replaced in place; a missing one is appended.
  The file is recorded in the run''s backup manifest before it changes (created when
  absent, which a rollback then deletes). Check mode and diff are honoured. Regenerating
  grub.cfg is the role''s next task, not this module''s. Stdlib only: it runs on the
  target''s python3.'
options:
  path:
    description: The GRUB defaults file.
    type: str
    default: /etc/default/grub
  args:
    description: 'Kernel arguments to set: {name, value, control} or a harden item
      {id, params, target}.'
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
  note:
    description: Text shown after each changed argument (e.g. that a reboot is needed).
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

import os
import re
import shlex

from ansible.module_utils.assessor_state import backup_paths, read_text, replace_file
from ansible.module_utils.basic import AnsibleModule

VARIABLE = "GRUB_CMDLINE_LINUX"
ASSIGNMENT = re.compile(r"^\s*(export\s+)?%s=(.*)$" % VARIABLE)


def current_words(value):
    """The words of the assignment's right-hand side as the shell would split them."""
    try:
        return " ".join(shlex.split(value, comments=True)).split()
    except ValueError:
        return value.strip().strip("\"'").split()


def set_args(text, args):
    """(new text, [(control, before, after)]) with each argument set: {name, value,
    control}, or a harden item {id, params: {arg}, target} as the role passes them."""
    lines = text.splitlines()
    hits = [i for i, line in enumerate(lines) if ASSIGNMENT.match(line)]
    last = ASSIGNMENT.match(lines[hits[-1]]) if hits else None
    words = current_words(last.group(2)) if last else []
    changes = []
    for arg in args:
        name = arg.get("name") or arg["params"]["arg"]
        value = str(arg["value"] if "value" in arg else arg["target"])
        control = arg.get("control", arg.get("id", ""))
        wanted = "%s=%s" % (name, value)
        old = [w for w in words if w == name or w.startswith(name + "=")]
        if old == [wanted]:
            continue
        if old:
            at = words.index(old[0])
            words = [w for w in words if w not in old]
            words.insert(at, wanted)
        else:
            words.append(wanted)
        changes.append((control, " ".join(old) or None, wanted))
    if not changes:
        return text, []
    line = '%s="%s"' % (VARIABLE, " ".join(words))
    if hits:
        lines[hits[-1]] = line
    else:
        lines.append(line)
    return "\n".join(lines) + "\n", changes


def main():
    module = AnsibleModule(
        argument_spec={
            "path": {"type": "str", "default": "/etc/default/grub"},
            "args": {"type": "list", "elements": "dict", "required": True},
            "backup_dir": {"type": "str", "required": True},
            "run_id": {"type": "str", "default": ""},
            "note": {"type": "str", "default": ""},
        },
        supports_check_mode=True,
    )
    path = module.params["path"]
    existed = os.path.exists(path)
    if existed and not os.path.isfile(path):
        module.fail_json(msg="%s exists and is not a regular file" % path)
    text = read_text(path) if existed else ""
    new_text, found = set_args(text, module.params["args"])
    note = module.params["note"].strip()
    changes = [{"control": c, "path": path, "before": b,
                "after": "%s (%s)" % (a, note) if note else a} for c, b, a in found]
    if not found:
        module.exit_json(changed=False, changes=[])
    diff = {"before": text, "after": new_text, "before_header": path, "after_header": path}
    if module.check_mode:
        module.exit_json(changed=True, changes=changes, diff=diff)
    backup_paths(module.params["backup_dir"], module.params["run_id"], [path],
                 [c for c, _, _ in found if c])
    replace_file(path, new_text)
    module.exit_json(changed=True, changes=changes, diff=diff)


if __name__ == "__main__":
    main()
