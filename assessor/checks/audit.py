"""Audit rules as augenrules loads them, normalised so equivalent spellings compare equal.

`-w /etc/passwd -p wa -k identity` and `-a always,exit -F path=/etc/passwd -F perm=wa`
are the same watch; `-a exit,always -F arch=b64 -S adjtimex -S settimeofday` and
`-a always,exit -F arch=b64 -S adjtimex,settimeofday` the same syscall rule. A control
lists what it requires (watches, syscalls per arch with fields, `-e 2`) and each
requirement must be covered by some rule of /etc/audit/rules.d/*.rules, read in the
sorted order augenrules concatenates them.
"""

from __future__ import annotations

import functools
import shlex
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from assessor.checks.config import read_files
from assessor.checks.core import Observation, Params, Snapshot, names_of, register
from assessor.results import Status

RULES = "/etc/audit/rules.d/*.rules"
ARCHES = ("b64", "b32")


@dataclass
class AuditRule:
    source: str
    action: str = ""  # "always,exit" normalised; "" for a watch or control line
    arch: str = ""
    syscalls: set[str] = field(default_factory=set)
    fields: list[str] = field(default_factory=list)  # "key=value" / "key!=value" as written
    watch: str = ""  # path of a watch (-w, or -F path= / dir= with -F perm=)
    perms: str = ""
    control: dict[str, str] = field(default_factory=dict)  # -e, -b, -f ...


def _action(value: str) -> str:
    parts = sorted(p.strip() for p in value.split(","))
    return ",".join(parts)  # always,exit whatever order it was written in


def parse_rule(line: str, source: str) -> AuditRule | None:
    try:
        words = shlex.split(line, comments=True)
    except ValueError:
        words = line.split()
    if not words:
        return None
    rule = AuditRule(source)
    i = 0
    while i < len(words):
        word = words[i]
        value = words[i + 1] if i + 1 < len(words) else ""
        if word in ("-a", "-A"):
            rule.action = _action(value)
        elif word == "-S":
            rule.syscalls.update(s for s in value.split(",") if s)
        elif word in ("-F", "-C"):
            rule.fields.append(normal_field(value))
        elif word == "-w":
            rule.watch = value
        elif word == "-p":
            rule.perms = value
        elif word == "-k":
            pass
        elif word.startswith("-"):
            rule.control[word] = value
            if not value or value.startswith("-"):
                i += 1
                continue
        i += 2 if word.startswith("-") else 1
    _normalise_fields(rule)
    return rule


UNSET = ("-1", "4294967295")


def normal_field(text: str) -> str:
    """`auid!=-1`, `auid!=4294967295` and `auid!=unset` are one and the same field."""
    text = text.replace(" ", "")
    for op in ("!=", "="):
        key, sep, value = text.partition(op)
        if sep:
            return f"{key}{op}unset" if value in UNSET else text
    return text


def _normalise_fields(rule: AuditRule) -> None:
    """arch, a path/dir+perm watch written as a syscall rule, and the key, out of fields."""
    keep = []
    for item in rule.fields:
        key, sep, value = item.partition("=")
        if sep and key == "arch":
            rule.arch = value
        elif sep and key in ("path", "dir") and rule.action and any(
            f.startswith("perm=") and "x" not in f for f in rule.fields
        ) and not rule.syscalls:
            rule.watch = value
        elif sep and key == "perm" and rule.watch:
            rule.perms = value
        elif sep and key in ("key", "k"):
            continue
        else:
            keep.append(item)
    if rule.watch and not rule.perms:
        rule.perms = next((f.partition("=")[2] for f in keep if f.startswith("perm=")), "")
    rule.fields = [f for f in keep if not (rule.watch and f.startswith("perm="))]


def parse_rules(files: list[tuple[str, str]]) -> list[AuditRule]:
    return list(_parse_rules(tuple(files)))


@functools.lru_cache(maxsize=32)
def _parse_rules(files: tuple[tuple[str, str], ...]) -> tuple[AuditRule, ...]:
    """Parsed once per distinct rule set: every audit control of a host reads the same files."""
    rules = []
    for path, text in files:
        for number, raw in enumerate(text.splitlines(), 1):
            line = raw.strip()
            if not line or line.startswith("#"):
                continue
            rule = parse_rule(line, f"{path}:{number}")
            if rule:
                rules.append(rule)
    return tuple(rules)


def covers_watch(rules: list[AuditRule], path: str, perms: str) -> AuditRule | None:
    for rule in rules:
        if rule.watch.rstrip("/") == path.rstrip("/") and set(perms) <= set(rule.perms or "rwxa"):
            return rule
    return None


def covers_syscalls(rules: list[AuditRule], arch: str, syscalls: list[str],
                    fields: list[str]) -> tuple[list[str], list[str]]:
    """(sources of the rules used, syscalls no always,exit rule of this arch covers)."""
    left = set(syscalls)
    used = []
    for rule in rules:
        if rule.action != "always,exit" or rule.arch not in (arch, ""):
            continue
        if not set(fields) <= set(rule.fields):
            continue
        if not syscalls:  # a path rule such as -F path=/usr/bin/kmod -F perm=x
            return [rule.source], []
        hit = left & rule.syscalls
        if hit:
            used.append(rule.source)
            left -= hit
    return used, sorted(left) if syscalls else ["(no rule with " + ", ".join(fields) + ")"]


