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
            "type": "dir" if stat.S_ISDIR(st.st_mode) else "file" if stat.S_ISREG(st.st_mode)
            else "other",
            "mode": "%04o" % (st.st_mode & 0o7777),
            "uid": st.st_uid,
            "gid": st.st_gid,
            "owner": name_of(pwd.getpwuid, st.st_uid),
            "group": name_of(grp.getgrgid, st.st_gid),
        }
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
        for line in text.splitlines():
            parts = line.split(":")
            if len(parts) >= 2:
                shadow[parts[0]] = password_state(parts[1])
    except OSError as exc:
        # Say so: without /etc/shadow no password state is known, which is not "none empty".
        shadow_error = "%s: %s" % (type(exc).__name__, exc)
    users, unshadowed = [], []
    text, _ = read_text_unbounded("/etc/passwd")
    for number, line in enumerate(text.splitlines(), 1):
        parts = line.split(":")
        if len(parts) < 7:
            continue
        # "x" defers to /etc/shadow; anything else is a password kept in passwd itself.
        state = shadow.get(parts[0], "none") if parts[1] == "x" else password_state(parts[1])
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
        if parts[1] != "x":
            unshadowed.append(parts[0])
    result = {"users": users, "unshadowed": unshadowed, "homes": home_dirs(users)}
    result.update(read_groups())
    if shadow_error:
        result["shadow_error"] = shadow_error
    return result


MAX_HOMES = 5000


def home_dirs(users):
    """Owner and mode of each account's home directory (the first MAX_HOMES of them)."""
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
    return homes


def read_groups():
    try:
        text, _ = read_text_unbounded("/etc/group")
    except OSError as exc:
        return {"group_error": "%s: %s" % (type(exc).__name__, exc)}
    groups = []
    for number, line in enumerate(text.splitlines(), 1):
        parts = line.split(":")
        if len(parts) < 4:
            continue
        members = [m for m in parts[3].split(",") if m]
        groups.append({"name": parts[0], "gid": parts[2], "members": members, "line": number})
    return {"groups": groups}


# --- configuration directories (sysctl.d, modprobe.d): every file, judged by the assessor ---

SYSCTL_DIRS = (
    "/etc/sysctl.d", "/run/sysctl.d", "/usr/local/lib/sysctl.d", "/usr/lib/sysctl.d",
    "/lib/sysctl.d",
)
MODPROBE_DIRS = (
    "/etc/modprobe.d", "/run/modprobe.d", "/usr/local/lib/modprobe.d", "/usr/lib/modprobe.d",
    "/lib/modprobe.d",
)
MAX_CONF_FILES = 500


def read_conf_dirs(dirs, extra=()):
    """Every *.conf of the dirs (plus extra files) as {path: content}; the check orders them."""
    files = {}
    paths = []
    for directory in dirs:
        try:
            names = sorted(os.listdir(directory))
        except OSError:
            continue
        paths.extend(os.path.join(directory, n) for n in names if n.endswith(".conf"))
    for path in paths[:MAX_CONF_FILES] + list(extra):
        try:
            files[path], _ = read_text(path)
        except OSError:
            continue
    return {"dirs": list(dirs), "files": files}


def probe_sysctl_files(_wanted):
    return read_conf_dirs(SYSCTL_DIRS, extra=("/etc/sysctl.conf",))


def probe_modules(names):
    """Which modules are loaded or built in, and what modprobe's configuration says."""
    try:
        text, _ = read_text("/proc/modules")
        loaded = sorted(line.split()[0] for line in text.splitlines() if line.strip())
    except OSError:
        loaded = None  # a kernel without module support: nothing can be loaded
    try:
        text, _ = read_text("/proc/filesystems")
        filesystems = sorted(line.split()[-1] for line in text.splitlines() if line.strip())
    except OSError:
        filesystems = []
    in_sys = [n for n in names if os.path.isdir("/sys/module/" + n.replace("-", "_"))]
    result = read_conf_dirs(MODPROBE_DIRS)
    result.update({"loaded": loaded, "filesystems": filesystems, "sys_module": in_sys})
    return result


# --- mounts -----------------------------------------------------------------------------------


def unescape_mount(field):
    """/proc/mounts writes space, tab, newline and backslash as octal escapes."""
    for code, char in (("\\040", " "), ("\\011", "\t"), ("\\012", "\n"), ("\\134", "\\")):
        field = field.replace(code, char)
    return field


def read_mounts():
    text, _ = read_text("/proc/self/mounts")
    mounts = []
    for line in text.splitlines():
        parts = line.split()
        if len(parts) < 4:
            continue
        mounts.append({
            "source": unescape_mount(parts[0]),
            "target": unescape_mount(parts[1]),
            "fstype": parts[2],
            "options": parts[3].split(","),
        })
    return mounts


