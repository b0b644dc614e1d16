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

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True, kw_only=True)
class HostsOptions:
    """What every command that reaches hosts is told: which hosts, how many at once, and
    where its run directory goes."""

    inventory: Path
    out: Path
    limit: str | None = None
    forks: int = 20
