#!/usr/bin/python3
"""Ansible module: collect what the persistence and live-state hunt rules judge.

Read-only, one run per host in the same play as the file sweep: the lines of persistence
files (ld.so.preload, cron/at/anacron, systemd units of the system and of users, rc.local,
profile and shell rc files, authorized_keys), SUID/SGID files with their dpkg owner,
package files whose MD5 differs from dpkg's md5sums, processes with their executable,
the /proc listing against `ps`, sockets with their process, /etc/hosts, loaded kernel
modules with their package, accounts, and web-root files matching content patterns.
The host returns observations; the controller's judge applies the rules. Standard library
only, Python 3.9-compatible; it never changes the host and never sends network traffic.
"""

from __future__ import annotations

DOCUMENTATION = r"""
module: assessor_hunt_state
short_description: Collect persistence and live-state observations for the hunt rules
description:
- Read persistence files, SUID/SGID files, package checksums, processes, sockets, kernel
  modules, accounts and web-root content; return the observations for the controller's
  hunt rules. Changes nothing on the host.
options:
  probes:
    description: Names of the probes to run (preload, cron, systemd, shell_rc,
      authorized_keys, suid, dpkg_md5, processes, hidden_processes, sockets, hosts_file,
      kernel_modules, accounts, web_content).
    type: list
    elements: str
    required: true
  md5_prefixes:
    description: Absolute directories whose package files are checked against dpkg's
      md5sums (under /lib and /usr/lib, shared objects only).
    type: list
    elements: str
    default: [/usr/bin, /usr/sbin, /bin, /sbin, /lib, /usr/lib]
  web_roots:
    description: Directories whose script files are searched for the content patterns.
    type: list
    elements: str
    default: [/var/www, /srv/www, /srv/http, /usr/share/nginx/html]
  web_patterns:
    description: Regular expressions (Python syntax) searched in web-root script files.
    type: list
    elements: str
    default: []
  time_budget:
    description: Seconds the whole collection may take; past it the probes left say so.
    type: int
    default: 300
"""

RETURN = r"""
state:
  description: One entry per probe asked (its observations, or an `error` string), and
    `seconds` taken; `cut_short` lists probes the time budget stopped.
  returned: always
  type: dict
"""

import glob
import os
import pwd
import re
import stat
import subprocess
import time
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from ansible.module_utils.assessor_dpkg import package_of, path_packages
from ansible.module_utils.assessor_filehash import file_digests
from ansible.module_utils.assessor_names import name_of
from ansible.module_utils.assessor_passwd import parse_passwd
from ansible.module_utils.assessor_probe_walk import probe_walk, shown
from ansible.module_utils.assessor_proc_sockets import socket_owners
from ansible.module_utils.basic import AnsibleModule

MAX_LINES = 2000  # per file: persistence files are short; a huge one is cut, and says so
MAX_FILE = 1 << 20
SCRIPT_SUFFIXES = (".php", ".phtml", ".php5", ".php7", ".phar", ".jsp", ".asp", ".aspx", ".cgi")
UNIT_DIRS = ("/etc/systemd/system", "/run/systemd/system", "/usr/local/lib/systemd/system",
             "/lib/systemd/system", "/usr/lib/systemd/system")
USER_UNIT_DIRS = ("/etc/systemd/user", "/usr/local/lib/systemd/user", "/usr/lib/systemd/user")
RC_FILES = ("/etc/rc.local", "/etc/profile", "/etc/bash.bashrc", "/etc/environment",
            "/etc/zsh/zshrc", "/etc/zsh/zprofile", "/etc/zsh/zshenv")
HOME_RC = (".bashrc", ".profile", ".bash_profile", ".bash_login", ".bash_logout", ".zshrc",
           ".zprofile", ".zshenv")
LIBRARY_DIRS = ("/lib", "/usr/lib")  # there, only shared objects are checked
TCP_STATES = {"01": "established", "0A": "listen"}


