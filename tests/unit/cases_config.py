"""Pass/fail snapshot builders for the configuration kinds (see test_catalogue.py).

Passing hosts are deliberately awkward where the kind promises to cope: values set twice
with the later file winning, continuation lines and @include in PAM stacks, module
arguments overriding conf files, audit watches written in the `-F path=` form.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from cases_base import names, value_for
from unit_builders import Snap

GLOB_CHARS = "*?["


def is_glob(path: str) -> bool:
    return any(c in path for c in GLOB_CHARS)


def example_of(pattern: str) -> str:
    """A concrete path a glob pattern matches."""
    return re.sub(r"\[[^]]*\]", "a", pattern).replace("*", "a1").replace("?", "b")


def add_file(snap: Snap, pattern: str, content: str) -> str:
    """Put content at pattern (or at a path it matches, listing the match under the glob)."""
    files = snap.data.setdefault("files", {})
    path = example_of(pattern) if is_glob(pattern) else pattern
    if is_glob(pattern):
        entry = files.setdefault(pattern, {"glob": True, "matches": []})
        if path not in entry["matches"]:
            entry["matches"].append(path)
    snap.file(path, content)
    return path


def no_files(snap: Snap, patterns: list[str]) -> None:
    files = snap.data.setdefault("files", {})
    for pattern in patterns:
        if is_glob(pattern):
            files.setdefault(pattern, {"glob": True, "matches": []})
        else:
            files.setdefault(pattern, {"exists": False})


def add_stat(snap: Snap, pattern: str, mode: str, owner: str = "root", group: str = "root",
             kind: str = "file") -> str:
    stats = snap.data.setdefault("stat", {})
    path = example_of(pattern) if is_glob(pattern) else pattern
    if is_glob(pattern):
        entry = stats.setdefault(pattern, {"glob": True, "matches": []})
        entry["matches"].append(path)
    snap.stat(path, mode, owner=owner, group=group)
    stats[path]["type"] = kind
    return path


def no_stat(snap: Snap, pattern: str) -> None:
    stats = snap.data.setdefault("stat", {})
    stats[pattern] = {"glob": True, "matches": []} if is_glob(pattern) else {"exists": False}


def setting_value(p: dict[str, Any], passing: bool) -> str | None:
    """A value the comparison accepts or rejects; None means "leave the setting out"."""
    if "present" in p:
        return "/var/log/sudo.log" if passing else None
    if not passing and "unbounded" in p and "max" in p:
        return str(names(p["unbounded"])[0])
    return value_for(p, passing)


def wrong_value(p: dict[str, Any]) -> str:
    return setting_value(p, False) or "x"


# --- sshd ---------------------------------------------------------------------------------


def sshd_forbid_case(snap: Snap, p: dict[str, Any], passing: bool) -> Snap:
    good = "/etc/issue.net" if p["option"] == "banner" else "strong-1@example,strong-2"
    value = good if passing else f"{good},{names(p['values'])[-1]}"
    if not passing and p["option"] == "banner":
        value = names(p["values"])[-1]
    return snap.sshd(**{p["option"]: value, "port": 22})


def sshd_any_set_case(snap: Snap, p: dict[str, Any], passing: bool) -> Snap:
    if passing:
        return snap.sshd(port=22, **{names(p["options"])[-1]: "ops admins"})
    return snap.sshd(port=22, permitrootlogin="no")


def sshd_fields_max_case(snap: Snap, p: dict[str, Any], passing: bool) -> Snap:
    limits = [int(f) for f in str(p["limits"]).split(":")]
    fields = limits if passing else [*limits[:-1], limits[-1] + 40]
    return snap.sshd(**{p["option"]: ":".join(str(f) for f in fields)})


# --- config files -------------------------------------------------------------------------


def setting_line(p: dict[str, Any], value: str) -> str:
    separator = str(p.get("separator", "="))
    return f"{p['key']}{separator if separator.strip() else ' '}{value}"


def config_value_case(snap: Snap, p: dict[str, Any], passing: bool) -> Snap:
    files = names(p["files"])
    header = f"[{p['section']}]\n" if "section" in p else ""
    value = setting_value(p, passing)
    # the later file wins: a passing host overrides a bad first setting, a failing one the
    # reverse; the commented-out value must never count
    first_value = wrong_value(p) if passing else setting_value(p, True)
    body = f"{header}# {setting_line(p, first_value or 'x')}\n"
    if len(files) > 1 and first_value is not None:
        body += setting_line(p, first_value) + "\n"
    add_file(snap, files[0], body)
    last = header + (setting_line(p, value) + "\n" if value is not None else "")
    add_file(snap, files[-1] if len(files) > 1 else files[0], body + last if len(files) == 1
             else last)
    return snap


OFFENDING = [
    "Debian GNU/Linux 12 \\n \\l",
    "Kernel \\r on \\m",
    'module(load="imtcp")',
    "$ModLoad imudp",
    "NOPASSWD: ALL",
]


def file_lines_case(snap: Snap, p: dict[str, Any], passing: bool) -> Snap:
    flags = re.IGNORECASE if p.get("ignore_case") else 0
    lines = ["Authorised use only. Activity on this system is monitored."]
    if "require" in p:
        wanted = next(c for c in [*OFFENDING, "Authorised use only"]
                      if re.search(str(p["require"]), c, flags))
        if passing:
            lines.append(wanted)
    if "forbid" in p and not passing:
        bad = next(c for c in OFFENDING if re.search(str(p["forbid"]), c, flags))
        lines.append(bad)
    files = names(p["files"])
    for pattern in files[:-1]:
        add_file(snap, pattern, "# nothing here\n")
    add_file(snap, files[-1], "\n".join(lines) + "\n")
    return snap


def glob_permissions_case(snap: Snap, p: dict[str, Any], passing: bool) -> Snap:
    limit = int(p["max_mode"], 8)
    owner = (names(p.get("owner")) or ["root"])[0]
    group = (names(p.get("group")) or ["root"])[-1]
    kind = (names(p.get("types")) or ["file"])[0]
    patterns = names(p["path"])
    for i, pattern in enumerate(patterns):
        mode, who = limit, owner
        if not passing and i == len(patterns) - 1:
            extra = next((b for b in (0o002, 0o020, 0o004, 0o040, 0o4000) if not limit & b), 0)
            mode, who = (limit | extra, owner) if extra else (limit, "nobody")
        add_stat(snap, pattern, f"{mode:04o}", owner=who, group=group, kind=kind)
    return snap


def file_absent_case(snap: Snap, p: dict[str, Any], passing: bool) -> Snap:
    for pattern in names(p["path"]):
        if passing:
            no_stat(snap, pattern)
        else:
            add_stat(snap, pattern, "0640")
    return snap


def unit_on_disk(snap: Snap, unit: str, enabled: bool) -> Snap:
    """A unit file in /lib/systemd/system, enabled by a multi-user.target.wants link."""
    add_stat(snap, f"/lib/systemd/system/{unit}", "0644")
    no_stat(snap, f"/usr/lib/systemd/system/{unit}")
    no_stat(snap, f"/etc/systemd/system/{unit}")
    wants = f"/etc/systemd/system/*.wants/{unit}"
    if enabled:
        link = f"/etc/systemd/system/multi-user.target.wants/{unit}"
        snap.data["stat"][wants] = {"glob": True, "matches": [link]}
        snap.stat(link, "0644")
    else:
        no_stat(snap, wants)
    return snap


def unit_running(snap: Snap, unit: str, active: bool) -> Snap:
    """What the coverage probe's `systemctl show` says of the unit now."""
    units = snap.data.setdefault("coverage", {"now": 0.0}).setdefault("units", {})
    units[unit] = {"LoadState": "loaded", "ActiveState": "active" if active else "inactive",
                   "SubState": "running" if active else "dead", "UnitFileState": "enabled"}
    return snap


