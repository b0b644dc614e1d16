"""Pass/fail snapshot builders for the foundation's check kinds (see test_catalogue.py).

Each `cases_*.py` module maps check kinds to a function (snap, params, passing) -> snap
that turns a control's own params into a compliant or non-compliant host.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from unit_builders import CONFIG_FILES, INSTALLED, Snap

OPPOSITE = {"no": "yes", "yes": "no", "0": "1", "1": "0"}


def value_for(params: dict[str, Any], passing: bool) -> str:
    """A value the control's comparison accepts (passing) or rejects."""
    if "expect" in params:
        want = str(params["expect"])
        return want if passing else OPPOSITE.get(want.lower(), f"not-{want}")
    if "one_of" in params:
        first = str(params["one_of"][0])
        return first if passing else f"not-{first}"
    if "max" in params:
        return str(params["max"] if passing else params["max"] + 1)
    return str(params["min"] if passing else params["min"] - 1)


def names(value: Any) -> list[str]:
    if value is None:
        return []
    return [str(v) for v in value] if isinstance(value, list) else [str(value)]


def sshd_case(snap: Snap, p: dict[str, Any], passing: bool) -> Snap:
    return snap.sshd(**{p["option"]: value_for(p, passing)})


def sysctl_case(snap: Snap, p: dict[str, Any], passing: bool) -> Snap:
    value = value_for(p, passing)
    snap.sysctl_file("/etc/sysctl.d/60-x.conf", f"{p['key']} = {value}\n")
    return snap.sysctl({p["key"]: value})


def login_defs_case(snap: Snap, p: dict[str, Any], passing: bool) -> Snap:
    return snap.login_defs(
        f"# {p['key']} 0 is only a comment\n\n{p['key']}\t{value_for(p, passing)}\nUMASK 022\n"
    )


def file_permissions_case(snap: Snap, p: dict[str, Any], passing: bool) -> Snap:
    limit = int(p["max_mode"], 8)
    owner = (names(p.get("owner")) or ["root"])[0]
    group = (names(p.get("group")) or ["root"])[-1]
    if passing:
        return snap.stat(p["path"], f"{limit:04o}", owner=owner, group=group)
    extra = next((b for b in (0o002, 0o020, 0o004, 0o040, 0o4000) if not limit & b), None)
    if extra is None:
        return snap.stat(p["path"], f"{limit:04o}", owner="nobody", group="nogroup")
    return snap.stat(p["path"], f"{limit | extra:04o}", owner=owner, group=group)


def package_absent_case(snap: Snap, p: dict[str, Any], passing: bool) -> Snap:
    for i, name in enumerate(names(p["name"])):
        snap.package(name, INSTALLED if (i == 0 and not passing) else CONFIG_FILES)
    return snap


def uid0_case(snap: Snap, p: dict[str, Any], passing: bool) -> Snap:
    allowed = names(p.get("allowed")) or ["root"]
    for name in allowed:
        snap.user(name, 0)
    snap.user("alice", 1000)
    return snap if passing else snap.user("intruder", 0)


def empty_password_case(snap: Snap, p: dict[str, Any], passing: bool) -> Snap:
    snap.user("root", 0, "hashed").user("daemon", 1, "locked")
    return snap if passing else snap.user("nopass", 1001, "empty")


CASES: dict[str, Callable[[Snap, dict[str, Any], bool], Snap]] = {
    "sshd_effective": sshd_case,
    "sysctl": sysctl_case,
    "login_defs": login_defs_case,
    "file_permissions": file_permissions_case,
    "package_absent": package_absent_case,
    "uid0_accounts": uid0_case,
    "no_empty_passwords": empty_password_case,
}
