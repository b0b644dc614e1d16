"""`assessor rollback RUN_DIR`: undo one harden run from the backups it left on each host.

Files come back byte for byte (and files the run created are deleted), live sysctl
values and unit enablement as they were; the affected services are reloaded after
validation. Removed packages cannot be restored byte for byte: they are listed with the
versions to reinstall. A file someone changed after the run is left alone (--force).
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table
from rich.text import Text

from assessor.atomic import write_text
from assessor.commands.harden import MANIFESTS
from assessor.commands.options import add_forks
from assessor.errors import ConfigError
from assessor.remediation.report import JSON_FILE
from assessor.runner import run_playbook
from assessor.tools import playbook

RESULT_FILE = "rollback.json"
RESTORE_TASK = "Restore every recorded path, sysctl value and unit as it was before the run"


def add_parser(commands: Any) -> None:
    parser = commands.add_parser("rollback", help="undo a harden run from its on-host backups")
    parser.add_argument("run_dir", type=Path, help="the harden run's directory")
    parser.add_argument("--limit", help="Ansible host pattern: only these hosts")
    parser.add_argument("-i", "--inventory", type=Path,
                        help="inventory (default: the one the harden run used)")
    parser.add_argument("--force", action="store_true",
                        help="also restore files changed by someone else since the run")
    add_forks(parser)


def load_record(run_dir: Path) -> dict[str, Any]:
    path = run_dir / JSON_FILE
    if not path.is_file():
        raise ConfigError(f"{run_dir}: no {JSON_FILE}; give the directory of a harden run")
    record: dict[str, Any] = json.loads(path.read_text())
    if record.get("check"):
        raise ConfigError(f"{run_dir}: a --check preview changed nothing; nothing to roll back")
    return record


def hosts_with_backups(run_dir: Path) -> list[str]:
    return sorted(p.stem for p in (run_dir / MANIFESTS).glob("*.json"))


def run(args: argparse.Namespace, console: Console) -> int:
    record = load_record(args.run_dir)
    hosts = hosts_with_backups(args.run_dir)
    if not hosts:
        raise ConfigError(f"{args.run_dir}: no host recorded backups in this run")
    inventory = args.inventory or Path(record["inventory"])
    limit = args.limit or ",".join(hosts)
    results: dict[str, dict[str, Any]] = {}
    failures: dict[str, str] = {}

    def on_event(event: Mapping[str, Any]) -> None:
        data = event.get("event_data") or {}
        host = str(data.get("host", ""))
        res = data.get("res") or {}
        kind = event.get("event")
        if data.get("task") == RESTORE_TASK and kind in ("runner_on_ok", "runner_on_failed"):
            results[host] = dict(res)
        if kind in ("runner_on_failed", "runner_on_unreachable") and not data.get("ignore_errors"):
            failures.setdefault(host, str(res.get("msg", "failed")))

    console.print(f"rolling back {record['run_id']} on {limit}", markup=False)
    run_playbook(
        playbook("rollback.yml"), inventory, args.run_dir / "rollback-ansible",
        extravars={"assessor_run_id": record["run_id"], "assessor_force": args.force},
        limit=limit, forks=args.forks, on_event=on_event,
    )
    write_text(args.run_dir / RESULT_FILE,
               json.dumps({"hosts": results, "failures": failures}, indent=1, sort_keys=True))
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
    conflicts = any(r.get("conflicts") for r in results.values())
    if failures:
        return 3
    return 1 if conflicts else 0


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
