"""`assessor harden`: apply the profile's automated controls through the harden_* roles.

Preview with --check (check mode with diffs, nothing changes); otherwise assess, apply in
waves (--serial, --max-fail-percentage) with every changed file backed up on the host
first, assess again and report per host what got fixed, what still fails and what broke.
The steps are in `assessor.pipeline.hardening`; this module wires options and prints.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from rich.console import Console

from assessor.commands.options import add_execution_nodes, add_forks, add_format, add_waves
from assessor.pipeline.hardening import HardenOptions, harden
from assessor.remediation.record import HardenRecord
from assessor.reports.harden import before_after_listing, changes_listing
from assessor.reports.tabular import default_format, emit, note, status_console


def add_parser(commands: Any) -> None:
    parser = commands.add_parser(
        "harden", help="apply a profile's automated controls (preview with --check)"
    )
    parser.add_argument("-i", "--inventory", type=Path, required=True, help="Ansible inventory")
    parser.add_argument("--limit", help="Ansible host pattern to harden a subset")
    parser.add_argument("--profile", help="profile (default server-l1, or the tailoring's)")
    parser.add_argument("--tailoring", type=Path, help="tailoring YAML adapting the profile")
    parser.add_argument("--catalogue", type=Path, help="catalogue file or directory to use")
    parser.add_argument("--controls", help="only these control ids (comma-separated)")
    parser.add_argument("--skip", help="leave out these control ids (comma-separated)")
    parser.add_argument("--check", action="store_true",
                        help="preview: show per host and control the exact change, change nothing")
    add_waves(parser)
    add_forks(parser)
    add_execution_nodes(parser)
    parser.add_argument("--out", type=Path, default=Path("reports"), help="run directory root")
    add_format(parser)


def run(args: argparse.Namespace, console: Console) -> int:
    options = HardenOptions(
        inventory=args.inventory, out=args.out, limit=args.limit, forks=args.forks,
        profile=args.profile, tailoring=args.tailoring, catalogue=args.catalogue,
        controls=args.controls, skip=args.skip, check=args.check, serial=args.serial,
        max_fail_percentage=args.max_fail_percentage, execution_nodes=args.execution_nodes,
    )
    record, run_dir = harden(options, status_console(console))
    return summarise(record, run_dir, console, args.format)


def summarise(record: HardenRecord, run_dir: Path, console: Console,
              fmt: str | None = None) -> int:
    """A terminal gets both tables; plain, csv and json one listing each (the changes with
    --check, else before / after; json is the record's summary either way)."""
    fmt = fmt or default_format(console)

    def say(text: str) -> None:
        note(console, fmt, text)

    if fmt == "table" or record.check:
        emit(changes_listing(record), console, fmt)
    changed = sum(1 for h in record.hosts for c in h.changes if c.status == "changed")
    verb = "would change" if record.check else "changed"
    say(f"{changed} change(s) {verb} across {len(record.hosts)} host(s)")
    if not record.check:
        emit(before_after_listing(record), console, fmt)
    if record.failed:
        say(f"failed: {', '.join(record.failed)}")
    if record.untouched:
        say(f"stopped after a wave exceeded --max-fail-percentage "
            f"{record.max_fail_percentage}: left untouched: {', '.join(record.untouched)}")
    if record.regressions:
        say(f"REGRESSION: {record.regressions} control(s) pass before and fail after; "
            "see harden.html")
    if record.manual:
        say(f"{len(record.manual)} manual control(s) not applied: {', '.join(record.manual)}")
    say(f"Report: {run_dir}/harden.html (harden.json"
        + ("" if record.check else f"; undo with `assessor rollback {run_dir}`") + ")")
    return record.exit_code()
