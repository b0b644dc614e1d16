"""Quarantine with proof: which detections move, the run's manifest, and its findings.

Controller-only data and logic; roles/quarantine moves (and restores) the files on hosts.
"""

from assessor.quarantine.items import QuarantineItem, candidates, item_id
from assessor.quarantine.judge import quarantine_findings
from assessor.quarantine.manifest import (
    COLUMNS,
    Manifest,
    list_rows,
    load_manifest,
    restorable,
    write_manifest,
)

__all__ = [
    "COLUMNS",
    "Manifest",
    "QuarantineItem",
    "candidates",
    "item_id",
    "list_rows",
    "load_manifest",
    "quarantine_findings",
    "restorable",
    "write_manifest",
]
