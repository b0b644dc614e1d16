"""Which of a host's findings name something to remove, as items the host module takes.

File detections (an indicator hit of the sweep or a ClamAV detection) move whole, as
before; a hunt rule's hit is removed as the rule's `remove:` says (assessor.hunt.removal):
a line of a file, a unit, a process, an account, a login shell, a mount over /proc/PID.
A waived finding is a known false positive and stays, and a ClamAV scan that failed gives
no detection findings at all. One item per thing removed (a file's lines are one item),
carrying every detection that named it; a whole file wins over lines of it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from functools import cache
from typing import Any

import yaml

from assessor.hunt.catalogue import load_rules
from assessor.hunt.removal import Removal
from assessor.results import Finding, HostResult, Status

FILE_DETECTIONS = ("hunt.ioc:", "hunt.clamav:")
CLAMAV_SUMMARY = "hunt.clamav"
# the host module's action per declared one (hosts-entry is lines of /etc/hosts)
HOST_ACTION = {"file": "file", "line": "lines", "hosts-entry": "lines", "unit": "unit",
               "process": "process", "account": "account", "shell": "shell",
               "unmount": "unmount"}
NOT_HERE = ("reinstall",)  # restore's package step removes these


@dataclass(frozen=True)
class QuarantineItem:
    """One thing on one host, as the quarantine module takes it and the manifest keeps it."""

    id: str
    host: str
    path: str
    sha256: str
    detection: str
    engine: str = ""
    databases: list[str] = field(default_factory=list)
    action: str = "file"
    lines: list[dict[str, Any]] = field(default_factory=list)
    scope: str = ""
    pid: int = 0
    name: str = ""

    def for_host(self) -> dict[str, Any]:
        data = asdict(self)
        del data["host"]
        return data


def item_id(path: str, sha256: str) -> str:
    """Stable and unique per (path, content) on a host; safe as a file name in the vault."""
    return f"{sha256[:16]}-{hashlib.sha256(path.encode()).hexdigest()[:8]}"


def action_id(action: str, subject: str) -> str:
    """Stable per (action, subject) on a host, for items no scan hash names."""
    return f"{action}-{hashlib.sha256(subject.encode()).hexdigest()[:16]}"


def evidence_of(text: str) -> Mapping[str, Any]:
    try:
        data = yaml.safe_load(text) if text else {}
    except yaml.YAMLError:
        return {}
    return data if isinstance(data, Mapping) else {}


@cache
def builtin_removals() -> Mapping[str, Removal]:
    return {rule.id: rule.remove for rule in load_rules()}


def rule_of(finding: Finding) -> str:
    rule = finding.refs.get("rule") if isinstance(finding.refs, Mapping) else None
    return str(rule) if rule else ""


def candidates(result: HostResult,
               removals: Mapping[str, Removal] | None = None) -> list[QuarantineItem]:
    """The host's items to remove, files first by path, then the other actions."""
    removals = builtin_removals() if removals is None else removals
    engine, databases = "", []
    for finding in result.findings:
        if finding.control_id == CLAMAV_SUMMARY:
            summary = evidence_of(finding.evidence)
            engine = str(summary.get("engine", ""))
            databases = [str(d) for d in summary.get("databases", [])]
    files: dict[str, tuple[str, list[str]]] = {}
    others: dict[tuple[str, str], dict[str, Any]] = {}
    for finding in result.findings:
        if finding.status is not Status.FAIL:
            continue
        evidence = evidence_of(finding.evidence)
        if finding.control_id.startswith(FILE_DETECTIONS):
            path, sha256 = str(evidence.get("path", "")), str(evidence.get("sha256", "") or "")
            if path.startswith("/") and len(sha256) == 64:
                files.setdefault(path, (sha256, []))[1].append(finding.reason)
            continue
        removal = removals.get(rule_of(finding))
        if removal is None:
            continue
        for action in removal.actions_for(str(evidence.get("kind", ""))):
            for key, entry in targets(action, evidence):
                if action == "file":
                    sha256 = str(evidence.get("sha256") or "")
                    files.setdefault(key, (sha256 if len(sha256) == 64 else "", []))[1].append(
                        finding.reason)
                    continue
                merged = others.setdefault((HOST_ACTION[action], key),
                                           {**entry, "reasons": [], "lines": []})
                merged["reasons"].append(finding.reason)
                merged["lines"] += [ln for ln in entry.get("lines", [])
                                    if ln not in merged["lines"]]
    items = [QuarantineItem(id=item_id(path, sha256) if sha256 else action_id("file", path),
                            host=result.name, path=path, sha256=sha256,
                            detection=" | ".join(reasons), engine=engine, databases=databases)
             for path, (sha256, reasons) in sorted(files.items())]
    accounts = {key for (action, key) in others if action == "account"}
    for (action, key), entry in sorted(others.items()):
        if (action == "lines" and key in files) or (action == "shell" and key in accounts):
            continue  # the whole file moves; the account goes
        items.append(QuarantineItem(
            id=action_id(action, key), host=result.name, path=str(entry.get("path", key)),
            sha256="", detection=" | ".join(entry["reasons"]), action=action,
            lines=sorted(entry["lines"], key=lambda ln: int(ln["line"])),
            scope=str(entry.get("scope", "")), pid=int(entry.get("pid") or 0),
            name=str(entry.get("name", ""))))
    return items


