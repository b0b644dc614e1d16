#!/usr/bin/python3
"""Ansible module: one read-only snapshot of exactly the probes the assessor asked for.

One module run per host means one SSH round trip (with pipelining). It never changes the
host, and secrets stay on it: for /etc/shadow only a password *state* is returned
(empty, locked, hashed), never a hash. It runs on the managed host's own Python 3, so it
uses the standard library only.
"""

from __future__ import annotations

DOCUMENTATION = r"""
module: assessor_snapshot
short_description: Collect a read-only JSON snapshot for the assessor
description:
- 'One module run per host means one SSH round trip (with pipelining). It never changes
  the host, and secrets stay on it: for /etc/shadow only a password *state* is returned
  (empty, locked, hashed), never a hash. It runs on the managed host''s own Python
  3, so it uses the standard library only.'
options:
  probes:
    description: 'Which probes to run, e.g. {sshd: true, sysctl: [net.ipv4.ip_forward]}.'
    type: dict
    required: true
"""

RETURN = r"""
snapshot:
  description: The probes' results by probe name, plus facts (hostname, os, kernel) and per-probe
    errors.
  returned: always
  type: dict
"""

import glob
import grp
import os
import pwd
import socket
import stat
import subprocess
from typing import Any

from ansible.module_utils.assessor_dpkg import STATUS_FILE, source_of, stanzas
from ansible.module_utils.assessor_names import name_of
from ansible.module_utils.assessor_osrelease import OS_RELEASE, parse_os_release
from ansible.module_utils.assessor_passwd import parse_group, parse_passwd, parse_shadow
from ansible.module_utils.assessor_probe_conf import (
    probe_modules,
    probe_sysctl_files,
)
from ansible.module_utils.assessor_probe_coverage import probe_coverage
from ansible.module_utils.assessor_probe_io import COMMAND_TIMEOUT, read_text
from ansible.module_utils.assessor_probe_mounts import probe_mounts
from ansible.module_utils.assessor_probe_nft import (
    probe_nft_config,
    probe_nft_ruleset,
)
from ansible.module_utils.assessor_probe_rootenv import probe_root_env
from ansible.module_utils.assessor_probe_walk import probe_walk
from ansible.module_utils.basic import AnsibleModule


def probe_sshd(_wanted):
    try:
        proc = subprocess.run(
            ["/usr/sbin/sshd", "-T"],
            capture_output=True,
            timeout=COMMAND_TIMEOUT,
            check=False,
        )
    except FileNotFoundError:
        return {"rc": 127, "stdout": "", "stderr": "/usr/sbin/sshd not found"}
    return {
        "rc": proc.returncode,
        "stdout": proc.stdout.decode("utf-8", "backslashreplace"),
        "stderr": proc.stderr.decode("utf-8", "backslashreplace")[-2000:],
    }


def probe_sysctl(keys):
    values: dict[str, Any] = {}
    for key in keys:
        path = os.path.join("/proc/sys", *key.split("."))
        try:
            text, _ = read_text(path)
            values[key] = " ".join(text.split())
        except OSError:
            values[key] = None
    return values


GLOB_CHARS = "*?["
MAX_GLOB_MATCHES = 2000


def expand(paths, result):
    """Expand glob patterns: the pattern's entry lists its matches, each match gets its own."""
    concrete = []
    for path in paths:
        if any(c in path for c in GLOB_CHARS):
            matches = sorted(glob.glob(path))[:MAX_GLOB_MATCHES]
            result[path] = {"glob": True, "matches": matches}
            concrete.extend(m for m in matches if m not in concrete)
        elif path not in concrete:
            concrete.append(path)
    return concrete


def probe_stat(paths):
    result: dict[str, Any] = {}
    for path in expand(paths, result):
        try:
            st = os.stat(path)
        except OSError:
            result[path] = {"exists": False}
            continue
        result[path] = {
            "exists": True,
            # what the path leads to; `link` says it is a symbolic link and to where
            "type": "dir" if stat.S_ISDIR(st.st_mode) else "file" if stat.S_ISREG(st.st_mode)
            else "other",
            "mode": "%04o" % (st.st_mode & 0o7777),
            "uid": st.st_uid,
            "gid": st.st_gid,
            "owner": name_of(pwd.getpwuid, st.st_uid),
            "group": name_of(grp.getgrgid, st.st_gid),
        }
        if os.path.islink(path):
            result[path]["link"] = os.readlink(path)
    return result


def probe_files(paths):
    result: dict[str, Any] = {}
    for path in expand(paths, result):
        try:
            content, truncated = read_text(path)
        except FileNotFoundError:
            result[path] = {"exists": False}
            continue
        except IsADirectoryError:
            result[path] = {"exists": True, "directory": True, "content": "", "truncated": False}
            continue
        result[path] = {"exists": True, "content": content, "truncated": truncated}
    return result


def probe_packages(_wanted):
    """Parse dpkg's status database directly: no dpkg-query fork per package."""
    text, _ = read_text_unbounded(STATUS_FILE)
    return packages_of(text)


def packages_of(status_text):
    """Per package name its status, version, arch and source; an installed stanza wins over
    another architecture's removed one."""
    packages = {}
    for fields in stanzas(status_text):
        name = fields["Package"]
        entry = {
            "status": fields.get("Status", ""),
            "version": fields.get("Version", ""),
            "arch": fields.get("Architecture", ""),
            "source": source_of(fields)[0],
        }
        known = packages.get(name)
        if known is None or not known["status"].endswith(" installed"):
            packages[name] = entry
    return packages


