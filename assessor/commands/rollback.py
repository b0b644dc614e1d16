"""`assessor rollback RUN_DIR`: undo one harden run from the backups it left on each host.

Files come back byte for byte (and files the run created are deleted), live sysctl
values and unit enablement as they were; the affected services are reloaded after
validation. Removed packages cannot be restored byte for byte: they are listed with the
versions to reinstall. A file someone changed after the run is left alone (--force).
"""

from __future__ import annotations

import argparse
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table
from rich.text import Text

from assessor.commands.options import add_execution_nodes, add_forks
from assessor.pipeline.rollback import RollbackOptions, rollback
from assessor.reports.tabular import status_console


def add_parser(commands: Any) -> None:
    parser = commands.add_parser("rollback", help="undo a harden run from its on-host backups")
    parser.add_argument("run_dir", type=Path, help="the harden run's directory")
    parser.add_argument("--limit", help="Ansible host pattern: only these hosts")
    parser.add_argument("-i", "--inventory", type=Path,
                        help="inventory (default: the one the harden run used)")
    parser.add_argument("--force", action="store_true",
                        help="also restore files changed by someone else since the run")
    add_forks(parser)
    add_execution_nodes(parser)


def run(args: argparse.Namespace, console: Console) -> int:
    options = RollbackOptions(run_dir=args.run_dir, inventory=args.inventory,
                              limit=args.limit, force=args.force, forks=args.forks,
                              execution_nodes=args.execution_nodes)
    record = rollback(options, status_console(console))
    results, failures = record.hosts, record.failures
    console.print(table(results, failures))
    packages = {h: r.get("packages_not_restored", []) for h, r in results.items()}
    for host, removed in packages.items():
        if removed:
            wanted = " ".join(f"{p['name']}={p['version']}" for p in removed)
            console.print(f"{host}: packages removed by the run are not restored byte for byte; "
                          f"reinstall with: apt-get install {wanted}", markup=False)
    for host, res in results.items():  # harden_filesystem mounted what fstab now lacks
        if any(a.get("path") == "/etc/fstab" for a in res.get("actions", [])):
            console.print(f"{host}: /etc/fstab restored; the mounts the run made stay live "
                          "until the next boot", markup=False)
    return record.exit_code()


def table(results: Mapping[str, Mapping[str, Any]], failures: Mapping[str, str]) -> Table:
    out = Table(title="Rollback")
    for column in ("Host", "Restored", "Conflicts (left alone)", "Reloaded", "Error"):
        out.add_column(column)
    for host in sorted(set(results) | set(failures)):
        res = results.get(host, {})
        restored = "\n".join(f"{a['path']}: {a['action']}" for a in res.get("actions", []))
        conflicts = "\n".join(f"{c['path']}: {c['why']}" for c in res.get("conflicts", []))
        out.add_row(Text(host), Text(restored or "nothing to restore"), Text(conflicts),
                    Text(", ".join(res.get("reloads", []))),
                    Text(failures.get(host, ""), style="red"))
    return out
