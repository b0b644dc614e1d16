"""`assessor watch`: the 24/7 loop (or one cycle with --once), and `watch install`."""

from __future__ import annotations

import argparse
import getpass
import shutil
import sys
from pathlib import Path
from typing import Any

from rich.console import Console

from assessor.errors import outcome_code
from assessor.watch.config import load_config
from assessor.watch.cycle import CycleReport
from assessor.watch.install import units, write_units
from assessor.watch.loop import watch


def add_parser(commands: Any) -> None:
    parser = commands.add_parser("watch", help="assess on a schedule; drift, alerts, sinks")
    parser.add_argument("action", nargs="?", choices=["run", "install"], default="run")
    parser.add_argument("-i", "--inventory", type=Path, required=True, help="Ansible inventory")
    parser.add_argument("--config", type=Path, required=True, help="watch.yml")
    parser.add_argument("--out", type=Path, default=Path("watch-out"), help="output directory")
    parser.add_argument("--once", action="store_true", help="one cycle (cron, timers, AWX)")
    parser.add_argument("--metrics-textfile", type=Path,
                        help="Prometheus textfile to write each cycle (node_exporter format)")
    parser.add_argument("--units-dir", type=Path, default=Path("."),
                        help="where `install` writes the systemd units")
    parser.add_argument("--user", default=getpass.getuser(), help="user the service runs as")


def run(args: argparse.Namespace, console: Console) -> int:
    config = load_config(args.config)
    if args.action == "install":
        exe = shutil.which("assessor") or str(Path(sys.executable).parent / "assessor")
        written = write_units(args.units_dir, units(exe, args.inventory, args.config,
                                                    args.out, int(config.interval), args.user))
        for path in written:
            console.print(f"wrote {path}", markup=False)
        return 0

    missed: list[str] = []  # hosts the last cycle could not assess: exit 3 with --once

    def on_cycle(report: CycleReport) -> None:
        missed[:] = [r.name for r in report.results if not r.assessed]
        up = sum(1 for r in report.results if r.assessed)
        console.print(f"cycle {report.cycle}: {up}/{len(report.results)} hosts assessed, "
                      f"{len(report.notified)} notifications, {report.duration:.1f}s; "
                      f"sent {report.flush.sent}, pending {report.flush.pending}",
                      markup=False)

    code = watch(config, args.inventory, args.out, once=args.once,
                 metrics=args.metrics_textfile, on_cycle=on_cycle)
    # findings reach people through the sinks (alerts), so they never set the code: it says
    # whether the cycle itself saw every host
    return outcome_code(some_host_missed=args.once and bool(missed),
                        something_to_act_on=False) or code
