"""Check kinds: pure functions from a host snapshot to an Observation.

A control names a kind and its parameters; the kind says which probes it needs (so the
collect module gathers nothing more) and judges what came back. Nothing here reaches a
host: a check reads the snapshot and records what it saw, so the verdict carries its
evidence.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from assessor.results import Status

Snapshot = Mapping[str, Any]
Params = Mapping[str, Any]

COMPARISONS = ("expect", "one_of", "max", "min")


@dataclass(frozen=True)
class Observation:
    status: Status
    expected: str
    observed: str
    reason: str
    evidence: str = ""


@dataclass(frozen=True)
class CheckKind:
    """A registered kind: what it needs from the host, how it judges, which params it takes."""

    name: str
    judge: Callable[[Snapshot, Params], Observation]
    probes: Callable[[Params], dict[str, Any]]
    required: frozenset[str]
    optional: frozenset[str]
    needs_comparison: bool = False


KINDS: dict[str, CheckKind] = {}


Judge = Callable[[Snapshot, Params], Observation]


def register(
    name: str,
    probes: Callable[[Params], dict[str, Any]],
    required: tuple[str, ...] = (),
    optional: tuple[str, ...] = (),
    comparison: bool = False,
) -> Callable[[Judge], Judge]:
    def add(judge: Judge) -> Judge:
        extra = COMPARISONS if comparison else ()
        KINDS[name] = CheckKind(
            name, judge, probes, frozenset(required), frozenset(optional + extra), comparison
        )
        return judge

    return add


def params_problem(kind_name: str, params: Params) -> str | None:
    """Why these params do not fit the kind, or None when they do."""
    kind = KINDS.get(kind_name)
    if kind is None:
        return f"unknown check kind {kind_name!r} (known: {', '.join(sorted(KINDS))})"
    given = set(params) - {"kind"}
    missing = kind.required - given
    if missing:
        return f"check kind {kind_name!r} needs {', '.join(sorted(missing))}"
    unknown = given - kind.required - kind.optional
    if unknown:
        return f"check kind {kind_name!r} does not take {', '.join(sorted(unknown))}"
    if kind.needs_comparison and len(given & set(COMPARISONS)) != 1:
        return f"check kind {kind_name!r} needs exactly one of {', '.join(COMPARISONS)}"
    for bound in ("max", "min"):
        if bound in params and not _is_int(params[bound]):
            return f"{bound!r} must be an integer"
    if "one_of" in params and not isinstance(params["one_of"], list):
        return "'one_of' must be a list"
    # YAML reads an unquoted `no` as false and `0644` as 420: both would judge wrongly.
    for value in [params.get("expect", ""), *params.get("one_of", [])]:
        if not isinstance(value, str) and not _is_int(value):
            return f"'expect' and 'one_of' take strings or integers, not {value!r} (quote it)"
    if "max_mode" in params and not (
        isinstance(params["max_mode"], str) and re.fullmatch(r"[0-7]{3,4}", params["max_mode"])
    ):
        mode = params["max_mode"]
        return f"'max_mode' must be a quoted octal string such as \"0644\", not {mode!r}"
    return None


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def probes_for(kind_name: str, params: Params) -> dict[str, Any]:
    return KINDS[kind_name].probes(params)


def judge(kind_name: str, snapshot: Snapshot, params: Params) -> Observation:
    """Run one check; a missing or broken probe is an `error` with why, never an exception."""
    probe_errors = snapshot.get("errors") or {}
    for section in probes_for(kind_name, params):
        if section in probe_errors:
            return Observation(
                Status.ERROR, "", "", f"probe {section!r} failed: {probe_errors[section]}"
            )
    try:
        return KINDS[kind_name].judge(snapshot, params)
    except (AttributeError, KeyError, TypeError, ValueError) as exc:
        return Observation(Status.ERROR, "", "", f"could not evaluate: {type(exc).__name__}: {exc}")


def compare(observed: str | None, params: Params, *, fold_case: bool = False) -> tuple[bool, str]:
    """Judge a single value against the control's comparison; returns (ok, expected text)."""
    if "expect" in params:
        want = str(params["expect"])
        got = observed or ""
        ok = got.lower() == want.lower() if fold_case else got == want
        return observed is not None and ok, want
    if "one_of" in params:
        options = [str(o) for o in params["one_of"]]
        pool = [o.lower() for o in options] if fold_case else options
        got = (observed or "").lower() if fold_case else (observed or "")
        return observed is not None and got in pool, "one of " + ", ".join(options)
    number = _as_int(observed)
    if "max" in params:
        return number is not None and number <= int(params["max"]), f"<= {params['max']}"
    if "min" in params:
        return number is not None and number >= int(params["min"]), f">= {params['min']}"
    raise ValueError("no comparison given")


def _as_int(value: str | None) -> int | None:
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None


def _verdict(ok: bool, expected: str, observed: str, what: str, evidence: str = "") -> Observation:
    status = Status.PASS if ok else Status.FAIL
    reason = f"{what} is {observed}" if ok else f"{what} is {observed}, expected {expected}"
    return Observation(status, expected, observed, reason, evidence)


# --- sshd ---------------------------------------------------------------------------------


def parse_sshd_t(output: str) -> dict[str, list[str]]:
    """`sshd -T` prints `keyword value` lines; repeated keywords keep every value."""
    settings: dict[str, list[str]] = {}
    for line in output.splitlines():
        key, _, value = line.strip().partition(" ")
        if key:
            settings.setdefault(key.lower(), []).append(value.strip())
    return settings