def probe_mounts(_wanted):
    return read_mounts()


# --- nftables -----------------------------------------------------------------------------------

NFT_CONFIG = "/etc/nftables.conf"
MAX_INCLUDE_DEPTH = 8


def run_command(argv, timeout=COMMAND_TIMEOUT, env=None, cwd=None):
    try:
        proc = subprocess.run(
            argv, capture_output=True, stdin=subprocess.DEVNULL,
            timeout=timeout, check=False, env=env, cwd=cwd,
        )
    except FileNotFoundError:
        return {"rc": 127, "stdout": "", "stderr": "%s not found" % argv[0]}
    except subprocess.TimeoutExpired:
        return {"rc": 124, "stdout": "", "stderr": "%s took over %ss" % (argv[0], timeout)}
    return {
        "rc": proc.returncode,
        "stdout": proc.stdout[:MAX_FILE_BYTES].decode("utf-8", "backslashreplace"),
        "stderr": proc.stderr.decode("utf-8", "backslashreplace")[-2000:],
    }


def probe_nft_ruleset(_wanted):
    nft = next((p for p in ("/usr/sbin/nft", "/sbin/nft") if os.path.exists(p)), "nft")
    return run_command([nft, "-j", "list", "ruleset"])


def probe_nft_config(_wanted):
    """/etc/nftables.conf with its `include` lines replaced by what they include."""
    if not os.path.exists(NFT_CONFIG):
        return {"exists": False}
    return {"exists": True, "content": inline_includes(NFT_CONFIG, 0)}


def inline_includes(path, depth):
    text, _ = read_text(path)
    lines = []
    for line in text.splitlines():
        words = line.strip().split(None, 1)
        if len(words) == 2 and words[0] == "include" and depth < MAX_INCLUDE_DEPTH:
            pattern = words[1].strip().strip('"')
            if not pattern.startswith("/"):
                pattern = os.path.join("/etc", pattern)
            for included in sorted(glob.glob(pattern)):
                lines.append("# include %s" % included)
                lines.append(inline_includes(included, depth + 1))
            continue
        lines.append(line)
    return "\n".join(lines)


# --- root's login environment -----------------------------------------------------------------

ROOT_ENV_TIMEOUT = 10
ROOT_ENV_SCRIPT = 'printf "\\nASSESSOR_PATH=%s\\nASSESSOR_UMASK=%s\\n" "$PATH" "$(umask)"'


def probe_root_env(_wanted):
    """PATH and umask as a login shell of root ends up with, and who owns each PATH entry."""
    try:
        entry = pwd.getpwuid(0)
        shell, home = entry.pw_shell, entry.pw_dir
    except KeyError:
        shell, home = "/bin/sh", "/root"
    if not shell or os.path.basename(shell) in ("nologin", "false") or not os.path.exists(shell):
        shell = "/bin/sh"
    env = {
        "HOME": home, "USER": "root", "LOGNAME": "root", "SHELL": shell, "TERM": "dumb",
        "PATH": "/usr/sbin:/usr/bin:/sbin:/bin",
    }
    cwd = home if os.path.isdir(home) else "/"
    proc = run_command([shell, "-l", "-c", ROOT_ENV_SCRIPT], ROOT_ENV_TIMEOUT, env, cwd)
    values = {}
    for line in proc["stdout"].splitlines():
        for key in ("ASSESSOR_PATH", "ASSESSOR_UMASK"):
            if line.startswith(key + "="):
                values[key] = line[len(key) + 1:]
    path = values.get("ASSESSOR_PATH")
    dirs = {}
    for item in (path or "").split(":"):
        if item and item.startswith("/") and item not in dirs:
            dirs[item] = stat_entry(item)
    return {
        "shell": shell, "rc": proc["rc"], "stderr": proc["stderr"][-500:],
        "path": path, "umask": values.get("ASSESSOR_UMASK"), "dirs": dirs,
    }


def stat_entry(path):
    try:
        st = os.stat(path)
    except OSError:
        return {"exists": False}
    return {
        "exists": True, "dir": stat.S_ISDIR(st.st_mode), "uid": st.st_uid,
        "owner": name_of(pwd.getpwuid, st.st_uid), "mode": "%04o" % (st.st_mode & 0o7777),
    }


# --- one bounded walk over the local filesystems ---------------------------------------------

