"""login.defs settings and local accounts."""

from __future__ import annotations

from typing import Any

from assessor.checks.core import (
    Observation,
    Params,
    Snapshot,
    compare,
    names_of,
    register,
    verdict,
)
from assessor.results import Status

LOGIN_DEFS = "/etc/login.defs"


def parse_login_defs(text: str) -> dict[str, str]:
    """Keys as shadow's getdef reads them, so a value means what login(1) takes it to mean.

    A line is `NAME value`: leading blanks and `#` lines are skipped; the value starts after
    blanks and double quotes and ends at the next quote or the end of the line, trailing
    blanks trimmed (a `# note` after a value stays part of it, as getdef keeps it); a name
    without a value is skipped, so the built-in default applies; the last line wins.
    """
    values: dict[str, str] = {}
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        parts = line.split(None, 1)
        if len(parts) < 2:
            continue
        value = parts[1].lstrip(" \t\"").split('"', 1)[0].rstrip()
        if value:
            values[parts[0]] = value
    return values


@register(
    "login_defs", lambda p: {"files": [LOGIN_DEFS]}, required=("key",), optional=("default",),
    comparison=True,
)
def login_defs(snapshot: Snapshot, params: Params) -> Observation:
    probe = snapshot["files"][LOGIN_DEFS]
    if not probe.get("exists"):
        return Observation(Status.FAIL, "", "missing", f"{LOGIN_DEFS} does not exist")
    key = str(params["key"])
    values = parse_login_defs(probe["content"])
    observed = values.get(key)
    shown = observed
    if observed is None and "default" in params:
        observed = str(params["default"])
        shown = f"{observed} (not set; built-in default)"
    ok, expected = compare(observed, params, fold_case=True)
    shown = shown if shown is not None else "not set"
    return verdict(ok, expected, shown, key, f"{LOGIN_DEFS}: {key} {shown}")


# --- accounts -----------------------------------------------------------------------------


@register("uid0_accounts", lambda p: {"accounts": True}, optional=("allowed",))
def uid0_accounts(snapshot: Snapshot, params: Params) -> Observation:
    allowed = names_of(params.get("allowed")) or ["root"]
    uid0 = [u["name"] for u in snapshot["accounts"]["users"] if int(u["uid"]) == 0]
    extra = [name for name in uid0 if name not in allowed]
    observed = ", ".join(uid0) or "none"
    evidence = f"/etc/passwd accounts with UID 0: {observed}"
    expected = "only " + ", ".join(allowed)
    if extra:
        return Observation(
            Status.FAIL, expected, observed, f"UID 0 also held by {', '.join(extra)}", evidence
        )
    reason = "only permitted accounts have UID 0"
    return Observation(Status.PASS, expected, observed, reason, evidence)


@register("no_empty_passwords", lambda p: {"accounts": True})
def no_empty_passwords(snapshot: Snapshot, params: Params) -> Observation:
    """Uses the password *state* the module derived on the host; hashes never leave it."""
    accounts = snapshot["accounts"]
    if accounts.get("shadow_error"):
        return Observation(
            Status.ERROR, "none", "", f"cannot read /etc/shadow: {accounts['shadow_error']}"
        )
    users = accounts["users"]
    empty = [u["name"] for u in users if u.get("password") == "empty"]
    observed = ", ".join(empty) or "none"
    evidence = f"/etc/shadow accounts with an empty password field: {observed}"
    if empty:
        return Observation(
            Status.FAIL, "none", observed, f"empty password for {', '.join(empty)}", evidence
        )
    return Observation(Status.PASS, "none", "none", "no account has an empty password", evidence)


# --- account and group databases ----------------------------------------------------------

SHELLS = "/etc/shells"
NO_LOGIN = ("nologin", "false")


def users_of(snapshot: Snapshot) -> list[dict[str, Any]]:
    return list(snapshot["accounts"]["users"])


def groups_of(snapshot: Snapshot) -> list[dict[str, Any]]:
    accounts = snapshot["accounts"]
    if "group_error" in accounts:
        raise ValueError(f"cannot read /etc/group: {accounts['group_error']}")
    return list(accounts["groups"])


