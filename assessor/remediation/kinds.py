"""How a check kind is remediated: which file gets which line, as data for the roles.

Most controls are one setting in one file. Given the control's tailored check and the
target value, `file_settings` says which file and which line (with the control id, so the
host's change record is per control); the roles' shared `assessor_settings` task writes
them, one module run per file. The files are the assessor's own drop-ins where the
program reads a directory, so the vendor's files stay untouched.
"""

from __future__ import annotations

import posixpath
from collections.abc import Mapping
from typing import Any

from assessor.checks.core import names_of

# Kinds the shared tasks (roles/harden_common/tasks/kinds.yml) implement for any role.
SHARED_KINDS = frozenset({
    "file_permissions", "glob_permissions", "file_absent", "package_absent",
    "package_installed", "service_enabled", "service_disabled", "login_defs", "config_value",
    "sysctl", "kernel_module_disabled", "limits_entry", "apt_conf_false", "sudo_defaults",
    "sshd_effective", "sshd_forbid", "sshd_fields_max",
})
# Kinds that need a role's own data to be applied (content written from its defaults).
CONTENT_KINDS = frozenset({"file_lines"})

SSHD = {"path": "/etc/ssh/sshd_config.d/00-assessor.conf", "separator": " ",
        "ignore_case": True, "validate": "/usr/sbin/sshd -t -f %s", "reload": "sshd",
        "mode": "0600"}
FILES: dict[str, dict[str, Any]] = {
    "sysctl": {"path": "/etc/sysctl.d/60-assessor.conf", "separator": " = "},
    "login_defs": {"path": "/etc/login.defs", "separator": "\t"},
    "kernel_module_disabled": {"path": "/etc/modprobe.d/60-assessor.conf", "separator": " "},
    "limits_entry": {"path": "/etc/security/limits.d/60-assessor.conf", "separator": " "},
    "apt_conf_false": {"path": "/etc/apt/apt.conf.d/60-assessor", "separator": " "},
    "sudo_defaults": {"path": "/etc/sudoers.d/60-assessor", "separator": "=",
                      "validate": "/usr/sbin/visudo -cf %s", "mode": "0440"},
    "sshd_effective": SSHD, "sshd_forbid": SSHD, "sshd_fields_max": SSHD,
}
SSHD_KEYWORDS = {
    "permitrootlogin": "PermitRootLogin", "permitemptypasswords": "PermitEmptyPasswords",
    "maxauthtries": "MaxAuthTries", "x11forwarding": "X11Forwarding",
    "hostbasedauthentication": "HostbasedAuthentication", "ignorerhosts": "IgnoreRhosts",
    "permituserenvironment": "PermitUserEnvironment", "logingracetime": "LoginGraceTime",
    "loglevel": "LogLevel", "banner": "Banner", "ciphers": "Ciphers",
    "kexalgorithms": "KexAlgorithms", "macs": "MACs",
    "clientaliveinterval": "ClientAliveInterval", "clientalivecountmax": "ClientAliveCountMax",
    "disableforwarding": "DisableForwarding", "gssapiauthentication": "GSSAPIAuthentication",
    "maxsessions": "MaxSessions", "maxstartups": "MaxStartups", "usepam": "UsePAM",
}
GLOB = "*?["


def config_file(params: Mapping[str, Any]) -> dict[str, Any]:
    """Where a `config_value` setting goes: the program's drop-in directory if it reads
    one (a late name, so ours is read last and wins), else its main file."""
    files = names_of(params["files"])
    separator = str(params.get("separator", "="))
    spec: dict[str, Any] = {"separator": separator if separator.strip() else " "}
    if params.get("section"):
        spec["section"] = str(params["section"])
    dropins = [f for f in files if any(c in f for c in GLOB)]
    if dropins and not params.get("first_wins"):
        directory = posixpath.dirname(dropins[0])
        suffix = posixpath.splitext(dropins[0])[1]
        spec["path"] = posixpath.join(directory, f"99-assessor{suffix}")
    else:
        spec["path"] = next(f for f in files if not any(c in f for c in GLOB))
    return spec


def file_settings(
    control_id: str, kind: str, params: Mapping[str, Any], target: str | None
) -> tuple[dict[str, Any], list[dict[str, str]]] | None:
    """(file spec, settings) for a setting-in-a-file kind; None for other kinds."""
    def one(key: str, value: str | None = None, line: str | None = None) -> dict[str, str]:
        setting = {"control": control_id, "key": key, "value": value or ""}
        if line is not None:
            setting["line"] = line
        return setting

    if kind == "config_value" and target is not None:
        return config_file(params), [one(str(params["key"]), target)]
    if kind not in FILES:
        return None
    spec = dict(FILES[kind])
    if kind == "kernel_module_disabled":
        name = str(params["name"])
        return spec, [one(f"install {name}", line=f"install {name} /bin/false"),
                      one(f"blacklist {name}", line=f"blacklist {name}")]
    if kind == "apt_conf_false":
        option = str(params["option"])
        return spec, [one(option, line=f'{option} "false";')]
    if kind == "limits_entry":
        key = f"{params.get('domain', '*')} {params['type']} {params['item']}"
        return (spec, [one(key, target)]) if target is not None else None
    if kind == "sudo_defaults":
        option = str(params["option"])
        key = f"Defaults {option}"
        if target in ("true", None) and "present" not in params:
            return spec, [one(key, line=key)]
        if target is None:
            return None
        return spec, [one(key, target)]
    if kind.startswith("sshd_"):
        option = str(params["option"])
        return (spec, [one(SSHD_KEYWORDS.get(option, option), target)]) if target else None
    if target is None:
        return None
    return spec, [one(str(params["key"]), target)]


def perms_spec(control_id: str, kind: str, params: Mapping[str, Any]) -> dict[str, Any] | None:
    """What assessor_perms needs for a permissions kind; None for other kinds."""
    if kind not in ("file_permissions", "glob_permissions"):
        return None
    return {
        "control": control_id, "paths": names_of(params["path"]),
        "max_mode": str(params["max_mode"]), "owner": str(params.get("owner", "")),
        "group": names_of(params.get("group")), "types": names_of(params.get("types")),
        "exclude": names_of(params.get("exclude")),
    }
