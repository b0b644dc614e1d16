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
    number = as_int(observed)
    if "max" in params:
        return number is not None and number <= int(params["max"]), f"<= {params['max']}"
    if "min" in params:
        return number is not None and number >= int(params["min"]), f">= {params['min']}"
    raise ValueError("no comparison given")


def as_int(value: str | None) -> int | None:
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None


def verdict(ok: bool, expected: str, observed: str, what: str, evidence: str = "") -> Observation:
    status = Status.PASS if ok else Status.FAIL
    reason = f"{what} is {observed}" if ok else f"{what} is {observed}, expected {expected}"
    return Observation(status, expected, observed, reason, evidence)


def platform_of(facts: Mapping[str, Any]) -> str:
    """Platform tag as controls name it, e.g. `debian12`."""
    return f"{facts.get('os_id', '')}{str(facts.get('os_version_id', '')).split('.')[0]}"


# --- sshd ---------------------------------------------------------------------------------


def names_of(value: Any) -> list[str]:
    """A param that may be one name or a list of names, as a list."""
    if value is None:
        return []
    return [str(v) for v in value] if isinstance(value, list) else [str(value)]
