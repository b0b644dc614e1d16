#!/usr/bin/python3
"""Work out, read-only, which accounts the account controls would change, and which not.

The account fixes need judgement the tasks cannot express in a template: which accounts
are system accounts, whose home is shared or a system directory, whose password can be
locked. This module reads /etc/passwd, /etc/shadow, /etc/group and /etc/shells exactly as
the assessor's checks read them (the collect module's snapshot) and returns, per control,
the changes to make and the accounts left alone with the reason. The connection user and
root are never given a new shell, primary group or locked password here; a home directory
that is a system directory or shared by several accounts is never chowned or chmodded.
Never changes anything. Stdlib only: it runs on the target's python3.
"""

from __future__ import annotations

DOCUMENTATION = r"""
module: assessor_accounts_plan
short_description: Work out, read-only, which accounts the account controls would
  change, and which not
description:
- 'The account fixes need judgement the tasks cannot express in a template: which
  accounts are system accounts, whose home is shared or a system directory, whose
  password can be locked. This module reads /etc/passwd, /etc/shadow, /etc/group and
  /etc/shells exactly as the assessor''s checks read them (the collect module''s snapshot)
  and returns, per control, the changes to make and the accounts left alone with the
  reason. The connection user and root are never given a new shell, primary group
  or locked password here; a home directory that is a system directory or shared by
  several accounts is never chowned or chmodded. Never changes anything. Stdlib only:
  it runs on the target''s python3.'
options:
  protect:
    description: Accounts never locked or changed.
    type: list
    elements: str
    default:
    - root
  uid_min:
    description: First UID of a regular user (login.defs UID_MIN).
    type: int
    default: 1000
  exempt:
    description: System accounts that keep their shell.
    type: list
    elements: str
    default:
    - root
    - sync
    - shutdown
    - halt
  group:
    description: Group that owns /etc/shadow.
    type: str
    default: shadow
  max_mode:
    description: Most permissive mode a home directory may keep.
    type: str
    default: '0750'
  umask:
    description: The umask root's shell startup files must set.
    type: str
    default: '0027'
  gid0_exempt:
    description: Accounts that may keep primary GID 0 besides root (CIS 5.4.2.2 leaves
      out sync, shutdown, halt and operator).
    type: list
    elements: str
    default:
    - sync
    - shutdown
    - halt
    - operator
"""

RETURN = r"""
root_gid:
  description: root's primary GID, or null when root is missing.
  returned: always
  type: int
gid0_moves:
  description: User accounts other than root whose primary GID is 0, each with the group
    of its own name it moves to.
  returned: always
  type: list
  elements: dict
nologin_shell:
  description: Path of the nologin shell on this host.
  returned: always
  type: str
system_shells:
  description: System accounts to give the nologin shell.
  returned: always
  type: list
  elements: str
lock:
  description: Accounts to lock.
  returned: always
  type: list
  elements: str
group_members:
  description: Members to drop from groups that must stay empty.
  returned: always
  type: list
  elements: dict
group_primary:
  description: Accounts whose primary group must change.
  returned: always
  type: list
  elements: dict
home_create:
  description: Home directories to create.
  returned: always
  type: list
  elements: dict
home_owner:
  description: Home directories to give back to their owner.
  returned: always
  type: list
  elements: dict
home_mode:
  description: Home directories whose mode must tighten.
  returned: always
  type: list
  elements: dict
left_alone:
  description: Accounts left alone, with the reason.
  returned: always
  type: list
  elements: dict
root_umask:
  description: How root's shell startup files set the umask.
  returned: always
  type: dict
"""

import os
import stat
import subprocess

from ansible.module_utils.assessor_passwd import parse_group, parse_passwd, parse_shadow
from ansible.module_utils.basic import AnsibleModule

