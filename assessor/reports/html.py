"""Per-host HTML reports, the fleet index and the diff page: self-contained, inert files.

Everything shown comes from the host and is untrusted, so autoescaping is on for every
template and no host value is marked safe; findings, the bulk of a page, are built by
`articles`, which escapes every value itself. Our own stylesheet and script are inserted
as markup, and the Content-Security-Policy allows exactly those two by hash: even a value
that slipped past escaping could not run.
"""

from __future__ import annotations

import base64
import hashlib
import os
from collections import Counter
from importlib import resources
from itertools import groupby
from pathlib import Path
from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup

from assessor.reports import charts, fleet
from assessor.reports.articles import articles, heat_rows, references, shown
from assessor.reports.diff import RunDiff
from assessor.reports.history import History, earlier_runs
from assessor.reports.junit import JUNIT_FILE
from assessor.reports.threats import threat_rows
from assessor.results import Finding, HostResult, RunResult, Severity, Status
from assessor.rundir import host_dir, write_text

REPORT_FILE = "report.html"
INDEX_FILE = "index.html"
DIFF_FILE = "diff.html"

_ASSETS = resources.files("assessor.reports").joinpath("templates")
CSS = _ASSETS.joinpath("base.css").read_text(encoding="utf-8")
SCRIPT = _ASSETS.joinpath("filter.js").read_text(encoding="utf-8")


def _hash(text: str) -> str:
    return "sha256-" + base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode()


CSP = (
    "default-src 'none'; "
    f"style-src '{_hash(CSS)}'; script-src '{_hash(SCRIPT)}'; "
    "img-src data:; base-uri 'none'; form-action 'none'"
)


def score_text(value: float | None) -> str:
    return "n/a" if value is None else f"{value:g}"


_env = Environment(
    loader=PackageLoader("assessor.reports", "templates"),
    autoescape=select_autoescape(default=True, default_for_string=True),
    trim_blocks=True,
    lstrip_blocks=True,
)
_env.filters.update(shown=shown, score=score_text, references=references)
# Our own static assets, checked into the package and allowed by hash in the CSP.
_env.globals.update(
    css=Markup(CSS), script=Markup(SCRIPT), csp=CSP, articles=articles, heat_rows=heat_rows
)


def render(template: str, **context: Any) -> str:
    return _env.get_template(template).render(**context)


def sections(host: HostResult) -> list[tuple[str, list[Finding]]]:
    ordered = sorted(host.findings, key=lambda f: (f.section, f.control_id))
    return [(name, list(items)) for name, items in groupby(ordered, key=lambda f: f.section)]


def severity_matrix(host: HostResult) -> dict[tuple[str, str], int]:
    counted = Counter((f.status.value, f.severity.value) for f in host.findings)
    return dict(counted)


def render_host(
    run: RunResult, host: HostResult, history: History, index_href: str,
    score: float | None = None,
) -> str:
    score = host.score if score is None else score
    return render(
        "host.html.j2",
        run=run, host=host, score=score, sections=sections(host), statuses=list(Status),
        severities=list(reversed(Severity)), counts=host.counts(),
        matrix=severity_matrix(host), chart=charts.section_chart(host.findings),
        trend=charts.trend_chart(history.host_trend(run.run_id, host.name, score)),
        index_href=index_href, junit_file=JUNIT_FILE, threats=threat_rows(host),
    )


def render_index(
    run: RunResult, out_dir: Path, history: History | None = None,
    scores: dict[str, float | None] | None = None,
) -> str:
    links = {
        h.name: os.path.relpath(host_dir(out_dir, h.name), out_dir) for h in run.hosts
    }
    fleet_score = run.score
    return render(
        "index.html.j2",
        run=run, links=links, report_file=REPORT_FILE, junit_file=JUNIT_FILE,
        statuses=list(Status), totals=fleet.fleet_counts(run), fleet_score=fleet_score,
        scores=scores or {h.name: h.score for h in run.hosts},
        heat=fleet.heat_map(run), top_failing=fleet.top_failing(run),
        unreachable=fleet.unreachable(run),
        trend=charts.trend_chart((history or History()).fleet_trend(run.run_id, fleet_score)),
    )


def write(run: RunResult, out_dir: Path) -> list[Path]:
    history = earlier_runs(out_dir, run)
    scores = {h.name: h.score for h in run.hosts}  # each is a pass over 200 findings
    written = []
    for host in run.hosts:
        path = host_dir(out_dir, host.name) / REPORT_FILE
        index_href = os.path.relpath(out_dir / INDEX_FILE, path.parent)
        write_text(path, render_host(run, host, history, index_href, scores[host.name]))
        written.append(path)
    index = out_dir / INDEX_FILE
    write_text(index, render_index(run, out_dir, history, scores))
    written.append(index)
    return written


def write_diff(diff: RunDiff, path: Path) -> Path:
    """The diff of two runs as one page, beside the later run by default."""
    write_text(path, render("diff.html.j2", diff=diff, run=diff.after))
    return path


def write_diff_page(diff: RunDiff, out: Path) -> list[Path]:
    """The diff reporter: a directory (the later run's, by default) gets diff.html; any
    other path is the page itself (`diff --html PATH`)."""
    return [write_diff(diff, out / DIFF_FILE if out.is_dir() else out)]
