"""Generic kinds for configuration files, so most controls stay data.

`config_value` reads one setting from key/value files with drop-ins (the later file wins,
as journald, auditd, pwquality and rsyslog read them); `file_lines` wants a pattern in
(or out of) a set of files; `glob_permissions` and `file_absent` judge paths by glob;
`service_enabled` / `service_disabled` read systemd's enablement links on disk, because a
host may be assessed without a running systemd.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Mapping
from typing import Any

from assessor.checks.core import (
    COMPARISONS,
    Observation,
    Params,
    Snapshot,
    compare,
    names_of,
    platform_of,
    register,
    verdict,
)
from assessor.checks.files import file_permissions
from assessor.results import Status

VALUE_PARAMS = (*COMPARISONS, "present", "unbounded")
IF_NONE = ("pass", "fail", "notapplicable")

# --- values -------------------------------------------------------------------------------


def judge_value(observed: str | None, params: Params) -> tuple[bool, str]:
    """(ok, expected text) for a setting; None means it is not set at all.

    Beyond the core comparisons: `present` (any value will do, e.g. a log file path) and
    `unbounded`, the values meaning "no limit" (`timestamp_timeout=-1`, `maxrepeat=0`):
    they count as infinitely large, so they fail a `max` and meet a `min`.
    """
    given = [c for c in (*COMPARISONS, "present") if c in params]
    if len(given) != 1:
        raise ValueError(f"needs exactly one of {', '.join((*COMPARISONS, 'present'))}")
    if "present" in params:
        return observed is not None and observed != "", "set to a value"
    unbounded = [v.lower() for v in names_of(params.get("unbounded"))]
    if observed is not None and observed.lower() in unbounded and given[0] in ("max", "min"):
        bound = given[0]
        limit = f"<= {params['max']}" if bound == "max" else f">= {params['min']}"
        return bound == "min", f"{limit} ({' or '.join(unbounded)} means no limit)"
    return compare(observed, params, fold_case=True)


# --- reading files from the probes --------------------------------------------------------


def expand(probe: Mapping[str, Any], patterns: list[str]) -> list[str]:
    """Concrete paths for patterns, in the order given; a glob's matches come sorted."""
    paths: list[str] = []
    for pattern in patterns:
        entry = probe.get(pattern) or {}
        found = entry.get("matches", []) if entry.get("glob") else [pattern]
        paths.extend(p for p in found if p not in paths)
    return paths


def read_files(snapshot: Snapshot, patterns: list[str]) -> list[tuple[str, str]]:
    """(path, content) of every existing file the patterns name, in reading order."""
    probe = snapshot["files"]
    out = []
    for path in expand(probe, patterns):
        entry = probe.get(path) or {}
        if entry.get("exists") and not entry.get("directory"):
            out.append((path, str(entry.get("content", ""))))
    return out


def live_lines(text: str, comment: str) -> list[tuple[int, str]]:
    """(line number, stripped line) without blanks and whole-line comments."""
    lines = []
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if line and not (comment and line[0] in comment):
            lines.append((number, line))
    return lines


# --- config_value -------------------------------------------------------------------------


def parse_settings(
    text: str, separator: str = "=", comment: str = "#", section: str | None = None
) -> list[tuple[int, str, str]]:
    """(line, key, value) of `key = value` (or `key value` when separator is " ") lines.

    With `section`, only lines under that `[section]` header count (systemd's files);
    a value in double quotes loses them.
    """
    settings = []
    current: str | None = None
    for number, line in live_lines(text, comment):
        if line.startswith("[") and line.endswith("]"):
            current = line[1:-1].strip()
            continue
        if section is not None and current != section:
            continue
        if separator.strip():
            key, sep, value = line.partition(separator)
            if not sep:
                continue
        else:
            parts = line.split(None, 1)
            key, value = parts[0], parts[1] if len(parts) > 1 else ""
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] == '"':
            value = value[1:-1]
        settings.append((number, key.strip(), value))
    return settings


def built_in_default(snapshot: Snapshot, params: Params) -> dict[str, str]:
    """{"default": value} for this host's platform when `default_by_platform` names it.

    A daemon's built-in default can change between releases (trixie's journald no longer
    forwards to syslog unless told to): each release's shipped file shows its own."""
    by_platform = params.get("default_by_platform") or {}
    if not isinstance(by_platform, Mapping):
        raise ValueError("default_by_platform maps platforms to the built-in default")
    platform = platform_of(snapshot.get("facts", {}))
    return {"default": str(by_platform[platform])} if platform in by_platform else {}


@register(
    "config_value",
    lambda p: {"files": names_of(p["files"])},
    required=("files", "key"),
    optional=(*VALUE_PARAMS, "separator", "comment", "section", "default", "default_by_platform",
              "first_wins"),
)
def config_value(snapshot: Snapshot, params: Params) -> Observation:
    """The key's last setting (or first: `first_wins`) across the files, else the built-in
    default: `default_by_platform` (platform -> value) where the release changed it,
    `default` otherwise."""
    key = str(params["key"])
    params = {**params, **built_in_default(snapshot, params)}
    found: list[tuple[str, int, str]] = []
    for path, text in read_files(snapshot, names_of(params["files"])):
        settings = parse_settings(
            text, str(params.get("separator", "=")), str(params.get("comment", "#")),
            params.get("section"),
        )
        found.extend((path, number, value) for number, k, value in settings if k == key)
    chosen = (found[0] if params.get("first_wins") else found[-1]) if found else None
    if chosen:
        observed: str | None = chosen[2]
        where = f"{chosen[0]}:{chosen[1]}: {key} {chosen[2]}"
        shown = chosen[2]
    elif "default" in params:
        observed = str(params["default"])
        where = f"{key} not set in {', '.join(names_of(params['files']))}; default {observed}"
        shown = f"{observed} (not set; default)"
    else:
        observed = None
        where = f"{key} not set in {', '.join(names_of(params['files']))}"
        shown = "not set"
    ok, expected = judge_value(observed, params)
    if len(found) > 1:
        where += f" ({len(found)} settings; the {'first' if params.get('first_wins') else 'last'}"
        where += " one counts)"
    return verdict(ok, expected, shown, key, where)


