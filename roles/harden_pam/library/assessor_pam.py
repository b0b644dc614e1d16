#!/usr/bin/python3
"""Put PAM modules in their stacks and set their arguments, in one module run per host.

Items are the selected `pam_module` / `pam_option` / `faillock_root` controls that fail
on the host, as the assessor planned them (id, params = the tailored check, target).
Three steps, in order:

1. A module missing from a common-* stack is added the Debian way: the role's
   pam-auth-update profile for it is written to /usr/share/pam-configs and enabled with
   `pam-auth-update --enable`, which orders the stack by priority and fixes every jump.
   pam-auth-update refuses to touch common-* files edited by hand; then this module stops
   with that message (nothing changed) unless `force_update` lets pam-auth-update rewrite
   them. A module missing from another service (su) gets the item's `insert` line.
2. Arguments: `args_none` removed, `args_all` added, `args_one_of` given the role's value;
   an option a stack line sets as an argument is set there (arguments beat files).
3. Options no line sets go to the module's configuration file when the host has it
   (faillock.conf, pwquality.conf; pwhistory.conf only from Linux-PAM 1.5.3), else become
   arguments on the module's lines.

Every file is recorded in the run's backup manifest before it changes, including
pam-auth-update's state in /var/lib/pam, so a rollback is byte for byte. Check mode
changes nothing and previews the same steps (pam-auth-update itself is not run).
Stdlib only: it runs on the target's python3.
"""

from __future__ import annotations

DOCUMENTATION = r"""
module: assessor_pam
short_description: Put PAM modules in their stacks and set their arguments, in one
  module run per host
description:
- 'Items are the selected `pam_module` / `pam_option` / `faillock_root` controls that
  fail on the host, as the assessor planned them (id, params = the tailored check,
  target). Three steps, in order:'
- '1. A module missing from a common-* stack is added the Debian way: the role''s
  pam-auth-update profile for it is written to /usr/share/pam-configs and enabled
  with `pam-auth-update --enable`, which orders the stack by priority and fixes every
  jump. pam-auth-update refuses to touch common-* files edited by hand; then this
  module stops with that message (nothing changed) unless `force_update` lets pam-auth-update
  rewrite them. A module missing from another service (su) gets the item''s `insert`
  line. 2. Arguments: `args_none` removed, `args_all` added, `args_one_of` given the
  role''s value; an option a stack line sets as an argument is set there (arguments
  beat files). 3. Options no line sets go to the module''s configuration file when
  the host has it (faillock.conf, pwquality.conf; pwhistory.conf only from Linux-PAM
  1.5.3), else become arguments on the module''s lines.'
- 'Every file is recorded in the run''s backup manifest before it changes, including
  pam-auth-update''s state in /var/lib/pam, so a rollback is byte for byte. Check
  mode changes nothing and previews the same steps (pam-auth-update itself is not
  run). Stdlib only: it runs on the target''s python3.'
options:
  items:
    description: The failing pam_module, pam_option and faillock_root controls, as the role passes
      them.
    type: list
    elements: dict
    default: []
  profiles:
    description: pam-auth-update profiles to write, by name.
    type: dict
    default: {}
  profile_dir:
    description: Where pam-auth-update reads profiles.
    type: str
    default: /usr/share/pam-configs
  force_update:
    description: Pass --force to pam-auth-update.
    type: bool
    default: false
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
enabled:
  description: pam-auth-update profiles enabled.
  returned: always
  type: list
  elements: str
diff:
  description: Before and after text of each changed PAM file.
  returned: changed
  type: list
  elements: dict
"""

import glob
import os
import subprocess

from ansible.module_utils.assessor_pamfile import (
    Files,
    insert_line,
    module_lines,
    set_args,
    set_conf,
    with_option,
)
from ansible.module_utils.assessor_pamsyntax import arg_value, has_arg, service_path
from ansible.module_utils.assessor_state import backup_paths, replace_file
from ansible.module_utils.basic import AnsibleModule

COMMON = ["/etc/pam.d/common-" + t for t in
          ("auth", "account", "password", "session", "session-noninteractive")]
SAVED = ["/var/lib/pam/" + t for t in
         ("auth", "account", "password", "session", "session-noninteractive", "seen")]
KINDS = ("pam_module", "pam_option", "faillock_root")


def names(value):
    if value is None:
        return []
    return [str(v) for v in value] if isinstance(value, list) else [str(value)]


