"""Write the case's report: incident.html, iodef.json, stix.json and, asked for, incident.eml.

The e-mail is written, never sent: a responder reads it, then sends it from their own
client (its To: are the contacts marked `report: true`, the IODEF and STIX files attached).
"""

from __future__ import annotations

import json
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import formatdate, make_msgid
from pathlib import Path

from jinja2 import Environment, PackageLoader, select_autoescape

from assessor import rundir
from assessor.incident import iodef, stix_export
from assessor.incident.summary import Report

HTML = "incident.html"
IODEF = "iodef.json"
STIX = "stix.json"
EML = "incident.eml"

_env = Environment(loader=PackageLoader("assessor.reports", "templates"),
                   autoescape=select_autoescape(default=True, default_for_string=True),
                   trim_blocks=True, lstrip_blocks=True)


def plain(value: str) -> str:
    """Host data in a mail body or header: no control characters, no line breaks."""
    return "".join(ch if ch.isprintable() else " " for ch in value)


def write_reports(report: Report, out: Path, *, eml: bool = False) -> list[Path]:
    html = _env.get_template("incident.html.j2").render(r=report)
    documents = {
        HTML: html,
        IODEF: json.dumps(iodef.document(report), indent=1, ensure_ascii=False) + "\n",
        STIX: json.dumps(stix_export.bundle(report), indent=1, ensure_ascii=False) + "\n",
    }
    written = []
    for name, body in documents.items():
        rundir.write_text(out / name, body)
        written.append(out / name)
    if eml:
        rundir.write_bytes(out / EML, message(report, documents).as_bytes(policy=SMTP))
        written.append(out / EML)
    return written


def body(report: Report) -> str:
    case, counts = report.case, report.counts()
    lines = [
        f"Incident {case.case}: {case.title}", f"Severity: {case.severity}",
        f"Reporting organisation: {report.contacts.organisation or 'unnamed'}",
        f"First detection: {report.first_detected or 'none'}",
        f"Status: {'restored ' + report.restored_at if report.resolved else 'open'}", "",
        f"Affected hosts ({counts['hosts']}):",
        *(f"  - {h.name} {report.addresses.get(h.name, '')}: {h.detections} detection(s), "
          f"{'restored' if h.restored else 'not yet restored'}" for h in report.hosts), "",
        f"Indicators seen ({counts['indicators']}):",
        *(f"  - {i.path} sha256={i.sha256 or '-'} on {', '.join(i.hosts)}"
          for i in report.indicators), "",
        f"Evidence bundles ({counts['bundles']}), SHA-256 of each MANIFEST.sha256:",
        *(f"  - {b.host}: {b.manifest_sha256} ({'complete' if b.complete else 'incomplete'})"
          for b in report.bundles), "",
        "Timeline:",
        *(f"  {e.time} {e.host} {e.action}: {e.what} ({e.operator})" for e in report.timeline),
        "", "Attached: iodef.json (JSON-IODEF, RFC 8727), stix.json (STIX 2.1 bundle), "
        "incident.html (the printable report).", "",
        "Our responders:",
        *(f"  {r.name}, {r.role}: {r.phone} {r.email}" for r in report.contacts.responders),
    ]
    return "\n".join(plain(line) for line in lines) + "\n"


def message(report: Report, documents: dict[str, str]) -> EmailMessage:
    contacts = report.contacts
    mail = EmailMessage()
    mail["Subject"] = plain(f"[{report.case.case}] Incident report: {report.case.title}")[:200]
    sender = next((r.email for r in contacts.responders if r.email), "")
    if sender:
        mail["From"] = sender
    to = [c.email for c in contacts.report_to]
    if to:
        mail["To"] = ", ".join(to)
    cc = [r.email for r in contacts.responders if r.email and r.email not in to]
    if cc:
        mail["Cc"] = ", ".join(cc)
    mail["Date"] = formatdate(usegmt=True)
    mail["Message-ID"] = make_msgid(domain=contacts.domain or None)
    mail.set_content(body(report))
    mail.add_attachment(documents[IODEF].encode(), maintype="application", subtype="json",
                        filename=IODEF)
    mail.add_attachment(documents[STIX].encode(), maintype="application", subtype="json",
                        filename=STIX)
    mail.add_attachment(documents[HTML].encode(), maintype="text", subtype="html",
                        filename=HTML)
    return mail
