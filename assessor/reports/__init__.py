"""Reporters behind one interface: each turns a command's result into files in a directory.

A registry per kind of result: every run's RunResult (json, junit, html), a harden
record, a rollback record, a patch run's evidence, a diff of two runs. Adding a format is
one module and one entry. Reporters never reach a host: `assessor report RUN_DIR`
renders the run's reports again from results.json.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Protocol, TypeVar

from assessor.advisories.patchrun import PatchEvidence
from assessor.remediation.record import HardenRecord, RollbackRecord
from assessor.reports import harden, html, json_report, junit, patch_evidence, rollback
from assessor.reports.diff import RunDiff
from assessor.results import RunResult
from assessor.rundir import host_dir

__all__ = [
    "DIFF_REPORTERS",
    "HARDEN_REPORTERS",
    "PATCH_REPORTERS",
    "REPORTERS",
    "ROLLBACK_REPORTERS",
    "Reporter",
    "host_dir",
    "write_all",
    "write_with",
]

T_contra = TypeVar("T_contra", contravariant=True)
T = TypeVar("T")


class Reporter(Protocol[T_contra]):
    def __call__(self, result: T_contra, out_dir: Path, /) -> list[Path]: ...


REPORTERS: dict[str, Reporter[RunResult]] = {
    "json": json_report.write,
    "junit": junit.write,
    "html": html.write,
}
HARDEN_REPORTERS: dict[str, Reporter[HardenRecord]] = {
    "json": harden.write_json,
    "html": harden.write_html,
}
ROLLBACK_REPORTERS: dict[str, Reporter[RollbackRecord]] = {"json": rollback.write}
PATCH_REPORTERS: dict[str, Reporter[list[PatchEvidence]]] = {"evidence": patch_evidence.write}
DIFF_REPORTERS: dict[str, Reporter[RunDiff]] = {"html": html.write_diff_page}


def write_with(
    reporters: Mapping[str, Reporter[T]], result: T, out_dir: Path, skip: tuple[str, ...] = ()
) -> list[Path]:
    """Every report of `reporters` for `result`; `skip` leaves some out by name."""
    written: list[Path] = []
    for name, reporter in reporters.items():
        if name not in skip:
            written += reporter(result, out_dir)
    return written


def write_all(run: RunResult, out_dir: Path, skip: tuple[str, ...] = ()) -> list[Path]:
    """Every report of a run; `skip` leaves some out (re-rendering keeps its results.json)."""
    return write_with(REPORTERS, run, out_dir, skip)