def read_lines(path: str) -> list[dict[str, Any]] | None:
    """(number, text) of the file's lines that are not blank or comments."""
    try:
        with open(path, "rb") as handle:
            data = handle.read(MAX_FILE)
    except OSError:
        return None
    lines = []
    for number, raw in enumerate(data.decode("utf-8", "surrogateescape").splitlines(), 1):
        text = shown(raw.strip())
        if text and not text.startswith("#"):
            lines.append({"line": number, "text": text})
        if len(lines) >= MAX_LINES:
            break
    return lines


def regular(path: str) -> bool:
    try:
        return stat.S_ISREG(os.lstat(path).st_mode)
    except OSError:
        return False


def files_in(pattern: str) -> list[str]:
    return [p for p in sorted(glob.glob(pattern)) if regular(p)]


def file_entries(paths: Iterable[str], kind: str) -> list[dict[str, Any]]:
    found = []
    for path in paths:
        lines = read_lines(path)
        if lines is not None:
            found.append({"path": shown(path), "kind": kind, "lines": lines})
    return found


def accounts() -> list[dict[str, Any]]:
    try:
        with open("/etc/passwd", encoding="utf-8", errors="surrogateescape") as handle:
            users: list[dict[str, Any]] = parse_passwd(handle.read())
            return users
    except OSError:
        return []


def homes() -> list[str]:
    seen = []
    for user in accounts():
        home = user["home"]
        if home and home != "/" and home not in seen and os.path.isdir(home):
            seen.append(home)
    return seen


def probe_preload() -> list[dict[str, Any]]:
    return file_entries(["/etc/ld.so.preload"], "preload")


def probe_cron() -> list[dict[str, Any]]:
    found = file_entries(["/etc/crontab"], "crontab")
    found += file_entries(files_in("/etc/cron.d/*"), "crontab")
    found += file_entries(files_in("/var/spool/cron/crontabs/*"), "user-crontab")
    found += file_entries(["/etc/anacrontab"], "anacrontab")
    found += file_entries(files_in("/var/spool/cron/atjobs/*"), "at")
    found += file_entries(files_in("/var/spool/at/*"), "at")
    for period in ("hourly", "daily", "weekly", "monthly", "yearly"):
        found += file_entries(files_in("/etc/cron.%s/*" % period), "script")
    return found


def unit_files(directory: str) -> list[str]:
    found = []
    for root, dirs, names in os.walk(directory):
        dirs.sort()
        for name in sorted(names):
            path = os.path.join(root, name)
            if name.endswith((".service", ".timer", ".socket", ".path")) and regular(path):
                found.append(path)
    return found


def probe_systemd() -> list[dict[str, Any]]:
    units = []
    scopes = [("system", d) for d in UNIT_DIRS] + [("user", d) for d in USER_UNIT_DIRS]
    scopes += [("user", os.path.join(h, ".config/systemd/user")) for h in homes()]
    seen = set()
    for scope, directory in scopes:
        real = os.path.realpath(directory)
        if real in seen or not os.path.isdir(directory):
            continue
        seen.add(real)
        for path in unit_files(directory):
            lines = read_lines(path) or []
            wanted = [entry for entry in lines
                      if entry["text"].split("=", 1)[0].strip().startswith("Exec")]
            units.append({"path": shown(path), "scope": scope, "lines": wanted})
    return units


def probe_shell_rc() -> list[dict[str, Any]]:
    paths = list(RC_FILES) + files_in("/etc/profile.d/*")
    for home in homes():
        paths += [os.path.join(home, name) for name in HOME_RC]
    return file_entries([p for p in paths if regular(p)], "shell")


def probe_authorized_keys() -> list[dict[str, Any]]:
    found = []
    seen = set()
    for user in accounts():
        home = user["home"]
        if not home or home == "/":
            continue
        for name in ("authorized_keys", "authorized_keys2"):
            path = os.path.join(home, ".ssh", name)
            if os.path.realpath(path) in seen:
                continue  # a second account sharing the home (a UID 0 alias of root)
            seen.add(os.path.realpath(path))
            lines = read_lines(path) if regular(path) else None
            if lines is not None:
                found.append({"path": shown(path), "user": user["name"], "lines": lines})
    return found


