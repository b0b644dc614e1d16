"""Quarantine the hunt's detections, and restore them from a run's manifest.

plan: the failing file detections of each host, and for restore every rule's hits as the
rule's `remove:` says (assessor.quarantine.candidates); runner:
playbooks/quarantine.yml, one module run per host that has items, in waves, check mode
for --check; judge: one finding per item; record: quarantine/manifest.json in the run
directory. Restore reads that manifest back, puts the bytes and metadata back on the
hosts through the same role and records every result in the manifest.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table
from rich.text import Text

from assessor.errors import ConfigError
from assessor.inventory import load_inventory
from assessor.quarantine import (
    Manifest,
    QuarantineItem,
    candidates,
    load_manifest,
    quarantine_findings,
    restorable,
    write_manifest,
)
from assessor.quarantine.manifest import record_restores
from assessor.reports.text import printable
from assessor.results import HostResult
from assessor.rundir import QUARANTINE, now, write_text
from assessor.runner import HostOutcome, run_playbook
from assessor.tools import playbook


@dataclass(frozen=True, kw_only=True)
class QuarantineOptions:
    """What `hunt --quarantine` adds: preview only, and whether to stop processes."""

    enabled: bool = False
    check: bool = False
    kill_processes: bool = False
    # also what every hunt rule found, as its `remove:` says (restore); else files only
    persistence: bool = False
    serial: str = "100%"
    max_fail_percentage: int = 100
    forks: int = 20


def encoded(items: Iterable[Mapping[str, Any]]) -> str:
    """Host-supplied paths travel as base64 JSON: Ansible never templates them."""
    return base64.b64encode(json.dumps(list(items)).encode()).decode()


def run_items(
    action: str, items: Sequence[Mapping[str, Any]], run_id: str, inventory: Path,
    work_dir: Path, options: QuarantineOptions,
) -> list[dict[str, Any]]:
    """One playbook run over the hosts that have items; every item gets a result."""
    by_host: dict[str, list[Mapping[str, Any]]] = {}
    for item in items:
        by_host.setdefault(str(item["host"]), []).append(
            {k: v for k, v in item.items() if k != "host"})
    outcomes: dict[str, HostOutcome] = {}

    def on_host(name: str, outcome: HostOutcome) -> None:
        if "quarantine" in outcome.result or not outcome.ok:
            outcomes[name] = outcome

    run_playbook(
        playbook("quarantine.yml"), inventory, work_dir, limit=",".join(sorted(by_host)),
        forks=options.forks, on_host=on_host,
        extravars={
            "quarantine_action": action, "quarantine_run_id": run_id,
            "quarantine_items": {h: encoded(i) for h, i in by_host.items()},
            "quarantine_kill_processes": options.kill_processes,
            "assessor_check": options.check, "assessor_serial": options.serial,
            "assessor_max_fail_percentage": options.max_fail_percentage,
        },
    )
    results: list[dict[str, Any]] = []
    for host, host_items in sorted(by_host.items()):
        outcome = outcomes.get(host)
        done = outcome.result.get("quarantine", {}).get("items", []) if outcome else []
        reported = {str(d.get("id")): d for d in done if isinstance(d, Mapping)}
        why = outcome.message if outcome and not outcome.ok else "no result from Ansible"
        for item in host_items:
            got = reported.get(str(item["id"]))
            results.append({**item, "host": host, **(got or {"status": "error",
                                                              "reason": why})})
    return results


def quarantine_hosts(
    results: list[HostResult], run_id: str, inventory: Path, run_dir: Path,
    options: QuarantineOptions, console: Console,
) -> list[HostResult]:
    """Move every host's detections into its vault (or show what would move); with
    `persistence`, remove what the hunt rules found too (units, lines, processes...)."""
    items: list[QuarantineItem] = [i for r in results
                                   for i in candidates(r, None if options.persistence else {})]
    if not items:
        write_manifest(run_dir, Manifest(run_id=run_id, check=options.check))
        return results
    console.print(("showing what would move (--check)…" if options.check else
                   f"quarantining {len(items)} item(s)…"), markup=False)
    done = run_items("quarantine", [{"host": i.host, **i.for_host()} for i in items],
                     run_id, inventory, run_dir / QUARANTINE / "ansible", options)
    for record in done:
        record.setdefault("history", []).append(
            {"at": now(), "action": "quarantine", "status": record["status"],
             "check": options.check})
    write_manifest(run_dir, Manifest(run_id=run_id, check=options.check, items=done))
    console.print(items_table("Quarantine" + (" (check: nothing moved)" if options.check
                                              else ""), done))
    per_host: dict[str, list[dict[str, Any]]] = {}
    for record in done:
        per_host.setdefault(record["host"], []).append(record)
    return [replace(r, findings=[*r.findings, *quarantine_findings(per_host.get(r.name, []))])
            for r in results]


def items_table(title: str, done: Iterable[Mapping[str, Any]]) -> Table:
    """What happened to each item, host data made printable (no terminal escapes)."""
    table = Table(title=title)
    columns = ("host", "id", "action", "status", "path", "reason")
    for column in columns:
        table.add_column(column, overflow="fold")
    for item in done:
        table.add_row(*(Text(printable(str(item.get(c, "") or ("file" if c == "action"
                                                               else "")))) for c in columns))
    return table


@dataclass(frozen=True, kw_only=True)
class RestoreOptions:
    run_dir: Path
    inventory: Path | None = None
    limit: str | None = None
    ids: tuple[str, ...] = ()
    check: bool = False
    forks: int = 20
    serial: str = "100%"
    max_fail_percentage: int = 100


def recorded_inventory(run_dir: Path) -> Path:
    try:
        data = json.loads((run_dir / "results.json").read_text(encoding="utf-8"))
        return Path(str(data["inventory"]))
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ConfigError(f"{run_dir}/results.json: no inventory recorded; give -i "
                          f"({exc})") from exc


def restore(options: RestoreOptions, console: Console) -> list[dict[str, Any]]:
    """Put the vault's items back on their hosts; every result lands in the manifest."""
    manifest = load_manifest(options.run_dir)
    inventory = options.inventory or recorded_inventory(options.run_dir)
    hosts = ([h.name for h in load_inventory(inventory, options.limit)]
             if options.limit else None)
    items = restorable(manifest, hosts, options.ids)
    if not items:
        console.print("nothing to restore (no moved item matches)", markup=False)
        return []
    wanted = ("id", "host", "path", "sha256")
    stamp = now().replace(":", "")
    done = run_items(
        "restore", [{k: i[k] for k in wanted} for i in items], manifest.run_id, inventory,
        options.run_dir / QUARANTINE / f"ansible-restore-{stamp}",
        QuarantineOptions(check=options.check, forks=options.forks, serial=options.serial,
                          max_fail_percentage=options.max_fail_percentage),
    )
    write_text(options.run_dir / QUARANTINE / f"restore-{stamp}.json",
               json.dumps({"check": options.check, "items": done}, indent=1) + "\n")
    record_restores(manifest, done, options.check)
    write_manifest(options.run_dir, manifest)
    return done