class Run:
    def __init__(self, module):
        self.module = module
        self.p = module.params
        self.files = Files()
        self.changes = []
        self.enabled = []
        self.refused = None  # why pam-auth-update changed nothing, reported at the end

    def fail(self, msg):
        self.module.fail_json(msg=msg, changes=self.changes)

    def found(self, item):
        params = item["params"]
        return module_lines(self.files, params["service"], params["type"], params["module"])

    def note(self, item, path, before, after):
        self.changes.append({"control": item["id"], "path": path, "before": before,
                             "after": after})

    # --- 1. membership ----------------------------------------------------------------

    def add_modules(self, items):
        missing = [i for i in items if not self.found(i)]
        wanted = []  # (profile, controls)
        for item in missing:
            params = item["params"]
            if item.get("insert"):
                spec = item["insert"]
                path = service_path(params["service"])
                if self.files.get(path) is None:
                    self.fail("%s does not exist: cannot add %s" % (path, params["module"]))
                insert_line(self.files, path, params["type"], spec["line"],
                            spec.get("after", ""))
                self.note(item, path, None, spec["line"])
                continue
            if not params["service"].startswith("common-"):
                self.fail("%s: no line is given to add %s to %s" % (
                    item["id"], params["module"], params["service"]))
            profiles = self.p["profiles"].get(params["module"])
            if not profiles:
                self.fail("%s: no pam-auth-update profile adds %s" % (
                    item["id"], params["module"]))
            for profile in profiles:
                for entry in wanted:
                    if entry[0]["name"] == profile["name"]:
                        entry[1].append(item["id"])
                        break
                else:
                    wanted.append((profile, [item["id"]]))
        if wanted:
            self.enable(wanted)
        if not self.module.check_mode and not self.refused:
            still = [i["id"] for i in missing if not self.found(i)]
            if still:
                self.fail("still not in their stacks after pam-auth-update: %s"
                          % ", ".join(still))

    def enable(self, wanted):
        directory = self.p["profile_dir"]
        written = []
        for profile, controls in wanted:
            path = os.path.join(directory, profile["name"])
            text = profile.get("text")
            now = self.files.get(path)
            if text is None and now is None and not self.module.check_mode:
                self.fail("pam-auth-update profile %s is missing (install its package)" % path)
            if text is not None and self.files.text(path) != text:
                self.files.lines[path] = text.splitlines()
                written.append((path, controls))
            for control in controls:
                self.changes.append({"control": control, "path": "/etc/pam.d/common-*",
                                     "before": None,
                                     "after": "pam-auth-update --enable " + profile["name"]})
            self.enabled.append(profile["name"])
        if self.module.check_mode:
            return
        controls = sorted({c for _, cs in wanted for c in cs})
        backup_paths(self.p["backup_dir"], self.p["run_id"],
                     COMMON + SAVED + [p for p, _ in written], controls)
        if self.p["force_update"]:
            backup_paths(self.p["backup_dir"], self.p["run_id"],
                         [c + ".pam-old" for c in COMMON], controls)
        for path, _ in written:
            self.write(path, mode=0o644)
        command = ["pam-auth-update"] + (["--force"] if self.p["force_update"] else [])
        command += ["--enable", *self.enabled]
        env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
        try:
            proc = subprocess.run(command, capture_output=True, text=True, env=env,
                                  timeout=120, check=False)
        except (OSError, subprocess.TimeoutExpired) as err:
            self.undo(written)
            self.fail("%s failed: %s" % (" ".join(command), err))
        output = (proc.stderr + proc.stdout).strip()
        if proc.returncode != 0 or "Local modifications" in output:
            self.undo(written)
            self.changes = [c for c in self.changes if not c["after"].startswith(
                "pam-auth-update")]
            self.refused = ("%s not applied: %s changed nothing: %s. Review the hand edits "
                            "of /etc/pam.d/common-* or set harden_pam_force_update=true to let "
                            "pam-auth-update rewrite them (backed up first)"
                            % (", ".join(controls), " ".join(command),
                               output or proc.returncode))
            return
        for path in COMMON:
            self.files.refresh(path)

    def undo(self, written):
        """pam-auth-update did nothing: take our profiles away again."""
        for path, _ in written:
            if self.files.original[path] is None and os.path.exists(path):
                os.unlink(path)
                self.files.lines[path] = self.files.disk[path] = None

    # --- 2. arguments -----------------------------------------------------------------

    def fix_args(self, item):
        params = item["params"]
        drop = names(params.get("args_none"))
        need = names(params.get("args_all"))
        one_of = names(params.get("args_one_of"))
        for _ in range(64):  # one line per pass: an edit may renumber the lines after it
            for entry in self.found(item):
                args = [a for a in entry.args if not any(has_arg([a], d) for d in drop)]
                args += [a for a in need if not has_arg(args, a)]
                if one_of and not any(has_arg(args, a) for a in one_of):
                    if item.get("target") not in one_of:
                        self.fail("%s: %s:%d has none of %s and the role names no value"
                                  % (item["id"], entry.path, entry.first + 1, ", ".join(one_of)))
                    args.append(item["target"])
                if args != entry.args:
                    before, after = set_args(self.files, entry, args)
                    self.note(item, entry.path, before, after)
                    break
            else:
                return

    def fix_option(self, item):
        params, target = item["params"], item.get("target")
        option = params["option"]
        if target is None:
            self.fail("%s: no value to set for %s" % (item["id"], option))
        lines = self.found(item)
        carried = [e for e in lines if arg_value(e.args, option) is not None]
        conf = [c for c in names(params.get("conf")) if not glob.has_magic(c)][-1:]
        if not carried and conf and self.files.get(conf[0]) is not None:
            old, new = set_conf(self.files.lines[conf[0]], option, target)
            if new is not None:
                self.note(item, conf[0], old, new)
            return
        for _ in range(64):  # every line that carries it, else every line of the module
            for entry in self.found(item):
                if carried and arg_value(entry.args, option) is None:
                    continue
                args = with_option(entry.args, option, target)
                if args != entry.args:
                    before, after = set_args(self.files, entry, args)
                    self.note(item, entry.path, before, after)
                    break
            else:
                return

    def option_now(self, item, option):
        """The option's value as pam_faillock reads it: an argument, else the conf file."""
        for entry in reversed(self.found(item)):
            value = arg_value(entry.args, option)
            if value is not None:
                return value
        for path in names(item["params"].get("conf")):
            if glob.has_magic(path):
                continue
            for line in reversed(self.files.get(path) or []):
                key, sep, value = line.split("#", 1)[0].partition("=")
                if key.strip() == option:
                    return value.strip() if sep else "true"
        return None

    def fix_root_lockout(self, item):
        """CIS 5.3.3.1.3: even_deny_root, and a root_unlock_time below the minimum raised
        to it (a short one lets a password guesser go on against root)."""
        least = int(item["params"].get("min_unlock", 60))
        if self.option_now(item, "even_deny_root") is None:
            self.fix_option(dict(item, params=dict(item["params"], option="even_deny_root"),
                                 target="true"))
        unlock = self.option_now(item, "root_unlock_time")
        if unlock is not None and not (unlock.isdigit() and int(unlock) >= least):
            self.fix_option(dict(item, params=dict(item["params"], option="root_unlock_time"),
                                 target=str(least)))

    # --- 3. files ---------------------------------------------------------------------

    def write(self, path, mode=0o644):
        text = self.files.text(path)
        replace_file(path, text, mode)
        self.files.disk[path] = text

    def save(self):
        pending = self.files.pending()
        if self.module.check_mode or not pending:
            return
        controls = sorted({c["control"] for c in self.changes})
        backup_paths(self.p["backup_dir"], self.p["run_id"], pending, controls)
        for path in pending:
            self.write(path)

    def diff(self):
        return [{"before": self.files.original[p] or "", "after": self.files.text(p) or "",
                 "before_header": p, "after_header": p} for p in self.files.touched()]