NO_LOGIN = ("nologin", "false")
GLOB = "*?["
# Directories that belong to the system, never to one account: a home that is one of
# them, or lies under the first group, is left alone.
SYSTEM_TREES = ("/usr", "/etc", "/proc", "/sys", "/dev", "/boot", "/bin", "/sbin", "/lib",
                "/lib32", "/lib64", "/libx32", "/run")
SYSTEM_DIRS = ("/", "/var", "/tmp", "/home", "/srv", "/opt", "/mnt", "/media", "/nonexistent")
LOGIN_FILES = {"bash": (".bash_profile", ".bash_login", ".profile")}
UMASK_TIMEOUT = 10


def read(path):
    try:
        with open(path, "rb") as handle:
            return handle.read().decode("utf-8", "backslashreplace")
    except OSError:
        return None


def valid_shells(text):
    """Login shells listed in /etc/shells, except nologin-style ones (as the checks say)."""
    lines = (line.strip() for line in (text or "").splitlines())
    return {s for s in lines if s.startswith("/") and s.rsplit("/", 1)[-1] not in NO_LOGIN}


def password_state(user, shadow):
    if user["passwd"] != "x":
        field = user["passwd"]
    elif user["name"] in shadow:
        field = shadow[user["name"]]
    else:
        return "none"
    if field == "":
        return "empty"
    return "locked" if field[0] in "!*" else "hashed"


def nologin_shell(exists=os.path.exists):
    for path in ("/usr/sbin/nologin", "/sbin/nologin", "/usr/bin/false", "/bin/false"):
        if exists(path):
            return path
    return "/usr/sbin/nologin"


def system_shells(users, shells, uid_min, exempt, protect):
    change, skipped = [], []
    for user in users:
        if not user["uid"].isdigit() or int(user["uid"]) >= uid_min:
            continue
        if user["name"] in exempt or user["shell"] not in shells:
            continue
        if user["name"] in protect:
            skipped.append({"name": user["name"], "why": "the connection user or root: "
                            "its shell is left as it is"})
            continue
        change.append({"name": user["name"], "shell": user["shell"]})
    return change, skipped


def nologin_unlocked(users, shadow, shells, protect):
    change, skipped = [], []
    for user in users:
        if user["name"] == "root" or user["shell"] in shells:
            continue
        state = password_state(user, shadow)
        if state == "locked":
            continue
        if user["name"] in protect:
            skipped.append({"name": user["name"], "why": "the connection user: its password "
                            "is left as it is"})
        elif state == "none":
            skipped.append({"name": user["name"], "why": "no /etc/shadow entry to lock "
                            "(run pwconv first)"})
        elif any(u["name"] == user["name"] and u is not user for u in users):
            skipped.append({"name": user["name"], "why": "the name appears more than once in "
                            "/etc/passwd: usermod would lock only the first"})
        else:
            change.append({"name": user["name"], "state": state})
    return change, skipped


def group_members(users, groups, group_name, protect):
    """Supplementary members to drop, and accounts whose primary group it is."""
    group = next((g for g in groups if g["name"] == group_name), None)
    if group is None:
        return [], [], []
    members = sorted(set(group["members"]))
    primary, skipped = [], []
    by_name = {g["name"]: g for g in groups}
    for user in users:
        if user["gid"] != group["gid"]:
            continue
        own = by_name.get(user["name"])
        if user["name"] in protect:
            skipped.append({"name": user["name"], "why": "the connection user or root: its "
                            "primary group is left as it is"})
        elif own is None or own["gid"] == group["gid"]:
            skipped.append({"name": user["name"], "why": "no group of its own name to make "
                            "its primary group"})
        else:
            primary.append({"name": user["name"], "group": own["name"]})
    return members, primary, skipped


