"""Pass/fail snapshot builders for the system areas' check kinds (see test_catalogue.py).

Filesystems and mounts, kernel modules, limits, APT, firewall, accounts, filesystem walks:
each function turns a control's own params into a compliant or non-compliant host.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from cases_base import names
from cases_config import unit_on_disk
from unit_builders import CONFIG_FILES, INSTALLED, Snap

from assessor.checks.firewall import firewall_unit

MODPROBE_DIRS = ["/etc/modprobe.d", "/run/modprobe.d", "/usr/local/lib/modprobe.d",
                 "/usr/lib/modprobe.d", "/lib/modprobe.d"]
SHELLS = "/etc/shells"
SHELLS_TEXT = "# /etc/shells: valid login shells\n/bin/sh\n/bin/bash\n/usr/bin/bash\n"
ROOT_FS = {"source": "/dev/sda1", "target": "/", "fstype": "ext4",
           "options": ["rw", "relatime", "errors=remount-ro"]}


def module_case(snap: Snap, p: dict[str, Any], passing: bool) -> Snap:
    name = p["name"]
    conf = f"# {name} is disabled\ninstall {name} /bin/false\nblacklist {name}\n"
    if not passing:
        conf = f"# install {name} /bin/false\nblacklist {name}\n"
    snap.data["modules"] = {
        "dirs": MODPROBE_DIRS, "files": {"/etc/modprobe.d/60-cis.conf": conf},
        "loaded": ["ext4", "overlay"], "filesystems": ["ext4", "tmpfs"], "sys_module": [],
    }
    return snap


def limits_case(snap: Snap, p: dict[str, Any], passing: bool) -> Snap:
    value = str(p.get("expect", 0)) if passing else "unlimited"
    snap.file("/etc/security/limits.conf", f"# {p.get('domain', '*')} hard core 99\n")
    snap.data["files"]["/etc/security/limits.d/*.conf"] = {
        "glob": True, "matches": ["/etc/security/limits.d/60-core.conf"],
    }
    line = f"{p.get('domain', '*')}  {p['type']}  {p['item']}  {value}\n"
    return snap.file("/etc/security/limits.d/60-core.conf", line)


def mounts(snap: Snap, extra: list[dict[str, Any]]) -> Snap:
    snap.data["mounts"] = [ROOT_FS, *extra]
    return snap


def separate_mount_case(snap: Snap, p: dict[str, Any], passing: bool) -> Snap:
    own = {"source": "tmpfs", "target": p["path"], "fstype": "tmpfs",
           "options": ["rw", "nosuid", "nodev", "noexec"]}
    return mounts(snap, [own] if passing else [])


def mount_option_case(snap: Snap, p: dict[str, Any], passing: bool) -> Snap:
    options = ["rw", "nosuid", "nodev", "noexec"]
    if not passing:
        options.remove(p["option"])
    return mounts(snap, [{"source": "tmpfs", "target": p["path"], "fstype": "tmpfs",
                          "options": options}])


def package_installed_case(snap: Snap, p: dict[str, Any], passing: bool) -> Snap:
    for name in names(p["name"]):
        snap.package(name, INSTALLED if passing else CONFIG_FILES)
    return snap


def apt_sources_case(snap: Snap, p: dict[str, Any], passing: bool) -> Snap:
    files = snap.file("/etc/apt/sources.list", "deb http://deb.debian.org/debian bookworm main\n")
    files.data["files"]["/etc/apt/sources.list.d/*.list"] = {
        "glob": True, "matches": ["/etc/apt/sources.list.d/extra.list"]}
    files.data["files"]["/etc/apt/sources.list.d/*.sources"] = {"glob": True, "matches": []}
    option = "signed-by=/usr/share/keyrings/x.gpg" if passing else "trusted=yes"
    return snap.file("/etc/apt/sources.list.d/extra.list",
                     f"# deb [trusted=yes] http://old/ x main\ndeb [{option}] http://x/ y main\n")


def apt_conf_case(snap: Snap, p: dict[str, Any], passing: bool) -> Snap:
    snap.data.setdefault("files", {})["/etc/apt/apt.conf.d/*"] = {
        "glob": True, "matches": ["/etc/apt/apt.conf.d/01x", "/etc/apt/apt.conf.d/99y"]}
    snap.file("/etc/apt/apt.conf.d/01x", f'{p["option"]} "true";\n')
    snap.file("/etc/apt/apt.conf.d/99y", f'// last wins\n{p["option"]} "false";\n' if passing
              else "# nothing here\n")
    return snap.missing_file("/etc/apt/apt.conf")


def single_firewall_case(snap: Snap, p: dict[str, Any], passing: bool) -> Snap:
    """The first utility in use; failing: a second one in use too. The rest are installed
    but not enabled (passing) or removed with their configuration kept."""
    tools = names(p["utilities"])
    for i, name in enumerate(tools):
        snap.package(name, INSTALLED if i < 3 else CONFIG_FILES)
        unit_on_disk(snap, firewall_unit(name), i == 0 or (i == 1 and not passing))
    return snap


GOOD_NFT = """#!/usr/sbin/nft -f
flush ruleset
table inet filter {
    chain input {
        type filter hook input priority filter; policy drop;
        iif "lo" accept   # loopback
        tcp dport { 22, 443 } accept
    }
    chain forward { type filter hook forward priority filter; policy drop; }
    chain output {
        type filter hook output priority filter;
    }
}
"""
BAD_NFT = """table inet filter {
    chain input {
        type filter hook input priority filter;
        # policy drop;
        # iif lo accept
    }
}
"""


def nft_persisted_case(snap: Snap, p: dict[str, Any], passing: bool) -> Snap:
    snap.data["nft_config"] = {"exists": True, "content": GOOD_NFT if passing else BAD_NFT}
    return snap


def nft_live_case(snap: Snap, p: dict[str, Any], passing: bool) -> Snap:
    chain = {"family": "inet", "table": "filter", "name": "input", "handle": 1,
             "type": "filter", "hook": p.get("hook", "input"), "prio": 0,
             "policy": "drop" if passing else "accept"}
    rules = [{"rule": {"family": "inet", "table": "filter", "chain": "input", "handle": 4,
                       "expr": [{"match": {"op": "==", "left": {"meta": {"key": "iif"}},
                                           "right": "lo"}}, {"accept": None}]}}]
    ruleset = {"nftables": [{"metainfo": {"version": "1.0.6"}}, {"chain": chain},
                            *(rules if passing else [])]}
    snap.data["nft_ruleset"] = {"rc": 0, "stdout": json.dumps(ruleset), "stderr": ""}
    return snap


def walk_case(snap: Snap, p: dict[str, Any], passing: bool) -> Snap:
    allowed = names(p.get("allowed"))
    paths = [a for a in allowed if "*" not in a][:2]
    if not passing:
        paths.append("/usr/local/bin/planted")
    found = {p["find"]: {"count": len(paths), "paths": paths}}
    snap.data["walk"] = {"complete": True, "reason": "", "entries": 12345, "unreadable": 0,
                         "seconds": 1.5, "skipped_mounts": ["/proc", "/sys"], "found": found}
    return snap


# --- accounts -----------------------------------------------------------------------------


def accounts(snap: Snap, groups: list[tuple[str, int, list[str]]] | None = None) -> Snap:
    """Root, a system account, two users with homes, and the groups they use."""
    snap.user("root", 0).user("daemon", 1, "locked").user("alice", 1000).user("bob", 1001)
    data = snap.data["accounts"]
    data["unshadowed"] = []
    for user in data["users"]:
        if user["name"] == "root":
            user["gid"], user["home"] = "0", "/root"
        if user["name"] == "daemon":
            user["shell"], user["home"] = "/usr/sbin/nologin", "/usr/sbin"
    table = groups or [("root", 0, []), ("daemon", 1, []), ("shadow", 42, []),
                       ("alice", 1000, []), ("bob", 1001, [])]
    data["groups"] = [{"name": n, "gid": str(g), "members": m, "line": i}
                      for i, (n, g, m) in enumerate(table, 1)]
    data["homes"] = {u["home"]: {"exists": True, "dir": True, "uid": int(u["uid"]),
                                 "mode": "0700" if u["name"] == "root" else "0750"}
                     for u in data["users"]}
    snap.file(SHELLS, SHELLS_TEXT)
    return snap


def users(snap: Snap) -> list[dict[str, Any]]:
    return list(snap.data["accounts"]["users"])


def shadowed_case(snap: Snap, p: dict[str, Any], passing: bool) -> Snap:
    accounts(snap)
    if not passing:
        snap.data["accounts"]["unshadowed"].append("alice")
    return snap


def unique_case(snap: Snap, p: dict[str, Any], passing: bool) -> Snap:
    accounts(snap)
    if passing:
        return snap
    if p["table"] == "users":
        bob = users(snap)[3]
        bob["uid" if p["field"] == "id" else "name"] = "1000" if p["field"] == "id" else "alice"
    else:
        extra = ("wheel", 0, []) if p["field"] == "id" else ("alice", 2000, [])
        snap.data["accounts"]["groups"].append(
            {"name": extra[0], "gid": str(extra[1]), "members": [], "line": 9})
    return snap


def groups_exist_case(snap: Snap, p: dict[str, Any], passing: bool) -> Snap:
    accounts(snap)
    if not passing:
        users(snap)[3]["gid"] = "4242"
    return snap


def group_empty_case(snap: Snap, p: dict[str, Any], passing: bool) -> Snap:
    members = [] if passing else ["bob"]
    return accounts(snap, [("root", 0, []), ("daemon", 1, []), (p["group"], 42, members),
                           ("alice", 1000, []), ("bob", 1001, [])])


def root_gid_case(snap: Snap, p: dict[str, Any], passing: bool) -> Snap:
    """The failing host is CIS 5.4.2.2's case: root is fine, bob's primary group is 0."""
    accounts(snap)
    if not passing:
        users(snap)[3]["gid"] = "0"
    return snap


def gid0_case(snap: Snap, p: dict[str, Any], passing: bool) -> Snap:
    table = [("root", 0, []), ("shadow", 42, []), ("alice", 1000, []), ("bob", 1001, [])]
    return accounts(snap, table if passing else [*table, ("toor", 0, [])])


def home_case(snap: Snap, p: dict[str, Any], passing: bool) -> Snap:
    accounts(snap)
    if passing:
        return snap
    homes = snap.data["accounts"]["homes"]
    if p["aspect"] == "exists":
        homes["/home/bob"] = {"exists": False, "why": "No such file or directory"}
    elif p["aspect"] == "owner":
        homes["/home/bob"]["uid"] = 1000
    else:
        homes["/home/bob"]["mode"] = "0755"
    return snap


def system_shells_case(snap: Snap, p: dict[str, Any], passing: bool) -> Snap:
    accounts(snap)
    if not passing:
        users(snap)[1]["shell"] = "/bin/bash"
    return snap


def nologin_locked_case(snap: Snap, p: dict[str, Any], passing: bool) -> Snap:
    accounts(snap)
    if not passing:
        users(snap)[1]["password"] = "hashed"
    return snap


def shells_case(snap: Snap, p: dict[str, Any], passing: bool) -> Snap:
    return snap.file(SHELLS, SHELLS_TEXT + ("" if passing else "/usr/sbin/nologin\n"))


def root_env(snap: Snap, path: str, umask: str = "0027", bad_dir: str = "") -> Snap:
    dirs = {d: {"exists": True, "dir": True, "uid": 0, "owner": "root", "mode": "0755"}
            for d in path.split(":") if d.startswith("/")}
    if bad_dir:
        dirs[bad_dir] = {"exists": True, "dir": True, "uid": 1000, "owner": "alice",
                         "mode": "0777"}
    snap.data["root_env"] = {"shell": "/bin/bash", "rc": 0, "stderr": "", "path": path,
                             "umask": umask, "dirs": dirs}
    return snap


def root_path_case(snap: Snap, p: dict[str, Any], passing: bool) -> Snap:
    good = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
    if passing:
        return root_env(snap, good)
    return root_env(snap, good + ":/home/alice/bin", bad_dir="/home/alice/bin")


def root_umask_case(snap: Snap, p: dict[str, Any], passing: bool) -> Snap:
    return root_env(snap, "/usr/bin:/bin", "0077" if passing else "0022")


def dot_files_case(snap: Snap, p: dict[str, Any], passing: bool) -> Snap:
    """Every user's .profile and .bash_history right, a link to a file elsewhere (judged as
    a link); the failing host breaks bob's home by the aspect."""
    accounts(snap)
    for user in users(snap):
        uid, gid = int(user["uid"]), int(user["gid"])
        snap.data["accounts"]["homes"][user["home"]]["dot"] = {"files": [
            {"name": ".bash_history", "type": "file", "uid": uid, "gid": gid, "mode": "0600"},
            {"name": ".profile", "type": "file", "uid": uid, "gid": gid, "mode": "0644"},
            {"name": ".vimrc", "type": "link", "uid": 0, "gid": 0, "mode": "0777"},
        ]}
    if not passing:
        bob = snap.data["accounts"]["homes"]["/home/bob"]["dot"]["files"]
        bad = {"forbidden": {"name": ".rhosts"}, "owner": {"uid": 1000},
               "mode": {"mode": "0664"}}[p["aspect"]]
        bob.append({"name": ".bashrc", "type": "file", "uid": 1001, "gid": 1001,
                    "mode": "0644", **bad})
    return snap


