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
options:
  probes:
    description: Which probes to run, e.g. {sshd: true, sysctl: [net.ipv4.ip_forward]}.
    type: dict
    required: true
"""

import glob
import grp
import os
import pwd
import socket
import stat
import subprocess

from ansible.module_utils.basic import AnsibleModule

MAX_FILE_BYTES = 512 * 1024
COMMAND_TIMEOUT = 30


def read_text(path):
    with open(path, "rb") as handle:
        data = handle.read(MAX_FILE_BYTES + 1)
    truncated = len(data) > MAX_FILE_BYTES
    return data[:MAX_FILE_BYTES].decode("utf-8", "backslashreplace"), truncated


def probe_sshd(_wanted):
    try:
        proc = subprocess.run(
            ["/usr/sbin/sshd", "-T"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
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
    values = {}
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
    result = {}
    for path in expand(paths, result):
        try:
            st = os.stat(path)
        except OSError:
            result[path] = {"exists": False}
            continue
        result[path] = {
            "exists": True,
            "type": "dir" if stat.S_ISDIR(st.st_mode) else "file" if stat.S_ISREG(st.st_mode)
            else "other",
            "mode": "%04o" % (st.st_mode & 0o7777),
            "uid": st.st_uid,
            "gid": st.st_gid,
            "owner": name_of(pwd.getpwuid, st.st_uid),
            "group": name_of(grp.getgrgid, st.st_gid),
        }
    return result


def name_of(lookup, ident):
    try:
        return lookup(ident)[0]
    except KeyError:
        return str(ident)


def probe_files(paths):
    result = {}
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
    packages = {}
    text, _ = read_text_unbounded("/var/lib/dpkg/status")
    for stanza in text.split("\n\n"):
        fields = {}
        for line in stanza.splitlines():
            if line[:1] in (" ", "\t") or ":" not in line:
                continue
            key, _, value = line.partition(":")
            fields[key] = value.strip()
        name = fields.get("Package")
        if not name:
            continue
        entry = {
            "status": fields.get("Status", ""),
            "version": fields.get("Version", ""),
            "arch": fields.get("Architecture", ""),
            "source": fields.get("Source", name).split(" ")[0],
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
        for line in text.splitlines():
            parts = line.split(":")
            if len(parts) >= 2:
                shadow[parts[0]] = password_state(parts[1])
    except OSError as exc:
        # Say so: without /etc/shadow no password state is known, which is not "none empty".
        shadow_error = "%s: %s" % (type(exc).__name__, exc)
    users = []
    text, _ = read_text_unbounded("/etc/passwd")
    for number, line in enumerate(text.splitlines(), 1):
        parts = line.split(":")
        if len(parts) < 7:
            continue
        # "x" defers to /etc/shadow; anything else is a password kept in passwd itself.
        if parts[1] == "x":
            state = shadow.get(parts[0], "none")
        else:
            state = password_state(parts[1])
        users.append(
            {
                "name": parts[0],
                "uid": parts[2],
                "gid": parts[3],
                "home": parts[5],
                "shell": parts[6],
                "password": state,
                "line": number,
            }
        )
    result = {"users": users}
    if shadow_error:
        result["shadow_error"] = shadow_error
    return result


def os_release():
    fields = {}
    try:
        text, _ = read_text("/etc/os-release")
    except OSError:
        return fields
    for line in text.splitlines():
        key, sep, value = line.partition("=")
        if sep:
            fields[key] = value.strip().strip('"')
    return fields


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