def owner_of(path: str, owned: Mapping[str, str]) -> str:
    return str(package_of(path, owned) or package_of(os.path.realpath(path), owned))


def facts(path: str, info: os.stat_result | None = None) -> dict[str, Any]:
    """What the Threats section shows for a file: hashes, size, mode, owner, mtime."""
    try:
        info = info or os.lstat(path)
        sha256, sha1, md5 = file_digests(path, ("sha256", "sha1", "md5"))
    except OSError:
        return {"path": shown(path)}
    return {"path": shown(path), "sha256": sha256, "sha1": sha1, "md5": md5,
            "size": info.st_size, "mode": "%04o" % stat.S_IMODE(info.st_mode),
            "owner": name_of(pwd.getpwuid, info.st_uid), "mtime": int(info.st_mtime)}


def probe_suid(owned: Mapping[str, str], max_seconds: int) -> dict[str, Any]:
    walk = probe_walk(["suid", "sgid", "max_seconds=%d" % max(1, max_seconds)])
    files = []
    for kind in ("suid", "sgid"):
        for path in walk["found"].get(kind, {}).get("paths", []):
            entry = facts(path) if not owner_of(path, owned) else {"path": path}
            entry.update({"bit": kind, "package": owner_of(path, owned)})
            files.append(entry)
    return {"files": files, "complete": walk.get("complete", True),
            "reason": walk.get("reason", "")}


def probe_dpkg_md5(
    prefixes: Iterable[str], deadline: float, clock: Callable[[], float],
) -> dict[str, Any]:
    wanted = tuple(p.rstrip("/") + "/" for p in prefixes)
    changed: list[dict[str, Any]] = []
    checked, seen = 0, set()
    for sums in sorted(glob.glob("/var/lib/dpkg/info/*.md5sums")):
        package = os.path.basename(sums)[:-8].split(":")[0]
        try:
            with open(sums, encoding="utf-8", errors="surrogateescape") as handle:
                entries = [line.rstrip("\n").split("  ", 1) for line in handle]
        except OSError:
            continue
        for entry in entries:
            if len(entry) != 2:
                continue
            expected, path = entry[0], "/" + entry[1]
            if not path.startswith(wanted) or (path.startswith(LIBRARY_DIRS)
                                               and ".so" not in os.path.basename(path)):
                continue
            real = os.path.realpath(path)
            if real in seen:
                continue
            seen.add(real)
            if clock() > deadline:
                return {"changed": changed, "checked": checked, "complete": False,
                        "reason": "time budget used up"}
            try:
                info = os.lstat(real)
                if not stat.S_ISREG(info.st_mode):
                    continue
                (md5,) = file_digests(real, ("md5",))
            except OSError:
                continue
            checked += 1
            if md5 != expected:
                entry_facts = facts(real, info)
                entry_facts.update({"package": package, "expected_md5": expected})
                changed.append(entry_facts)
    return {"changed": changed, "checked": checked, "complete": True, "reason": ""}


def pids() -> list[int]:
    return sorted(int(n) for n in os.listdir("/proc") if n.isdigit())


def read_text(path: str, limit: int = 4096) -> bytes | None:
    try:
        with open(path, "rb") as handle:
            return handle.read(limit)
    except OSError:
        return None


