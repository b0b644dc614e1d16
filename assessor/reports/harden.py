"""The harden run's reports: harden.json, a plain harden.html and the terminal tables.

Host-supplied text (diffs, messages, reasons) is untrusted: the HTML template
autoescapes everything and the terminal gets rich Text, never markup.
"""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path
from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape
from rich.table import Table
from rich.text import Text

from assessor.errors import ConfigError
from assessor.remediation.changes import Change
from assessor.remediation.record import HardenRecord
from assessor.rundir import write_text

JSON_FILE = "harden.json"
HTML_FILE = "harden.html"

_env = Environment(loader=PackageLoader("assessor.reports", "templates"),
                   autoescape=select_autoescape(default=True, default_for_string=True))


def write_json(record: HardenRecord, run_dir: Path) -> list[Path]:
    path = run_dir / JSON_FILE
    write_text(path, json.dumps(asdict(record), indent=1, sort_keys=True))
    return [path]


def write_html(record: HardenRecord, run_dir: Path) -> list[Path]:
    path = run_dir / HTML_FILE
    write_text(path, _env.get_template("harden.html.j2").render(run=record))
    return [path]


def read_json(run_dir: Path) -> dict[str, Any]:
    """A harden run's record as written, for rollback; refused when there is none."""
    path = run_dir / JSON_FILE
    if not path.is_file():
        raise ConfigError(f"{run_dir}: no {JSON_FILE}; give the directory of a harden run")
    record: dict[str, Any] = json.loads(path.read_text())
    return record


def changes_table(record: HardenRecord) -> Table:
    """Per host, per control: what changed (or would change, with --check)."""
    verb = "would change" if record.check else "changed"
    table = Table(title=f"Harden {record.run_id}: {verb} per host and control")
    for column in ("Host", "State", "Control", "Change"):
        table.add_column(column)
    for host in record.hosts:
        if not host.changes:
            table.add_row(Text(host.name), Text(host.state), Text(""),
                          Text(host.message or "no change"))
        for change in host.changes:
            style = "red" if change.status == "failed" else ""
            table.add_row(Text(host.name), Text(host.state), Text(change.control),
                          Text(short(change), style=style))
    return table


def short(change: Change) -> str:
    """The changed lines of a diff (no headers, no context), else the message."""
    lines = [line for line in change.diff.splitlines()
             if line[:1] in "+-" and not line.startswith(("+++", "---"))]
    text = "\n".join(lines[:8]) + (f"\n… {len(lines) - 8} more" if len(lines) > 8 else "")
    return text or change.message or change.task


def before_after_table(record: HardenRecord) -> Table:
    table = Table(title=f"Harden {record.run_id}: before / after")
    for column in ("Host", "State", "Fixed", "Still failing", "Regressions", "Note"):
        table.add_column(column)
    for host in record.hosts:
        comparison = host.comparison
        if comparison is None:
            table.add_row(Text(host.name), Text(host.state), "", "", "", Text(host.message))
            continue
        still = ", ".join(r.control for r in comparison.still_failing[:6])
        more = len(comparison.still_failing) - 6
        still += f" (+{more})" if more > 0 else ""
        regressions = ", ".join(r.control for r in comparison.regressions)
        table.add_row(
            Text(host.name), Text(host.state), Text(str(len(comparison.fixed)), style="green"),
            Text(f"{len(comparison.still_failing)} {still}".strip()),
            Text(regressions or "0", style="red" if regressions else "green"),
            Text(comparison.error or host.message),
        )
    return table
