"""Which files a hunt run flagged, per host, read defensively from its results.json.

The hunt is another command; its results are hostile input like any host data. Accepted:
`hosts[].name` with `findings[]` carrying an absolute `path` at the top level or in
`evidence` (a path, a dict with `path`, a list of them, or YAML text of such a dict, as
`assessor hunt` writes it). Anything else is skipped.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml

from assessor.errors import ConfigError

MAX_PATHS = 500


def _paths(value: Any) -> list[str]:
    if isinstance(value, str) and not value.startswith("/"):
        # the hunt's own results keep each hit's evidence as a YAML mapping in a string
        try:
            value = yaml.safe_load(value[:20000])
        except yaml.YAMLError:
            return []
        return _paths(value) if isinstance(value, dict) else []
    if isinstance(value, str):
        return [value] if "\0" not in value else []
    if isinstance(value, dict):
        return _paths(value.get("path"))
    if isinstance(value, list):
        return [p for v in value for p in _paths(v)]
    return []


def flagged_paths(run_dir: Path) -> dict[str, list[str]]:
    """Host name -> sorted flagged paths (at most MAX_PATHS each)."""
    path = run_dir / "results.json"
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise ConfigError(f"{path}: not a hunt run directory (no results.json)") from exc
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read hunt results: {exc}") from exc
    hosts = data.get("hosts") if isinstance(data, dict) else None
    if not isinstance(hosts, list):
        raise ConfigError(f"{path}: hunt results have no hosts list")
    flagged: dict[str, list[str]] = {}
    for host in hosts:
        if not isinstance(host, dict) or not isinstance(host.get("name"), str):
            continue
        found: set[str] = set()
        for finding in host.get("findings") or []:
            if isinstance(finding, dict) and finding.get("status", "fail") != "pass":
                found.update(_paths(finding.get("path")))
                found.update(_paths(finding.get("evidence")))
        flagged[host["name"]] = sorted(found)[:MAX_PATHS]
    return flagged
