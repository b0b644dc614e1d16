"""`assessor diff RUN_A RUN_B`: what regressed, what was fixed; exit 1 on a regression."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.text import Text

from assessor.commands.options import add_format
from assessor.reports import DIFF_REPORTERS, json_report, write_with
from assessor.reports.diff import diff_listing, diff_runs, text_lines
from assessor.reports.html import DIFF_FILE
from assessor.reports.tabular import default_format, emit, note
from assessor.reports.text import printable


def add_parser(commands: Any) -> None:
    parser = commands.add_parser(
        "diff", help="compare two runs per host; exit 1 when something regressed"
    )
    parser.add_argument("run_a", type=Path, metavar="RUN_A", help="the earlier run directory")
    parser.add_argument("run_b", type=Path, metavar="RUN_B", help="the later run directory")
    parser.add_argument(
        "--html", type=Path, help=f"where to write the page (default RUN_B/{DIFF_FILE})"
    )
    add_format(parser)


def run(args: argparse.Namespace, console: Console) -> int:
    diff = diff_runs(json_report.read(args.run_a), json_report.read(args.run_b))
    lines = text_lines(diff)
    if (args.format or default_format(console)) == "table":
        for line in lines[:-1]:
            style = "red" if "REGRESSED" in line or "newly failing" in line else None
            console.print(Text(printable(line), style=style or ""))
    else:
        emit(diff_listing(diff), console, args.format)
    (page,) = write_with(DIFF_REPORTERS, diff, args.html or args.run_b)
    note(console, args.format, lines[-1])  # the verdict and its counts
    note(console, args.format, f"diff page: {page}")
    return diff.exit_code()
