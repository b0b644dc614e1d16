"""Waivers: an accepted risk on a control, for some hosts, with an owner and an expiry.

    waivers:
      - control: ssh.x11-forwarding     # a control id (glob patterns allowed)
        hosts: "web-*"                  # host name or inventory group (glob allowed)
        reason: X2Go sessions need it until the migration
        owner: alice@example.org
        expires: 2027-03-31

A waiver turns a `fail` into `waived`. Once expired it no longer does: the finding stays
`fail` and says which waiver expired when, so an auditor sees the lapsed exception.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fnmatch
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from assessor.errors import ConfigError
from assessor.results import Finding, HostResult, Status, WaiverNote
from assessor.yamlfile import LINE, load_with_lines, strip_lines

FIELDS = {"control", "hosts", "reason", "owner", "expires"}


@dataclass(frozen=True)
class Waiver:
    control: str
    hosts: str
    reason: str
    owner: str
    expires: dt.date
    source: str

    def covers(self, finding: Finding, host: str, groups: tuple[str, ...]) -> bool:
        if not fnmatch.fnmatchcase(finding.control_id, self.control):
            return False
        return any(fnmatch.fnmatchcase(name, self.hosts) for name in (host, *groups))


def load_waivers(path: Path) -> list[Waiver]:
    raw = load_with_lines(path, "waivers file")
    if not isinstance(raw, dict) or not isinstance(raw.get("waivers"), list):
        raise ConfigError(f"{path}:1: expected a mapping with a 'waivers' list")
    return [parse_waiver(path, entry) for entry in raw["waivers"]]


def parse_waiver(path: Path, entry: Any) -> Waiver:
    if not isinstance(entry, dict):
        raise ConfigError(f"{path}: each waiver must be a mapping of {', '.join(sorted(FIELDS))}")
    line = entry.get(LINE, 1)
    entry = strip_lines(entry)
    label = f"{path}:{line}: waiver for {entry.get('control', '?')}"
    missing = FIELDS - set(entry)
    if missing:
        raise ConfigError(f"{label}: missing {', '.join(sorted(missing))}")
    unknown = set(entry) - FIELDS
    if unknown:
        raise ConfigError(f"{label}: unknown field {', '.join(sorted(unknown))}")
    for key in ("control", "hosts", "reason", "owner"):
        if not isinstance(entry[key], str) or not entry[key].strip():
            raise ConfigError(f"{label}: field {key!r} must be a non-empty string")
    expires = entry["expires"]
    if isinstance(expires, str):
        with contextlib.suppress(ValueError):
            expires = dt.date.fromisoformat(expires)
    if not isinstance(expires, dt.date) or isinstance(expires, dt.datetime):
        raise ConfigError(f"{label}: field 'expires' must be a date such as 2027-03-31")
    return Waiver(entry["control"], entry["hosts"], entry["reason"].strip(),
                  entry["owner"].strip(), expires, f"{path}:{line}")


def apply_waivers(
    host: HostResult, groups: tuple[str, ...], waivers: list[Waiver], today: dt.date
) -> HostResult:
    """Mark failures covered by a live waiver as waived; note lapsed ones on the failure."""
    if not waivers or not host.assessed:
        return host
    findings = [waive(f, host.name, groups, waivers, today) for f in host.findings]
    return replace(host, findings=findings)


def waive(
    finding: Finding, host: str, groups: tuple[str, ...], waivers: list[Waiver], today: dt.date
) -> Finding:
    if finding.status is not Status.FAIL:
        return finding
    matching = [w for w in waivers if w.covers(finding, host, groups)]
    if not matching:
        return finding
    live = [w for w in matching if w.expires >= today]
    chosen = max(live or matching, key=lambda w: w.expires)
    note = WaiverNote(
        owner=chosen.owner, reason=chosen.reason, expires=chosen.expires.isoformat(),
        expired=not live, source=chosen.source,
    )
    if live:
        reason = f"waived until {note.expires} by {note.owner}: {note.reason} ({finding.reason})"
        return replace(finding, status=Status.WAIVED, reason=reason, waiver=note)
    reason = f"waiver expired on {note.expires} ({note.owner}): {finding.reason}"
    return replace(finding, reason=reason, waiver=note)
