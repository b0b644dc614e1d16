"""The Prometheus textfile (node_exporter's textfile collector format), written atomically.

So existing monitoring can watch the watcher: hosts up, failing findings by severity, open
alerts, cycle duration and the last successful cycle's time.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from pathlib import Path

from assessor.results import HostResult, Severity, Status
from assessor.rundir import write_text
from assessor.watch.alerts.model import Alert


def render(results: Iterable[HostResult], open_alerts: Iterable[Alert], duration: float,
           last_success: float) -> str:
    hosts = list(results)
    failing = Counter(f.severity.value for h in hosts for f in h.findings
                      if f.status is Status.FAIL)
    alerts = Counter(a.severity.value for a in open_alerts)
    lines = [
        "# HELP assessor_watch_hosts_up Hosts assessed in the last cycle.",
        "# TYPE assessor_watch_hosts_up gauge",
        f"assessor_watch_hosts_up {sum(1 for h in hosts if h.assessed)}",
        "# HELP assessor_watch_hosts Hosts in the inventory in the last cycle.",
        "# TYPE assessor_watch_hosts gauge",
        f"assessor_watch_hosts {len(hosts)}",
        "# HELP assessor_watch_findings Failing findings in the last cycle, by severity.",
        "# TYPE assessor_watch_findings gauge",
        *(f'assessor_watch_findings{{severity="{s.value}"}} {failing.get(s.value, 0)}'
          for s in Severity),
        "# HELP assessor_watch_open_alerts Open alerts, by severity.",
        "# TYPE assessor_watch_open_alerts gauge",
        *(f'assessor_watch_open_alerts{{severity="{s.value}"}} {alerts.get(s.value, 0)}'
          for s in Severity),
        "# HELP assessor_watch_cycle_duration_seconds How long the last cycle took.",
        "# TYPE assessor_watch_cycle_duration_seconds gauge",
        f"assessor_watch_cycle_duration_seconds {duration:.3f}",
        "# HELP assessor_watch_last_success_timestamp_seconds When a cycle last succeeded.",
        "# TYPE assessor_watch_last_success_timestamp_seconds gauge",
        f"assessor_watch_last_success_timestamp_seconds {last_success:.0f}",
    ]
    return "\n".join(lines) + "\n"


def write_textfile(path: Path, text: str) -> None:
    """node_exporter reads *.prom files: the rename keeps it from reading half of one."""
    write_text(path, text)
