"""`assessor doctor -i INV`: per host, is it ready for a run, and if not, the exact fix.

Exit 0 when every host is ready, 3 when any is not (the code a run would give for it),
2 for a bad inventory. The checks are in `assessor.pipeline.doctor`.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from rich.console import Console

from assessor.commands.options import add_forks, add_format, seconds
from assessor.errors import NOT_ASSESSED
from assessor.pipeline.doctor import DoctorOptions, doctor
from assessor.preflight import READY, HostReport
from assessor.reports.tabular import Column, Listing, emit, note


def add_parser(commands: Any) -> None:
    parser = commands.add_parser(
        "doctor", help="check every host is ready for a run (ssh, host key, python3, sudo, "
        "space, apt lock, clock); exit 3 if one is not",
    )
    parser.add_argument("-i", "--inventory", type=Path, required=True, help="Ansible inventory")
    parser.add_argument("--limit", help="Ansible host pattern for a subset of hosts")
    add_forks(parser)
    parser.add_argument("--timeout", type=seconds, default=10, metavar="SECONDS",
                        help="per host, to connect and to run the checks (default 10)")
    parser.add_argument("--min-free-mb", type=int, default=100, metavar="MIB",
                        help="free MiB needed in /tmp and /var (default 100)")
    parser.add_argument("--max-skew", type=seconds, default=30, metavar="SECONDS",
                        help="largest clock difference with this machine (default 30)")
    add_format(parser)


def run(args: argparse.Namespace, console: Console) -> int:
    reports = doctor(DoctorOptions(inventory=args.inventory, limit=args.limit,
                                   forks=args.forks, timeout=args.timeout,
                                   min_free_mb=args.min_free_mb, max_skew=args.max_skew))
    emit(listing(reports), console, args.format)
    ready = [r for r in reports if r.ready]
    note(console, args.format, f"{len(ready)} of {len(reports)} host(s) ready"
         + ("" if len(ready) == len(reports) else ": not ready: "
            + ", ".join(r.target.name for r in reports if not r.ready)))
    return 0 if len(ready) == len(reports) else NOT_ASSESSED


def listing(reports: list[HostReport]) -> Listing:
    out = Listing("doctor", [Column("host", key=True), Column("check"), Column("status"),
                             Column("observed", wide=True), Column("fix", wide=True)])
    for report in reports:
        for check in report.checks:
            out.add(report.target.name, check.name, check.status, check.observed, check.fix,
                    style={2: "green" if check.status == READY else "red"})
    return out
