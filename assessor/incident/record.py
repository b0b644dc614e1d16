"""The incident record: one directory per case, `<out>/<case>/incident/case.json`.

The case lives beside its evidence bundles (`assessor evidence --out` uses the same
`<out>/<case>/` tree), so one directory holds everything a responder hands over. Every
write is atomic (assessor.rundir); what an attached run said is copied into the record
when it is attached, so the report re-renders without the run directories.
"""

from __future__ import annotations

import getpass
import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from assessor import rundir
from assessor.errors import ConfigError
from assessor.evidence.bundle import safe_component

INCIDENT = "incident"
CASE_FILE = "case.json"
FORMAT = "assessor-incident/1"
SEVERITIES = ("low", "medium", "high", "critical")
# what happened, in the words of the timeline: detections, then the actions taken
DETECTION_ACTIONS = ("detected", "exposed", "tampered")
ACTIONS = ("collected", "quarantined", "killed", "patched", "hardened", "reinstalled",
           "restored", "assessed", "hunted")


@dataclass(frozen=True)
class Event:
    """One line of the timeline: when, on which host, what, by whom, from which run."""

    time: str
    host: str
    action: str
    what: str
    operator: str
    source: str

    @property
    def detection(self) -> bool:
        return self.action in DETECTION_ACTIONS


@dataclass(frozen=True)
class Sighting:
    """An indicator seen on a host: a file matching a hash, a name or a path."""

    host: str
    path: str
    sha256: str
    reason: str
    time: str
    source: str


@dataclass(frozen=True)
class Bundle:
    """An evidence bundle: where, its manifest's SHA-256, complete or cut short, signed."""

    host: str
    path: str
    manifest_sha256: str
    signed: bool
    complete: bool
    collected_by: str
    started: str
    finished: str
    files: int
    missing: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Attachment:
    """One run attached to the case, with what it said copied in."""

    kind: str
    path: str
    run_id: str
    added: str
    added_by: str
    sha256: str
    hosts: list[str]
    events: list[Event] = field(default_factory=list)
    sightings: list[Sighting] = field(default_factory=list)
    bundles: list[Bundle] = field(default_factory=list)
    summary: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Attachment:
        return cls(
            kind=data["kind"], path=data["path"], run_id=data["run_id"], added=data["added"],
            added_by=data["added_by"], sha256=data["sha256"], hosts=list(data["hosts"]),
            events=[Event(**e) for e in data.get("events", [])],
            sightings=[Sighting(**s) for s in data.get("sightings", [])],
            bundles=[Bundle(**b) for b in data.get("bundles", [])],
            summary=dict(data.get("summary", {})),
        )


@dataclass(frozen=True)
class Case:
    case: str
    title: str
    severity: str
    opened: str
    opened_by: str
    attachments: list[Attachment] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"format": FORMAT, **asdict(self)}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Case:
        return cls(
            case=data["case"], title=data["title"], severity=data["severity"],
            opened=data["opened"], opened_by=data["opened_by"],
            attachments=[Attachment.from_dict(a) for a in data.get("attachments", [])],
        )


def case_dir(out: Path, case: str) -> Path:
    return out / safe_component(case, "case") / INCIDENT


def operator() -> str:
    return getpass.getuser()


def open_case(out: Path, case: str, title: str, severity: str = "high") -> Path:
    """A new case; an existing one is never replaced."""
    if severity not in SEVERITIES:
        raise ConfigError(f"severity {severity!r}: use one of {', '.join(SEVERITIES)}")
    if not title.strip():
        raise ConfigError("an incident needs a --title")
    path = case_dir(out, case) / CASE_FILE
    if path.exists():
        raise ConfigError(f"{path}: case {case} is already open")
    record = Case(case=case, title=title.strip(), severity=severity, opened=rundir.now(),
                  opened_by=operator())
    save(path, record)
    return path


def load_case(out: Path, case: str) -> tuple[Case, Path]:
    path = case_dir(out, case) / CASE_FILE
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise ConfigError(f"{path}: no such case (run `assessor incident open --case "
                          f"{case} --title ...` first)") from exc
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read the case: {exc}") from exc
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise ConfigError(f"{path}: not an assessor incident record ({FORMAT})")
    try:
        return Case.from_dict(data), path
    except (KeyError, TypeError) as exc:
        raise ConfigError(f"{path}: malformed incident record: {exc}") from exc


def save(path: Path, record: Case) -> None:
    rundir.write_text(path, json.dumps(record.to_dict(), indent=1, sort_keys=True) + "\n")


def attach(out: Path, case: str, attachments: list[Attachment]) -> tuple[Case, list[str]]:
    """Add runs to the case; a run already attached (same path and hash) is skipped."""
    record, path = load_case(out, case)
    known = {(a.path, a.sha256) for a in record.attachments}
    added, skipped = [], []
    for item in attachments:
        if (item.path, item.sha256) in known:
            skipped.append(item.path)
            continue
        known.add((item.path, item.sha256))
        added.append(item)
    updated = Case(case=record.case, title=record.title, severity=record.severity,
                   opened=record.opened, opened_by=record.opened_by,
                   attachments=[*record.attachments, *added])
    save(path, updated)
    return updated, skipped
