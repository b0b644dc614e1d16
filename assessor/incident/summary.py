"""The record read as a responder reads it: timeline, affected hosts, indicators, bundles.

Every export (HTML, IODEF, STIX, e-mail) is made from this one view, so they agree on the
counts.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from assessor.incident.contacts import NONE, Contacts
from assessor.incident.record import Bundle, Case, Event, Sighting
from assessor.rundir import now


@dataclass(frozen=True)
class Indicator:
    """An indicator seen: the file hash (or path, when no hash) and why it matched."""

    key: str  # "sha256:<hex>" or "path:<path>"
    sha256: str
    path: str
    reasons: list[str]
    hosts: list[str]
    first_seen: str
    last_seen: str


@dataclass(frozen=True)
class HostView:
    name: str
    detections: int
    actions: int
    bundles: int
    first_detected: str
    restored: bool
    before: dict[str, Any] = field(default_factory=dict)
    after: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Report:
    case: Case
    generated: str
    timeline: list[Event]
    hosts: list[HostView]
    sightings: list[Sighting]
    indicators: list[Indicator]
    bundles: list[Bundle]
    restore: list[dict[str, Any]]
    contacts: Contacts
    addresses: dict[str, str] = field(default_factory=dict)

    @property
    def detections(self) -> list[Event]:
        return [e for e in self.timeline if e.detection]

    @property
    def actions(self) -> list[Event]:
        return [e for e in self.timeline if not e.detection]

    @property
    def first_detected(self) -> str:
        return min((e.time for e in self.detections if e.time), default="")

    @property
    def restored_at(self) -> str:
        done = [e.time for e in self.timeline if e.action == "restored" and e.time]
        return max(done, default="")

    @property
    def resolved(self) -> bool:
        affected = [h for h in self.hosts if h.detections]
        return bool(affected) and all(h.restored for h in affected)

    def counts(self) -> dict[str, int]:
        """What the report's header shows, and what tests compare to the record."""
        return {"hosts": len(self.hosts), "detections": len(self.detections),
                "actions": len(self.actions), "indicators": len(self.indicators),
                "bundles": len(self.bundles), "events": len(self.timeline)}


def build(case: Case, contacts: Contacts = NONE) -> Report:
    timeline = sorted({e for a in case.attachments for e in a.events},
                      key=lambda e: (e.time, e.host, e.action, e.what))
    sightings = sorted({s for a in case.attachments for s in a.sightings},
                       key=lambda s: (s.time, s.host, s.path))
    bundles = sorted({(b.host, b.path): b for a in case.attachments for b in a.bundles}.values(),
                     key=lambda b: (b.host, b.finished))
    restores = [a.summary | {"run_id": a.run_id} for a in case.attachments
                if a.kind == "restore" and not a.summary.get("check")]
    return Report(case=case, generated=now(), timeline=timeline,
                  hosts=host_views(case, timeline, bundles, restores), sightings=sightings,
                  indicators=indicators(sightings), bundles=bundles, restore=restores,
                  contacts=contacts,
                  addresses={h: str(ip) for a in case.attachments
                             for h, ip in (a.summary.get("addresses") or {}).items() if ip})


def indicators(sightings: list[Sighting]) -> list[Indicator]:
    grouped: dict[str, list[Sighting]] = {}
    for seen in sightings:
        key = f"sha256:{seen.sha256}" if seen.sha256 else f"path:{seen.path}"
        grouped.setdefault(key, []).append(seen)
    return [
        Indicator(key=key, sha256=seen[0].sha256, path=seen[0].path,
                  reasons=sorted({s.reason for s in seen}), hosts=sorted({s.host for s in seen}),
                  first_seen=min(s.time for s in seen), last_seen=max(s.time for s in seen))
        for key, seen in sorted(grouped.items())
    ]


def host_views(case: Case, timeline: list[Event], bundles: list[Bundle],
               restores: list[dict[str, Any]]) -> list[HostView]:
    names = sorted({h for a in case.attachments for h in a.hosts if h})
    views = []
    for name in names:
        mine = [e for e in timeline if e.host == name]
        detected = [e.time for e in mine if e.detection and e.time]
        restored = [e for e in mine if e.action == "restored"]
        last: dict[str, Any] = next((r["hosts"][name] for r in reversed(restores)
                                     if name in r.get("hosts", {})), {})
        views.append(HostView(
            name=name, detections=sum(e.detection for e in mine),
            actions=sum(not e.detection for e in mine),
            bundles=sum(b.host == name for b in bundles), first_detected=min(detected, default=""),
            restored=bool(restored) and (not detected or restored[-1].time >= max(detected)),
            before=dict(last.get("before") or {}), after=dict(last.get("after") or {}),
        ))
    return views
