"""`assessor lab up|status|down`: the local fleet of namespaced Debian hosts."""

from __future__ import annotations

import argparse
import time
from pathlib import Path
from typing import Any

from rich.console import Console

from assessor.commands.options import add_format
from assessor.lab import fleet, reuse
from assessor.lab.flavours import load_flavours, parse_flavours
from assessor.lab.rootfs import RELEASES
from assessor.reports.tabular import Column, Listing, emit, note


def add_parser(commands: Any) -> None:
    lab = commands.add_parser("lab", help="the local lab of namespaced Debian hosts")
    actions = lab.add_subparsers(dest="lab_command", required=True, metavar="ACTION")
    up = actions.add_parser("up", help="build (once) and start lab hosts")
    up.add_argument("--hosts", type=int, default=3, help="number of hosts (default 3)")
    up.add_argument("--release", default="bookworm", choices=RELEASES)
    up.add_argument(
        "--flavours",
        help="comma-separated flavours to cycle through (default weak,partial,hardened)",
    )
    up.add_argument("--inventory", type=Path, help="where to write the inventory")
    up.add_argument("--reuse", action="store_true",
                    help="keep the lab when it is up as asked with every host answering; "
                    "restart it when hosts are gone (what `make demo` runs)")
    status = actions.add_parser("status", help="list lab hosts")
    down = actions.add_parser("down", help="stop and remove every lab host")
    demo = actions.add_parser(
        "demo-repo", help="serve the lab's signed apt repository to its hosts, with the "
        "vulnerable assessor-demo installed (the advisory demo)")
    demo.add_argument("--own-packages", action="store_true",
                      help="also offer the hosts' own packages at their installed versions "
                      "(restore reinstalls tampered ones from it)")
    for sub in (up, status, down, demo):
        sub.add_argument("--name", default="demo", help="lab name (default demo)")
    add_format(status)


def run(args: argparse.Namespace, console: Console) -> int:
    def say(message: str) -> None:
        console.print(message, markup=False, soft_wrap=True)

    if args.lab_command == "up":
        if args.reuse and reuse_running(args, say):
            return 0
        fleet.up(args.name, args.hosts, args.release, args.flavours, args.inventory, say)
    elif args.lab_command == "down":
        fleet.down(args.name, say)
    elif args.lab_command == "demo-repo":
        fleet.serve_demo_repo(args.name, say, own_packages=args.own_packages)
    else:
        show_status(args.name, console, args.format)
    return 0


def reuse_running(args: argparse.Namespace, say: fleet.Say) -> bool:
    """True when the running lab is kept; after a RESTART verdict the old one is down."""
    state, rows = fleet.status(args.name)
    seen = [reuse.Seen(r.name, r.running, r.ssh) for r in rows]
    verdict, why = reuse.plan(state, seen, count=args.hosts, release=args.release,
                              flavours=parse_flavours(args.flavours, load_flavours()),
                              inventory=args.inventory)
    if verdict == reuse.REUSE and state is not None:
        say(f"lab {args.name!r} is up ({why}): reusing it; inventory {state.inventory}")
        return True
    if verdict == reuse.RESTART:
        say(f"lab {args.name!r} restarts: {why}")
        fleet.down(args.name, say)
    return False


def show_status(name: str, console: Console, fmt: str | None = None) -> None:
    state, rows = fleet.status(name)
    if state is None:
        note(console, fmt, f"lab {name!r} is not up")
        return
    listing = Listing(f"lab {state.name} · {state.release} · {state.subnet}",
                      [Column("host", key=True), Column("flavour"), Column("address", key=True),
                       Column("running"), Column("ssh"), Column("boots", right=True),
                       Column("booted")])
    for row in rows:
        booted = time.strftime("%H:%M:%S", time.localtime(row.booted_at)) \
            if row.booted_at else "-"
        listing.add(row.name, row.flavour, row.address, "yes" if row.running else "NO",
                    "yes" if row.ssh else "NO", str(row.boots), booted)
    emit(listing, console, fmt)
    note(console, fmt, f"inventory: {state.inventory}")
    machine = state.machine_profile
    shared = ", ".join(f"{k}={'absent' if v is None else v}" for k, v in machine.sysctl.items())
    note(console, fmt, f"shared with this machine (kernel {machine.kernel}): {shared}; "
         f"built in: {', '.join(machine.built_in) or 'none asked'}")