def targets(action: str, facts: Mapping[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """(key, item fields) of what one action removes for a hit, from the hit's facts."""
    path = str(facts.get("path") or "")
    if action == "file":
        return [(path, {})] if path.startswith("/") else []
    if action == "line":
        if not path.startswith("/") or not facts.get("line"):
            return []
        return [(path, {"path": path, "lines": [{"line": int(facts["line"]),
                                                 "text": str(facts.get("text", ""))}]})]
    if action == "hosts-entry":
        lines = [ln for ln in facts.get("hosts") or [] if isinstance(ln, Mapping)]
        return [("/etc/hosts", {"path": "/etc/hosts", "lines": [
            {"line": int(ln["line"]), "text": str(ln["text"])} for ln in lines]})] if lines else []
    if action == "unit":
        return [(path, {"path": path, "scope": facts.get("scope", "system")})] \
            if path.startswith("/") else []
    if action == "process":
        pid = facts.get("pid")
        return [(f"pid {pid}", {"path": f"pid {pid}", "pid": int(pid)})] \
            if isinstance(pid, int) and pid > 1 else []
    if action in ("account", "shell"):
        name = str(facts.get("name") or "")
        return [(name, {"path": f"account {name}", "name": name})] if name else []
    if action == "unmount":
        return [(path, {"path": path})] if path.startswith("/proc/") else []
    return []


def unremovable(result: HostResult,
                removals: Mapping[str, Removal] | None = None) -> list[str]:
    """Failing rule findings no item removes, each with why (restore names them)."""
    removals = builtin_removals() if removals is None else removals
    left = []
    for finding in result.findings:
        if finding.status is not Status.FAIL or ":" not in finding.control_id \
                or finding.control_id.startswith((*FILE_DETECTIONS, "hunt.quarantine:")):
            continue
        removal = removals.get(rule_of(finding))
        evidence = evidence_of(finding.evidence)
        if removal is None:
            left.append(f"{finding.control_id}: its rule declares no removal")
            continue
        actions = [a for a in removal.actions_for(str(evidence.get("kind", "")))
                   if a not in NOT_HERE]
        if removal.actions_for(str(evidence.get("kind", "")))[0] not in NOT_HERE and (
                not actions or actions[0] == "none"
                or not targets(actions[0], evidence)):
            left.append(f"{finding.control_id}: {removal.why}" if actions and
                        actions[0] == "none" else
                        f"{finding.control_id}: the hit names nothing to remove")
    return left
