"""Scores of earlier runs in the same output directory, for the trend charts.

Each run directory sits beside the others (`<out>/<run-id>/results.json`). Only scores are
kept; unreadable or foreign files are skipped, since a trend is a courtesy, not a verdict.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from assessor.results import RunResult

RESULTS_FILE = "results.json"
MAX_RUNS = 20


@dataclass(frozen=True)
class History:
    """Earlier runs, oldest first: the fleet score and each host's score."""

    runs: list[str] = field(default_factory=list)
    fleet: list[float | None] = field(default_factory=list)
    hosts: list[dict[str, float | None]] = field(default_factory=list)

    def fleet_trend(self, run_id: str, score: float | None) -> list[tuple[str, float | None]]:
        return [*zip(self.runs, self.fleet, strict=True), (run_id, score)]

    def host_trend(
        self, run_id: str, host: str, score: float | None
    ) -> list[tuple[str, float | None]]:
        earlier = [(r, scores.get(host)) for r, scores in zip(self.runs, self.hosts, strict=True)]
        return [*earlier, (run_id, score)]


def _summary(data: Any) -> tuple[str, str, float | None, dict[str, float | None]] | None:
    if not isinstance(data, dict) or not isinstance(data.get("hosts"), list):
        return None
    run_id, started = data.get("run_id"), data.get("started")
    if not isinstance(run_id, str) or not isinstance(started, str):
        return None
    hosts = {
        h["name"]: _number(h.get("score"))
        for h in data["hosts"]
        if isinstance(h, dict) and isinstance(h.get("name"), str)
    }
    return run_id, started, _number(data.get("score")), hosts


def _number(value: Any) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def earlier_runs(out_dir: Path, run: RunResult, limit: int = MAX_RUNS) -> History:
    """Runs beside `out_dir` that started before `run`, at most `limit`, oldest first."""
    parent = out_dir.resolve().parent
    found = []
    try:
        candidates = [p for p in parent.iterdir() if p.is_dir() and p != out_dir.resolve()]
    except OSError:
        return History()
    for candidate in candidates:
        path = candidate / RESULTS_FILE
        if not path.is_file():
            continue
        try:
            summary = _summary(json.loads(path.read_text(encoding="utf-8")))
        except (OSError, ValueError):
            continue
        if summary and summary[0] != run.run_id and summary[1] < run.started:
            found.append(summary)
    found.sort(key=lambda s: (s[1], s[0]))
    found = found[-limit:]
    return History(
        runs=[s[0] for s in found], fleet=[s[2] for s in found], hosts=[s[3] for s in found]
    )
