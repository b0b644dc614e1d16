"""One watch cycle: steps -> store -> drift -> conditions -> alerts -> spool -> metrics/board.

Everything a cycle learns is in the store before any notification leaves, and every
notification is in the spool before any sink is tried, so a crash loses nothing.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from assessor.results import HostResult, Status
from assessor.watch.alerts.model import Alert, Condition, reconcile
from assessor.watch.alerts.spool import FlushReport, Spool
from assessor.watch.config import WatchConfig
from assessor.watch.drift import control_drift
from assessor.watch.heartbeats import WATCH_HOST, missed_hosts, stall
from assessor.watch.metrics import render, write_textfile
from assessor.watch.steps import StepOutput, assess, intel_pull
from assessor.watch.store.sql import Store


@dataclass(frozen=True)
class CycleReport:
    cycle: int
    duration: float
    results: list[HostResult]
    notified: list[str]
    flush: FlushReport
    notes: list[str]


def failing_conditions(results: list[HostResult], config: WatchConfig) -> list[Condition]:
    return [
        Condition(r.name, "control", f.control_id, f.severity, f.title,
                  f"{f.reason} (expected {f.expected}; observed {f.observed})")
        for r in results if r.assessed for f in r.findings
        if f.status is Status.FAIL and f.severity.rank >= config.min_severity.rank
    ]


def run_cycle(config: WatchConfig, inventory: Path, out: Path, store: Store,
              previous_duration: float | None = None) -> CycleReport:
    began, now = time.monotonic(), datetime.now(UTC)
    cycle = store.begin_cycle(now.isoformat(timespec="seconds"))
    run_dir = out / "runs" / f"{cycle:06d}"
    output = StepOutput()
    for step in config.steps:
        if step == "assess":
            got = assess(inventory, out / "runs", config.profile)
            output.results += got.results
        elif step == "intel-pull" and config.taxii:
            output.notes += intel_pull(config.taxii, store, run_dir).notes
    results = output.results
    drift = [item for r in results
             for item in control_drift(store.last_host_cycle(r.name, cycle), r)]
    store.record_hosts(cycle, results)
    store.record_drift(cycle, [d.row() for d in drift])
    conditions = failing_conditions(results, config)
    recent = {h: store.recent_assessed(h, config.heartbeat_misses) for h in store.hosts()}
    conditions += missed_hosts(recent, config.heartbeat_misses)
    if previous_duration is not None:
        conditions += stall(previous_duration, config.interval)
    assessed = {r.name for r in results if r.assessed}

    def judged(alert: Alert) -> bool:
        return alert.kind in ("heartbeat", "stall") or alert.host in assessed

    saved, notes = reconcile(store.alerts(), conditions, now, config.renotify_after,
                             judged)
    store.save_alerts(saved)
    spool = Spool(config.spool)
    spool.enqueue(notes, config.sinks)
    flush = spool.flush(config.sinks, store)
    duration = time.monotonic() - began
    overran = duration > config.interval
    store.finish_cycle(cycle, datetime.now(UTC).isoformat(timespec="seconds"), duration,
                       True, overran, "; ".join(output.notes))
    return CycleReport(cycle, duration, results, [n.key for n in notes], flush, output.notes)


def write_metrics(path: Path, report: CycleReport, store: Store) -> None:
    write_textfile(path, render(report.results, store.open_alerts(), report.duration,
                                time.time()))


__all__ = ["WATCH_HOST", "CycleReport", "run_cycle", "write_metrics"]