def service_case(enabled: bool) -> Callable[[Snap, dict[str, Any], bool], Snap]:
    """Several units: the first one decides. With `active`, the failing case is the
    subtle one: the unit enabled, but not running now."""
    def build(snap: Snap, p: dict[str, Any], passing: bool) -> Snap:
        for i, unit in enumerate(names(p["unit"])):
            if p.get("active"):
                unit_on_disk(snap, unit, i == 0)
                unit_running(snap, unit, i == 0 and passing)
            else:
                unit_on_disk(snap, unit, i == 0 and passing == enabled)
        return snap
    return build


# --- PAM and sudo -------------------------------------------------------------------------

PAM_GLOB = "/etc/pam.d/*"


def pam_file(snap: Snap, name: str, content: str) -> None:
    files = snap.data.setdefault("files", {})
    path = f"/etc/pam.d/{name}"
    entry = files.setdefault(PAM_GLOB, {"glob": True, "matches": []})
    entry["matches"].append(path)
    snap.file(path, content)


def pam_stack(snap: Snap, p: dict[str, Any], module_line: str | None) -> None:
    """The service includes a second file that holds the module line, behind comments."""
    service, type_ = str(p["service"]), str(p["type"])
    pam_file(snap, service, f"# {type_} required {p['module']} disabled here\n"
             f"{type_} [success=1 default=ignore] pam_permit.so\n@include lab-{type_}\n"
             f"{type_} requisite pam_deny.so\n")
    body = f"-{type_} optional pam_systemd.so # {p['module']} in a comment\n"
    if module_line:
        body += module_line + "\n"
    pam_file(snap, f"lab-{type_}", body)


