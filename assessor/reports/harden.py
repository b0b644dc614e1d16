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

from assessor.errors import ConfigError
from assessor.remediation.changes import Change
from assessor.remediation.record import HardenRecord
from assessor.reports.tabular import Column, Listing
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


def changes_listing(record: HardenRecord) -> Listing:
    """Per host, per control: what changed (or would change, with --check)."""
    verb = "would change" if record.check else "changed"
    listing = Listing(f"Harden {record.run_id}: {verb} per host and control",
                      [Column("host", key=True), Column("state"), Column("control", key=True),
                       Column("change", wide=True)],
                      data=summary(record), schema=SUMMARY_SCHEMA)
    for host in record.hosts:
        if not host.changes:
            listing.add(host.name, host.state, "", host.message or "no change")
        for change in host.changes:
            listing.add(host.name, host.state, change.control, short(change),
                        style={3: "red" if change.status == "failed" else ""})
    return listing


def short(change: Change) -> str:
    """The changed lines of a diff (no headers, no context), else the message."""
    lines = [line for line in change.diff.splitlines()
             if line[:1] in "+-" and not line.startswith(("+++", "---"))]
    text = "\n".join(lines[:8]) + (f"\n… {len(lines) - 8} more" if len(lines) > 8 else "")
    return text or change.message or change.task


def before_after_listing(record: HardenRecord) -> Listing:
    """Per host: fixed, still failing and regressed controls (ids whole, never cut)."""
    listing = Listing(f"Harden {record.run_id}: before / after",
                      [Column("host", key=True), Column("state"), Column("fixed", right=True),
                       Column("still failing", wide=True), Column("regressions"),
                       Column("note")],
                      data=summary(record), schema=SUMMARY_SCHEMA)
    for host in record.hosts:
        comparison = host.comparison
        if comparison is None:
            listing.add(host.name, host.state, "", "", "", host.message)
            continue
        still = " ".join(r.control for r in comparison.still_failing)
        regressions = " ".join(r.control for r in comparison.regressions)
        listing.add(host.name, host.state, str(len(comparison.fixed)),
                    f"{len(comparison.still_failing)} {still}".strip(), regressions or "0",
                    comparison.error or host.message,
                    style={2: "green", 4: "red" if regressions else "green"})
    return listing


SUMMARY_SCHEMA = "harden-summary.schema.json"


def summary(record: HardenRecord) -> dict[str, Any]:
    """harden.json without diffs and manifests: what `--format json` prints."""
    hosts: list[dict[str, Any]] = []
    for host in record.hosts:
        entry: dict[str, Any] = {
            "name": host.name, "state": host.state, "message": host.message,
            "changes": [{"control": c.control, "status": c.status} for c in host.changes],
        }
        if host.comparison:
            entry |= {
                "fixed": [r.control for r in host.comparison.fixed],
                "still_failing": [r.control for r in host.comparison.still_failing],
                "regressions": [r.control for r in host.comparison.regressions],
                "error": host.comparison.error,
            }
        hosts.append(entry)
    return {"run_id": record.run_id, "profile": record.profile, "check": record.check,
            "stopped": record.stopped, "untouched": list(record.untouched),
            "manual": list(record.manual), "regressions": record.regressions, "hosts": hosts}
