"""`assessor restore`: bring a compromised host back to known-good, and prove it.

The steps are in `assessor.pipeline.restore`; this module wires options and prints the
verdict per host. Exit 0 when every host is restored (or, with --check, previewed), 1
when some host is not, 2 on bad input.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from rich.console import Console

from assessor.commands.options import add_forks
from assessor.pipeline.restore import RestoreOptions, restore
from assessor.reports.text import printable


def add_parser(commands: Any) -> None:
    parser = commands.add_parser(
        "restore", help="reinstall tampered packages, remove persistence, re-harden, re-hunt",
        description="Reinstall every package whose files fail dpkg's md5sums at its installed "
        "version from the host's repositories, remove what the hunt finds (the case's "
        "indicators and --iocs, and every hunt rule's hits as the rule's remove: says: "
        "files, lines, units, processes, accounts, shells, mounts, through quarantine), "
        "re-apply the hardening profile, patch what --advisories "
        "need, then verify integrity and hunt again; the run is attached to the case. "
        "--check shows the plan and changes nothing.",
    )
    parser.add_argument("-i", "--inventory", type=Path, required=True, help="Ansible inventory")
    parser.add_argument("--limit", required=True, help="the host(s) to restore")
    parser.add_argument("--case", required=True, help="the incident this restore belongs to")
    parser.add_argument("--cases", type=Path, default=Path("evidence"),
                        help="case root, as `assessor incident --out` (default evidence)")
    parser.add_argument("--check", action="store_true", help="show the plan, change nothing")
    parser.add_argument("--profile", help="hardening profile to re-apply (default server-l1)")
    parser.add_argument("--tailoring", type=Path, help="tailoring YAML adapting the profile")
    parser.add_argument("--controls", help="re-apply only these control ids (comma-separated)")
    parser.add_argument("--advisories", type=Path, action="append", default=[],
                        metavar="PATH", help="advisories to patch for (repeatable)")
    parser.add_argument("--iocs", type=Path, action="append", default=[], metavar="PATH",
                        help="indicators to hunt for beside the case's own (repeatable)")
    parser.add_argument("--out", type=Path, default=Path("reports"), help="run directory root")
    add_forks(parser)


def run(args: argparse.Namespace, console: Console) -> int:
    options = RestoreOptions(
        inventory=args.inventory, out=args.out, limit=args.limit, forks=args.forks,
        case=args.case, cases=args.cases, check=args.check, profile=args.profile,
        tailoring=args.tailoring, controls=args.controls, advisories=tuple(args.advisories),
        iocs=tuple(args.iocs),
    )
    record, run_dir = restore(options, console)
    for host in record["hosts"]:
        console.print(printable(f"{host['name']}: {host['verdict']}"), markup=False)
        console.print(printable(f"  before {host['before']}  after {host['after']}"),
                      markup=False)
    steps = ", ".join(f"{k} {v} s" for k, v in record["step_seconds"].items())
    console.print(f"restore took {record['duration_s']} s ({steps}); record "
                  f"{run_dir}/restore.json, attached to case {args.case}", markup=False)
    if record["check"]:
        return 0
    return 0 if all(h["restored"] for h in record["hosts"]) else 1