def gid0_moves(users, groups, uid_min, exempt, protect):
    """Accounts other than root whose primary group is 0 (CIS 5.4.2.2).

    Only a user account (UID at least uid_min) that has a group of its own name moves to
    that group, as ansible-lockdown and the benchmark's "assign a new GID if appropriate"
    allow; a system account or another name for UID 0 is left alone with the reason, since
    the files of its service may rely on group 0, and root itself is never touched here."""
    by_name = {g["name"]: g for g in groups}
    move, skipped = [], []
    for user in users:
        if user["name"] == "root" or user["gid"] != "0" or user["name"] in exempt:
            continue
        own = by_name.get(user["name"])
        if user["name"] in protect:
            skipped.append({"name": user["name"], "why": "the connection user: its primary "
                            "group is left as it is"})
        elif not user["uid"].isdigit() or int(user["uid"]) < uid_min:
            skipped.append({"name": user["name"], "why": "a system account (uid %s): what "
                            "its files rely on is for a person to decide (usermod -g)"
                            % user["uid"]})
        elif own is None or own["gid"] == "0":
            skipped.append({"name": user["name"], "why": "no group of its own name to make "
                            "its primary group (groupadd it, then usermod -g)"})
        else:
            move.append({"name": user["name"], "group": own["name"]})
    return move, skipped


def system_home(path):
    normal = os.path.normpath(path) if path.startswith("/") else ""
    if not normal or normal in SYSTEM_DIRS or any(c in normal for c in GLOB):
        return True
    return any(normal == t or normal.startswith(t + "/") for t in SYSTEM_TREES)


def homes(users, shells, max_mode, protect, stat_of=os.stat):
    """(create, owner specs, mode specs, skipped) for accounts with a login shell.

    A home that is a system directory is never touched; one that several accounts with a
    login shell and different uids share gets its mode tightened but no new owner."""
    interactive = [u for u in users if u["shell"] in shells]
    uids_by_home = {}
    for user in interactive:
        uids_by_home.setdefault(os.path.normpath(user["home"] or "."), set()).add(user["uid"])
    create, owner, mode, skipped = [], [], [], []
    for user in interactive:
        home = user["home"]
        if system_home(home):
            skipped.append({"name": user["name"], "control": "accounts.home-mode",
                            "why": "%s is a system directory, not a home of its own"
                            % (home or "(empty)")})
            continue
        try:
            info = stat_of(home)
        except OSError:
            info = None
        if info is None:
            parent = os.path.dirname(os.path.normpath(home))
            if not os.path.isdir(parent):
                skipped.append({"name": user["name"], "control": "accounts.home-exists",
                                "why": "parent of %s does not exist" % home})
            elif not user["uid"].isdigit() or not user["gid"].isdigit():
                skipped.append({"name": user["name"], "control": "accounts.home-exists",
                                "why": "uid or gid is not a number"})
            elif home not in [c["path"] for c in create]:
                create.append({"name": user["name"], "path": home, "uid": int(user["uid"]),
                               "gid": int(user["gid"]), "mode": "%04o" % (0o750 & max_mode)})
            continue
        if not stat.S_ISDIR(info.st_mode):
            skipped.append({"name": user["name"], "control": "accounts.home-exists",
                            "why": "%s exists and is not a directory" % home})
            continue
        if str(info.st_uid) != user["uid"]:
            if user["name"] in protect:
                skipped.append({"name": user["name"], "control": "accounts.home-owner",
                                "why": "the connection user or root: its home's owner is "
                                "left as it is"})
            elif len(uids_by_home[os.path.normpath(home)]) > 1:
                skipped.append({"name": user["name"], "control": "accounts.home-owner",
                                "why": "%s is shared by accounts with other uids" % home})
            elif any(u["name"] == user["name"] and u["uid"] != user["uid"] for u in users):
                skipped.append({"name": user["name"], "control": "accounts.home-owner",
                                "why": "the name appears more than once with other uids"})
            else:
                owner.append({"paths": [home], "owner": user["name"], "max_mode": "7777"})
        if stat.S_IMODE(info.st_mode) & ~max_mode and home not in [
                m["paths"][0] for m in mode]:
            mode.append({"paths": [home], "max_mode": "%04o" % max_mode, "types": ["dir"]})
    return create, owner, mode, skipped


