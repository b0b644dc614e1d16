"""Which of a host's findings name a file to quarantine, as items the host module takes.

Only failing file detections move (an indicator hit of the sweep or a ClamAV detection);
a waived finding is a known false positive and stays, and a ClamAV scan that failed gives
no detection findings at all. One item per path, carrying every detection that named it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

import yaml

from assessor.results import HostResult, Status

FILE_DETECTIONS = ("hunt.ioc:", "hunt.clamav:")
CLAMAV_SUMMARY = "hunt.clamav"


@dataclass(frozen=True)
class QuarantineItem:
    """One file on one host, as the quarantine module takes it and the manifest keeps it."""

    id: str
    host: str
    path: str
    sha256: str
    detection: str
    engine: str = ""
    databases: list[str] = field(default_factory=list)

    def for_host(self) -> dict[str, Any]:
        data = asdict(self)
        del data["host"]
        return data


def item_id(path: str, sha256: str) -> str:
    """Stable and unique per (path, content) on a host; safe as a file name in the vault."""
    return f"{sha256[:16]}-{hashlib.sha256(path.encode()).hexdigest()[:8]}"


def evidence_of(text: str) -> Mapping[str, Any]:
    try:
        data = yaml.safe_load(text) if text else {}
    except yaml.YAMLError:
        return {}
    return data if isinstance(data, Mapping) else {}


def candidates(result: HostResult) -> list[QuarantineItem]:
    """The host's files to quarantine, in path order."""
    engine, databases = "", []
    for finding in result.findings:
        if finding.control_id == CLAMAV_SUMMARY:
            summary = evidence_of(finding.evidence)
            engine = str(summary.get("engine", ""))
            databases = [str(d) for d in summary.get("databases", [])]
    found: dict[str, tuple[str, list[str]]] = {}
    for finding in result.findings:
        if finding.status is not Status.FAIL or not finding.control_id.startswith(
                FILE_DETECTIONS):
            continue
        evidence = evidence_of(finding.evidence)
        path, sha256 = str(evidence.get("path", "")), str(evidence.get("sha256", "") or "")
        if not path.startswith("/") or len(sha256) != 64:
            continue
        _, reasons = found.setdefault(path, (sha256, []))
        reasons.append(finding.reason)
    return [
        QuarantineItem(id=item_id(path, sha256), host=result.name, path=path, sha256=sha256,
                       detection=" | ".join(reasons), engine=engine, databases=databases)
        for path, (sha256, reasons) in sorted(found.items())
    ]
