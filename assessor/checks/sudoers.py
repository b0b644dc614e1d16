"""sudoers and sudoers.d, read in the order sudo reads them: Defaults as sudo sees them."""

from __future__ import annotations

from typing import Any

from debian.debian_support import Version

from assessor.checks.config import judge_value, read_files
from assessor.checks.core import Observation, Params, Snapshot, register, verdict
from assessor.checks.pam import MAX_DEPTH
from assessor.results import Status

# --- sudoers ------------------------------------------------------------------------------

SUDOERS = "/etc/sudoers"
SUDOERS_D = "/etc/sudoers.d"


def sudoers_lines(files: dict[str, str], path: str = SUDOERS,
                  depth: int = 0) -> list[tuple[str, str]]:
    """(source, logical line) in the order sudo reads them, includes resolved.

    `@includedir` / `#includedir` read a directory's files in sorted order, skipping
    names that end in `~` or contain a dot, as sudo does; `#` starts a comment unless it
    begins an include or a numeric uid (`#0`).
    """
    if depth > MAX_DEPTH or path not in files:
        return []
    out: list[tuple[str, str]] = []
    pending = ""
    for number, raw in enumerate(files[path].splitlines(), 1):
        line = (pending + " " + raw.strip()).strip() if pending else raw.strip()
        if line.endswith("\\"):
            pending = line[:-1]
            continue
        pending = ""
        words = line.split(None, 1)
        if words and words[0] in ("@includedir", "#includedir") and len(words) > 1:
            folder = words[1].strip().rstrip("/")
            for name in sorted(p for p in files if p.startswith(folder + "/")):
                base = name[len(folder) + 1:]
                if "/" not in base and "." not in base and not base.endswith("~"):
                    out.extend(sudoers_lines(files, name, depth + 1))
            continue
        if words and words[0] in ("@include", "#include") and len(words) > 1:
            out.extend(sudoers_lines(files, words[1].strip(), depth + 1))
            continue
        line = _cut_comment(line)
        if line:
            out.append((f"{path}:{number}", line))
    return out


def _cut_comment(line: str) -> str:
    for i, char in enumerate(line):
        if char == "#" and not line[i + 1:i + 2].isdigit():
            return line[:i].strip()
    return line.strip()


def split_settings(text: str) -> list[str]:
    """`a, b="x, y", !c` -> ["a", 'b="x, y"', "!c"]: commas inside quotes do not split."""
    parts, current, quoted = [], "", False
    for char in text:
        if char == '"':
            quoted = not quoted
        if char == "," and not quoted:
            parts.append(current.strip())
            current = ""
        else:
            current += char
    parts.append(current.strip())
    return [p for p in parts if p]


def sudo_defaults_values(lines: list[tuple[str, str]]) -> dict[str, tuple[str, str]]:
    """option -> (value, source) over every Defaults line, later lines winning.

    A flag reads "true", a negated flag (`!use_pty`) "false"; scoped forms
    (`Defaults:user`, `Defaults>runas` ...) count too, since they weaken the same setting.
    """
    values: dict[str, tuple[str, str]] = {}
    for source, line in lines:
        words = line.split(None, 1)
        if len(words) < 2 or not words[0].startswith("Defaults"):
            continue
        for setting in split_settings(words[1]):
            key, sep, value = setting.partition("=")
            key = key.strip().rstrip("+-")
            if sep:
                values[key] = (value.strip().strip('"'), f"{source}: {line}")
            elif key.startswith("!"):
                values[key.lstrip("!").strip()] = ("false", f"{source}: {line}")
            else:
                values[key] = ("true", f"{source}: {line}")
    return values


def built_in_default(snapshot: Snapshot, params: Params) -> tuple[str, str]:
    """sudo's own default for the option on this host, and whose it is.

    `default_since: {package, version, value}`: from that package version on, the built-in
    default is `value` (sudo 1.9.14 turned use_pty on); before it, or without the package,
    `default`.
    """
    since: dict[str, Any] = dict(params.get("default_since") or {})
    if since:
        entry = (snapshot.get("packages") or {}).get(str(since["package"])) or {}
        version = str(entry.get("version", ""))
        if version and Version(version) >= Version(str(since["version"])):
            return str(since["value"]), f"{since['package']} {version}'s default"
        if version:
            return str(params["default"]), f"{since['package']} {version}'s default"
    return str(params["default"]), "sudo's default"


@register(
    "sudo_defaults",
    lambda p: {"files": [SUDOERS, f"{SUDOERS_D}/*"]} | (
        {"packages": True} if "default_since" in p else {}),
    required=("option",),
    optional=("default", "default_since", "present", "unbounded", "expect", "one_of", "max",
              "min"),
)
def sudo_defaults(snapshot: Snapshot, params: Params) -> Observation:
    files = dict(read_files(snapshot, [SUDOERS, f"{SUDOERS_D}/*"]))
    if SUDOERS not in files:
        return Observation(Status.FAIL, "present", "missing", f"{SUDOERS} does not exist")
    option = str(params["option"])
    found = sudo_defaults_values(sudoers_lines(files)).get(option)
    observed: str | None
    if found:
        observed, evidence = found
        shown = observed
    elif "default" in params:
        observed, whose = built_in_default(snapshot, params)
        evidence = f"no Defaults line sets {option} in {SUDOERS} or {SUDOERS_D}"
        shown = f"{observed} (not set; {whose})"
    else:
        observed, evidence, shown = None, f"no Defaults line sets {option}", "not set"
    ok, expected = judge_value(observed, params)
    return verdict(ok, expected, shown, f"sudo {option}", evidence)