def login_file(shell, home, exists=os.path.exists):
    """The file root's login shell reads last for its own settings."""
    candidates = LOGIN_FILES.get(os.path.basename(shell or ""), (".profile",))
    for name in candidates:
        if exists(os.path.join(home, name)):
            return os.path.join(home, name)
    return os.path.join(home, ".profile")


def root_umask(users, mask):
    """root's login umask now (as the collect module reads it), and the umask to set: the
    current one with the control's bits added, so nothing already masked is unmasked."""
    root = next((u for u in users if u["name"] == "root"), None)
    shell = root["shell"] if root else "/bin/sh"
    home = root["home"] if root and root["home"] else "/root"
    if not shell or os.path.basename(shell) in NO_LOGIN or not os.path.exists(shell):
        shell = "/bin/sh"
    env = {"HOME": home, "USER": "root", "LOGNAME": "root", "SHELL": shell, "TERM": "dumb",
           "PATH": "/usr/sbin:/usr/bin:/sbin:/bin"}
    try:
        proc = subprocess.run([shell, "-l", "-c", 'printf "\\nASSESSOR_UMASK=%s\\n" "$(umask)"'],
                              capture_output=True, text=True, env=env, timeout=UMASK_TIMEOUT,
                              cwd=home if os.path.isdir(home) else "/", check=False)
        found = [line.split("=", 1)[1] for line in proc.stdout.splitlines()
                 if line.startswith("ASSESSOR_UMASK=")]
    except (OSError, subprocess.TimeoutExpired):
        found = []
    current = int(found[-1], 8) if found else 0o022
    return {"current": "%04o" % current, "target": "%04o" % (current | mask),
            "file": login_file(shell, home)}


def main():
    module = AnsibleModule(
        argument_spec={
            "protect": {"type": "list", "elements": "str", "default": ["root"]},
            "uid_min": {"type": "int", "default": 1000},
            "exempt": {"type": "list", "elements": "str",
                       "default": ["root", "sync", "shutdown", "halt"]},
            "group": {"type": "str", "default": "shadow"},
            "max_mode": {"type": "str", "default": "0750"},
            "umask": {"type": "str", "default": "0027"},
            "gid0_exempt": {"type": "list", "elements": "str",
                            "default": ["sync", "shutdown", "halt", "operator"]},
        },
        supports_check_mode=True,
    )
    p = module.params
    users = parse_passwd(read("/etc/passwd"))
    shadow = parse_shadow(read("/etc/shadow"))
    groups = parse_group(read("/etc/group"))
    shells = valid_shells(read("/etc/shells"))
    protect = set(p["protect"]) | {"root"}
    nologin, nologin_skipped = system_shells(users, shells, p["uid_min"], p["exempt"], protect)
    lock, lock_skipped = nologin_unlocked(users, shadow, shells, protect)
    members, primary, group_skipped = group_members(users, groups, p["group"], protect)
    moves, moves_skipped = gid0_moves(users, groups, p["uid_min"], p["gid0_exempt"], protect)
    create, owner, mode, home_skipped = homes(users, shells, int(p["max_mode"], 8), protect)
    root = next((u for u in users if u["name"] == "root"), None)
    left_alone = ([dict(s, control="accounts.system-nologin") for s in nologin_skipped]
               + [dict(s, control="accounts.nologin-locked") for s in lock_skipped]
               + [dict(s, control="accounts.shadow-group-empty") for s in group_skipped]
               + [dict(s, control="accounts.root-gid") for s in moves_skipped]
               + home_skipped)
    module.exit_json(
        changed=False,
        root_gid=root["gid"] if root else None, gid0_moves=moves,
        nologin_shell=nologin_shell(),
        system_shells=nologin, lock=lock, group_members=members, group_primary=primary,
        home_create=create, home_owner=owner, home_mode=mode, left_alone=left_alone,
        root_umask=root_umask(users, int(p["umask"], 8)),
    )


if __name__ == "__main__":
    main()
