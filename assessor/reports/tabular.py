"""One way to print rows: a boxed table on a terminal, plain lines when piped, JSON or CSV.

A command declares a `Listing` (columns and rows of strings, plus the JSON it stands for)
and calls `emit`; it never builds a rich Table itself. The rules every command then keeps:

- `table` (the default on a terminal): key columns (host names, control ids) are never
  cut; other columns wrap between words. When the key columns cannot fit the terminal,
  each row becomes a block (its keys on one line, then `  column: value` lines), so a
  60-column terminal still shows every name whole.
- `plain` (the default when stdout is not a terminal): a header line, then one line per
  row, columns separated by tabs; no box drawing, no colour, no wrapping. Tabs and
  newlines inside a value become spaces, so `cut -f`, `awk -F'\\t'` and `grep` see one
  row per line.
- `json`: the listing's data (by default a list of objects keyed by column name), checked
  against its schema in assessor/schemas before anything is printed.
- `csv`: RFC 4180 through the csv module, header first.

Everything in a cell passes through `printable` first: host data cannot move the cursor.
Notes (report paths, totals) go to stdout only in `table` format; otherwise to stderr, so
stdout holds the data alone.
"""

from __future__ import annotations

import csv
import io
import json
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Any

from rich.console import Console, ConsoleOptions, RenderResult
from rich.table import Table
from rich.text import Text

from assessor import schemacheck
from assessor.reports.text import printable

FORMATS = ("table", "plain", "json", "csv")
LISTING_SCHEMA = "listing.schema.json"


@dataclass(frozen=True)
class Column:
    """`key`: never cut (a host name, a control id); `wide`: gets the spare width (a title);
    `short`: the header a table shows where the name is much wider than the values;
    `optional`: a table too narrow for every column leaves it out before it gives up."""

    name: str
    key: bool = False
    wide: bool = False
    right: bool = False
    short: str = ""
    optional: bool = False  # left out of a table too narrow for it (never of plain/csv/json)

    @property
    def header(self) -> str:
        return self.short or self.name


@dataclass
class Listing:
    """Rows to print; `styles` colour a cell in `table` format only (row, column) -> style."""

    title: str
    columns: Sequence[Column]
    rows: list[tuple[str, ...]] = field(default_factory=list)
    data: Any = None  # what --format json prints; None: the rows as objects
    schema: str = LISTING_SCHEMA
    styles: dict[tuple[int, int], str] = field(default_factory=dict)

    def add(self, *cells: str, style: dict[int, str] | None = None) -> None:
        if len(cells) != len(self.columns):
            raise ValueError(f"{self.title}: {len(cells)} cells for {len(self.columns)} columns")
        for column, value in (style or {}).items():
            if value:
                self.styles[(len(self.rows), column)] = value
        self.rows.append(tuple(printable(str(c)) for c in cells))

    def objects(self) -> list[dict[str, str]]:
        names = [c.name for c in self.columns]
        return [dict(zip(names, row, strict=True)) for row in self.rows]

    def json_data(self) -> Any:
        return self.objects() if self.data is None else self.data


def default_format(console: Console) -> str:
    """`table` for a person at a terminal, `plain` for a pipe or a file."""
    return "table" if console.is_terminal else "plain"


def emit(listing: Listing, console: Console, fmt: str | None = None) -> None:
    """Print `listing` to `console` in `fmt` (None: by whether stdout is a terminal)."""
    fmt = fmt or default_format(console)
    if fmt == "table":
        console.print(Fitted(listing))
    else:
        write_raw(console, render_text(listing, fmt))


def render_text(listing: Listing, fmt: str) -> str:
    """The listing as plain, json or csv text (ends with a newline)."""
    if fmt == "plain":
        lines = ["\t".join(c.name for c in listing.columns)]
        lines += ["\t".join(flat(cell) for cell in row) for row in listing.rows]
        return "\n".join(lines) + "\n"
    if fmt == "csv":
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow([c.name for c in listing.columns])
        writer.writerows(listing.rows)
        return buffer.getvalue()
    if fmt == "json":
        data = listing.json_data()
        check(data, listing.schema)
        return json.dumps(data, indent=2, ensure_ascii=False) + "\n"
    raise ValueError(f"unknown format {fmt!r}; choose from {', '.join(FORMATS)}")


def write_raw(console: Console, text: str) -> None:
    """Text exactly as given: no markup, no colour, no wrapping."""
    console.file.write(text)
    console.file.flush()


def note(console: Console, fmt: str | None, text: str) -> None:
    """A line for people (a report path, a total): stdout with a table, else stderr."""
    if (fmt or default_format(console)) == "table":
        console.print(Text(printable(text)), soft_wrap=True)
    else:
        Console(stderr=True, highlight=False).print(Text(printable(text)), soft_wrap=True)