WALK_CATEGORIES = (
    "world_writable_files", "world_writable_dirs_no_sticky", "unowned_user", "unowned_group",
    "suid", "sgid",
)
WALK_MAX_SECONDS = 120
WALK_MAX_ENTRIES = 2000000
WALK_MAX_LISTED = 1000
# Not local storage: kernel interfaces, memory-backed and network filesystems.
NOT_LOCAL = frozenset((
    "proc", "sysfs", "tmpfs", "devtmpfs", "devpts", "ramfs", "cgroup", "cgroup2", "securityfs",
    "debugfs", "tracefs", "pstore", "bpf", "mqueue", "hugetlbfs", "configfs", "fusectl",
    "autofs", "binfmt_misc", "efivarfs", "selinuxfs", "rpc_pipefs", "nfsd", "nsfs", "nfs",
    "nfs4", "cifs", "smb3", "smbfs", "ceph", "glusterfs", "9p", "afs", "sshfs", "lustre",
    "gpfs", "ocfs2", "davfs", "virtiofs", "squashfs", "iso9660", "udf",
))


def walk_request(items):
    """Categories to collect and the bounds, from items like "suid" or "max_seconds=30"."""
    wanted: list[str] = []
    seconds: float = WALK_MAX_SECONDS
    entries = WALK_MAX_ENTRIES
    for item in items:
        key, sep, value = str(item).partition("=")
        if sep and key == "max_seconds":
            seconds = min(seconds, float(value))
        elif sep and key == "max_entries":
            entries = min(entries, int(value))
        elif key in WALK_CATEGORIES:
            wanted.append(key)
    return wanted, seconds, entries


def excluded_devices(mounts):
    skipped, devices = [], set()
    for mount in mounts:
        if mount["fstype"] in NOT_LOCAL or mount["fstype"].startswith("fuse"):
            try:
                devices.add(os.stat(mount["target"]).st_dev)
                skipped.append(mount["target"])
            except OSError:
                continue
    return devices, skipped


def shown(path):
    return path.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")


def classify(path, st, wanted, users, groups, found):
    mode = st.st_mode
    regular = stat.S_ISREG(mode)
    hits = []
    if regular and mode & stat.S_IWOTH and "world_writable_files" in wanted:
        hits.append("world_writable_files")
    if stat.S_ISDIR(mode) and mode & stat.S_IWOTH and not mode & stat.S_ISVTX:
        hits.append("world_writable_dirs_no_sticky")
    if st.st_uid not in users:
        hits.append("unowned_user")
    if st.st_gid not in groups:
        hits.append("unowned_group")
    if regular and mode & stat.S_ISUID:
        hits.append("suid")
    if regular and mode & stat.S_ISGID:
        hits.append("sgid")
    for category in hits:
        if category in found:
            found[category]["count"] += 1
            if len(found[category]["paths"]) < WALK_MAX_LISTED:
                found[category]["paths"].append(shown(path))


def probe_walk(items, root="/", mounts=None, clock=None):
    """One walk of the local filesystems for every category asked; bounded in time and size.

    When a bound is hit the result says so (complete false, with the reason): a partial
    walk must never read as a clean one.
    """
    clock = clock or __import__("time").monotonic
    wanted, max_seconds, max_entries = walk_request(items)
    devices, skipped = excluded_devices(read_mounts() if mounts is None else mounts)
    users = set(u.pw_uid for u in pwd.getpwall())
    groups = set(g.gr_gid for g in grp.getgrall())
    found = dict((c, {"count": 0, "paths": []}) for c in wanted)
    started = clock()
    entries, errors, stack = 0, 0, [root]
    reason = ""
    while stack and not reason:
        directory = stack.pop()
        try:
            iterator = os.scandir(directory)
        except OSError:
            errors += 1
            continue
        with iterator:
            for entry in iterator:
                entries += 1
                if entries % 1000 == 0 and clock() - started > max_seconds:
                    reason = "time budget of %ss used up" % max_seconds
                if entries >= max_entries:
                    reason = "entry cap of %d reached" % max_entries
                if reason:
                    break
                try:
                    st = entry.stat(follow_symlinks=False)
                except OSError:
                    errors += 1
                    continue
                if stat.S_ISLNK(st.st_mode):
                    continue
                if stat.S_ISDIR(st.st_mode):
                    if st.st_dev in devices:
                        continue
                    stack.append(entry.path)
                classify(entry.path, st, wanted, users, groups, found)
    return {
        "complete": not reason,
        "reason": reason and "walk stopped early: %s after %d entries" % (reason, entries),
        "entries": entries,
        "unreadable": errors,
        "seconds": round(clock() - started, 2),
        "skipped_mounts": skipped[:200],
        "found": found,
    }


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
