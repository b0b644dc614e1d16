"""JSON-IODEF (RFC 8727): the incident as the CERT's tools read it.

One Incident: who reports (the organisation, its responders, the CERTs copied), when it
was detected and recovered, the affected systems with the files seen (SHA-256 in base64,
RFC 8727's BYTE), the indicators, and the history of actions taken. The tests validate it
against the RFC's own JSON schema.
"""

from __future__ import annotations

import base64
import binascii
import ipaddress
from typing import Any

from assessor.incident.contacts import Contact
from assessor.incident.record import Event
from assessor.incident.summary import Report

SHA256_METHOD = "http://www.w3.org/2001/04/xmlenc#sha256"
# the timeline's actions as IODEF's action vocabulary (RFC 7970 section 3.12)
HISTORY_ACTIONS = {
    "detected": "investigate", "exposed": "upgrade-software", "tampered": "investigate",
    "collected": "investigate", "quarantined": "remediate-other", "killed": "remediate-other",
    "patched": "upgrade-software", "hardened": "harden-asset", "reinstalled": "rebuild-asset",
    "restored": "rebuild-asset", "assessed": "status-new-info", "hunted": "status-new-info",
}
IMPACT_SEVERITY = {"low": "low", "medium": "medium", "high": "high", "critical": "high"}


def b64_digest(hex_digest: str) -> str:
    try:
        return base64.b64encode(bytes.fromhex(hex_digest)).decode("ascii")
    except (ValueError, binascii.Error):
        return ""


def contact(who: Contact, role: str, kind: str = "organization") -> dict[str, Any]:
    entry: dict[str, Any] = {"role": role, "type": kind, "ContactName": [who.name]}
    if who.role:
        entry["Description"] = [who.role]
    if who.email:
        entry["Email"] = [{"EmailTo": who.email}]
    phones = [{"TelephoneNumber": who.phone, "type": "wired"}] if who.phone else []
    if who.hotline:
        phones.append({"TelephoneNumber": who.hotline, "type": "hotline"})
    if phones:
        entry["Telephone"] = phones
    return entry


def contacts(report: Report) -> list[dict[str, Any]]:
    org = report.contacts
    creator: dict[str, Any] = {"role": "creator", "type": "organization",
                               "ContactName": [org.organisation or "unnamed organisation"]}
    people = [contact(r, "irt", "person") for r in org.responders]
    if people:
        creator["Contact"] = people
    return [creator, *(contact(c, "cc-irt") for c in org.national)]


def node(host: str, address: str) -> dict[str, Any]:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return {"DomainData": [{"Name": address or host, "system-status": "innocent-hacked",
                                "domain-status": "unknown"}]}
    category = "ipv4-addr" if ip.version == 4 else "ipv6-addr"
    return {"Address": [{"value": str(ip), "category": category}]}


def file_entry(path: str, sha256: str) -> dict[str, Any]:
    entry: dict[str, Any] = {"FileName": path}
    digest = b64_digest(sha256)
    if digest:
        entry["HashData"] = {"scope": "file-contents",
                             "Hash": [{"DigestMethod": SHA256_METHOD, "DigestValue": digest}]}
    return entry


def event_data(report: Report, host: str) -> dict[str, Any]:
    system: dict[str, Any] = {"category": "target", "ownership": "organization",
                              "Node": node(host, report.addresses.get(host, "")),
                              "Description": [host]}
    data: dict[str, Any] = {"Description": [f"host {host}"], "System": [system]}
    view = next(h for h in report.hosts if h.name == host)
    if view.first_detected:
        data["DetectTime"] = view.first_detected
    files = [file_entry(s.path, s.sha256) for s in report.sightings if s.host == host]
    if files:
        data["RecordData"] = [{"Description": ["files matching indicators"],
                               "FileData": [{"File": files}]}]
    return data


def history(events: list[Event]) -> dict[str, Any]:
    return {"HistoryItem": [
        {"action": HISTORY_ACTIONS.get(e.action, "other"), "DateTime": e.time,
         "Description": [f"{e.host}: {e.action}: {e.what} (by {e.operator}; {e.source})"]}
        for e in events if e.time
    ]}


def indicator(report: Report, index: int) -> dict[str, Any]:
    seen = report.indicators[index]
    return {
        "IndicatorID": {"id": f"{report.case.case}-ioc-{index + 1}",
                        "name": report.contacts.domain or report.contacts.organisation
                        or "assessor", "version": "1"},
        "Description": [f"{seen.path} on {', '.join(seen.hosts)}: {'; '.join(seen.reasons)}"],
        "StartTime": seen.first_seen, "EndTime": seen.last_seen,
        "Observable": {"FileData": {"File": [file_entry(seen.path, seen.sha256)]}},
    }


def document(report: Report) -> dict[str, Any]:
    case = report.case
    affected = [h.name for h in report.hosts if h.detections]
    incident: dict[str, Any] = {
        "purpose": "reporting",
        "status": "resolved" if report.resolved else "in-progress",
        "restriction": "amber",
        "IncidentID": {"id": case.case, "name": report.contacts.domain
                       or report.contacts.organisation or "assessor"},
        "GenerationTime": report.generated, "ReportTime": report.generated,
        "Description": [case.title],
        "Discovery": [{"source": "investigation",
                       "Description": ["assessor hunt: files matched indicators of compromise"]}],
        "Assessment": [{"occurrence": "actual", "Impact": [{"SystemImpact": {
            "type": "integrity-data", "severity": IMPACT_SEVERITY[case.severity],
            "Description": [f"{len(affected)} host(s) affected: {', '.join(affected)}"]}}],
            "Counter": [{"value": len(affected), "type": "count", "unit": "host"}]}],
        "Contact": contacts(report),
    }
    if report.first_detected:
        incident["DetectTime"] = report.first_detected
    if report.resolved and report.restored_at:
        incident["RecoveryTime"] = report.restored_at
    if report.hosts:
        incident["EventData"] = [event_data(report, h.name) for h in report.hosts]
    if report.indicators:
        incident["Indicator"] = [indicator(report, i) for i in range(len(report.indicators))]
    items = history(report.timeline)
    if items["HistoryItem"]:
        incident["History"] = items
    return {"version": "2.0", "lang": "en", "Incident": [incident]}
