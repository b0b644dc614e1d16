"""Reporters behind one interface: each turns a RunResult into files in the run directory.

Adding a format is one module and one entry in REPORTERS. Reporters never reach a host:
`assessor report RUN_DIR` renders them all again from results.json.
"""

from __future__ import annotations

from pathlib import Path
from typing import Protocol

from assessor.reports import html, json_report, junit
from assessor.reports.paths import host_dir
from assessor.results import RunResult

__all__ = ["REPORTERS", "Reporter", "host_dir", "write_all"]


class Reporter(Protocol):
    def __call__(self, run: RunResult, out_dir: Path) -> list[Path]: ...


REPORTERS: dict[str, Reporter] = {
    "json": json_report.write,
    "junit": junit.write,
    "html": html.write,
}


def write_all(run: RunResult, out_dir: Path, skip: tuple[str, ...] = ()) -> list[Path]:
    """Every report; `skip` leaves some out (re-rendering keeps the results.json it read)."""
    written: list[Path] = []
    for name, reporter in REPORTERS.items():
        if name not in skip:
            written += reporter(run, out_dir)
    return written