def probe_processes() -> list[dict[str, Any]]:
    found = []
    for pid in pids():
        try:
            exe = os.readlink("/proc/%d/exe" % pid)
        except OSError:
            continue  # kernel thread, or gone
        deleted = exe.endswith(" (deleted)")
        path = exe[:-len(" (deleted)")] if deleted else exe
        cmdline = (read_text("/proc/%d/cmdline" % pid, 512) or b"").replace(b"\0", b" ")
        comm = (read_text("/proc/%d/comm" % pid, 64) or b"").strip()
        try:
            uid = os.stat("/proc/%d" % pid).st_uid
        except OSError:
            continue
        found.append({"pid": pid, "exe": shown(path), "deleted": deleted,
                      "exists": os.path.exists(path), "uid": uid,
                      "comm": shown(comm.decode("utf-8", "surrogateescape")),
                      "cmdline": shown(cmdline.decode("utf-8", "surrogateescape").strip())})
    return found


def proc_mounts() -> list[str]:
    mounts = []
    for line in (read_text("/proc/self/mountinfo", 1 << 20) or b"").decode().splitlines():
        parts = line.split()
        if len(parts) > 4 and re.match(r"^/proc/\d+(/|$)", parts[4]):
            mounts.append(parts[4])
    return mounts


def probe_hidden_processes() -> dict[str, Any]:
    before = set(pids())
    try:
        listed = subprocess.run(["ps", "-e", "-o", "pid="], capture_output=True,
                                timeout=30, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return {"error": "ps could not run: %s" % exc}
    if listed.returncode != 0:
        return {"error": "ps exited %d" % listed.returncode}
    after = set(pids())
    by_ps = set(int(w) for w in listed.stdout.split() if w.isdigit())
    own = {os.getpid(), os.getppid()}
    hidden = []
    for pid in sorted((before & after) - by_ps - own):
        try:
            exe = os.readlink("/proc/%d/exe" % pid)
        except OSError:
            exe = ""
        hidden.append({"pid": pid, "exe": shown(exe),
                       "stat_readable": read_text("/proc/%d/stat" % pid, 64) is not None})
    return {"hidden": hidden, "proc_count": len(after), "ps_count": len(by_ps),
            "proc_mounts": proc_mounts()}


def hex_address(text: str) -> tuple[str, int]:
    address, port = text.split(":")
    raw = bytes.fromhex(address)
    if len(raw) == 4:
        ip = ".".join(str(b) for b in raw[::-1])
    else:
        words = [raw[i:i + 4][::-1] for i in range(0, 16, 4)]
        joined = b"".join(words)
        if joined[:12] == b"\0" * 10 + b"\xff\xff":
            ip = ".".join(str(b) for b in joined[12:])
        else:
            ip = ":".join(joined[i:i + 2].hex() for i in range(0, 16, 2))
    return ip, int(port, 16)


def probe_sockets() -> list[dict[str, Any]]:
    owners = socket_owners()
    found = []
    for proto in ("tcp", "tcp6", "udp", "udp6"):
        for line in (read_text("/proc/net/" + proto, 1 << 22) or b"").decode().splitlines()[1:]:
            parts = line.split()
            if len(parts) < 10:
                continue
            state = TCP_STATES.get(parts[3]) if proto.startswith("tcp") else (
                "listen" if parts[3] == "07" else "established")
            if not state:
                continue
            local, lport = hex_address(parts[1])
            remote, rport = hex_address(parts[2])
            pid = owners.get(parts[9])
            exe = ""
            if pid:
                try:
                    exe = os.readlink("/proc/%d/exe" % pid)
                except OSError:
                    exe = ""
            found.append({"proto": proto, "state": state, "local": local, "lport": lport,
                          "remote": remote, "rport": rport, "pid": pid, "exe": shown(exe)})
    return found


def probe_hosts_file() -> list[dict[str, Any]]:
    names = []
    for entry in read_lines("/etc/hosts") or []:
        words = entry["text"].split("#", 1)[0].split()
        if len(words) >= 2:
            names.append({"address": words[0], "names": words[1:], "line": entry["line"],
                          "text": entry["text"]})
    return names


def probe_kernel_modules(owned: Mapping[str, str]) -> dict[str, Any]:
    release = os.uname().release
    directory = "/lib/modules/" + release
    shipped = {}
    for line in (read_text(directory + "/modules.dep", 1 << 24) or b"").decode().splitlines():
        path = line.split(":", 1)[0]
        name = os.path.basename(path).split(".ko")[0].replace("-", "_")
        shipped[name] = os.path.join(directory, path)
    loaded = []
    for line in (read_text("/proc/modules", 1 << 20) or b"").decode().splitlines():
        name = line.split(" ", 1)[0]
        path = shipped.get(name, "")
        loaded.append({"name": name, "path": path,
                       "package": owner_of(path, owned) if path else ""})
    return {"release": release, "tree": os.path.isdir(directory),
            "tree_package": owner_of(directory, owned), "loaded": loaded}


def probe_web_content(
    roots: Iterable[str], patterns: Iterable[str], deadline: float, clock: Callable[[], float],
) -> dict[str, Any]:
    compiled = [re.compile(p.encode()) for p in patterns]
    matches: list[dict[str, Any]] = []
    for root in roots:
        for directory, dirs, names in os.walk(root):
            dirs.sort()
            for name in sorted(names):
                if clock() > deadline:
                    return {"matches": matches, "complete": False}
                path = os.path.join(directory, name)
                if not name.lower().endswith(SCRIPT_SUFFIXES) or not regular(path):
                    continue
                data = read_text(path, MAX_FILE) or b""
                hits = [p.pattern.decode() for p in compiled if p.search(data)]
                if hits:
                    entry = facts(path)
                    entry["patterns"] = hits
                    matches.append(entry)
    return {"matches": matches, "complete": True}


def collect(
    params: Mapping[str, Any], clock: Callable[[], float] = time.monotonic,
) -> dict[str, Any]:
    started = clock()
    deadline = started + params["time_budget"]
    probes = params["probes"]
    owned = path_packages() if set(probes) & {"suid", "kernel_modules"} else {}
    runners: dict[str, Callable[[], Any]] = {
        "preload": probe_preload, "cron": probe_cron, "systemd": probe_systemd,
        "shell_rc": probe_shell_rc, "authorized_keys": probe_authorized_keys,
        "suid": lambda: probe_suid(owned, int(deadline - clock())),
        "dpkg_md5": lambda: probe_dpkg_md5(params["md5_prefixes"], deadline, clock),
        "processes": probe_processes, "hidden_processes": probe_hidden_processes,
        "sockets": probe_sockets, "hosts_file": probe_hosts_file,
        "kernel_modules": lambda: probe_kernel_modules(owned), "accounts": accounts,
        "web_content": lambda: probe_web_content(params["web_roots"], params["web_patterns"],
                                                 deadline, clock),
    }
    state: dict[str, Any] = {}
    cut_short: list[str] = []
    for name in probes:
        if name not in runners:
            state[name] = {"error": "unknown probe"}
        elif clock() > deadline:
            cut_short.append(name)
        else:
            try:
                state[name] = runners[name]()
            except Exception as exc:  # one broken probe is an error finding, not a lost host
                state[name] = {"error": "%s: %s" % (type(exc).__name__, exc)}
    state["cut_short"] = cut_short
    state["seconds"] = round(clock() - started, 3)
    return state


def main() -> None:
    module = AnsibleModule(
        argument_spec={
            "probes": {"type": "list", "elements": "str", "required": True},
            "md5_prefixes": {"type": "list", "elements": "str",
                             "default": ["/usr/bin", "/usr/sbin", "/bin", "/sbin", "/lib",
                                         "/usr/lib"]},
            "web_roots": {"type": "list", "elements": "str",
                          "default": ["/var/www", "/srv/www", "/srv/http",
                                      "/usr/share/nginx/html"]},
            "web_patterns": {"type": "list", "elements": "str", "default": []},
            "time_budget": {"type": "int", "default": 300},
        },
        supports_check_mode=True,
    )
    module.exit_json(changed=False, state=collect(module.params))


if __name__ == "__main__":
    main()
