"""What the operator sees: live progress on stderr while hosts finish, then one summary.

The summaries are `Listing`s (assessor.reports.tabular): a table on a terminal, plain
lines when piped, or --format json|csv; host-supplied strings pass through `printable`
and rich Text (never markup), so a hostname cannot move the cursor or restyle the terminal.
"""

from __future__ import annotations

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from assessor.reports.json_report import SUMMARY_SCHEMA, summary
from assessor.reports.tabular import Column, Listing, status_console
from assessor.results import RunResult, Severity, Status


def progress(console: Console) -> Progress:
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[failures]}"),
        TimeElapsedColumn(),
        console=status_console(console),
        transient=False,
    )


SHORT = {Status.NOTAPPLICABLE: "n/a"}  # table headers only: plain and csv say it whole


def summary_listing(run: RunResult, fail_on: Severity) -> Listing:
    """Per host: score and counts by status; `--format json` gives json_report.summary."""
    fleet = "" if run.score is None else f" · fleet score {run.score:.1f}%"
    gate = f"fail>={fail_on.value}"
    columns = [Column("host", key=True), Column("score", right=True),
               *(Column(s.value, right=True, short=SHORT.get(s, "")) for s in Status),
               Column(gate, right=True, short=f"≥{fail_on.value}"),
               Column("why", wide=True)]
    listing = Listing(f"Assessment {run.run_id} · profile {run.profile}{fleet}", columns,
                      data=summary(run, fail_on), schema=SUMMARY_SCHEMA)
    for host in run.hosts:
        if not host.assessed:
            listing.add(host.name, "-", *("" for _ in Status), "",
                        "could not be assessed: " + host.error, style={len(columns) - 1: "red"})
            continue
        counts = host.counts()
        gating = len(host.failures_at_or_above(fail_on))
        score = "-" if host.score is None else f"{host.score:.0f}%"
        listing.add(host.name, score, *(str(counts[s.value]) for s in Status), str(gating), "",
                    style={len(columns) - 2: "red" if gating else "green"})
    return listing


STYLES = {Status.FAIL: "red", Status.ERROR: "magenta", Status.PASS: "green"}


def exposure_listing(run: RunResult) -> Listing:
    """Per host and advisory: status, installed and fixed versions, why; json: the summary."""
    columns = [Column("host", key=True), Column("advisory", key=True), Column("status"),
               Column("installed"), Column("fixed in"), Column("why", wide=True)]
    listing = Listing(f"{run.profile} {run.run_id}", columns, data=summary(run, Severity.INFO),
                      schema=SUMMARY_SCHEMA)
    for host in run.hosts:
        if not host.assessed:
            listing.add(host.name, "", "error", "", "", host.error, style={2: "magenta"})
            continue
        for f in host.findings:
            if f.status is Status.NOTAPPLICABLE:
                continue
            listing.add(host.name, f.control_id, f.status.value, f.observed, f.expected,
                        f.reason, style={2: STYLES.get(f.status, "")})
    return listing
