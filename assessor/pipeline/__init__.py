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
from dataclasses import dataclass
from pathlib import Path

from assessor.inventory import host_variables
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


def shards_for(options: HostsOptions) -> list[Shard]:
    """The run shared out over `options.execution_nodes` (none: run here)."""
    if not options.execution_nodes:
        return []
    targets = host_variables(options.inventory, options.limit)
    every = host_variables(options.inventory)
    worker_dir = f"/tmp/assessor-node-{secrets.token_hex(12)}"
    return plan_shards(list(targets), list(options.execution_nodes), every, worker_dir)
