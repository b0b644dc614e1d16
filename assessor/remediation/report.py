"""The harden run's record: harden.json, a plain harden.html and the terminal tables.

Host-supplied text (diffs, messages, reasons) is untrusted: the HTML template
autoescapes everything and the terminal gets rich Text, never markup.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from jinja2 import DictLoader, Environment, select_autoescape
from rich.table import Table
from rich.text import Text

from assessor.atomic import write_text
from assessor.remediation.beforeafter import HostComparison
from assessor.remediation.changes import Change, HostLog

JSON_FILE = "harden.json"
HTML_FILE = "harden.html"

TEMPLATE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<title>assessor harden {{ run.run_id }}</title>
<style>
body{font-family:sans-serif;margin:2em;max-width:80em}
table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:.3em .6em;
text-align:left;vertical-align:top}pre{background:#f6f6f6;padding:.5em;overflow:auto;margin:0}
.bad{color:#b00}.good{color:#070}
</style></head><body>
<h1>Harden run {{ run.run_id }}
{%- if run.check %} (preview: --check, nothing changed){% endif %}</h1>
<p>Profile {{ run.profile }} · {{ run.controls | length }} automated controls ·
{{ run.manual | length }} manual · started {{ run.started }} · finished {{ run.finished }}</p>
{% if run.stopped %}<p class="bad">The run stopped: too many hosts failed. Left untouched:
{{ run.untouched | join(", ") }}</p>{% endif %}
<table><tr><th>Host</th><th>State</th><th>Changes</th><th>Fixed</th><th>Still failing</th>
<th>Regressions</th><th>Message</th></tr>
{% for h in run.hosts %}<tr><td><a href="#{{ h.name }}">{{ h.name }}</a></td>
<td class="{{ 'good' if h.state in ('changed', 'unchanged') else 'bad' }}">{{ h.state }}</td>
<td>{{ h.changes | length }}</td>
<td>{{ h.comparison.fixed | length if h.comparison else "" }}</td>
<td>{{ h.comparison.still_failing | length if h.comparison else "" }}</td>
<td class="bad">{{ h.comparison.regressions | length if h.comparison else "" }}</td>
<td>{{ h.message }}{{ h.comparison.error if h.comparison else "" }}</td></tr>
{% endfor %}</table>
{% for h in run.hosts %}<h2 id="{{ h.name }}">{{ h.name }}: {{ h.state }}</h2>
{% if h.comparison %}
{% for title, rows in [("Fixed", h.comparison.fixed), ("Still failing", h.comparison.still_failing),
                       ("Regressions (newly failing)", h.comparison.regressions)] if rows %}
<h3>{{ title }}</h3><table><tr><th>Control</th><th>Before</th><th>After</th><th>Why</th></tr>
{% for r in rows %}<tr><td>{{ r.control }}</td><td>{{ r.before }}</td><td>{{ r.after }}</td>
<td>{{ r.reason }}</td></tr>{% endfor %}</table>{% endfor %}{% endif %}
{% if h.changes %}<h3>{{ "Would change" if run.check else "Changes" }}</h3>
<table><tr><th>Control</th><th>Task</th><th>Status</th><th>Change</th></tr>
{% for c in h.changes %}<tr><td>{{ c.control }}</td><td>{{ c.task }}</td><td>{{ c.status }}</td>
<td>{% if c.diff %}<pre>{{ c.diff }}</pre>{% endif %}{{ c.message }}</td></tr>{% endfor %}
</table>{% endif %}
{% endfor %}
</body></html>
"""


@dataclass
class HostRecord:
    name: str
    state: str
    message: str
    changes: list[Change]
    comparison: HostComparison | None = None
    manifest: dict[str, Any] = field(default_factory=dict)


@dataclass
class HardenRecord:
    run_id: str
    profile: str
    inventory: str
    check: bool
    started: str
    finished: str
    controls: list[str]
    manual: list[str]
    unavailable: list[str]
    serial: str
    max_fail_percentage: int
    stopped: bool
    untouched: list[str]
    hosts: list[HostRecord]

    @property
    def regressions(self) -> int:
        return sum(len(h.comparison.regressions) for h in self.hosts if h.comparison)


def host_record(log: HostLog, comparison: HostComparison | None = None) -> HostRecord:
    return HostRecord(log.name, log.state, log.message, list(log.changes), comparison,
                      log.manifest)


def write_record(record: HardenRecord, run_dir: Path) -> None:
    write_text(run_dir / JSON_FILE, json.dumps(asdict(record), indent=1, sort_keys=True))
    env = Environment(loader=DictLoader({"harden": TEMPLATE}),
                      autoescape=select_autoescape(default=True, default_for_string=True))
    write_text(run_dir / HTML_FILE, env.get_template("harden").render(run=record))


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
