"""What the operator sees: live progress while hosts finish, then one summary table.

Host-supplied strings pass through `printable` and rich Text (never markup), so a
hostname cannot move the cursor or restyle the terminal.
"""

from __future__ import annotations

from rich.console import Console, ConsoleOptions, RenderResult
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


COLUMNS = ("Host", "Advisory", "Status", "Installed", "Fixed in", "Why")


def exposure_rows(run: RunResult) -> list[tuple[Text, ...]]:
    """Per host and advisory: status, installed and fixed versions, why (hostile text inert)."""
    rows: list[tuple[Text, ...]] = []
    for host in run.hosts:
        if not host.assessed:
            rows.append((Text(printable(host.name)), Text(""), Text("error", style="magenta"),
                         Text(""), Text(""), Text(printable(host.error))))
            continue
        for f in host.findings:
            if f.status is Status.NOTAPPLICABLE:
                continue
            rows.append((Text(printable(host.name)), Text(printable(f.control_id)),
                         Text(f.status.value, style=STYLES.get(f.status, "")),
                         Text(printable(f.observed)), Text(printable(f.expected)),
                         Text(printable(f.reason))))
    return rows


class ExposureSummary:
    """The exposure summary, never cutting a version, host or id at any terminal width.

    A table where its columns fit (each at least as wide as its longest word: a version,
    a host name), else one block per finding, whose lines wrap between words.
    """

    def __init__(self, run: RunResult) -> None:
        self.run = run
        self.rows = exposure_rows(run)

    def needed_width(self) -> int:
        widest = [max((len(w) for row in self.rows for w in row[i].plain.split()),
                      default=0) for i in range(len(COLUMNS))]
        return sum(max(w, len(c), 8 if c == "Why" else 0) for w, c in zip(widest, COLUMNS,
                                                                        strict=True)) \
            + 3 * len(COLUMNS) + 1

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        if self.needed_width() <= options.max_width:
            yield self.table()
            return
        yield Text(f"{self.run.profile} {self.run.run_id}", style="italic")
        for row in self.rows:
            head = Text.assemble(row[0], "  ", row[1], "  ", row[2])
            yield head
            for label, cell in zip(COLUMNS[3:], row[3:], strict=True):
                if cell.plain:
                    yield Text.assemble(f"  {label.lower()}: ", cell)

    def table(self) -> Table:
        table = Table(title=f"{self.run.profile} {self.run.run_id}")
        for column in COLUMNS:
            words = [w for row in self.rows for w in row[COLUMNS.index(column)].plain.split()]
            widest = max((len(w) for w in words), default=0)
            table.add_column(column, overflow="fold", min_width=min(widest, 40) or None,
                             ratio=1 if column == "Why" else None)
        for row in self.rows:
            table.add_row(*row)
        return table


def exposure_table(run: RunResult) -> ExposureSummary:
    """Per host and advisory: status, installed and fixed versions, why."""
    return ExposureSummary(run)