def module_line(p: dict[str, Any], args: list[str]) -> str:
    """Written with a bracket control and a continuation line, as real stacks are."""
    return f"{p['type']} [success=ok new_authtok_reqd=ok default=die] {p['module']} \\\n  " + \
        " ".join(args)


def pam_module_case(snap: Snap, p: dict[str, Any], passing: bool) -> Snap:
    if p.get("absent"):
        pam_stack(snap, p, None if passing else module_line(p, []))
        return snap
    args = ["try_first_pass", *names(p.get("args_all"))]
    if p.get("args_one_of"):
        args.append(names(p["args_one_of"])[-1])
    if not passing:
        if p.get("args_none"):
            args.append(names(p["args_none"])[0])
        elif p.get("args_all"):
            args.remove(names(p["args_all"])[0])
        elif p.get("args_one_of"):
            args.pop()
        else:
            pam_stack(snap, p, None)
            return snap
    pam_stack(snap, p, module_line(p, args))
    return snap


def option_text(p: dict[str, Any], value: str) -> str:
    if str(p.get("expect")) == "true":
        return str(p["option"])
    return f"{p['option']}={value}"


def pam_option_case(snap: Snap, p: dict[str, Any], passing: bool) -> Snap:
    """Arguments override the conf file: a passing host has a bad conf and a good argument."""
    flag = str(p.get("expect")) == "true"
    good, bad = setting_value(p, True) or "", wrong_value(p)
    conf = names(p.get("conf"))
    if passing:
        args = [option_text(p, good)]
        conf_text = "" if flag else f"{p['option']} = {bad}\n"
    else:
        args = [] if flag else [f"{p['option']}={bad}"]
        conf_text = "" if flag else f"{p['option']} = {good}\n"
    for pattern in conf:
        add_file(snap, pattern, "# " + option_text(p, good) + "\n" + conf_text)
    pam_stack(snap, p, module_line(p, ["retry=3", *args]))
    return snap


def faillock_root_case(snap: Snap, p: dict[str, Any], passing: bool) -> Snap:
    """Passing: root_unlock_time=60 as an argument (it implies even_deny_root); failing:
    even_deny_root in the conf file but a root_unlock_time of 30 seconds there too."""
    args = [f"root_unlock_time={p.get('min_unlock', 60)}"] if passing else []
    for pattern in names(p.get("conf")):
        add_file(snap, pattern, "# even_deny_root\n" + ("" if passing else
                 "even_deny_root\nroot_unlock_time = 30\n"))
    pam_stack(snap, p, module_line(p, ["preauth", *args]))
    return snap


def sudo_defaults_case(snap: Snap, p: dict[str, Any], passing: bool) -> Snap:
    option = str(p["option"])
    value = setting_value(p, passing)
    if str(p.get("expect")) in ("true", "false"):
        on = (str(p["expect"]) == "true") == passing
        line = f"Defaults\t{'' if on else '!'}{option}"
    elif value is None:
        line = "Defaults\tenv_reset"
    else:
        line = f'Defaults\tmail_badpass, {option}="{value}"'
    snap.file("/etc/sudoers", "Defaults\tenv_reset\n# Defaults !use_pty\n"
              "root\tALL=(ALL:ALL) ALL\n@includedir /etc/sudoers.d\n")
    snap.data["files"]["/etc/sudoers.d/*"] = {
        "glob": True, "matches": ["/etc/sudoers.d/README", "/etc/sudoers.d/50-lab"],
    }
    snap.file("/etc/sudoers.d/README", "# files here are read by sudo\n")
    return snap.file("/etc/sudoers.d/50-lab", line + "\n")