def main():
    module = AnsibleModule(
        argument_spec={
            "items": {"type": "list", "elements": "dict", "default": []},
            "profiles": {"type": "dict", "default": {}},
            "profile_dir": {"type": "str", "default": "/usr/share/pam-configs"},
            "force_update": {"type": "bool", "default": False},
            "backup_dir": {"type": "str", "required": True},
            "run_id": {"type": "str", "default": ""},
        },
        supports_check_mode=True,
    )
    run = Run(module)
    items = [i for i in module.params["items"] if i.get("kind") in KINDS]
    for item in items:
        if item["params"].get("absent"):
            run.fail("%s: removing a module from a stack is not automated" % item["id"])
    run.add_modules(items)
    for item in items:
        if item["kind"] == "pam_module":
            run.fix_args(item)
        elif item["kind"] == "faillock_root":
            run.fix_root_lockout(item)
        else:
            run.fix_option(item)
    run.save()  # the argument and file fixes stand even when pam-auth-update refused
    changed = bool(run.changes)
    if run.refused:
        module.fail_json(msg=run.refused, changed=changed, changes=run.changes,
                         diff=run.diff() if changed else [])
    module.exit_json(changed=changed, changes=run.changes, enabled=run.enabled,
                     diff=run.diff() if changed else [])


if __name__ == "__main__":
    main()
