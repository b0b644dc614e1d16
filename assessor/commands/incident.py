"""`assessor incident open|add|report`: the incident record and the report to the CERT.

Wiring only: the record (assessor.incident.record), what attached runs say
(assessor.incident.attach), one view of it (summary) and its exports (export). The case
lives in `<out>/<case>/incident/`, beside the case's evidence bundles.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from rich.console import Console

from assessor.incident.attach import read_runs
from assessor.incident.contacts import NONE, load_contacts
from assessor.incident.export import write_reports
from assessor.incident.record import SEVERITIES, attach, case_dir, load_case, open_case
from assessor.incident.summary import build
from assessor.reports.text import printable


def add_parser(commands: Any) -> None:
    parser = commands.add_parser(
        "incident", help="open an incident record, attach runs, report to the CERT",
        description="`open` a case, `add` run directories to it (hunt, assess, exposure, "
        "patch, harden, evidence, quarantine, restore), `report` it: incident.html "
        "(printable), iodef.json (JSON-IODEF, RFC 8727), stix.json (STIX 2.1) and with "
        "--eml incident.eml, ready to send (never sent by the tool).",
    )
    actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
    opening = actions.add_parser("open", help="open a case")
    opening.add_argument("--title", required=True, help="what happened, in one line")
    opening.add_argument("--severity", choices=SEVERITIES, default="high")
    adding = actions.add_parser("add", help="attach run directories or evidence bundles")
    adding.add_argument("runs", nargs="+", type=Path, metavar="RUN_DIR")
    reporting = actions.add_parser("report", help="write the report and the CERT exports")
    reporting.add_argument("--contacts", type=Path,
                           help="contacts YAML (see inventories/example/contacts.yml)")
    reporting.add_argument("--eml", action="store_true",
                           help="also write incident.eml with the IODEF and STIX attached")
    for sub in (opening, adding, reporting):
        sub.add_argument("--case", required=True, help="case id (letters, digits, . _ -)")
        sub.add_argument("--out", type=Path, default=Path("evidence"),
                         help="case root, as `assessor evidence --out` (default evidence)")


def run(args: argparse.Namespace, console: Console) -> int:
    if args.action == "open":
        path = open_case(args.out, args.case, args.title, args.severity)
        console.print(printable(f"case {args.case} opened: {path}"), markup=False)
        return 0
    if args.action == "add":
        found = [a for run_dir in args.runs for a in read_runs(run_dir)]
        record, skipped = attach(args.out, args.case, found)
        for item in found:
            if item.path not in skipped:
                console.print(printable(f"{args.case}: attached {item.kind} {item.run_id} "
                                        f"({len(item.events)} events)"), markup=False)
        for again in skipped:
            console.print(printable(f"{args.case}: already attached: {again}"), markup=False)
        console.print(f"{args.case}: {len(record.attachments)} run(s) in the record")
        return 0
    record, _ = load_case(args.out, args.case)
    contacts = load_contacts(args.contacts) if args.contacts else NONE
    report = build(record, contacts)
    out = case_dir(args.out, args.case)
    written = write_reports(report, out, eml=args.eml)
    counts = report.counts()
    console.print(printable(
        f"{args.case}: {counts['hosts']} host(s), {counts['detections']} detection(s), "
        f"{counts['actions']} action(s), {counts['indicators']} indicator(s), "
        f"{counts['bundles']} evidence bundle(s); "
        + ("restored" if report.resolved else "open")), markup=False)
    for path in written:
        console.print(printable(f"  {path}"), markup=False)
    for who in contacts.national:
        console.print(printable(f"  call {who.name}: {who.phone} / hotline {who.hotline}, "
                                f"{who.email}"), markup=False)
    return 0
