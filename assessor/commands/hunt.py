"""`assessor hunt`: sweep every host for files matching the CERT's indicators.

One module run per host (roles/hunt) returns only the files whose hash, name or path is an
indicator; the pure judge in assessor.hunt turns them into findings, so the JUnit, HTML
and results.json reporters show them unchanged. The EICAR test file is always hunted.
Exit codes as assess: 1 a finding failed, 3 a host could not be hunted, 2 bad input.
"""

from __future__ import annotations

import argparse
import datetime as dt
from pathlib import Path
from typing import Any

from rich.console import Console

from assessor import __version__
from assessor.commands.options import add_forks, add_format, print_report_path
from assessor.hunt import DEFAULT_PATHS, hunt_result, sweep_vars, tables_for
from assessor.intel import HuntTables, load_intel
from assessor.inventory import InventoryHost, load_inventory
from assessor.reports import write_all
from assessor.reports.tabular import emit
from assessor.reports.terminal import progress, summary_listing
from assessor.results import HostResult, RunResult, Severity
from assessor.rundir import ANSIBLE, new_run_dir, now
from assessor.runner import HostOutcome, run_playbook
from assessor.tools import playbook
from assessor.waivers import apply_waivers, load_waivers


def add_parser(commands: Any) -> None:
    parser = commands.add_parser(
        "hunt", help="sweep hosts for files matching indicators of compromise (read-only)",
        description="Hash bounded paths on every host and match them against STIX, MISP or "
        "CSV indicators (the EICAR test file is always hunted). Exit 1 on any match.",
    )
    parser.add_argument("-i", "--inventory", type=Path, required=True, help="Ansible inventory")
    parser.add_argument("--iocs", type=Path, action="append", default=[], metavar="PATH",
                        help="STIX 2.1 bundle, MISP export or feed, CSV or list (repeatable)")
    parser.add_argument("--paths", action="append", default=[], metavar="DIR",
                        help="another absolute path to sweep (repeatable)")
    parser.add_argument("--max-size", type=int, default=64, metavar="MIB",
                        help="files larger than this are not hashed (default 64)")
    parser.add_argument("--time-budget", type=int, default=600, metavar="SECONDS",
                        help="per-host sweep time; a sweep cut short is an error")
    parser.add_argument("--waivers", type=Path, help="waivers YAML for known false positives")
    parser.add_argument("--limit", help="Ansible host pattern for a subset of hosts")
    parser.add_argument("--out", type=Path, default=Path("reports"), help="report directory")
    add_forks(parser)
    add_format(parser)


def run(args: argparse.Namespace, console: Console) -> int:
    intake = load_intel(args.iocs) if args.iocs else None
    tables = tables_for(intake.indicators if intake else ())
    waivers = load_waivers(args.waivers) if args.waivers else []
    hosts = load_inventory(args.inventory, args.limit)
    run_dir = new_run_dir(args.out)
    started = now()
    extravars = {
        **sweep_vars(tables, [*DEFAULT_PATHS, *args.paths]),
        "assessor_hunt_max_size": args.max_size << 20,
        "assessor_hunt_time_budget": args.time_budget,
    }
    outcomes = sweep_hosts(hosts, args.inventory, run_dir / ANSIBLE, extravars, console,
                           args.forks)
    today = dt.date.today()
    results = [
        apply_waivers(host_result(h, outcomes.get(h.name), tables), h.groups, waivers, today)
        for h in hosts
    ]
    result = RunResult(
        run_id=run_dir.name, started=started, finished=now(), tool_version=__version__,
        catalogue_version="hunt: " + (", ".join(intake.sources) if intake else "builtin"),
        profile="hunt", inventory=str(args.inventory), hosts=results,
        waivers=str(args.waivers or ""),
    )
    write_all(result, run_dir)
    emit(summary_listing(result, Severity.INFO), console, args.format)
    print_report_path(console, run_dir, "results.json, junit.xml, hosts/<host>/junit.xml",
                      args.format)
    return result.exit_code(Severity.INFO)


def sweep_hosts(
    hosts: list[InventoryHost], inventory: Path, work_dir: Path, extravars: dict[str, Any],
    console: Console, forks: int,
) -> dict[str, HostOutcome]:
    outcomes: dict[str, HostOutcome] = {}
    with progress(console) as bar:
        task = bar.add_task("hunting", total=len(hosts), failures="")

        def on_host(name: str, outcome: HostOutcome) -> None:
            if "sweep" in outcome.result or not outcome.ok:
                outcomes[name] = outcome
                bar.update(task, completed=len(outcomes))

        run_playbook(playbook("hunt.yml"), inventory, work_dir, extravars=extravars,
                     limit=",".join(h.name for h in hosts), forks=forks, on_host=on_host)
    return outcomes


def host_result(host: InventoryHost, outcome: HostOutcome | None, tables: HuntTables) -> HostResult:
    if outcome is None:
        return hunt_result(host.name, host.address, None, tables, "no result from Ansible")
    if not outcome.ok:
        kind = "unreachable" if outcome.unreachable else "failed"
        return hunt_result(host.name, host.address, None, tables, f"{kind}: {outcome.message}")
    sweep = outcome.result.get("sweep")
    return hunt_result(host.name, host.address, sweep if isinstance(sweep, dict) else None,
                       tables)
