"""STIX 2.1 patterns as indicators, read by the stix2-patterns parser, never by a regex.

A pattern is usable when every comparison that can match is `object:path = 'string'` on a
path we hunt for, joined by OR (inside an observation or between observations): any one
value seen on a host then means the pattern matched. AND, FOLLOWEDBY, qualifiers
(WITHIN, REPEATS, START/STOP), other operators and other object paths need correlation a
value lookup cannot do, so those patterns are reported as unsupported with the reason.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from typing import Any

from stix2patterns.exceptions import ParseException
from stix2patterns.v21.inspector import InspectionListener
from stix2patterns.v21.pattern import Pattern

from assessor.intel.model import IndicatorType

# (object type, property path) -> what we hunt for; hash names as STIX's hash-algorithm-ov
PATHS: dict[tuple[str, tuple[str, ...]], IndicatorType] = {
    ("file", ("hashes", "SHA-256")): IndicatorType.SHA256,
    ("file", ("hashes", "SHA-1")): IndicatorType.SHA1,
    ("file", ("hashes", "MD5")): IndicatorType.MD5,
    ("file", ("name",)): IndicatorType.FILENAME,
    ("directory", ("path",)): IndicatorType.PATH,
    ("ipv4-addr", ("value",)): IndicatorType.IPV4,
    ("ipv6-addr", ("value",)): IndicatorType.IPV6,
    ("domain-name", ("value",)): IndicatorType.DOMAIN,
    ("url", ("value",)): IndicatorType.URL,
    ("process", ("name",)): IndicatorType.PROCESS_NAME,
}
# spellings seen in the wild for the same hash keys
HASH_ALIASES = {"SHA256": "SHA-256", "SHA1": "SHA-1"}
# stix2-patterns' ANTLR parser costs about 0.3 ms a pattern in pure Python: a CERT bundle
# of tens of thousands is parsed on every core, a small one in this process
PARALLEL_FROM = 2000
MAX_WORKERS = 8


@dataclass(frozen=True)
class Comparison:
    type: IndicatorType
    value: str


@dataclass(frozen=True)
class Reading:
    """What a pattern says: the comparisons we can hunt for, and those we cannot (why)."""

    comparisons: tuple[Comparison, ...]
    unsupported: tuple[str, ...]


class PatternSyntaxError(ValueError):
    """The pattern is not valid STIX 2.1 pattern syntax."""


class _Listener(InspectionListener):  # type: ignore[misc]
    """stix2-patterns' own inspector, also told whether AND joins comparisons."""

    def __init__(self) -> None:
        super().__init__()
        self.comparison_and = False

    def exitComparisonExpressionAnd(self, ctx: Any) -> None:
        if ctx.AND():
            self.comparison_and = True


def read_pattern(text: str) -> Reading:
    try:
        pattern = Pattern(text)
    except ParseException as exc:
        raise PatternSyntaxError(str(exc)) from exc
    listener = _Listener()
    pattern.walk(listener)
    data = listener.pattern_data()
    whole = whole_pattern_problems(listener.comparison_and, data.observation_ops, data.qualifiers)
    if whole:
        return Reading((), whole)
    found: list[Comparison] = []
    problems: list[str] = []
    for object_type, tests in data.comparisons.items():
        for path, operator, literal in tests:
            comparison = comparison_of(object_type, path, operator, literal)
            if isinstance(comparison, Comparison):
                found.append(comparison)
            else:
                problems.append(comparison)
    return Reading(tuple(found), tuple(problems))


def read_patterns(texts: Sequence[str]) -> list[Reading | PatternSyntaxError]:
    """`read_pattern` of each text, in order; a syntax error is returned, not raised."""
    workers = min(os.cpu_count() or 1, MAX_WORKERS)
    if len(texts) < PARALLEL_FROM or workers < 2:
        return [_read_or_error(text) for text in texts]
    chunk = max(1, len(texts) // (workers * 4))
    try:
        with ProcessPoolExecutor(workers) as pool:
            return list(pool.map(_read_or_error, texts, chunksize=chunk))
    except (OSError, BrokenProcessPool):  # no semaphores here, or a worker died: slower, same
        return [_read_or_error(text) for text in texts]


def _read_or_error(text: str) -> Reading | PatternSyntaxError:
    try:
        return read_pattern(text)
    except PatternSyntaxError as exc:
        return exc


def whole_pattern_problems(
    comparison_and: bool, observation_ops: set[str], qualifiers: set[str]
) -> tuple[str, ...]:
    problems = []
    if comparison_and or "AND" in observation_ops:
        problems.append("AND: all comparisons must hold together, one value cannot show that")
    if "FOLLOWEDBY" in observation_ops:
        problems.append("FOLLOWEDBY: a sequence of observations, not one value")
    problems += [f"qualifier {q}: needs observations over time" for q in sorted(qualifiers)]
    return tuple(problems)


def comparison_of(
    object_type: str, path: list[Any], operator: str, literal: str
) -> Comparison | str:
    """One comparison as a Comparison, or the sentence saying why it cannot be one."""
    steps = tuple(str(step) for step in path)
    if object_type == "file" and len(steps) == 2 and steps[0] == "hashes":
        steps = ("hashes", HASH_ALIASES.get(steps[1].upper(), steps[1].upper()))
    shown = f"{object_type}:{'.'.join(steps)}"
    kind = PATHS.get((object_type, steps))
    if kind is None:
        return f"{shown} {operator} …: no hunt looks at {shown}"
    if operator != "=":
        return f"{shown} {operator} {literal}: only '=' is supported"
    if not (len(literal) >= 2 and literal[0] == "'" and literal[-1] == "'"):
        return f"{shown} = {literal}: the value is not a string"
    return Comparison(kind, unquote(literal))


def unquote(literal: str) -> str:
    """The text of a STIX string literal: quotes removed, \\' and \\\\ unescaped."""
    return literal[1:-1].replace("\\'", "'").replace("\\\\", "\\")
