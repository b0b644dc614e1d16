"""Rollback: undo one harden run from the backups it left on each host.

Files come back byte for byte (and files the run created are deleted), live sysctl
values and unit enablement as they were; the affected services are reloaded after
validation. A file someone changed after the run is left alone unless `force`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rich.console import Console

from assessor.errors import ConfigError
from assessor.inventory import load_inventory
from assessor.outcomes import TaskResult
from assessor.pipeline import node_shards
from assessor.remediation.record import RollbackRecord
from assessor.reports import ROLLBACK_REPORTERS, write_with
from assessor.reports.harden import read_json
from assessor.rundir import ROLLBACK_ANSIBLE, hosts_with_manifests
from assessor.runner import run_playbook
from assessor.tools import playbook

RESTORE_TASK = "Restore every recorded path, sysctl value and unit as it was before the run"


@dataclass(frozen=True)
class RollbackOptions:
    run_dir: Path
    inventory: Path | None = None  # default: the one the harden run used
    limit: str | None = None
    force: bool = False
    forks: int = 20
    execution_nodes: tuple[str, ...] = ()  # inventory hosts that run Ansible for the others


def load_record(run_dir: Path) -> dict[str, Any]:
    record = read_json(run_dir)
    if record.get("check"):
        raise ConfigError(f"{run_dir}: a --check preview changed nothing; nothing to roll back")
    return record


def rollback(options: RollbackOptions, console: Console) -> RollbackRecord:
    record = load_record(options.run_dir)
    hosts = hosts_with_manifests(options.run_dir)
    if not hosts:
        raise ConfigError(f"{options.run_dir}: no host recorded backups in this run")
    inventory = options.inventory or Path(record["inventory"])
    limit = options.limit or ",".join(hosts)
    console.print(f"rolling back {record['run_id']} on {limit}", markup=False)
    targets = ([h.name for h in load_inventory(inventory, limit)] if options.execution_nodes
               else [])
    ran = run_playbook(
        playbook("rollback.yml"), inventory, options.run_dir / ROLLBACK_ANSIBLE,
        extravars={"harden_common_run_id": record["run_id"], "assessor_force": options.force},
        limit=limit, forks=options.forks,
        shards=node_shards(inventory, targets, options.execution_nodes),
    )
    result = restored(ran.tasks)
    write_with(ROLLBACK_REPORTERS, result, options.run_dir)
    return result


def restored(tasks: list[TaskResult]) -> RollbackRecord:
    """Per host the restore module's result, and the first failure of each host."""
    results: dict[str, dict[str, Any]] = {}
    failures: dict[str, str] = {}
    for task in tasks:
        if task.item:
            continue
        if task.task == RESTORE_TASK and task.status in ("ok", "failed"):
            results[task.host] = dict(task.result)
        if task.failed:
            failures.setdefault(task.host, str(task.result.get("msg", "failed")))
    return RollbackRecord(results, failures)
