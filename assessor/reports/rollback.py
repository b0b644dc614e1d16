"""rollback.json: per host what the restore module did, and the hosts that failed."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from assessor.rundir import write_text

RESULT_FILE = "rollback.json"


@dataclass(frozen=True)
class RollbackRecord:
    hosts: Mapping[str, Mapping[str, Any]]  # the restore module's result per host
    failures: Mapping[str, str]  # host -> why it failed or could not be reached


def write(record: RollbackRecord, run_dir: Path) -> list[Path]:
    path = run_dir / RESULT_FILE
    write_text(path, json.dumps({"hosts": record.hosts, "failures": record.failures},
                                indent=1, sort_keys=True))
    return [path]
