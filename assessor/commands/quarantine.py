"""`assessor quarantine list|restore RUN_DIR`: what a hunt run quarantined, and its undo.

list prints the run's manifest (every item, whatever happened to it); restore puts moved
files back byte for byte with owner, mode, times and xattrs, verifying the hash, and never
over a different file (`--check` shows what it would do). Exit 0 when every selected item
was restored (or already was), 1 otherwise, 2 on a bad run directory.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from rich.console import Console

from assessor.commands.options import add_forks, add_format, add_waves
from assessor.pipeline.quarantine import RestoreOptions, items_table, restore
from assessor.quarantine import list_rows, load_manifest
from assessor.reports.tabular import Column, Listing, emit

DONE = ("restored", "identical", "would-restore")


def add_parser(commands: Any) -> None:
    parser = commands.add_parser("quarantine", help="list or restore what a hunt quarantined")
    actions = parser.add_subparsers(dest="action", required=True)
    listing = actions.add_parser("list", help="every item of a hunt run's quarantine manifest")
    listing.add_argument("run_dir", type=Path, help="the hunt run's directory")
    add_format(listing)
    back = actions.add_parser("restore", help="put quarantined files back, hash verified")
    back.add_argument("run_dir", type=Path, help="the hunt run's directory")
    back.add_argument("-i", "--inventory", type=Path,
                      help="inventory (default: the one the hunt run used)")
    back.add_argument("--limit", help="Ansible host pattern: only these hosts")
    back.add_argument("--id", action="append", default=[], dest="ids", metavar="ID",
                      help="only this item (repeatable; ids as `quarantine list` shows)")
    back.add_argument("--check", action="store_true", help="show what would be restored")
    add_forks(back)
    add_waves(back)


def run(args: argparse.Namespace, console: Console) -> int:
    if args.action == "list":
        columns, rows = list_rows(load_manifest(args.run_dir))
        emit(listing_of(columns, rows), console, args.format)
        return 0
    done = restore(RestoreOptions(run_dir=args.run_dir, inventory=args.inventory,
                                  limit=args.limit, ids=tuple(args.ids), check=args.check,
                                  forks=args.forks, serial=args.serial,
                                  max_fail_percentage=args.max_fail_percentage), console)
    console.print(items_table("Restore" + (" (check: nothing changed)" if args.check else ""),
                              done))
    return 0 if all(d["status"] in DONE for d in done) else 1


KEYS = ("host", "id", "path")  # never cut: what `restore --limit/--id` and an operator need


def listing_of(columns: tuple[str, ...], rows: list[tuple[str, ...]]) -> Listing:
    listing = Listing("Quarantine", [Column(c, key=c in KEYS, wide=c == "reason", optional=c in
                                            ("sha256", "detection")) for c in columns])
    for row in rows:
        listing.add(*row)
    return listing
