"""Command-line options several commands share, validated once by argparse (exit 2)."""

from __future__ import annotations

import argparse
import re
from pathlib import Path

from rich.console import Console

from assessor.reports.tabular import FORMATS, note

_SERIAL = re.compile(r"^[1-9]\d*%?$")


def hosts_in_parallel(text: str) -> int:
    value = int(text) if text.lstrip("-").isdigit() else 0
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


def seconds(text: str) -> int:
    value = int(text) if text.isdigit() else 0
    if not 1 <= value <= 3600:
        raise argparse.ArgumentTypeError(f"{text!r}: give whole seconds from 1 to 3600")
    return value


def wave_size(text: str) -> str:
    if not _SERIAL.match(text) or (text.endswith("%") and int(text[:-1]) > 100):
        raise argparse.ArgumentTypeError(
            f"{text!r}: give a host count (>= 1) or a percentage (1-100%)"
        )
    return text


def percentage(text: str) -> int:
    value = int(text) if text.lstrip("-").isdigit() else -1
    if not 0 <= value <= 100:
        raise argparse.ArgumentTypeError("must be between 0 and 100")
    return value


def add_forks(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--forks", type=hosts_in_parallel, default=20,
                        help="hosts in parallel (default 20)")


def node_names(text: str) -> tuple[str, ...]:
    names = tuple(n.strip() for n in text.split(",") if n.strip())
    if not names:
        raise argparse.ArgumentTypeError("give one or more inventory host names, comma-separated")
    return names


def add_execution_nodes(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--execution-nodes", type=node_names, default=(), metavar="NODE[,NODE...]",
        help="inventory hosts with ansible-core and ansible-runner that run Ansible for the "
        "others: the hosts are shared out over them (ansible-runner's streaming protocol)")


def add_waves(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--serial", type=wave_size, default="100%",
                        help="hosts per wave, a count (5) or a share (25%%) (default 100%%)")
    parser.add_argument("--max-fail-percentage", type=percentage, default=100, metavar="P",
                        help="stop before the next wave when more than P%% of a wave failed "
                        "(default 100: never stop early)")


def print_report_path(console: Console, run_dir: Path, beside: str,
                      fmt: str | None = None) -> None:
    note(console, fmt, f"Reports: {run_dir.resolve()}/index.html")
    note(console, fmt, f"  ({beside} beside it)")


def add_advisory_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("-i", "--inventory", type=Path, required=True, help="Ansible inventory")
    parser.add_argument(
        "--advisories", type=Path, action="append", required=True, metavar="PATH",
        help="OSV JSON, CSAF 2.0 JSON or bulletin YAML file, or a directory of them (repeatable)",
    )
    parser.add_argument("--limit", help="Ansible host pattern for a subset of hosts")
    parser.add_argument("--out", type=Path, default=Path("reports"), help="report directory")
    add_forks(parser)


def add_format(parser: argparse.ArgumentParser) -> None:
    """--format for every listing and summary; assessor.reports.tabular prints it."""
    parser.add_argument(
        "--format", choices=FORMATS, default=None,
        help="table (default on a terminal), plain (default when piped: tab-separated, "
        "one header line), json (schema in assessor/schemas), csv",
    )
