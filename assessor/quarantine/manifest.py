"""The run directory's record of every quarantined item, and the rows `quarantine list` shows.

One JSON file (quarantine/manifest.json, written atomically through assessor.rundir): per
item the host, path, SHA-256, detection, what happened (moved, would-move, refused...) and
why, the vault path and the sidecar the host wrote. Restores update the item's status and
append to its history, so the manifest is always the current truth about the vault.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from assessor.errors import ConfigError
from assessor.rundir import QUARANTINE, now, write_text

MANIFEST = "manifest.json"
COLUMNS = ("host", "id", "status", "path", "sha256", "detection", "reason")
RESTORABLE = ("moved", "restore-refused", "restore-error")


@dataclass
class Manifest:
    run_id: str
    check: bool
    items: list[dict[str, Any]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"run_id": self.run_id, "check": self.check, "items": self.items}


def manifest_file(run_dir: Path) -> Path:
    return run_dir / QUARANTINE / MANIFEST


def write_manifest(run_dir: Path, manifest: Manifest) -> Path:
    path = manifest_file(run_dir)
    write_text(path, json.dumps(manifest.to_dict(), indent=1, sort_keys=True) + "\n")
    return path


def load_manifest(run_dir: Path) -> Manifest:
    """The run's manifest; a run without one (or a damaged one) is exit 2 naming the file."""
    path = manifest_file(run_dir)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise ConfigError(f"{path}: no quarantine manifest (was the hunt run with "
                          "--quarantine?)") from exc
    except (OSError, ValueError) as exc:
        raise ConfigError(f"{path}: unreadable quarantine manifest: {exc}") from exc
    items = data.get("items") if isinstance(data, dict) else None
    if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
        raise ConfigError(f"{path}: a quarantine manifest holds an object with a list 'items'")
    for index, item in enumerate(items):
        missing = [k for k in ("host", "id", "path", "sha256", "status") if k not in item]
        if missing:
            raise ConfigError(f"{path}: items[{index}] lacks {', '.join(missing)}")
    return Manifest(run_id=str(data.get("run_id", run_dir.name)), check=bool(data.get("check")),
                    items=items)


def restorable(manifest: Manifest, hosts: Iterable[str] | None = None,
               ids: Sequence[str] = ()) -> list[dict[str, Any]]:
    """Items in the vault (moved, or a restore that did not finish), by host and id."""
    wanted_hosts = set(hosts) if hosts is not None else None
    unknown = set(ids) - {i["id"] for i in manifest.items}
    if unknown:
        raise ConfigError(f"no quarantined item with id {', '.join(sorted(unknown))}")
    return [i for i in manifest.items
            if i["status"] in RESTORABLE
            and (wanted_hosts is None or i["host"] in wanted_hosts)
            and (not ids or i["id"] in ids)]


def record_restores(manifest: Manifest, results: Iterable[dict[str, Any]], check: bool) -> None:
    """Each restore result into its item: status and a line of history (not for --check)."""
    if check:
        return
    by_key = {(i["host"], i["id"]): i for i in manifest.items}
    for result in results:
        item = by_key.get((result["host"], result["id"]))
        if item is None:
            continue
        status = result["status"]
        item["status"] = status if status in ("restored", "identical") else f"restore-{status}"
        item.setdefault("history", []).append(
            {"at": now(), "action": "restore", "status": status, "reason": result["reason"]})


def list_rows(manifest: Manifest) -> tuple[tuple[str, ...], list[tuple[str, ...]]]:
    """Plain columns and rows for `quarantine list` (any table/plain/json/csv printer)."""
    rows = [tuple(str(item.get(column, "")) for column in COLUMNS) for item in
            sorted(manifest.items, key=lambda i: (i["host"], i["path"]))]
    return COLUMNS, rows