def listed(what: str, bad: list[str], expected: str, evidence: str) -> Observation:
    """The common verdict: pass when `bad` is empty, else fail naming them."""
    if bad:
        observed = ", ".join(bad)
        return Observation(Status.FAIL, expected, observed, f"{what}: {observed}", evidence)
    return Observation(Status.PASS, expected, "none", f"no {what}", evidence)


@register("shadowed_passwords", lambda p: {"accounts": True})
def shadowed_passwords(snapshot: Snapshot, params: Params) -> Observation:
    """The module sends only which fields are not `x`, never what else they hold."""
    bad = [str(name) for name in snapshot["accounts"]["unshadowed"]]
    evidence = f"/etc/passwd accounts whose password field is not 'x': {', '.join(bad) or 'none'}"
    return listed("password kept in /etc/passwd", bad, "x for every account", evidence)


TABLES = {"users": ("uid", "/etc/passwd"), "groups": ("gid", "/etc/group")}


@register("unique_ids", lambda p: {"accounts": True}, required=("table", "field"))
def unique_ids(snapshot: Snapshot, params: Params) -> Observation:
    table, field = str(params["table"]), str(params["field"])
    if table not in TABLES or field not in ("id", "name"):
        raise ValueError("table must be users or groups, field id or name")
    number_key, source = TABLES[table]
    rows = users_of(snapshot) if table == "users" else groups_of(snapshot)
    key = number_key if field == "id" else "name"
    seen: dict[str, list[str]] = {}
    for row in rows:
        seen.setdefault(str(row[key]), []).append(f"{row['name']} (line {row['line']})")
    dupes = [f"{value}: {' '.join(who)}" for value, who in seen.items() if len(who) > 1]
    evidence = f"{source}: {len(rows)} entries, {len(seen)} distinct {key} values"
    return listed(f"duplicate {key} in {source}", dupes, f"unique {key}s", evidence)


@register("groups_exist", lambda p: {"accounts": True})
def groups_exist(snapshot: Snapshot, params: Params) -> Observation:
    gids = {str(g["gid"]) for g in groups_of(snapshot)}
    bad = [f"{u['name']} (gid {u['gid']})" for u in users_of(snapshot) if u["gid"] not in gids]
    evidence = f"primary groups missing from /etc/group: {', '.join(bad) or 'none'}"
    return listed("accounts whose group is not in /etc/group", bad, "every gid exists", evidence)


@register("group_empty", lambda p: {"accounts": True}, required=("group",))
def group_empty(snapshot: Snapshot, params: Params) -> Observation:
    name = str(params["group"])
    group = next((g for g in groups_of(snapshot) if g["name"] == name), None)
    if group is None:
        return Observation(Status.PASS, "no members", "group absent", f"no {name} group",
                           f"/etc/group: no {name} group")
    primary = [u["name"] for u in users_of(snapshot) if u["gid"] == str(group["gid"])]
    members = sorted(set(group["members"]) | set(primary))
    evidence = (f"/etc/group {name}: members {','.join(group['members']) or 'none'}; "
                f"primary group of {', '.join(primary) or 'nobody'}")
    return listed(f"members of group {name}", members, "no members", evidence)


# CIS 5.4.2.2's audit leaves out the accounts that traditionally share root's group.
GID0_EXEMPT = ("sync", "shutdown", "halt", "operator")


