"""What the operator sees: live progress while hosts finish, then one summary table.

Host-supplied strings pass through `printable` and rich Text (never markup), so a
hostname cannot move the cursor or restyle the terminal.
"""

from __future__ import annotations

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from rich.text import Text

from assessor.reports.text import printable
from assessor.results import RunResult, Severity, Status


def progress(console: Console) -> Progress:
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[failures]}"),
        TimeElapsedColumn(),
        console=console,
        transient=False,
    )


def summary_table(run: RunResult, fail_on: Severity) -> Table:
    fleet = "" if run.score is None else f" · fleet score {run.score:.1f}%"
    table = Table(title=f"Assessment {run.run_id} · profile {run.profile}{fleet}")
    table.add_column("Host")
    table.add_column("score", justify="right")
    for status in Status:
        table.add_column(status.value, justify="right")
    table.add_column(f"fail ≥ {fail_on.value}", justify="right")
    for host in run.hosts:
        name = Text(printable(host.name))
        if not host.assessed:
            reason = "could not be assessed: " + printable(host.error)
            table.add_row(name, Text("-"), Text(reason, style="red"))
            continue
        counts = host.counts()
        gating = len(host.failures_at_or_above(fail_on))
        score = "-" if host.score is None else f"{host.score:.0f}%"
        table.add_row(
            name,
            Text(score),
            *(Text(str(counts[s.value])) for s in Status),
            Text(str(gating), style="red" if gating else "green"),
        )
    return table


STYLES = {Status.FAIL: "red", Status.ERROR: "magenta", Status.PASS: "green"}


def exposure_table(run: RunResult) -> Table:
    """Per host and advisory: status, installed and fixed versions, why."""
    table = Table(title=f"{run.profile} {run.run_id}")
    for column in ("Host", "Advisory", "Status", "Installed", "Fixed in", "Why"):
        table.add_column(column)
    for host in run.hosts:
        if not host.assessed:
            table.add_row(Text(printable(host.name)), "", Text("error", style="magenta"),
                          "", "", Text(printable(host.error)))
            continue
        for f in host.findings:
            if f.status is Status.NOTAPPLICABLE:
                continue
            table.add_row(
                Text(printable(host.name)), Text(printable(f.control_id)),
                Text(f.status.value, style=STYLES.get(f.status, "")),
                Text(printable(f.observed)), Text(printable(f.expected)),
                Text(printable(f.reason)),
            )
    return table