# --- file_lines ---------------------------------------------------------------------------


def if_none(params: Params, what: str) -> Observation:
    """The verdict when the files to judge are not there at all."""
    status = Status(str(params.get("if_none", "fail")))
    expected = "present" if status is Status.FAIL else f"{status.value} when absent"
    return Observation(status, expected, "none present", f"{what}: none present",
                       f"{what}: no such file")


@register(
    "file_lines",
    lambda p: {"files": names_of(p["files"])},
    required=("files",),
    optional=("require", "forbid", "comment", "ignore_case", "if_none"),
)
def file_lines(snapshot: Snapshot, params: Params) -> Observation:
    """`forbid`: no live line may match; `require`: some live line must match."""
    patterns = names_of(params["files"])
    files = read_files(snapshot, patterns)
    if not files:
        return if_none(params, ", ".join(patterns))
    flags = re.IGNORECASE if params.get("ignore_case") else 0
    comment = str(params.get("comment", "#"))
    lines = [(p, n, line) for p, text in files for n, line in live_lines(text, comment)]
    read = ", ".join(p for p, _ in files)
    expected_parts = []
    if "forbid" in params:
        forbid = re.compile(str(params["forbid"]), flags)
        expected_parts.append(f"no line matching {params['forbid']}")
        hits = [f"{p}:{n}: {line}" for p, n, line in lines if forbid.search(line)]
        if hits:
            observed = f"{len(hits)} forbidden line(s): {hits[0]}"
            return Observation(
                Status.FAIL, "; ".join(expected_parts), observed, observed, "\n".join(hits[:20])
            )
    if "require" in params:
        require = re.compile(str(params["require"]), flags)
        expected_parts.append(f"a line matching {params['require']}")
        hits = [f"{p}:{n}: {line}" for p, n, line in lines if require.search(line)]
        if not hits:
            observed = f"no line matches in {read}"
            return Observation(Status.FAIL, "; ".join(expected_parts), observed, observed,
                               f"read {read}")
        return Observation(Status.PASS, "; ".join(expected_parts), hits[0], hits[0],
                           "\n".join(hits[:20]))
    if not expected_parts:
        raise ValueError("file_lines needs require or forbid")
    observed = f"no forbidden line in {read}"
    return Observation(Status.PASS, expected_parts[0], observed, observed, f"read {read}")


# --- paths --------------------------------------------------------------------------------


def stat_entries(snapshot: Snapshot, patterns: list[str]) -> list[tuple[str, Mapping[str, Any]]]:
    probe = snapshot["stat"]
    out = []
    for path in expand(probe, patterns):
        entry = probe.get(path) or {}
        if entry.get("exists"):
            out.append((path, entry))
    return out


@register(
    "glob_permissions",
    lambda p: {"stat": names_of(p["path"])},
    required=("path", "max_mode"),
    optional=("owner", "group", "types", "exclude", "if_none"),
)
def glob_permissions(snapshot: Snapshot, params: Params) -> Observation:
    """Every existing path a pattern names is judged as `file_permissions` judges one.

    With `types`, a symbolic link is judged only when `link` is among them: like CIS's
    `find -type f`, a link to a file is not that file, and the file it leads to may lie
    outside the control's scope (trixie's /var/log/README leads into /usr/share/doc).
    """
    patterns = names_of(params["path"])
    types = names_of(params.get("types"))
    exclude = names_of(params.get("exclude"))
    entries = [
        (path, info) for path, info in stat_entries(snapshot, patterns)
        if (not types or ("link" if "link" in info else info.get("type")) in types)
        and not any(fnmatch.fnmatch(path, e) for e in exclude)
    ]
    if not entries:
        return if_none(params, ", ".join(patterns))
    single = {k: v for k, v in params.items() if k in ("max_mode", "owner", "group")}
    results = [
        file_permissions({"stat": {path: info}}, {**single, "path": path})
        for path, info in entries
    ]
    bad = [r for r in results if r.status is not Status.PASS]
    evidence = "\n".join(r.evidence for r in results[:50])
    expected = results[0].expected
    if bad:
        observed = f"{len(bad)} of {len(results)} too open: " + "; ".join(r.reason for r in bad[:3])
        return Observation(Status.FAIL, expected, observed, observed, evidence)
    observed = f"all {len(results)} path(s) within {expected}"
    return Observation(Status.PASS, expected, observed, observed, evidence)


@register("file_absent", lambda p: {"stat": names_of(p["path"])}, required=("path",))
def file_absent(snapshot: Snapshot, params: Params) -> Observation:
    patterns = names_of(params["path"])
    present = [path for path, _ in stat_entries(snapshot, patterns)]
    if present:
        observed = "present: " + ", ".join(present)
        return Observation(Status.FAIL, "absent", observed, observed, f"stat {observed}")
    return Observation(Status.PASS, "absent", "absent", f"{', '.join(patterns)}: absent",
                       f"stat {', '.join(patterns)}: does not exist")
