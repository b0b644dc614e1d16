#!/usr/bin/python3
"""Give /tmp, /dev/shm and /var/tmp mounts of their own with nodev, nosuid and noexec.

Per path, from the selected controls (separate_mount, mount_option): its /etc/fstab entry
gets the missing options (the opposite option, e.g. `exec`, is dropped), or, with no
entry, one is appended from the role's template (tmpfs, or a bind mount of the directory
onto itself, which keeps its files). fstab is recorded in the run's backup manifest
before it changes. Then the live mount table is made to match: a path that is not a mount
point is mounted from fstab, a mounted one is remounted with the missing options, and the
result is read back from /proc/self/mounts. A rollback restores fstab; the live mounts
stay until the next boot (unmounting a tmpfs /tmp would drop what is in it).
Check mode and diff are honoured. Stdlib only: it runs on the target's python3.
"""

from __future__ import annotations

DOCUMENTATION = r"""
module: assessor_mounts
short_description: Give /tmp, /dev/shm and /var/tmp mounts of their own with nodev,
  nosuid and noexec
description:
- 'Per path, from the selected controls (separate_mount, mount_option): its /etc/fstab
  entry gets the missing options (the opposite option, e.g. `exec`, is dropped), or,
  with no entry, one is appended from the role''s template (tmpfs, or a bind mount
  of the directory onto itself, which keeps its files). fstab is recorded in the run''s
  backup manifest before it changes. Then the live mount table is made to match: a
  path that is not a mount point is mounted from fstab, a mounted one is remounted
  with the missing options, and the result is read back from /proc/self/mounts. A
  rollback restores fstab; the live mounts stay until the next boot (unmounting a
  tmpfs /tmp would drop what is in it). Check mode and diff are honoured. Stdlib only:
  it runs on the target''s python3.'
options:
  fstab:
    description: The fstab file.
    type: str
    default: /etc/fstab
  items:
    description: The selected separate_mount and mount_option controls per path.
    type: list
    elements: dict
    required: true
  templates:
    description: fstab entries to add for paths that have none, by mount point.
    type: dict
    default: {}
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

import os
import subprocess

from ansible.module_utils.assessor_state import backup_paths, read_text, replace_file
from ansible.module_utils.basic import AnsibleModule

HARDENING = ("nodev", "nosuid", "noexec")
# per-mount flags a remount must repeat so that none is lost on older mount(8)
FLAGS = ("ro", "rw", "nodev", "nosuid", "noexec", "relatime", "noatime", "strictatime",
         "nodiratime")
STAYS = "stays mounted until reboot, also after a rollback"


def unescape(field):
    """fstab and /proc/mounts write a space in a path as \\040."""
    for code, char in (("\\040", " "), ("\\011", "\t"), ("\\012", "\n"), ("\\134", "\\")):
        field = field.replace(code, char)
    return field


def norm(path):
    return path.rstrip("/") or "/"


def fstab_entries(lines):
    """{mount point: index of its last live line} of fstab lines."""
    found = {}
    for index, line in enumerate(lines):
        fields = line.split()
        if len(fields) >= 4 and not fields[0].startswith("#"):
            found[norm(unescape(fields[1]))] = index
    return found


def with_options(options, wanted):
    """`options` plus each wanted hardening option, its opposite (exec, dev, suid) dropped."""
    out = [o for o in options if o not in [w[2:] for w in wanted]]
    return out + [w for w in wanted if w not in out]


def wants_of(items):
    """{path: {"options": [...], "controls": [...]}} from the selected harden items."""
    wants = {}
    for item in items:
        path = norm(item["params"]["path"])
        want = wants.setdefault(path, {"options": [], "controls": []})
        want["controls"].append(item["id"])
        option = item["params"].get("option")
        if option in HARDENING and option not in want["options"]:
            want["options"].append(option)
    return wants


def plan_fstab(text, wants, templates):
    """(new text, {path: (old line or None, new line)} for the entries that change)."""
    lines = text.splitlines()
    entries = fstab_entries(lines)
    changed = {}
    for path, want in wants.items():
        if path in entries:
            fields = lines[entries[path]].split()
            options = with_options(fields[3].split(","), want["options"])
            if options == fields[3].split(","):
                continue
            old = lines[entries[path]]
            fields[3] = ",".join(options)
            lines[entries[path]] = " ".join(fields)
            changed[path] = (old, lines[entries[path]])
            continue
        template = templates.get(path)
        if template is None:
            raise ValueError("no fstab entry for %s and no template for one in the role's "
                             "harden_filesystem_mounts" % path)
        options = with_options([str(o) for o in template["options"]], want["options"])
        line = " ".join([str(template["source"]), path.replace(" ", "\\040"),
                         str(template["fstype"]), ",".join(options), "0", "0"])
        lines.append(line)
        changed[path] = (None, line)
    return "\n".join(lines) + "\n", changed


def live_mounts():
    """{mount point: (fstype, [options])}, the top mount where several are stacked."""
    found = {}
    with open("/proc/self/mounts") as handle:
        for line in handle:
            fields = line.split()
            if len(fields) >= 4:
                found[norm(unescape(fields[1]))] = (fields[2], fields[3].split(","))
    return found


def describe(mount):
    return "not a mount point" if mount is None else "%s (%s)" % (mount[0], ",".join(mount[1]))


def live_command(path, mount, wanted, bind):
    """The mount(8) call that makes the live mount carry `wanted`, or None if it does."""
    if mount is None:
        return ["mount", path]
    missing = [o for o in wanted if o not in mount[1]]
    if not missing:
        return None
    flags = with_options([o for o in mount[1] if o in FLAGS], missing)
    return ["mount", "-o", ",".join(["remount"] + (["bind"] if bind else []) + flags), path]


def run(module, command):
    proc = subprocess.run(command, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        module.fail_json(msg="%s failed: %s" % (" ".join(command),
                                                (proc.stderr or proc.stdout).strip()))


def main():
    module = AnsibleModule(
        argument_spec={
            "fstab": {"type": "str", "default": "/etc/fstab"},
            "items": {"type": "list", "elements": "dict", "required": True},
            "templates": {"type": "dict", "default": {}},
            "backup_dir": {"type": "str", "required": True},
            "run_id": {"type": "str", "default": ""},
        },
        supports_check_mode=True,
    )
    p = module.params
    fstab = p["fstab"]
    text = read_text(fstab) if os.path.exists(fstab) else ""
    wants = wants_of(p["items"])
    templates = {norm(k): v for k, v in p["templates"].items()}
    try:
        new_text, entries = plan_fstab(text, wants, templates)
    except ValueError as exc:
        module.fail_json(msg=str(exc))
    changes = []
    for path, (old, new) in entries.items():
        changes += [{"control": c, "path": fstab, "before": old, "after": new}
                    for c in wants[path]["controls"]]
    if entries and not module.check_mode:
        backup_paths(p["backup_dir"], p["run_id"], [fstab],
                     [c for path in entries for c in wants[path]["controls"]])
        replace_file(fstab, new_text)
        if os.path.isdir("/run/systemd/system"):  # systemd mounts from its fstab generator
            subprocess.run(["systemctl", "daemon-reload"], capture_output=True, check=False)
    lines = new_text.splitlines()
    index = fstab_entries(lines)
    live = live_mounts()
    # parents first: a bind mount made over /var after /var/log would hide /var/log's
    for path, want in sorted(wants.items(), key=lambda kv: kv[0].count("/")):
        options = lines[index[path]].split()[3].split(",")
        wanted = [o for o in HARDENING if o in options]
        bind = "bind" in options or "rbind" in options
        command = live_command(path, live.get(path), wanted, bind)
        if command is None:
            continue
        after = "mounted from fstab with %s; %s" % (",".join(wanted) or "its options", STAYS)
        if not module.check_mode:
            run(module, command)
            mount = live_mounts().get(path)
            retry = live_command(path, mount, wanted, bind)
            if retry is not None and retry[1] == "-o":  # an old mount(8) ignored bind flags
                run(module, retry)
                mount = live_mounts().get(path)
            missing = [o for o in wanted if mount is None or o not in mount[1]]
            if missing:
                module.fail_json(msg="%s is %s after %s: still without %s" % (
                    path, describe(mount), " ".join(command), ",".join(missing)))
            after = "%s; %s" % (describe(mount), STAYS)
        changes += [{"control": c, "path": "live " + path, "before": describe(live.get(path)),
                     "after": after} for c in want["controls"]]
    diff = {"before": text, "after": new_text, "before_header": fstab, "after_header": fstab}
    module.exit_json(changed=bool(changes), changes=changes,
                     diff=diff if new_text != text else {})


if __name__ == "__main__":
    main()
