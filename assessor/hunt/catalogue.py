"""Hunt rules as data: the built-in catalogue (assessor/hunt/rules/*.yaml) and the user's
(`--rules DIR`), validated with file and line, and judged against one host's state.

A user rule with a built-in's id replaces it (to tune params such as an SSH key allowlist);
a new id adds a rule. Any error is one ConfigError naming the file and line (exit 2).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from importlib.resources import files
from pathlib import Path
from typing import Any

import yaml

from assessor.errors import ConfigError
from assessor.hunt.kinds import KINDS, Context, Hit, NotApplicable, ProbeError
from assessor.hunt.removal import Removal, parse_removal
from assessor.results import Finding, Severity, Status
from assessor.yamlfile import key_line, load_with_lines, strip_lines

PROBES = ("preload", "cron", "systemd", "shell_rc", "authorized_keys", "suid", "dpkg_md5",
          "processes", "hidden_processes", "sockets", "hosts_file", "kernel_modules",
          "accounts", "web_content")
BUILTIN = "assessor/hunt/rules"
REQUIRED = ("id", "title", "severity", "attack", "rationale", "expected", "check")
OPTIONAL = ("fixtures", "remove")


@dataclass(frozen=True)
class HuntRule:
    id: str
    title: str
    severity: Severity
    attack: str  # MITRE ATT&CK technique id
    rationale: str
    expected: str
    kind: str
    probes: tuple[str, ...]
    params: Mapping[str, Any]
    source: str  # "file:line" it was read from
    fixtures: Mapping[str, Any] = field(default_factory=dict)
    remove: Removal = field(default_factory=Removal)  # what removing one of its hits means


def builtin_dir() -> Path:
    return Path(str(files("assessor.hunt").joinpath("rules")))


def load_rules(user_dir: Path | None = None) -> list[HuntRule]:
    """The built-in rules, with the user's directory of rule YAML merged over them."""
    rules = {r.id: r for r in load_dir(builtin_dir(), BUILTIN)}
    if user_dir is not None:
        if not user_dir.is_dir():
            raise ConfigError(f"{user_dir}: --rules wants a directory of *.yaml hunt rules")
        rules.update((r.id, r) for r in load_dir(user_dir))
    return list(rules.values())


def load_dir(directory: Path, shown_as: str | None = None) -> list[HuntRule]:
    """Every rule of the directory's YAML files; `shown_as` names the directory in
    sources and errors (the built-ins' place on the controller is nobody's business)."""
    rules: dict[str, HuntRule] = {}
    for path in sorted([*directory.glob("*.yaml"), *directory.glob("*.yml")]):
        name = Path(shown_as, path.name) if shown_as else path
        for rule in load_file(path, name):
            if rule.id in rules:
                raise ConfigError(f"{rule.source}: hunt rule {rule.id} is already defined at "
                                  f"{rules[rule.id].source}")
            rules[rule.id] = rule
    return list(rules.values())


def load_file(path: Path, name: Path | None = None) -> list[HuntRule]:
    data = load_with_lines(path, "hunt rules")
    if data is None:
        return []
    if not isinstance(data, list):
        raise ConfigError(f"{name or path}:1: hunt rules must be a list of rules")
    return [parse_rule(name or path, entry) for entry in data]


