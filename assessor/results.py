"""The result model every reporter reads, and its JSON form.

`results.json` is the single source of a run: every report can be rendered again from it
without contacting a host.
"""

from __future__ import annotations

import enum
from collections import Counter
from dataclasses import asdict, dataclass, field
from typing import Any

from assessor.errors import outcome_code

RESULTS_FORMAT = 1


class Status(enum.StrEnum):
    PASS = "pass"
    FAIL = "fail"
    ERROR = "error"
    NOTAPPLICABLE = "notapplicable"
    WAIVED = "waived"
    MANUAL = "manual"


class Severity(enum.StrEnum):
    INFO = "info"
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    CRITICAL = "critical"

    @property
    def rank(self) -> int:
        return list(Severity).index(self)


# How much a control weighs in a score: a critical failure should move it more than a
# low one. Not-applicable, manual and waived findings do not count; errors count as not
# passed, because an auditor cannot credit what could not be checked.
SEVERITY_WEIGHTS = {"info": 0, "low": 1, "medium": 3, "high": 6, "critical": 10}
SCORED = (Status.PASS, Status.FAIL, Status.ERROR)


@dataclass(frozen=True)
class WaiverNote:
    """The waiver that applied to a finding, as every report shows it."""

    owner: str
    reason: str
    expires: str
    expired: bool = False
    source: str = ""


def score(findings: list[Finding]) -> float | None:
    """Severity-weighted percentage of scored controls that passed; None if none scored."""
    weights = [(f, SEVERITY_WEIGHTS[f.severity.value]) for f in findings if f.status in SCORED]
    total = sum(w for _, w in weights)
    if total == 0:
        return None
    passed = sum(w for f, w in weights if f.status is Status.PASS)
    return round(100.0 * passed / total, 1)


@dataclass(frozen=True)
class Finding:
    """The verdict of one control on one host, with what was observed."""

    control_id: str
    title: str
    section: str
    severity: Severity
    status: Status
    reason: str
    expected: str
    observed: str
    evidence: str = ""
    rationale: str = ""
    remediation: str = ""
    refs: dict[str, Any] = field(default_factory=dict)
    waiver: WaiverNote | None = None

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Finding:
        waiver = data.get("waiver")
        return cls(
            **{
                **data,
                "severity": Severity(data["severity"]),
                "status": Status(data["status"]),
                "waiver": WaiverNote(**waiver) if waiver else None,
            }
        )


@dataclass(frozen=True)
class HostResult:
    """One host's outcome: either findings, or the reason it could not be assessed."""

    name: str
    address: str = ""
    facts: dict[str, str] = field(default_factory=dict)
    findings: list[Finding] = field(default_factory=list)
    error: str = ""

    @property
    def assessed(self) -> bool:
        return not self.error

    @property
    def score(self) -> float | None:
        return score(self.findings) if self.assessed else None

    def counts(self) -> dict[str, int]:
        counted = Counter(f.status.value for f in self.findings)
        return {status.value: counted.get(status.value, 0) for status in Status}

    def failures_at_or_above(self, severity: Severity) -> list[Finding]:
        return [
            f
            for f in self.findings
            if f.status is Status.FAIL and f.severity.rank >= severity.rank
        ]

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> HostResult:
        return cls(
            name=data["name"],
            address=data.get("address", ""),
            facts=dict(data.get("facts", {})),
            findings=[Finding.from_dict(f) for f in data.get("findings", [])],
            error=data.get("error", ""),
        )


@dataclass(frozen=True)
class RunResult:
    """A whole run: what was asked, when, and every host's result."""

    run_id: str
    started: str
    finished: str
    tool_version: str
    catalogue_version: str
    profile: str
    inventory: str
    hosts: list[HostResult] = field(default_factory=list)
    tailoring: str = ""
    waivers: str = ""

    @property
    def score(self) -> float | None:
        """The fleet's score: every assessed host's findings weighed together."""
        return score([f for h in self.hosts if h.assessed for f in h.findings])

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["format"] = RESULTS_FORMAT
        data["score"] = self.score
        for host, entry in zip(self.hosts, data["hosts"], strict=True):
            entry["score"] = host.score
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> RunResult:
        return cls(
            run_id=data["run_id"],
            started=data["started"],
            finished=data["finished"],
            tool_version=data["tool_version"],
            catalogue_version=data["catalogue_version"],
            profile=data["profile"],
            inventory=data["inventory"],
            hosts=[HostResult.from_dict(h) for h in data.get("hosts", [])],
            tailoring=data.get("tailoring", ""),
            waivers=data.get("waivers", ""),
        )

    def exit_code(self, fail_on: Severity) -> int:
        """3 if a host could not be assessed, else 1 if a control failed at `fail_on`+, else 0."""
        return outcome_code(
            some_host_missed=any(not h.assessed for h in self.hosts),
            something_to_act_on=any(h.failures_at_or_above(fail_on) for h in self.hosts))
