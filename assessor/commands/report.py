"""`assessor report RUN_DIR`: render every report again from results.json, no host contacted."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from rich.console import Console

from assessor.commands.options import add_format
from assessor.errors import ConfigError
from assessor.reports import json_report, write_all
from assessor.reports.tabular import emit, note
from assessor.reports.terminal import summary_listing
from assessor.results import Severity


def add_parser(commands: Any) -> None:
    parser = commands.add_parser(
        "report", help="re-render a run's reports from its results.json (no host contacted)"
    )
    parser.add_argument("run_dir", type=Path, metavar="RUN_DIR", help="a run directory")
    add_format(parser)


def run(args: argparse.Namespace, console: Console) -> int:
    run_dir: Path = args.run_dir
    if not run_dir.is_dir():
        raise ConfigError(f"{run_dir}: not a run directory")
    result = json_report.read(run_dir)
    # results.json is the source being rendered: it is read, never rewritten
    written = write_all(result, run_dir, skip=("json",))
    emit(summary_listing(result, Severity.LOW), console, args.format)
    note(console, args.format, f"Rendered {len(written)} files: {run_dir}/index.html")
    return 0
