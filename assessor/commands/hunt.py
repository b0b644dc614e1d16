"""`assessor hunt`: sweep every host for files matching the CERT's indicators.

One module run per host (roles/hunt) returns only the files whose hash, name or path is an
indicator; the pure judge in assessor.hunt turns them into findings, so the JUnit, HTML
and results.json reporters show them unchanged. The EICAR test file is always hunted.
Exit codes as assess: 1 a finding failed, 3 a host could not be hunted, 2 bad input.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from rich.console import Console

from assessor.commands.options import add_forks, print_report_path
from assessor.pipeline.hunt import HuntOptions, run_hunt
from assessor.results import Severity


def add_parser(commands: Any) -> None:
    parser = commands.add_parser(
        "hunt", help="sweep hosts for files matching indicators of compromise (read-only)",
        description="Hash bounded paths on every host and match them against STIX, MISP or "
        "CSV indicators (the EICAR test file is always hunted). Exit 1 on any match.",
    )
    parser.add_argument("-i", "--inventory", type=Path, required=True, help="Ansible inventory")
    parser.add_argument("--iocs", type=Path, action="append", default=[], metavar="PATH",
                        help="STIX 2.1 bundle, MISP export or feed, CSV or list (repeatable)")
    parser.add_argument("--paths", action="append", default=[], metavar="DIR",
                        help="another absolute path to sweep (repeatable)")
    parser.add_argument("--max-size", type=int, default=64, metavar="MIB",
                        help="files larger than this are not hashed (default 64)")
    parser.add_argument("--time-budget", type=int, default=600, metavar="SECONDS",
                        help="per-host sweep time; a sweep cut short is an error")
    parser.add_argument("--waivers", type=Path, help="waivers YAML for known false positives")
    parser.add_argument("--limit", help="Ansible host pattern for a subset of hosts")
    parser.add_argument("--out", type=Path, default=Path("reports"), help="report directory")
    add_forks(parser)


def run(args: argparse.Namespace, console: Console) -> int:
    options = HuntOptions(
        inventory=args.inventory, out=args.out, limit=args.limit, forks=args.forks,
        iocs=tuple(args.iocs), paths=tuple(args.paths), max_size_mib=args.max_size,
        time_budget=args.time_budget, waivers=args.waivers,
    )
    run_dir, result = run_hunt(None, options, console)
    print_report_path(console, run_dir, "results.json, junit.xml, hosts/<host>/junit.xml")
    return result.exit_code(Severity.INFO)
