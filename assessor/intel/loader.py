"""Read indicator sources from files and directories; the format is told by the content.

A JSON file is a STIX 2.1 bundle or MISP events (one export, or a list as restSearch
returns them); a directory with manifest.json is a MISP
feed, any other directory is read file by file (*.json, *.csv, *.txt, sorted); anything
else is a CSV or a plain list. One unreadable source stops the load: hunting on half a
CERT warning would report hosts clean that are not.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path

from assessor.intel import csvlist, misp, stix
from assessor.intel.allowlist import Warninglist
from assessor.intel.jsondoc import read_json
from assessor.intel.merge import select
from assessor.intel.model import Intake, IntelError

SUFFIXES = (".json", ".csv", ".txt")


def load_intel(
    paths: Iterable[Path],
    now: datetime | None = None,
    min_confidence: int | None = None,
    allowlists: Iterable[Warninglist] = (),
) -> Intake:
    """Every usable indicator of `paths`, de-duplicated, and what was left out and why."""
    intake = Intake.joined(read_source(path) for path in paths)
    return select(intake, now or datetime.now(UTC), min_confidence, allowlists)


def read_source(path: Path) -> Intake:
    if path.is_dir():
        if (path / "manifest.json").is_file():
            return misp.parse_feed(path)
        files = sorted(p for p in path.rglob("*") if p.is_file() and p.suffix in SUFFIXES)
        if not files:
            raise IntelError(path, "", "directory holds no *.json, *.csv or *.txt file")
        return Intake.joined(read_file(file) for file in files)
    if not path.is_file():
        raise IntelError(path, "", "no such file or directory")
    return read_file(path)


def read_file(path: Path) -> Intake:
    if path.suffix != ".json":
        return csvlist.parse_list(path)
    document = read_json(path)
    if stix.looks_like(document):
        return stix.parse_bundle(document, path)
    if misp.looks_like(document):
        return misp.parse_document(document, path)
    raise IntelError(path, "(top level)", "neither a STIX 2.1 bundle (\"type\": \"bundle\") nor "
                     "a MISP event ({\"Event\": …})")
