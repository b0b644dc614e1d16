"""Hosts and groups as Ansible itself reads them (`ansible-inventory --list`), never our parser.

Ansible quietly skips an inventory it cannot parse; we make that fatal and turn its long
complaint into one line naming the file and line.
"""

from __future__ import annotations

import json
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

from assessor.errors import ConfigError
from assessor.tools import ansible_tool, tool_env

INVENTORY_TIMEOUT = 120
_ORIGIN = re.compile(r"Origin: (?P<file>/[^\s:<>]+):(?P<line>\d+)")
_CAUSE = re.compile(r"Failed to parse inventory with '(?:auto|yaml|ini)' plugin: (?P<why>.+)")


@dataclass(frozen=True)
class InventoryHost:
    name: str
    address: str
    groups: tuple[str, ...]


def load_inventory(path: Path, limit: str | None = None) -> list[InventoryHost]:
    return load_inventory_vars(path, limit)[0]


def load_inventory_vars(
    path: Path, limit: str | None = None
) -> tuple[list[InventoryHost], dict[str, dict[str, object]]]:
    """The hosts and, per host, its variables as Ansible merged them (for `doctor` and
    execution nodes, which connect the way Ansible would: ansible_user, ssh args...)."""
    if not path.exists():
        raise ConfigError(f"{path}: inventory file not found")
    command = [ansible_tool("ansible-inventory"), "-i", str(path), "--list"]
    if limit:
        command += ["--limit", limit]
    env = tool_env() | {
        "ANSIBLE_INVENTORY_UNPARSED_FAILED": "True",
        "ANSIBLE_INVENTORY_ANY_UNPARSED_IS_FAILED": "True",
        "ANSIBLE_NOCOLOR": "1",
    }
    try:
        proc = subprocess.run(
            command, capture_output=True, text=True, env=env, timeout=INVENTORY_TIMEOUT,
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        raise ConfigError(f"{path}: ansible-inventory took over {INVENTORY_TIMEOUT}s") from exc
    if proc.returncode != 0:
        raise ConfigError(describe_inventory_error(path, proc.stderr))
    listing = json.loads(proc.stdout)
    hosts = hosts_from_listing(listing)
    if not hosts:
        wanted = f" matching --limit {limit!r}" if limit else ""
        raise ConfigError(f"{path}: no hosts{wanted} in the inventory")
    meta = listing.get("_meta", {}) if isinstance(listing, dict) else {}
    hostvars = meta.get("hostvars", {}) if isinstance(meta, dict) else {}
    return hosts, {h.name: dict(hostvars.get(h.name, {})) for h in hosts}


def describe_inventory_error(path: Path, stderr: str) -> str:
    """One line out of ansible-inventory's multi-plugin complaint."""
    origin = _ORIGIN.search(stderr)
    causes = [m["why"].strip() for m in _CAUSE.finditer(stderr)]
    # The 'auto' plugin saying a plain YAML inventory is no plugin config hides the
    # 'yaml' plugin's real complaint, which comes next.
    useful = [c for c in causes if "no root 'plugin' key found" not in c] or causes
    where = f"{origin['file']}:{origin['line']}" if origin else str(path)
    if useful:
        return f"{where}: malformed inventory: {useful[0]}"
    errors = [line for line in stderr.splitlines() if line.startswith("[ERROR]")]
    detail = errors[-1].removeprefix("[ERROR]:").strip() if errors else stderr.strip()[-300:]
    return f"{where}: malformed inventory: {detail}"


def hosts_from_listing(listing: dict[str, object]) -> list[InventoryHost]:
    meta = listing.get("_meta", {})
    hostvars: dict[str, dict[str, object]] = (
        meta.get("hostvars", {}) if isinstance(meta, dict) else {}
    )
    membership: dict[str, list[str]] = {}

    def walk(group: str, trail: tuple[str, ...]) -> None:
        if group in trail:
            return
        entry = listing.get(group, {})
        if not isinstance(entry, dict):
            return
        for host in entry.get("hosts", []):
            membership.setdefault(host, [])
            membership[host].extend(g for g in (*trail, group) if g not in membership[host])
        for child in entry.get("children", []):
            walk(child, (*trail, group))

    walk("all", ())
    return [
        InventoryHost(
            name=name,
            address=str(hostvars.get(name, {}).get("ansible_host", name)),
            groups=tuple(g for g in groups if g not in ("all", "ungrouped")),
        )
        for name, groups in sorted(membership.items())
    ]