def read_text_unbounded(path):
    with open(path, "rb") as handle:
        return handle.read().decode("utf-8", "backslashreplace"), False


def password_state(field):
    if field == "":
        return "empty"
    if field[0] in "!*":
        return "locked"
    return "hashed"


def probe_accounts(_wanted):
    shadow = {}
    shadow_error = ""
    try:
        text, _ = read_text_unbounded("/etc/shadow")
        shadow = {name: password_state(field) for name, field in parse_shadow(text).items()}
    except OSError as exc:
        # Say so: without /etc/shadow no password state is known, which is not "none empty".
        shadow_error = "%s: %s" % (type(exc).__name__, exc)
    users, unshadowed = [], []
    text, _ = read_text_unbounded("/etc/passwd")
    for entry in parse_passwd(text):
        name, field = entry["name"], entry["passwd"]
        # "x" defers to /etc/shadow; anything else is a password kept in passwd itself.
        state = shadow.get(name, "none") if field == "x" else password_state(field)
        users.append(
            {
                "name": name,
                "uid": entry["uid"],
                "gid": entry["gid"],
                "home": entry["home"],
                "shell": entry["shell"],
                "password": state,
                "line": entry["line"],
            }
        )
        if field != "x":
            unshadowed.append(name)
    result = {"users": users, "unshadowed": unshadowed, "homes": home_dirs(users)}
    result.update(read_groups())
    if shadow_error:
        result["shadow_error"] = shadow_error
    return result


MAX_HOMES = 5000
MAX_DOT_FILES = 200


def dot_files(home):
    """Owner, group and mode of the dot files directly in a home (lstat: a link is a link)."""
    found = []
    try:
        with os.scandir(home) as entries:
            for entry in entries:
                if not entry.name.startswith(".") or len(found) >= MAX_DOT_FILES:
                    continue
                try:
                    st = entry.stat(follow_symlinks=False)
                except OSError:
                    continue
                kind = ("link" if stat.S_ISLNK(st.st_mode) else
                        "dir" if stat.S_ISDIR(st.st_mode) else
                        "file" if stat.S_ISREG(st.st_mode) else "other")
                found.append({"name": entry.name, "type": kind, "uid": st.st_uid,
                              "gid": st.st_gid, "mode": "%04o" % (st.st_mode & 0o7777)})
    except OSError as exc:
        return {"error": exc.strerror or str(exc), "files": found}
    return {"files": sorted(found, key=lambda f: f["name"])}


def home_dirs(users):
    """Owner and mode of each account's home directory (the first MAX_HOMES of them), and
    of the dot files in it (CIS 7.2.10)."""
    homes = {}
    for user in users[:MAX_HOMES]:
        home = user["home"]
        if not home or home in homes:
            continue
        try:
            st = os.stat(home)
        except OSError as exc:
            homes[home] = {"exists": False, "why": exc.strerror or str(exc)}
            continue
        homes[home] = {
            "exists": True,
            "dir": stat.S_ISDIR(st.st_mode),
            "uid": st.st_uid,
            "mode": "%04o" % (st.st_mode & 0o7777),
        }
        if stat.S_ISDIR(st.st_mode) and home != "/":
            homes[home]["dot"] = dot_files(home)
    return homes


def read_groups():
    try:
        text, _ = read_text_unbounded("/etc/group")
    except OSError as exc:
        return {"group_error": "%s: %s" % (type(exc).__name__, exc)}
    return {"groups": parse_group(text)}


def os_release():
    try:
        text, _ = read_text(OS_RELEASE)
    except OSError:
        return {}
    return parse_os_release(text)


def facts():
    release = os_release()
    uname = os.uname()
    return {
        "hostname": socket.gethostname(),
        "os": release.get("PRETTY_NAME", ""),
        "os_id": release.get("ID", ""),
        "os_version_id": release.get("VERSION_ID", ""),
        "kernel": uname.release,
        "arch": uname.machine,
    }


PROBES = {
    "sshd": probe_sshd,
    "sysctl": probe_sysctl,
    "stat": probe_stat,
    "files": probe_files,
    "packages": probe_packages,
    "accounts": probe_accounts,
    "sysctl_files": probe_sysctl_files,
    "modules": probe_modules,
    "mounts": probe_mounts,
    "nft_ruleset": probe_nft_ruleset,
    "nft_config": probe_nft_config,
    "root_env": probe_root_env,
    "walk": probe_walk,
    "coverage": probe_coverage,
}


def snapshot(wanted):
    result = {"facts": facts(), "errors": {}}
    for name, argument in wanted.items():
        probe = PROBES.get(name)
        if probe is None:
            result["errors"][name] = "unknown probe"
            continue
        try:
            result[name] = probe(argument)
        except Exception as exc:  # one broken probe must not cost the others
            result["errors"][name] = "%s: %s" % (type(exc).__name__, exc)
    return result


def main():
    module = AnsibleModule(
        argument_spec={"probes": {"type": "dict", "required": True}},
        supports_check_mode=True,
    )
    module.exit_json(changed=False, snapshot=snapshot(module.params["probes"]))


if __name__ == "__main__":
    main()
