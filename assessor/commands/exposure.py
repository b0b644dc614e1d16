"""`assessor exposure`: which hosts are exposed to these advisories, and can they be fixed.

One module run per host (roles/packages_state) returns the dpkg/apt state; the
advisories are judged in Python; each (advisory, host) is a Finding, so the JUnit, HTML
and results.json reporters show it unchanged. Exit 1 when any host is exposed.
"""

from __future__ import annotations

import argparse
from typing import Any

from rich.console import Console

from assessor.commands.options import (
    add_advisory_options,
    add_format,
    print_report_path,
    seconds,
)
from assessor.pipeline.packages import ExposureOptions, exit_code, exposure
from assessor.reports.tabular import emit, status_console
from assessor.reports.terminal import exposure_listing


def add_parser(commands: Any) -> None:
    parser = commands.add_parser(
        "exposure", help="report which hosts are exposed to advisories (changes nothing)",
        description="Judge OSV, CSAF 2.0 or bulletin advisories against every host's "
        "installed packages. Exit 1 when any host is exposed.",
    )
    add_advisory_options(parser)
    add_format(parser)
    parser.add_argument(
        "--no-update-cache", action="store_true",
        help="judge against the package lists as they are (no apt-get update first)",
    )
    parser.add_argument(
        "--update-timeout", type=seconds, default=60, metavar="SECONDS",
        help="how long each host's apt-get update may take (default 60); past it the "
        "host is judged from the lists it has, and the findings say how old they are",
    )


def run(args: argparse.Namespace, console: Console) -> int:
    options = ExposureOptions(
        inventory=args.inventory, advisories=args.advisories, out=args.out, limit=args.limit,
        forks=args.forks, update_cache=not args.no_update_cache,
        update_timeout=args.update_timeout,
    )
    result = exposure(options, status_console(console))
    emit(exposure_listing(result), console, args.format)
    print_report_path(console, options.out / result.run_id,
                      "results.json, junit.xml, hosts/<host>/junit.xml", args.format)
    return exit_code(result)