def flat(cell: str) -> str:
    return " ".join(cell.replace("\t", " ").splitlines()) if cell else ""


@cache
def _schema(name: str) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(
        resources.files("assessor").joinpath(f"schemas/{name}").read_text())
    return loaded


def check(data: Any, schema: str) -> None:
    """Refuse (as a bug: it is our own data) JSON that departs from its published schema."""
    found = schemacheck.errors(_schema(schema), data)
    if found:
        raise found[0]  # jsonschema's ValidationError, as jsonschema.validate raises it


class Fitted:
    """The listing as a boxed table when its columns fit the width, else as a compact one
    (no box, two spaces between columns), else the same without its optional columns,
    else as blocks (every column, one `name: value` line each).

    Each column needs: a key column its longest value (never wrapped); any other column its
    longest word up to MAX_WORD (a version, an address: wrapped between words, not inside);
    a wide column (a title, a reason) only MIN_WIDE, since its words wrap. A column empty
    in every row is left out of the table (plain, csv and json keep every column).
    """

    MAX_WORD = 40
    MIN_WIDE = 12
    BOXED_PAD = 3  # per column: a space either side and a border
    COMPACT_PAD = 2  # per column: two spaces

    def __init__(self, listing: Listing) -> None:
        self.listing = listing
        rows = listing.rows
        self.shown = [i for i in range(len(listing.columns))
                      if not rows or any(row[i] for row in rows)]
        self.minimums = {i: self.minimum(i, listing.columns[i]) for i in self.shown}
        self.required = [i for i in self.shown if not listing.columns[i].optional]
        self.natural = {i: max([len(listing.columns[i].header)] + [
            len(line) for row in rows for line in row[i].splitlines()]) for i in self.shown}

    def minimum(self, index: int, column: Column) -> int:
        cells = [row[index] for row in self.listing.rows]
        if column.key:
            widest = max((len(line) for c in cells for line in c.splitlines()), default=0)
        else:
            words = max((len(w) for c in cells for w in c.split()), default=0)
            widest = min(words, self.MIN_WIDE if column.wide else self.MAX_WORD)
        return max(widest, len(column.header))

    def needed_width(self, pad: int = BOXED_PAD, columns: list[int] | None = None) -> int:
        return 1 + sum(self.minimums[i] + pad for i in columns or self.shown)

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        for columns in (self.shown, self.required):
            for boxed, pad in ((True, self.BOXED_PAD), (False, self.COMPACT_PAD)):
                if self.needed_width(pad, columns) <= options.max_width:
                    yield self.table(boxed, columns, options.max_width)
                    return
        yield from self.blocks()

    def widths(self, columns: list[int], pad: int, available: int) -> dict[int, int]:
        """Each column's minimum, then the spare width to the narrow columns up to their
        natural width, then to the wide ones: fixed widths, which rich never squeezes
        below what a column needs."""
        widths = {i: self.minimums[i] for i in columns}
        spare = available - self.needed_width(pad, columns)
        wide = [i for i in columns if self.listing.columns[i].wide]
        for i in [i for i in columns if i not in wide] + wide:
            grow = max(0, min(spare, self.natural[i] - widths[i]))
            widths[i] += grow
            spare -= grow
        return widths

    def table(self, boxed: bool, columns: list[int] | None = None,
              available: int = 80) -> Table:
        listing = self.listing
        title = Text(listing.title) if listing.title else None
        table = Table(title=title) if boxed else Table(
            title=title, box=None, padding=(0, 2, 0, 0), show_edge=False, pad_edge=False)
        columns = columns or self.shown
        widths = self.widths(columns, self.BOXED_PAD if boxed else self.COMPACT_PAD, available)
        for i in columns:
            column = listing.columns[i]
            table.add_column(column.header, width=widths[i], no_wrap=column.key,
                             overflow="ignore" if column.key else "fold",
                             justify="right" if column.right else "left")
        for r, row in enumerate(listing.rows):
            table.add_row(*(Text(row[c], style=listing.styles.get((r, c), ""))
                            for c in columns))
        return table

    def blocks(self) -> RenderResult:
        listing = self.listing
        if listing.title:
            yield Text(listing.title, style="italic")
        keys = [i for i, c in enumerate(listing.columns) if c.key] or [0]
        for r, row in enumerate(listing.rows):
            yield Text("  ").join(Text(row[i], style=listing.styles.get((r, i), ""))
                                  for i in keys)
            for i, column in enumerate(listing.columns):
                if i not in keys and row[i]:
                    yield Text.assemble(f"  {column.name}: ",
                                        Text(flat(row[i]), style=listing.styles.get((r, i), "")))


def status_console(console: Console) -> Console:
    """Where progress and step messages go: stderr when `console` is stdout, so stdout
    carries only the data (a test's or a caller's own console is kept as it is)."""
    if console.file is sys.stdout:
        return Console(stderr=True, highlight=False)
    return console
