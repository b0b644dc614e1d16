"""`assessor report`: render reports without contacting a host.

`report RUN_DIR` renders a run's reports again from its results.json; `report
--from-artifacts PATH` judges a run Ansible made elsewhere (an AWX job's events, an
ansible-runner artifact directory of the assess playbook) into a new run directory.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from rich.console import Console

from assessor.commands.options import add_format, print_report_path
from assessor.errors import ConfigError
from assessor.pipeline.assessment import DEFAULT_PROFILE, RecordedOptions, assess_recorded
from assessor.reports import json_report, write_all
from assessor.reports.tabular import emit, note
from assessor.reports.terminal import summary_listing
from assessor.results import Severity


def add_parser(commands: Any) -> None:
    parser = commands.add_parser(
        "report", help="re-render a run's reports, or judge an AWX/ansible-runner run's "
        "events (no host contacted)"
    )
    parser.add_argument("run_dir", type=Path, nargs="?", metavar="RUN_DIR",
                        help="a run directory to render again")
    parser.add_argument("--from-artifacts", type=Path, metavar="PATH",
                        help="an ansible-runner artifact directory or an AWX job_events JSON "
                        "export of the assess playbook: judge it into a new run directory")
    parser.add_argument("-i", "--inventory", type=Path,
                        help="with --from-artifacts: the inventory (addresses, groups)")
    parser.add_argument("--out", type=Path, default=Path("reports"), help="report directory")
    parser.add_argument("--profile", help=f"with --from-artifacts: profile (default "
                        f"{DEFAULT_PROFILE}); the job must have collected what it needs")
    parser.add_argument("--tailoring", type=Path, help="tailoring YAML adapting the profile")
    parser.add_argument("--waivers", type=Path, help="waivers YAML (owner, reason, expiry)")
    parser.add_argument("--catalogue", type=Path, help="catalogue file or directory")
    parser.add_argument("--fail-on", type=Severity, choices=list(Severity), default=Severity.LOW,
                        help="lowest severity whose failure gives exit 1 (default low)")
    add_format(parser)


def run(args: argparse.Namespace, console: Console) -> int:
    if args.from_artifacts is not None:
        return from_artifacts(args, console)
    if args.run_dir is None:
        raise ConfigError("give a RUN_DIR to render again, or --from-artifacts PATH")
    run_dir: Path = args.run_dir
    if not run_dir.is_dir():
        raise ConfigError(f"{run_dir}: not a run directory")
    result = json_report.read(run_dir)
    # results.json is the source being rendered: it is read, never rewritten
    written = write_all(result, run_dir, skip=("json",))
    emit(summary_listing(result, Severity.LOW), console, args.format)
    note(console, args.format, f"Rendered {len(written)} files: {run_dir}/index.html")
    return 0


def from_artifacts(args: argparse.Namespace, console: Console) -> int:
    options = RecordedOptions(
        events=args.from_artifacts, out=args.out, inventory=args.inventory,
        profile=args.profile, fail_on=args.fail_on, catalogue=args.catalogue,
        tailoring=args.tailoring, waivers=args.waivers,
    )
    result = assess_recorded(options)
    emit(summary_listing(result, options.fail_on), console, args.format)
    print_report_path(console, Path(options.out) / result.run_id, "results.json, junit.xml, "
                      "hosts/<host>/junit.xml and report.html", args.format)
    return result.exit_code(options.fail_on)
