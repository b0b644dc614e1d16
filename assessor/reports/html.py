"""Per-host HTML reports and the fleet index: self-contained files, autoescaped Jinja2.

Everything shown comes from the host and is untrusted, so autoescaping is on for every
template and no value is marked safe.
"""

from __future__ import annotations

import os
from collections import Counter
from itertools import groupby
from pathlib import Path

from jinja2 import Environment, PackageLoader, select_autoescape

from assessor.atomic import write_text
from assessor.reports.junit import JUNIT_FILE
from assessor.reports.paths import host_dir
from assessor.results import HostResult, RunResult, Status

REPORT_FILE = "report.html"
INDEX_FILE = "index.html"

_env = Environment(
    loader=PackageLoader("assessor.reports", "templates"),
    autoescape=select_autoescape(default=True, default_for_string=True),
    trim_blocks=True,
    lstrip_blocks=True,
)


def sections(host: HostResult) -> list[tuple[str, list[object]]]:
    ordered = sorted(host.findings, key=lambda f: f.section)
    return [(name, list(items)) for name, items in groupby(ordered, key=lambda f: f.section)]


def write(run: RunResult, out_dir: Path) -> list[Path]:
    written = []
    for host in run.hosts:
        path = host_dir(out_dir, host.name) / REPORT_FILE
        html = _env.get_template("host.html.j2").render(
            run=run, host=host, sections=sections(host), statuses=list(Status)
        )
        write_text(path, html)
        written.append(path)
    index = out_dir / INDEX_FILE
    write_text(index, render_index(run, out_dir))
    written.append(index)
    return written


def render_index(run: RunResult, out_dir: Path) -> str:
    failing = Counter(
        f.control_id for h in run.hosts for f in h.findings if f.status is Status.FAIL
    )
    links = {
        h.name: os.path.relpath(host_dir(out_dir, h.name), out_dir) for h in run.hosts
    }
    return _env.get_template("index.html.j2").render(
        run=run,
        links=links,
        report_file=REPORT_FILE,
        junit_file=JUNIT_FILE,
        statuses=list(Status),
        top_failing=failing.most_common(10),
    )
