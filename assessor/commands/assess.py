"""`assessor assess`: snapshot every host in one module run, evaluate, report."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from rich.console import Console

from assessor.commands.options import (
    add_execution_nodes,
    add_forks,
    add_format,
    print_report_path,
)
from assessor.pipeline.assessment import DEFAULT_PROFILE, AssessOptions, assess
from assessor.reports.tabular import emit, note, status_console
from assessor.reports.terminal import summary_listing
from assessor.results import Severity


def add_parser(commands: Any) -> None:
    parser = commands.add_parser("assess", help="assess hosts against a profile (read-only)")
    parser.add_argument("-i", "--inventory", type=Path, required=True, help="Ansible inventory")
    parser.add_argument("--limit", help="Ansible host pattern to assess a subset")
    parser.add_argument("--out", type=Path, default=Path("reports"), help="report directory")
    add_forks(parser)
    add_execution_nodes(parser)
    parser.add_argument("--profile", help=f"profile (default {DEFAULT_PROFILE}, or the "
                        "tailoring file's `extends`)")
    parser.add_argument("--tailoring", type=Path, help="tailoring YAML adapting the profile")
    parser.add_argument("--waivers", type=Path, help="waivers YAML (owner, reason, expiry)")
    parser.add_argument("--catalogue", type=Path, help="catalogue file or directory to use "
                        "instead of the built-in one")
    parser.add_argument(
        "--fail-on", type=Severity, choices=list(Severity), default=Severity.LOW,
        help="lowest severity whose failure gives exit 1 (default low)",
    )
    add_format(parser)


def run(args: argparse.Namespace, console: Console) -> int:
    options = AssessOptions(
        inventory=args.inventory, out=args.out, limit=args.limit, forks=args.forks,
        profile=args.profile, fail_on=args.fail_on, catalogue=args.catalogue,
        tailoring=args.tailoring, waivers=args.waivers, execution_nodes=args.execution_nodes,
    )
    result = assess(options, status_console(console))
    emit(summary_listing(result, options.fail_on), console, args.format)
    fleet = "n/a" if result.score is None else f"{result.score:.1f}%"
    note(console, args.format, f"Fleet score {fleet} (severity-weighted share of controls passed)")
    print_report_path(console, Path(options.out) / result.run_id, "results.json, junit.xml, "
                      "hosts/<host>/junit.xml and report.html", args.format)
    return result.exit_code(args.fail_on)
