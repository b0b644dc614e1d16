"""rollback.json: per host what the restore module did, and the hosts that failed."""

from __future__ import annotations

import json
from pathlib import Path

from assessor.remediation.record import RollbackRecord
from assessor.rundir import write_text

RESULT_FILE = "rollback.json"


def write(record: RollbackRecord, run_dir: Path) -> list[Path]:
    path = run_dir / RESULT_FILE
    write_text(path, json.dumps({"hosts": record.hosts, "failures": record.failures},
                                indent=1, sort_keys=True))
    return [path]
