"""One watch cycle: steps -> store -> drift -> conditions -> alerts -> spool -> metrics/board.

Everything a cycle learns is in the store before any notification leaves, and every
notification is in the spool before any sink is tried, so a crash loses nothing.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from assessor.errors import AssessorError
from assessor.results import HostResult, Status
from assessor.watch.alerts.model import Alert, Condition, reconcile
from assessor.watch.alerts.spool import FlushReport, Spool
from assessor.watch.config import WatchConfig
from assessor.watch.coverage import coverage_controls
from assessor.watch.drift import DriftItem, control_drift
from assessor.watch.heartbeats import WATCH_HOST, missed_hosts, stall
from assessor.watch.metrics import render, write_textfile
from assessor.watch.state import HostRecord, judge_state
from assessor.watch.steps import assess, expose, host_states, hunt, intel_pull
from assessor.watch.store.sql import Store


@dataclass(frozen=True)
class CycleReport:
    cycle: int
    duration: float
    results: list[HostResult]
    notified: list[str]
    flush: FlushReport
    notes: list[str]


# the alert kind each step's failing findings open
CONTROL, COVERAGE, HUNT, EXPOSURE = "control", "coverage", "hunt", "exposure"
SWEEP_SUMMARY = "hunt.files"  # failing whenever a hit is: the hits are the alerts


def failing_conditions(results: list[HostResult], config: WatchConfig,
                       kind: str = CONTROL) -> list[Condition]:
    """One condition per failing finding at or above the config's minimum severity."""
    return [
        Condition(r.name, kind, f.control_id, f.severity, f.title,
                  f"{f.reason} (expected {f.expected}; observed {f.observed})")
        for r in results if r.assessed for f in r.findings
        if f.status is Status.FAIL and f.severity.rank >= config.min_severity.rank
    ]


@dataclass
class Judged:
    """Per host, the alert kinds this cycle looked at: only those may resolve."""

    kinds: dict[str, set[str]] = field(default_factory=dict)

    def add(self, results: list[HostResult], kind: str) -> None:
        for r in results:
            if r.assessed:
                self.kinds.setdefault(r.name, set()).add(kind)

    def __call__(self, alert: Alert) -> bool:
        return alert.kind in ("heartbeat", "stall") or alert.kind in self.kinds.get(
            alert.host, set())


def run_cycle(config: WatchConfig, inventory: Path, out: Path, store: Store,
              previous_duration: float | None = None) -> CycleReport:
    began, now = time.monotonic(), datetime.now(UTC)
    cycle = store.begin_cycle(now.isoformat(timespec="seconds"))
    runs = out / "runs"
    notes: list[str] = []
    results: list[HostResult] = []
    conditions: list[Condition] = []
    drift: list[DriftItem] = []
    judged = Judged()
    if "intel-pull" in config.steps and (config.taxii or config.misp):
        try:
            notes += intel_pull(config.taxii, store, out / "intel", cycle, config.misp).notes
        except AssessorError as exc:  # the cycle goes on with what was pulled before
            notes.append(f"intel-pull failed: {exc.message}")
    if "assess" in config.steps:
        results = assess(inventory, runs, config.profile).results
        conditions += failing_conditions(results, config)
        judged.add(results, CONTROL)
        drift += [item for r in results
                  for item in control_drift(store.last_host_cycle(r.name, cycle), r)]
    if "drift" in config.steps or "coverage" in config.steps:
        coverage = coverage_controls(config.coverage) if "coverage" in config.steps else []
        found = host_states(inventory, runs, config.drift if "drift" in config.steps else {},
                            coverage)
        notes += found.notes
        conditions += failing_conditions(found.coverage, config, COVERAGE)
        judged.add(found.coverage, COVERAGE)
        for r in found.coverage:
            if r.assessed:
                store.set_meta(f"coverage:{r.name}", json.dumps(
                    [[f.control_id, f.status.value, f.observed] for f in r.findings]))
        if "drift" in config.steps:
            for host, state in sorted(found.states.items()):
                record = HostRecord.loads(store.get_meta(f"state:{host}"))
                judgement = judge_state(host, state, record)
                drift += judgement.drift
                conditions += judgement.conditions
                notes += judgement.notes
                judged.kinds.setdefault(host, set()).update(judgement.judged_kinds)
                store.set_meta(f"state:{host}", judgement.record.dumps())
        if not results:  # no assess step: the watch play is the heartbeat
            results = [HostResult(name, address, error="" if name in found.states else
                                  "no state from the watch play")
                       for name, address in sorted(found.addresses.items())]
    if "hunt" in config.steps:
        indicators = [*config.iocs, *sorted((out / "intel").glob("*.json"))]
        hunted = hunt(inventory, out / "hunt", config.hunt, indicators).results
        conditions += [c for c in failing_conditions(hunted, config, HUNT)
                       if c.subject != SWEEP_SUMMARY]
        judged.add(hunted, HUNT)
        results = results or hunted
    if "exposure" in config.steps:
        exposed = expose(inventory, runs, list(config.advisories)).results
        conditions += failing_conditions(exposed, config, EXPOSURE)
        judged.add(exposed, EXPOSURE)
    store.record_hosts(cycle, results)
    store.record_drift(cycle, [d.row() for d in drift])
    recent = {h: store.recent_assessed(h, config.heartbeat_misses) for h in store.hosts()}
    conditions += missed_hosts(recent, config.heartbeat_misses)
    if previous_duration is not None:
        conditions += stall(previous_duration, config.interval)
    saved, notifications = reconcile(store.alerts(), conditions, now, config.renotify_after,
                                     judged)
    store.save_alerts(saved)
    spool = Spool(config.spool)
    spool.enqueue(notifications, config.sinks)
    flush = spool.flush(config.sinks, store)
    duration = time.monotonic() - began
    overran = duration > config.interval
    store.finish_cycle(cycle, datetime.now(UTC).isoformat(timespec="seconds"), duration,
                       True, overran, "; ".join(notes))
    return CycleReport(cycle, duration, results, [n.key for n in notifications], flush, notes)


def write_metrics(path: Path, report: CycleReport, store: Store) -> None:
    write_textfile(path, render(report.results, store.open_alerts(), report.duration,
                                time.time()))


__all__ = ["WATCH_HOST", "CycleReport", "run_cycle", "write_metrics"]
