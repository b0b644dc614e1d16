"""`assessor hunt`: sweep every host for files matching the CERT's indicators, and judge
persistence and live state with the hunt rules (assessor/hunt/rules/*.yaml, --rules).

One play per host (roles/hunt: the file sweep and the state module) returns only what
the judges need; assessor.pipeline.hunt turns it into findings, so the JUnit, HTML and
results.json reporters show them unchanged. The EICAR test file is always hunted.
Exit codes as assess: 1 a finding failed, 3 a host could not be hunted, 2 bad input.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from rich.console import Console

from assessor.commands.options import add_forks, print_report_path
from assessor.hunt.fetch import is_url
from assessor.pipeline.hunt import HuntOptions, run_hunt
from assessor.results import Severity


def add_parser(commands: Any) -> None:
    parser = commands.add_parser(
        "hunt", help="sweep hosts for files matching indicators of compromise (read-only)",
        description="Hash bounded paths on every host and match them against STIX, MISP or "
        "CSV indicators (the EICAR test file is always hunted). Exit 1 on any match.",
    )
    parser.add_argument("-i", "--inventory", type=Path, required=True, help="Ansible inventory")
    parser.add_argument("--iocs", action="append", default=[], metavar="PATH|URL",
                        help="STIX 2.1 bundle, MISP export or feed, CSV or list, a file or an "
                        "http(s) URL the controller fetches (repeatable)")
    parser.add_argument("--rules", type=Path, metavar="DIR",
                        help="directory of hunt rule YAML merged over the built-in rules "
                        "(same id: replaces it)")
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
        iocs=tuple(Path(i) for i in args.iocs if not is_url(i)),
        ioc_urls=tuple(i for i in args.iocs if is_url(i)), paths=tuple(args.paths),
        max_size_mib=args.max_size, time_budget=args.time_budget, waivers=args.waivers,
        rules=args.rules,
    )
    run_dir, result = run_hunt(None, options, console)
    print_report_path(console, run_dir, "results.json, junit.xml, hosts/<host>/junit.xml")
    return result.exit_code(Severity.INFO)
