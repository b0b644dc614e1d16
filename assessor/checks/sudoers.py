"""sudoers and sudoers.d, read in the order sudo reads them: Defaults as sudo sees them."""

from __future__ import annotations

from debian.debian_support import Version

from assessor.checks.config import judge_value, read_files
from assessor.checks.core import Observation, Params, Snapshot, register, verdict
from assessor.checks.packages import installed
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


SUDO_PACKAGES = ("sudo", "sudo-ldap")


def builtin_default(snapshot: Snapshot, params: Params) -> tuple[str, str] | None:
    """(value, label) of sudo's built-in default for the option on this host.

    `default_since` maps the first sudo version of each default to it (use_pty is on by
    default since sudo 1.9.14: bookworm's 1.9.13 has it off, trixie's 1.9.16 on), read
    against the installed sudo package; `default` is one value for every version."""
    since = params.get("default_since")
    if since is None:
        return (str(params["default"]), "sudo's default") if "default" in params else None
    if not isinstance(since, dict):
        raise ValueError("default_since maps sudo versions to the built-in value")
    packages = snapshot["packages"]
    package = next((n for n in SUDO_PACKAGES if installed(packages.get(n))), None)
    if package is None:
        return None
    version = str(packages[package]["version"])
    upstream = Version(version).upstream_version or version
    known = sorted(((Version(str(v)), str(v), str(value)) for v, value in since.items()),
                   key=lambda row: row[0])
    chosen = [row for row in known if Version(upstream) >= row[0]]
    if not chosen:
        return None
    _, first, value = chosen[-1]
    later = [row for row in known if row[0] > chosen[-1][0]]
    note = f", until {later[0][1]}" if later else ""
    return value, f"{package} {version}'s built-in default (since {first}{note})"


def sudo_probes(params: Params) -> dict[str, object]:
    probes: dict[str, object] = {"files": [SUDOERS, f"{SUDOERS_D}/*"]}
    if "default_since" in params:
        probes["packages"] = True
    return probes


@register(
    "sudo_defaults",
    sudo_probes,
    required=("option",),
    optional=("default", "default_since", "explicit", "present", "unbounded", "expect",
              "one_of", "max", "min"),
)
def sudo_defaults(snapshot: Snapshot, params: Params) -> Observation:
    """A Defaults setting as sudo reads it, else sudo's built-in default for this version.

    With `explicit`, the benchmark wants a Defaults line (CIS 5.2.2's audit greps for
    `Defaults use_pty`): an unset option fails even where the built-in default complies,
    and the label says which default the host's sudo has."""
    files = dict(read_files(snapshot, [SUDOERS, f"{SUDOERS_D}/*"]))
    if SUDOERS not in files:
        return Observation(Status.FAIL, "present", "missing", f"{SUDOERS} does not exist")
    option = str(params["option"])
    found = sudo_defaults_values(sudoers_lines(files)).get(option)
    observed: str | None
    if found:
        observed, evidence = found
        shown = observed
    else:
        builtin = builtin_default(snapshot, params)
        evidence = f"no Defaults line sets {option} in {SUDOERS} or {SUDOERS_D}"
        if builtin is None:
            observed, shown = None, "not set"
        else:
            value, label = builtin
            evidence += f"; {label}: {value}"
            observed = None if params.get("explicit") else value
            shown = f"not set; {label} is {value}"
        if params.get("explicit"):
            shown += "; the benchmark wants an explicit Defaults line"
    ok, expected = judge_value(observed, params)
    if params.get("explicit"):
        expected = f"Defaults {option} ({expected})"
    return verdict(ok, expected, shown, f"sudo {option}", evidence)



ALIASES = ("User_Alias", "Runas_Alias", "Host_Alias", "Cmnd_Alias", "Cmd_Alias")


@register("sudo_no_tag", lambda p: {"files": [SUDOERS, f"{SUDOERS_D}/*"]}, required=("tag",))
def sudo_no_tag(snapshot: Snapshot, params: Params) -> Observation:
    """No user specification carries the tag (CIS 5.2.4: no NOPASSWD), in any file sudo
    reads; a later PASSWD: on the same line does not undo it for the commands before it."""
    files = dict(read_files(snapshot, [SUDOERS, f"{SUDOERS_D}/*"]))
    if SUDOERS not in files:
        return Observation(Status.FAIL, "present", "missing", f"{SUDOERS} does not exist")
    tag = str(params["tag"]).rstrip(":")
    lines = sudoers_lines(files)
    specs = [(source, line) for source, line in lines
             if not line.split(None, 1)[0].startswith(("Defaults", *ALIASES))]
    bad = [f"{source}: {line}" for source, line in specs if f"{tag}:" in line.replace(" ", "")]
    expected = f"no {tag}: in any user specification"
    evidence = f"{len(specs)} user specification(s) read" + (
        "\n" + "\n".join(bad) if bad else "")
    if bad:
        return Observation(Status.FAIL, expected, f"{len(bad)} with {tag}",
                           f"{tag} in " + "; ".join(bad[:3]), evidence)
    return Observation(Status.PASS, expected, f"no {tag}", f"no user specification has {tag}",
                       evidence)
