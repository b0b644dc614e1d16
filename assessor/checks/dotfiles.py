"""Local interactive users' dot files (CIS 7.2.10), from the collect module's lstat of each
home: a link is judged as a link, never followed to a file outside the home."""

from __future__ import annotations

from typing import Any

from assessor.checks.accounts import SHELLS, interactive, listed
from assessor.checks.core import Observation, Params, Snapshot, register

# CIS 7.2.10: .forward and .rhosts must not exist; .netrc should not (a stored password).
FORBIDDEN = (".forward", ".rhosts", ".netrc")
ASPECTS = ("forbidden", "owner", "mode")
HISTORY = ".bash_history"


def dot_entries(snapshot: Snapshot) -> list[tuple[dict[str, Any], dict[str, Any]]]:
    """(user, dot file) for every interactive user whose home exists."""
    homes = snapshot["accounts"]["homes"]
    out = []
    for user in interactive(snapshot):
        home = homes.get(user["home"], {})
        if not home.get("exists") or not home.get("dir"):
            continue
        if "dot" not in home:
            raise ValueError(f"the snapshot has no dot files of {user['home']} (collect "
                             "module older than this check)")
        out += [(user, entry) for entry in home["dot"].get("files", [])]
    return out


def mode_limit(name: str) -> int:
    """0600 for .bash_history and .netrc, 0644 for every other dot file (no g+w, o+w)."""
    return 0o600 if name in (HISTORY, ".netrc") else 0o644


@register("dot_files", lambda p: {"accounts": True, "files": [SHELLS]}, required=("aspect",))
def dot_files(snapshot: Snapshot, params: Params) -> Observation:
    aspect = str(params["aspect"])
    if aspect not in ASPECTS:
        raise ValueError(f"aspect must be one of {', '.join(ASPECTS)}")
    entries = dot_entries(snapshot)
    bad = []
    for user, entry in entries:
        where = f"{user['home'].rstrip('/')}/{entry['name']}"
        if aspect == "forbidden" and entry["name"] in FORBIDDEN:
            bad.append(where)
        elif aspect == "owner" and entry["type"] != "link" and (
                str(entry["uid"]) != str(user["uid"]) or str(entry["gid"]) != str(user["gid"])):
            bad.append(f"{where} ({entry['uid']}:{entry['gid']}, not "
                       f"{user['uid']}:{user['gid']})")
        elif aspect == "mode" and entry["type"] == "file" and (
                int(entry["mode"], 8) & ~mode_limit(entry["name"])):
            bad.append(f"{where} mode {entry['mode']}")
    expected = {"forbidden": "no .forward, .rhosts or .netrc",
                "owner": "owned by the user and the user's primary group",
                "mode": ".bash_history and .netrc 0600, others 0644 or stricter"}[aspect]
    users = sorted({u["name"] for u in interactive(snapshot)})
    evidence = (f"{len(entries)} dot files in the homes of {', '.join(users) or 'nobody'}"
                " (lstat; links judged as links)")
    return listed(f"dot files failing '{aspect}'", bad, expected, evidence)