def requirement_text(spec: Mapping[str, Any]) -> str:
    if "watch" in spec:
        return f"-w {spec['watch']} -p {spec.get('perms', 'wa')}"
    if "immutable" in spec:
        return "-e 2 last"
    parts = [f"arch={'/'.join(names_of(spec.get('arch', list(ARCHES))))}"] if spec.get(
        "syscalls") else []
    if spec.get("syscalls"):
        parts.append("-S " + ",".join(names_of(spec["syscalls"])))
    parts += [f"-F {f}" for f in names_of(spec.get("fields"))]
    return "-a always,exit " + " ".join(parts)


def check_requirement(rules: list[AuditRule], spec: Mapping[str, Any]) -> tuple[bool, str]:
    """(met, evidence) for one requirement of a control."""
    if "watch" in spec:
        rule = covers_watch(rules, str(spec["watch"]), str(spec.get("perms", "wa")))
        return rule is not None, rule.source if rule else "no such watch"
    if "immutable" in spec:
        modes = [(r.control["-e"], r.source) for r in rules if "-e" in r.control]
        if modes and modes[-1][0] == "2":
            return True, f"{modes[-1][1]}: -e 2"
        return False, f"last -e is {modes[-1][0]} ({modes[-1][1]})" if modes else "no -e line"
    syscalls = names_of(spec.get("syscalls"))
    fields = [normal_field(f) for f in names_of(spec.get("fields"))]
    arches = names_of(spec.get("arch")) or (list(ARCHES) if syscalls else [""])
    sources, missing = [], []
    for arch in arches:
        used, left = covers_syscalls(rules, arch, syscalls, fields)
        sources += used
        missing += [f"{arch}:{s}" if arch else s for s in left]
    if missing:
        return False, "not covered: " + ", ".join(missing)
    return True, ", ".join(dict.fromkeys(sources))


@register("audit_rules", lambda p: {"files": [RULES]}, required=("require",))
def audit_rules(snapshot: Snapshot, params: Params) -> Observation:
    rules = parse_rules(read_files(snapshot, [RULES]))
    specs = params["require"]
    if not isinstance(specs, list) or not specs:
        raise ValueError("'require' must be a non-empty list of rule requirements")
    results = [(requirement_text(s), *check_requirement(rules, s)) for s in specs]
    expected = "; ".join(text for text, _, _ in results)
    missing = [text for text, ok, _ in results if not ok]
    evidence = "\n".join(f"{text}: {'ok ' if ok else ''}{why}" for text, ok, why in results)
    if not rules:
        return Observation(Status.FAIL, expected, f"no rules in {RULES}",
                           f"no audit rules in {RULES}", evidence)
    if missing:
        observed = f"missing {len(missing)} of {len(results)}: " + "; ".join(missing)
        return Observation(Status.FAIL, expected, observed, observed, evidence)
    observed = f"all {len(results)} rule(s) present"
    return Observation(Status.PASS, expected, observed, observed, evidence)


# --- kernel command line ------------------------------------------------------------------

GRUB_CFG = "/boot/grub/grub.cfg"


@register(
    "grub_cmdline",
    lambda p: {"files": [GRUB_CFG]},
    required=("arg",),
    optional=("expect", "min"),
)
def grub_cmdline(snapshot: Snapshot, params: Params) -> Observation:
    """Every `linux` line of grub.cfg boots with the argument; no grub.cfg: notapplicable."""
    files = read_files(snapshot, [GRUB_CFG])
    arg = str(params["arg"])
    expected = f"{arg}={params['expect']}" if "expect" in params else f"{arg} >= {params['min']}"
    if not files:
        return Observation(Status.NOTAPPLICABLE, expected, "no grub.cfg",
                           f"{GRUB_CFG} absent: this host does not boot with GRUB",
                           f"{GRUB_CFG}: does not exist")
    kernels = []
    for number, raw in enumerate(files[0][1].splitlines(), 1):
        words = raw.split()
        if words and words[0] in ("linux", "linux16", "linuxefi"):
            kernels.append((number, words[2:]))
    if not kernels:
        return Observation(Status.FAIL, expected, "no linux lines", f"{GRUB_CFG} boots no "
                           "kernel", f"{GRUB_CFG}: no linux lines")
    bad = []
    for number, args in kernels:
        values = [a.partition("=")[2] for a in args if a.partition("=")[0] == arg]
        value = values[-1] if values else None
        if "expect" in params:
            ok = value == str(params["expect"])
        else:
            ok = value is not None and value.isdigit() and int(value) >= int(params["min"])
        if not ok:
            bad.append(f"line {number}: {arg}={value}" if value is not None else
                       f"line {number}: no {arg}")
    evidence = "\n".join(f"{GRUB_CFG}:{n}: {' '.join(a)}" for n, a in kernels[:10])
    if bad:
        observed = "; ".join(bad)
        return Observation(Status.FAIL, expected, observed, f"{GRUB_CFG} {observed}", evidence)
    observed = f"{len(kernels)} kernel line(s) with {arg}"
    return Observation(Status.PASS, expected, observed, observed, evidence)