def sudo_no_tag_case(snap: Snap, p: dict[str, Any], passing: bool) -> Snap:
    """The tag only in a comment and a Cmnd_Alias name on the passing host."""
    snap.file("/etc/sudoers", f"Defaults\tenv_reset\n# ops ALL=(ALL) {p['tag']}: ALL\n"
              "Cmnd_Alias NOPASSWD_FREE = /bin/true\nroot\tALL=(ALL:ALL) ALL\n"
              "@includedir /etc/sudoers.d\n")
    snap.data["files"]["/etc/sudoers.d/*"] = {"glob": True, "matches": ["/etc/sudoers.d/50-ops"]}
    rule = f"ops ALL=(ALL) {p['tag']}: ALL" if not passing else "ops ALL=(ALL) ALL"
    return snap.file("/etc/sudoers.d/50-ops", rule + "\n")


# --- audit --------------------------------------------------------------------------------


def audit_lines(spec: dict[str, Any], index: int) -> list[str]:
    if "immutable" in spec:
        return ["-e 2"]
    if "watch" in spec:
        perms = spec.get("perms", "wa")
        if index % 2:
            return [f"-a always,exit -F path={spec['watch']} -F perm={perms} -k lab"]
        return [f"-w {spec['watch']} -p {perms} -k lab"]
    fields = " ".join(
        f"-C {f}" if f.endswith("!=uid") else f"-F {f}" for f in names(spec.get("fields"))
    )
    if not spec.get("syscalls"):
        return [f"-a always,exit {fields} -k lab"]
    calls = names(spec["syscalls"])
    return [
        f"-a exit,always -F arch={arch} -S {calls[0]} "
        + " ".join(f"-S {c}" for c in calls[1:]) + f" {fields} -k lab"
        for arch in names(spec.get("arch")) or ["b64", "b32"]
    ]


def audit_rules_case(snap: Snap, p: dict[str, Any], passing: bool) -> Snap:
    specs = list(p["require"])
    lines = ["-D", "-b 8192", "--backlog_wait_time 60000", "-f 1"]
    for index, spec in enumerate(specs):
        if not passing and index == len(specs) - 1:
            lines += ["-e 1"] if "immutable" in spec else []
            continue
        lines += audit_lines(spec, index)
    snap.data.setdefault("files", {})["/etc/audit/rules.d/*.rules"] = {
        "glob": True,
        "matches": ["/etc/audit/rules.d/audit.rules", "/etc/audit/rules.d/50-lab.rules"],
    }
    snap.file("/etc/audit/rules.d/audit.rules", "## First rule - delete all\n" + lines[0] + "\n")
    return snap.file("/etc/audit/rules.d/50-lab.rules", "\n".join(lines[1:]) + "\n")


def grub_cmdline_case(snap: Snap, p: dict[str, Any], passing: bool) -> Snap:
    if "expect" in p:
        value = str(p["expect"]) if passing else "0"
    else:
        value = str(p["min"] if passing else int(p["min"]) - 1)
    arg = f"{p['arg']}={value}"
    return snap.file("/boot/grub/grub.cfg", "menuentry 'Debian' {\n"
                     f"\tlinux\t/boot/vmlinuz-6.1.0 root=UUID=1 ro quiet {arg}\n"
                     "\tinitrd\t/boot/initrd.img-6.1.0\n}\n")


CASES: dict[str, Callable[[Snap, dict[str, Any], bool], Snap]] = {
    "sshd_forbid": sshd_forbid_case,
    "sshd_any_set": sshd_any_set_case,
    "sshd_fields_max": sshd_fields_max_case,
    "config_value": config_value_case,
    "file_lines": file_lines_case,
    "glob_permissions": glob_permissions_case,
    "file_absent": file_absent_case,
    "service_enabled": service_case(enabled=True),
    "service_disabled": service_case(enabled=False),
    "pam_module": pam_module_case,
    "pam_option": pam_option_case,
    "faillock_root": faillock_root_case,
    "sudo_no_tag": sudo_no_tag_case,
    "sudo_defaults": sudo_defaults_case,
    "audit_rules": audit_rules_case,
    "grub_cmdline": grub_cmdline_case,
}
