"""The one pipeline every command runs, in five steps:

  plan (pure)        which hosts, which playbook, which parameters
  runner             one playbook run (`assessor.runner`, the only module knowing Ansible)
  outcomes (typed)   per host what our modules returned; per task its result
  judge (pure)       evaluate · remediation compare · advisories
  results/reporters  `assessor.reports` registries write every file of the run directory

Each module here is one command's wiring of those steps, with options as a dataclass
(never argparse): `assessor/commands/*` parse arguments and call exactly one of them.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from assessor.inventory import load_inventory_vars
from assessor.nodes import Shard, plan_shards


@dataclass(frozen=True, kw_only=True)
class HostsOptions:
    """What every command that reaches hosts is told: which hosts, how many at once, and
    where its run directory goes."""

    inventory: Path
    out: Path
    limit: str | None = None
    forks: int = 20
    execution_nodes: tuple[str, ...] = ()  # inventory hosts that run Ansible for the others


def shards_for(options: HostsOptions, targets: Sequence[str]) -> list[Shard]:
    """The run's `targets` (the hosts the caller read with the limit) shared out over
    `options.execution_nodes`; none: the run stays here."""
    return node_shards(options.inventory, targets, options.execution_nodes)


def node_shards(inventory: Path, targets: Sequence[str], nodes: Sequence[str]) -> list[Shard]:
    """`targets` over `nodes`; one inventory listing without the limit gives every host's
    variables (the nodes are reached with theirs, and may be outside the limit)."""
    if not nodes:
        return []
    _, every = load_inventory_vars(inventory)
    worker_dir = f"/tmp/assessor-node-{secrets.token_hex(12)}"
    return plan_shards(list(targets), list(nodes), every, worker_dir)