@register("root_gid", lambda p: {"accounts": True}, optional=("exempt",))
def root_gid(snapshot: Snapshot, params: Params) -> Observation:
    """root's primary GID is 0 and no other account's is (CIS 5.4.2.2, "root is the only
    GID 0 account"): a user whose primary group is 0 creates files group-owned by root."""
    exempt = names_of(params.get("exempt")) if "exempt" in params else list(GID0_EXEMPT)
    users = users_of(snapshot)
    root = next((u for u in users if u["name"] == "root"), None)
    if root is None:
        return Observation(Status.FAIL, "root:0 only", "no root account", "/etc/passwd has no root")
    zero = [u for u in users if str(u["gid"]) == "0" and u["name"] not in exempt]
    others = [f"{u['name']} (uid {u['uid']}, line {u['line']})" for u in zero
              if u["name"] != "root"]
    problems = ([] if str(root["gid"]) == "0" else [f"root's primary group is {root['gid']}"])
    problems += [f"primary GID 0 also held by {o}" for o in others]
    shown = [root, *(u for u in zero if u["name"] != "root")]
    observed = ", ".join(f"{u['name']}:{u['gid']}" for u in shown)
    evidence = (f"/etc/passwd line {root['line']}: root gid {root['gid']}; accounts with "
                f"primary GID 0: {', '.join(u['name'] for u in zero) or 'none'}"
                + (f" (not counted: {', '.join(exempt)})" if exempt else ""))
    expected = "root:0 and no other account with GID 0"
    if problems:
        return Observation(Status.FAIL, expected, observed, "; ".join(problems), evidence)
    return Observation(Status.PASS, expected, observed, "root is the only GID 0 account",
                       evidence)


@register("gid0_groups", lambda p: {"accounts": True}, optional=("allowed",))
def gid0_groups(snapshot: Snapshot, params: Params) -> Observation:
    allowed = names_of(params.get("allowed")) or ["root"]
    zero = [g["name"] for g in groups_of(snapshot) if str(g["gid"]) == "0"]
    evidence = f"/etc/group entries with GID 0: {', '.join(zero) or 'none'}"
    return listed("other groups with GID 0", [g for g in zero if g not in allowed],
                  "only " + ", ".join(allowed), evidence)


# --- shells, home directories -------------------------------------------------------------


def valid_shells(snapshot: Snapshot) -> set[str]:
    """Login shells listed in /etc/shells, except nologin-style ones."""
    probe = snapshot["files"][SHELLS]
    if not probe.get("exists"):
        return set()
    lines = (line.strip() for line in probe["content"].splitlines())
    return {s for s in lines if s.startswith("/") and s.rsplit("/", 1)[-1] not in NO_LOGIN}


def interactive(snapshot: Snapshot) -> list[dict[str, Any]]:
    shells = valid_shells(snapshot)
    return [u for u in users_of(snapshot) if u["shell"] in shells]


HOME_ASPECTS = ("exists", "owner", "mode")


@register(
    "home_dirs", lambda p: {"accounts": True, "files": [SHELLS]}, required=("aspect",),
    optional=("max_mode",),
)
def home_dirs(snapshot: Snapshot, params: Params) -> Observation:
    """Home directories of interactive accounts (a login shell listed in /etc/shells)."""
    aspect = str(params["aspect"])
    if aspect not in HOME_ASPECTS:
        raise ValueError(f"aspect must be one of {', '.join(HOME_ASPECTS)}")
    limit = int(str(params.get("max_mode", "0750")), 8)
    homes = snapshot["accounts"]["homes"]
    users = interactive(snapshot)
    bad = []
    for user in users:
        home = homes.get(user["home"], {"exists": False})
        if aspect == "exists" and not (home["exists"] and home.get("dir")):
            bad.append(f"{user['name']} ({user['home']} missing)")
        elif aspect == "owner" and home["exists"] and str(home["uid"]) != str(user["uid"]):
            bad.append(f"{user['name']} ({user['home']} owned by uid {home['uid']})")
        elif aspect == "mode" and home["exists"] and int(home["mode"], 8) & ~limit:
            bad.append(f"{user['name']} ({user['home']} mode {home['mode']})")
    expected = {"exists": "every home exists", "owner": "owned by its user",
                "mode": f"mode <= {limit:04o}"}[aspect]
    evidence = "interactive accounts: " + ", ".join(
        f"{u['name']} {u['home']} " + (
            f"uid {homes[u['home']]['uid']} mode {homes[u['home']]['mode']}"
            if homes.get(u["home"], {}).get("exists") else "missing"
        ) for u in users
    )
    return listed(f"home directories failing '{aspect}'", bad, expected, evidence)