def time_sync_case(snap: Snap, p: dict[str, Any], passing: bool) -> Snap:
    """timesyncd or chrony in use and named its servers; failing: a second daemon in use
    (single), or no server named (configured)."""
    daemon = str(p.get("daemon", "systemd-timesyncd"))
    other = "chrony" if daemon == "systemd-timesyncd" else "systemd-timesyncd"
    units = {"systemd-timesyncd": "systemd-timesyncd.service", "chrony": "chrony.service"}
    snap.package(daemon, INSTALLED).package(other, INSTALLED)
    unit_on_disk(snap, units[daemon], True)
    unit_on_disk(snap, units[other], p["aspect"] == "single" and not passing)
    unit_on_disk(snap, "ntpsec.service", False)
    if daemon == "systemd-timesyncd":
        servers = "NTP=ntp1.example.org\n" if passing or p["aspect"] == "single" else ""
        snap.file("/etc/systemd/timesyncd.conf", f"[Time]\n#NTP=\n{servers}")
    else:
        servers = "server ntp1.example.org iburst\n" if passing or p["aspect"] == "single" \
            else ""
        snap.file("/etc/chrony/chrony.conf", f"# pool 2.debian.pool.ntp.org\n{servers}")
    return snap


def shell_timeout_case(snap: Snap, p: dict[str, Any], passing: bool) -> Snap:
    """A profile.d file sets it right; the failing host's bash.bashrc, read first, locks 0
    (no timeout) readonly, so the shell refuses profile.d's value."""
    snap.data.setdefault("files", {})["/etc/profile.d/*.sh"] = {
        "glob": True, "matches": ["/etc/profile.d/60-tmout.sh"]}
    snap.file("/etc/profile", "# TMOUT=0 in a comment\nexport PATH\n")
    snap.file("/etc/profile.d/60-tmout.sh",
              f"TMOUT={p['max']}\nreadonly TMOUT\nexport TMOUT\n")
    return snap.file("/etc/bash.bashrc", "[ -z \"$PS1\" ] && return\n" +
                     ("" if passing else "readonly TMOUT=0\n"))


CASES: dict[str, Callable[[Snap, dict[str, Any], bool], Snap]] = {
    "shell_timeout": shell_timeout_case,
    "time_sync": time_sync_case,
    "dot_files": dot_files_case,
    "kernel_module_disabled": module_case,
    "limits_entry": limits_case,
    "separate_mount": separate_mount_case,
    "mount_option": mount_option_case,
    "package_installed": package_installed_case,
    "apt_sources_signed": apt_sources_case,
    "apt_conf_false": apt_conf_case,
    "single_firewall": single_firewall_case,
    "nft_persisted": nft_persisted_case,
    "nft_live": nft_live_case,
    "walk": walk_case,
    "shadowed_passwords": shadowed_case,
    "unique_ids": unique_case,
    "groups_exist": groups_exist_case,
    "group_empty": group_empty_case,
    "root_gid": root_gid_case,
    "gid0_groups": gid0_case,
    "home_dirs": home_case,
    "system_shells": system_shells_case,
    "nologin_locked": nologin_locked_case,
    "no_nologin_in_shells": shells_case,
    "root_path": root_path_case,
    "root_umask": root_umask_case,
}