def parse_rule(path: Path, entry: Any) -> HuntRule:
    if not isinstance(entry, dict):
        raise ConfigError(f"{path}: each hunt rule must be a mapping, got {entry!r}")
    where = f"{path}:{key_line(entry, 'id')}"
    label = f"{where}: hunt rule {entry.get('id', '?')}"
    missing = [k for k in REQUIRED if k not in entry]
    if missing:
        raise ConfigError(f"{label}: missing {', '.join(missing)}")
    unknown = sorted(set(strip_lines(entry)) - set(REQUIRED) - set(OPTIONAL))
    if unknown:
        raise ConfigError(f"{path}:{key_line(entry, unknown[0])}: hunt rule {entry['id']}: "
                          f"unknown key {unknown[0]} (known: {', '.join(REQUIRED + OPTIONAL)})")
    for key in ("id", "title", "attack", "rationale", "expected"):
        if not isinstance(entry[key], str) or not entry[key].strip():
            raise ConfigError(f"{path}:{key_line(entry, key)}: hunt rule {entry['id']}: "
                              f"{key} must be a non-empty string")
    try:
        severity = Severity(entry["severity"])
    except ValueError as exc:
        raise ConfigError(f"{path}:{key_line(entry, 'severity')}: hunt rule {entry['id']}: "
                          f"severity {entry['severity']!r} is not one of "
                          f"{', '.join(s.value for s in Severity)}") from exc
    check = entry["check"]
    at = f"{path}:{key_line(entry, 'check')}: hunt rule {entry['id']}"
    if not isinstance(check, dict) or check.get("kind") not in KINDS:
        kind = check.get("kind") if isinstance(check, dict) else check
        raise ConfigError(f"{at}: check kind {kind!r} is not one of {', '.join(KINDS)}")
    params = strip_lines(check)
    probes = params.pop("probes", None) or [params.get("probe")]
    bad = [p for p in probes if p not in PROBES]
    if bad:
        raise ConfigError(f"{at}: probe {bad[0]!r} is not one of {', '.join(PROBES)}")
    params.setdefault("probe", probes[0])
    kind = params.pop("kind")
    return HuntRule(
        id=entry["id"], title=entry["title"].strip(), severity=severity,
        attack=entry["attack"].strip(), rationale=" ".join(entry["rationale"].split()),
        expected=entry["expected"].strip(), kind=kind, probes=tuple(probes), params=params,
        source=where, fixtures=strip_lines(entry.get("fixtures") or {}),
        remove=parse_removal(f"{where}: hunt rule {entry['id']}", entry.get("remove")),
    )


def state_vars(rules: Iterable[HuntRule]) -> dict[str, Any]:
    """The extra vars roles/hunt's state module needs for these rules."""
    rules = list(rules)
    probes = sorted({p for r in rules for p in r.probes})
    patterns = sorted({str(p) for r in rules if r.kind == "web_content"
                       for p in r.params.get("patterns", [])})
    return {"hunt_probes": probes, "hunt_web_patterns": patterns}


def judge_rules(rules: Iterable[HuntRule], state: Mapping[str, Any], ctx: Context) -> list[Finding]:
    """Every rule's findings on one host: one failure per hit, else one pass (or why not)."""
    findings: list[Finding] = []
    for rule in rules:
        problem = probe_problem(rule, state)
        if problem:
            findings.append(verdict(rule, Status.ERROR, problem))
            continue
        try:
            result = KINDS[rule.kind](state, rule.params, ctx)
        except ProbeError as exc:
            findings.append(verdict(rule, Status.ERROR, str(exc)))
            continue
        if isinstance(result, NotApplicable):
            findings.append(verdict(rule, Status.NOTAPPLICABLE, result.reason))
        elif not result:
            findings.append(verdict(rule, Status.PASS, "nothing found"))
        else:
            findings += [hit_finding(rule, hit) for hit in result]
    return findings


def probe_problem(rule: HuntRule, state: Mapping[str, Any]) -> str:
    for probe in rule.probes:
        if probe in state.get("cut_short", []):
            return f"probe {probe} not run: the host's time budget was used up"
        seen = state.get(probe)
        if seen is None:
            return f"probe {probe} returned nothing"
        if isinstance(seen, dict) and set(seen) == {"error"}:
            return f"probe {probe} failed on the host: {seen['error']}"
    return ""


def refs(rule: HuntRule, hit: Hit | None = None) -> dict[str, Any]:
    found: dict[str, Any] = {"rule": rule.id, "attack": rule.attack, "rule_source": rule.source}
    if hit is not None and hit.sources:
        found["indicator_sources"] = list(hit.sources)
    return found


def verdict(rule: HuntRule, status: Status, reason: str) -> Finding:
    return Finding(
        control_id=rule.id, title=rule.title, section="Threats", severity=rule.severity,
        status=status, reason=reason, expected=rule.expected,
        observed="nothing found" if status is Status.PASS else reason,
        rationale=rule.rationale, refs=refs(rule),
    )


def hit_finding(rule: HuntRule, hit: Hit) -> Finding:
    reason = hit.why + (f" (indicator from {'; '.join(hit.sources)})" if hit.sources else "")
    return Finding(
        control_id=f"{rule.id}:{hit.subject}", title=rule.title, section="Threats",
        severity=rule.severity, status=Status.FAIL, reason=reason, expected=rule.expected,
        observed=hit.why, rationale=rule.rationale,
        evidence=yaml.safe_dump(dict(hit.facts), sort_keys=True, allow_unicode=False)
        if hit.facts else "",
        refs=refs(rule, hit),
    )
