#!/usr/bin/python3
"""Set several `key value` lines in one configuration file in one module run.

Each setting carries the control it implements, so the result says per control which
line changed (`changes`), besides the whole file's diff. A key's live lines (optionally
inside one `[section]`) are replaced by the wanted line at the first one's place; other
live lines for the same key are removed, so neither "first wins" nor "last wins" parsers
can read an old value; a missing key is appended (to its section, created if needed).
Before the file is replaced it is recorded in the run's backup manifest, the new text is
validated with `validate` (a command with %s, e.g. `sshd -t -f %s`) and then renamed into
place. Check mode and diff are honoured. Stdlib only: it runs on the target's python3.
"""

from __future__ import annotations

DOCUMENTATION = r"""
module: assessor_settings
short_description: Set several `key value` lines in one configuration file in one
  module run
description:
- 'Each setting carries the control it implements, so the result says per control
  which line changed (`changes`), besides the whole file''s diff. A key''s live lines
  (optionally inside one `[section]`) are replaced by the wanted line at the first
  one''s place; other live lines for the same key are removed, so neither "first wins"
  nor "last wins" parsers can read an old value; a missing key is appended (to its
  section, created if needed). Before the file is replaced it is recorded in the run''s
  backup manifest, the new text is validated with `validate` (a command with %s, e.g.
  `sshd -t -f %s`) and then renamed into place. Check mode and diff are honoured.
  Stdlib only: it runs on the target''s python3.'
options:
  path:
    description: The configuration file.
    type: str
    required: true
  settings:
    description: 'Settings to place: {control, key, value} or {control, line}.'
    type: list
    elements: dict
    default: []
  content:
    description: The whole file's content instead of settings.
    type: str
  control:
    description: The control that content implements.
    type: str
    default: ''
  separator:
    description: Between key and value.
    type: str
    default: ' '
  section:
    description: INI section the settings belong in.
    type: str
  comment:
    description: Comment prefix of the file.
    type: str
    default: '#'
  ignore_case:
    description: Match keys without regard to case.
    type: bool
    default: false
  mode:
    description: Mode of a file created.
    type: str
    default: '0644'
  owner:
    description: Owner of a file created.
    type: str
    default: root
  group:
    description: Group of a file created.
    type: str
    default: root
  validate:
    description: Command to check the new file with, %s standing for its path, before
      it takes effect.
    type: str
  header:
    description: First lines of a file created.
    type: str
    default: ''
  backup_dir:
    description: Backup directory of this harden run on the host; the changed files
      are recorded there first.
    type: str
    required: true
  run_id:
    description: The harden run's id, recorded with each backup.
    type: str
    default: ''
  reload:
    description: Service to reload when this file is restored by rollback.
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

import grp
import os
import pwd
import re
import subprocess

from ansible.module_utils.assessor_state import backup_paths, read_text, replace_file
from ansible.module_utils.basic import AnsibleModule


def key_pattern(key, ignore_case, separator):
    flags = re.IGNORECASE if ignore_case else 0
    sep = re.escape(separator.strip()) if separator.strip() else r"\s"
    return re.compile(r"^\s*%s\s*(%s|$)" % (re.escape(key), sep), flags)


def section_of(lines, index):
    for line in reversed(lines[:index]):
        stripped = line.strip()
        if stripped.startswith("[") and stripped.endswith("]"):
            return stripped[1:-1].strip()
    return None


def apply(lines, setting, separator, ignore_case, section, comment):
    """Returns (new lines, old line or None, changed, wanted line)."""
    wanted = setting.get("line") or "%s%s%s" % (setting["key"], separator, setting["value"])
    pattern = key_pattern(setting["key"], ignore_case, separator)
    hits = [
        i for i, line in enumerate(lines)
        if not line.lstrip().startswith(comment) and pattern.match(line)
        and (section is None or section_of(lines, i) == section)
    ]
    if hits and lines[hits[0]] == wanted and len(hits) == 1:
        return lines, wanted, False, wanted
    old = lines[hits[0]] if hits else None
    if hits:
        out = [line for i, line in enumerate(lines) if i not in hits[1:]]
        out[hits[0]] = wanted
        return out, old, True, wanted
    if section is None:
        return [*lines, wanted], None, True, wanted
    header = [i for i, line in enumerate(lines) if line.strip() == "[%s]" % section]
    if not header:
        head = ["", "[%s]" % section] if lines else ["[%s]" % section]
        return lines + head + [wanted], None, True, wanted
    end = header[0] + 1
    while end < len(lines) and not lines[end].strip().startswith("["):
        end += 1
    while end > header[0] + 1 and not lines[end - 1].strip():
        end -= 1
    return [*lines[:end], wanted, *lines[end:]], None, True, wanted


def main():
    module = AnsibleModule(
        argument_spec={
            "path": {"type": "str", "required": True},
            "settings": {"type": "list", "elements": "dict", "default": []},
            "content": {"type": "str"},
            "control": {"type": "str", "default": ""},
            "separator": {"type": "str", "default": " "},
            "section": {"type": "str"},
            "comment": {"type": "str", "default": "#"},
            "ignore_case": {"type": "bool", "default": False},
            "mode": {"type": "str", "default": "0644"},
            "owner": {"type": "str", "default": "root"},
            "group": {"type": "str", "default": "root"},
            "validate": {"type": "str"},
            "header": {"type": "str", "default": ""},
            "backup_dir": {"type": "str", "required": True},
            "run_id": {"type": "str", "default": ""},
            "reload": {"type": "str", "default": ""},
        },
        supports_check_mode=True,
    )
    p = module.params
    path = p["path"]
    existed = os.path.exists(path)
    if existed and not os.path.isfile(path):
        module.fail_json(msg="%s exists and is not a regular file" % path)
    text = read_text(path) if existed else p["header"]
    lines = text.splitlines()
    changes = []
    for setting in p["settings"]:
        lines, old, changed, wanted = apply(lines, setting, p["separator"], p["ignore_case"],
                                            p["section"], p["comment"])
        if changed:
            changes.append({"control": setting.get("control", ""), "before": old,
                            "after": wanted})
    new_text = "\n".join(lines) + "\n"
    if p["content"] is not None:
        new_text = p["content"]
        if new_text != text or not existed:
            changes = [{"control": p["control"], "before": "(%d lines)" % len(lines)
                        if existed else "(absent)", "after": "(%d lines)" % len(
                            new_text.splitlines())}]
    changed = new_text != (read_text(path) if existed else "")
    diff = {"before": read_text(path) if existed else "", "after": new_text,
            "before_header": path, "after_header": path}
    if not changed or module.check_mode:
        module.exit_json(changed=changed, changes=changes, diff=diff if changed else {})
    controls = [c["control"] for c in changes if c["control"]]
    directory = os.path.dirname(path) or "."
    if not os.path.lexists(directory):
        # recorded as absent first, so a rollback removes it after the file in it
        backup_paths(p["backup_dir"], p["run_id"], [directory], controls)
        os.makedirs(directory, mode=0o755)
    backup_paths(p["backup_dir"], p["run_id"], [path], controls, p["reload"])

    def validate(tmp):
        if not p["validate"]:
            return None
        command = p["validate"].replace("%s", tmp)
        proc = subprocess.run(command, shell=True, capture_output=True, text=True, check=False)
        if proc.returncode == 0:
            return None
        return "validation failed, %s left unchanged: %s: %s" % (
            path, command, (proc.stderr or proc.stdout).strip())

    # an existing file keeps its owner and mode; only a new one needs the names resolved
    owner = (0, 0) if existed else (pwd.getpwnam(p["owner"]).pw_uid,
                                    grp.getgrnam(p["group"]).gr_gid)
    problem = replace_file(path, new_text, int(p["mode"], 8), *owner, check=validate)
    if problem:
        module.fail_json(msg=problem, changes=changes)
    module.exit_json(changed=True, changes=changes, diff=diff)


if __name__ == "__main__":
    main()