@register(
    "system_shells", lambda p: {"accounts": True, "files": [SHELLS]},
    optional=("uid_min", "exempt"),
)
def system_shells(snapshot: Snapshot, params: Params) -> Observation:
    """System accounts (UID below uid_min) have no login shell."""
    uid_min = int(params.get("uid_min", 1000))
    exempt = names_of(params.get("exempt")) or ["root", "sync", "shutdown", "halt"]
    shells = valid_shells(snapshot)
    bad = [f"{u['name']} ({u['shell']})" for u in users_of(snapshot)
           if int(u["uid"]) < uid_min and u["name"] not in exempt and u["shell"] in shells]
    evidence = f"login shells per /etc/shells: {', '.join(sorted(shells)) or 'none'}"
    return listed("system accounts with a login shell", bad, "nologin", evidence)


@register("nologin_locked", lambda p: {"accounts": True, "files": [SHELLS]})
def nologin_locked(snapshot: Snapshot, params: Params) -> Observation:
    """Accounts without a login shell have a locked password, so su and others refuse them."""
    if snapshot["accounts"].get("shadow_error"):
        raise ValueError(f"cannot read /etc/shadow: {snapshot['accounts']['shadow_error']}")
    shells = valid_shells(snapshot)
    bad = [f"{u['name']} ({u['password']})" for u in users_of(snapshot)
           if u["name"] != "root" and u["shell"] not in shells and u["password"] != "locked"]
    evidence = "accounts without a login shell whose password is not locked: " + (
        ", ".join(bad) or "none")
    return listed("unlocked accounts without a login shell", bad, "locked", evidence)


@register("no_nologin_in_shells", lambda p: {"files": [SHELLS]})
def no_nologin_in_shells(snapshot: Snapshot, params: Params) -> Observation:
    probe = snapshot["files"][SHELLS]
    if not probe.get("exists"):
        return Observation(Status.PASS, "no nologin", "no /etc/shells", f"{SHELLS} is absent",
                           f"{SHELLS}: missing")
    lines = [line.strip() for line in probe["content"].splitlines()]
    bad = [s for s in lines if s.startswith("/") and s.rsplit("/", 1)[-1] == "nologin"]
    return listed(f"nologin listed in {SHELLS}", bad, "no nologin",
                  f"{SHELLS}: {', '.join(s for s in lines if s.startswith('/'))}")


# --- root's environment -------------------------------------------------------------------


@register("root_path", lambda p: {"root_env": True})
def root_path(snapshot: Snapshot, params: Params) -> Observation:
    """Every entry of root's login PATH: absolute, an existing directory, root's, not writable."""
    probe = snapshot["root_env"]
    if probe.get("path") is None:
        raise ValueError(f"root's login shell {probe.get('shell')} gave no PATH "
                         f"(exit {probe.get('rc')}: {probe.get('stderr', '')})")
    path = str(probe["path"])
    bad = []
    for entry in path.split(":"):
        info = probe["dirs"].get(entry, {})
        if entry in ("", "."):
            bad.append("an empty entry" if entry == "" else "'.'")
        elif not entry.startswith("/"):
            bad.append(f"relative {entry}")
        elif not info.get("exists") or not info.get("dir"):
            bad.append(f"{entry} is not a directory")
        elif info["uid"] != 0:
            bad.append(f"{entry} owned by {info['owner']}")
        elif int(info["mode"], 8) & 0o022:
            bad.append(f"{entry} mode {info['mode']} is group/world-writable")
    evidence = f"{probe['shell']} -l as root: PATH={path}"
    return listed("root PATH problems", bad, "absolute root-owned dirs, no . or empty",
                  evidence)


@register("root_umask", lambda p: {"root_env": True}, optional=("mask",))
def root_umask(snapshot: Snapshot, params: Params) -> Observation:
    """root's login umask masks at least `mask` (default 0027: nothing for others, no g+w)."""
    mask = int(str(params.get("mask", "0027")), 8)
    probe = snapshot["root_env"]
    umask = probe.get("umask")
    if umask is None:
        raise ValueError(f"root's login shell gave no umask (exit {probe.get('rc')})")
    value = int(str(umask), 8)
    ok = value & mask == mask
    evidence = f"{probe['shell']} -l as root: umask {umask}"
    return verdict(ok, f"masks {mask:04o}", f"{value:04o}", "root's login umask", evidence)
