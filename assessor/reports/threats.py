"""The host report's Threats table: one row per hunt finding that did not pass, with the
file's facts the hunt recorded (path, hashes, size, owner, mode, mtime), the rule or the
indicator, and where the indicator came from. Every value is host or feed data: the
template escapes it (autoescape) and `shown` makes control characters visible.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import yaml

from assessor.results import Finding, HostResult, Status

SECTION = "Threats"
SHOWN = (Status.FAIL, Status.WAIVED, Status.ERROR)


@dataclass(frozen=True)
class ThreatRow:
    control_id: str
    status: str
    severity: str
    path: str
    sha256: str
    md5: str
    size: str
    owner: str
    mode: str
    mtime: str
    detection: str  # the rule (with its ATT&CK technique) or the indicator matched
    source: str  # where the indicator came from, or the rule's file
    reason: str


def facts_of(finding: Finding) -> Mapping[str, Any]:
    try:
        facts = yaml.safe_load(finding.evidence) if finding.evidence else None
    except yaml.YAMLError:
        return {}
    return facts if isinstance(facts, dict) else {}


def when(value: Any) -> str:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return dt.datetime.fromtimestamp(value, dt.UTC).strftime("%Y-%m-%d %H:%M:%SZ")
    return "" if value is None else str(value)


def detection(finding: Finding) -> tuple[str, str]:
    refs = finding.refs
    sources = refs.get("indicator_sources") or []
    source = "; ".join(str(s) for s in sources) if isinstance(sources, list) else str(sources)
    if "rule" in refs:
        return f"{refs['rule']} (ATT&CK {refs.get('attack', '?')})", source or str(
            refs.get("rule_source", ""))
    return "indicator", source


def threat_rows(host: HostResult) -> list[ThreatRow]:
    rows = []
    for finding in sorted(host.findings, key=lambda f: f.control_id):
        if finding.section != SECTION or finding.status not in SHOWN:
            continue
        if finding.control_id == "hunt.files" and finding.status is not Status.ERROR:
            continue  # the sweep's summary: its hits have rows of their own
        facts = facts_of(finding)
        rule, source = detection(finding)
        rows.append(ThreatRow(
            control_id=finding.control_id, status=finding.status.value,
            severity=finding.severity.value, path=str(facts.get("path") or ""),
            sha256=str(facts.get("sha256") or ""), md5=str(facts.get("md5") or ""),
            size="" if facts.get("size") is None else str(facts["size"]),
            owner=str(facts.get("owner") or ""), mode=str(facts.get("mode") or ""),
            mtime=when(facts.get("mtime")), detection=rule, source=source,
            reason=finding.reason,
        ))
    return rows