@register("sshd_effective", lambda p: {"sshd": True}, required=("option",), comparison=True)
def sshd_effective(snapshot: Snapshot, params: Params) -> Observation:
    probe = snapshot["sshd"]
    if probe.get("rc") != 0:
        return Observation(
            Status.ERROR, "", "", f"sshd -T exited {probe.get('rc')}: {probe.get('stderr', '')}"
        )
    option = str(params["option"]).lower()
    values = parse_sshd_t(probe["stdout"]).get(option)
    observed = " ".join(values) if values is not None else None
    ok, expected = compare(observed, params, fold_case=True)
    shown = observed if observed is not None else "(not reported by sshd -T)"
    return _verdict(ok, expected, shown, f"sshd {option}", f"sshd -T: {option} {shown}")


# --- sysctl -------------------------------------------------------------------------------


@register("sysctl", lambda p: {"sysctl": [p["key"]]}, required=("key",), comparison=True)
def sysctl(snapshot: Snapshot, params: Params) -> Observation:
    key = str(params["key"])
    value = snapshot["sysctl"].get(key)
    if value is None:
        return Observation(
            Status.ERROR, "", "", f"{key} is not present in /proc/sys on this kernel"
        )
    ok, expected = compare(str(value), params)
    return _verdict(ok, expected, str(value), key, f"/proc/sys/{key.replace('.', '/')} = {value}")


# --- files --------------------------------------------------------------------------------


@register(
    "file_permissions",
    lambda p: {"stat": [p["path"]]},
    required=("path", "max_mode"),
    optional=("owner", "group"),
)
def file_permissions(snapshot: Snapshot, params: Params) -> Observation:
    path = str(params["path"])
    info = snapshot["stat"][path]
    if not info.get("exists"):
        return Observation(Status.FAIL, "present", "missing", f"{path} does not exist")
    mode = int(str(info["mode"]), 8)
    limit = int(str(params["max_mode"]), 8)
    owners = _names(params.get("owner"))
    groups = _names(params.get("group"))
    problems = []
    if mode & ~limit:
        problems.append(f"mode {mode:04o} allows more than {limit:04o}")
    if owners and info["owner"] not in owners:
        problems.append(f"owner {info['owner']} is not {' or '.join(owners)}")
    if groups and info["group"] not in groups:
        problems.append(f"group {info['group']} is not {' or '.join(groups)}")
    expected = f"mode <= {limit:04o}"
    expected += f", owner {'|'.join(owners)}" if owners else ""
    expected += f", group {'|'.join(groups)}" if groups else ""
    observed = f"mode {mode:04o}, owner {info['owner']}, group {info['group']}"
    evidence = f"stat {path}: {observed} (uid {info['uid']}, gid {info['gid']})"
    if problems:
        reason = f"{path}: " + "; ".join(problems)
        return Observation(Status.FAIL, expected, observed, reason, evidence)
    return Observation(Status.PASS, expected, observed, f"{path}: {observed}", evidence)


def _names(value: Any) -> list[str]:
    if value is None:
        return []
    return [str(v) for v in value] if isinstance(value, list) else [str(value)]


# --- packages -----------------------------------------------------------------------------


def installed(entry: Mapping[str, Any] | None) -> bool:
    """dpkg's status: only `install ok installed` (and half-installed states) count as present.

    A removed package whose config files remain (`deinstall ok config-files`, the `rc` of
    `dpkg -l`) has no programs on disk, so it is absent for these checks.
    """
    if not entry:
        return False
    state = str(entry.get("status", "")).split()
    return len(state) == 3 and state[2] not in ("not-installed", "config-files")


@register("package_absent", lambda p: {"packages": True}, required=("name",))
def package_absent(snapshot: Snapshot, params: Params) -> Observation:
    """`name` may list every package that ships the same thing (old and new names)."""
    names = _names(params["name"])
    packages = snapshot["packages"]
    present = [n for n in names if installed(packages.get(n))]
    evidence = "; ".join(
        f"dpkg status: {n} {packages[n]['status']} {packages[n]['version']}"
        if n in packages
        else f"dpkg status: {n} not known to dpkg"
        for n in names
    )
    if present:
        observed = ", ".join(f"{n} {packages[n]['version']}" for n in present)
        return Observation(
            Status.FAIL, "not installed", f"installed: {observed}", f"installed: {observed}",
            evidence,
        )
    return Observation(
        Status.PASS, "not installed", "not installed", f"{', '.join(names)}: not installed",
        evidence,
    )


# --- login.defs ---------------------------------------------------------------------------

LOGIN_DEFS = "/etc/login.defs"


def parse_login_defs(text: str) -> dict[str, str]:
    """Keys as login(1) reads them: first word, then the value; comments and blanks ignored."""
    values: dict[str, str] = {}
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        parts = line.split(None, 1)
        if len(parts) < 2:
            continue  # getdef skips a keyword without a value: the built-in default applies
        value = parts[1].strip()
        if value.startswith('"') and value.endswith('"') and len(value) >= 2:
            value = value[1:-1]
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
    return _verdict(ok, expected, shown, key, f"{LOGIN_DEFS}: {key} {shown}")


# --- accounts -----------------------------------------------------------------------------


@register("uid0_accounts", lambda p: {"accounts": True}, optional=("allowed",))
def uid0_accounts(snapshot: Snapshot, params: Params) -> Observation:
    allowed = _names(params.get("allowed")) or ["root"]
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
