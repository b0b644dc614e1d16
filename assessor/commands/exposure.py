"""`assessor exposure`: which hosts are exposed to these advisories, and can they be fixed.

One module run per host (roles/packages_state) returns the dpkg/apt state; the
advisories are judged in Python; each (advisory, host) is a Finding, so the JUnit, HTML
and results.json reporters show it unchanged. Exit 1 when any host is exposed.
"""

from __future__ import annotations

import argparse
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table
from rich.text import Text

from assessor import __version__
from assessor.advisories import Advisory, judge, load_advisories, to_finding
from assessor.commands.assess import new_run_dir, now
from assessor.commands.options import add_forks, print_report_path
from assessor.inventory import InventoryHost, load_inventory
from assessor.reports import write_all
from assessor.reports.terminal import progress
from assessor.reports.text import printable
from assessor.results import HostResult, RunResult, Status
from assessor.runner import HostOutcome, run_playbook
from assessor.tools import playbook

FACT_KEYS = ("hostname", "os")


@dataclass
class HostState:
    """What packages_state returned for a host, or why nothing came back."""

    host: InventoryHost
    state: dict[str, Any] = field(default_factory=dict)
    error: str = ""


def add_common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("-i", "--inventory", type=Path, required=True, help="Ansible inventory")
    parser.add_argument(
        "--advisories", type=Path, action="append", required=True, metavar="PATH",
        help="OSV JSON, CSAF 2.0 JSON or bulletin YAML file, or a directory of them (repeatable)",
    )
    parser.add_argument("--limit", help="Ansible host pattern for a subset of hosts")
    parser.add_argument("--out", type=Path, default=Path("reports"), help="report directory")
    add_forks(parser)


def add_parser(commands: Any) -> None:
    parser = commands.add_parser(
        "exposure", help="report which hosts are exposed to advisories (changes nothing)",
        description="Judge OSV, CSAF 2.0 or bulletin advisories against every host's "
        "installed packages. Exit 1 when any host is exposed.",
    )
    add_common(parser)
    parser.add_argument(
        "--no-update-cache", action="store_true",
        help="judge against the package lists as they are (no apt-get update first)",
    )


def run(args: argparse.Namespace, console: Console) -> int:
    advisories = load_advisories(args.advisories)
    hosts = load_inventory(args.inventory, args.limit)
    run_dir = new_run_dir(args.out)
    started = now()
    states = read_states(
        hosts, args.inventory, run_dir / "ansible", advisories, console,
        forks=args.forks, update_cache=not args.no_update_cache,
    )
    results = [exposure_result(s, advisories) for s in states]
    result = make_run(run_dir.name, started, "exposure", args.inventory, advisories, results)
    write_all(result, run_dir)
    console.print(exposure_table(result))
    print_report_path(console, run_dir, "results.json, junit.xml, hosts/<host>/junit.xml")
    return exit_code(result)


def read_states(
    hosts: list[InventoryHost],
    inventory: Path,
    work_dir: Path,
    advisories: list[Advisory],
    console: Console,
    *,
    forks: int,
    update_cache: bool,
    extra: Mapping[str, Any] | None = None,
) -> list[HostState]:
    """One packages_state run over `hosts`: each host's state, or why there is none."""
    outcomes: dict[str, HostOutcome] = {}
    with progress(console) as bar:
        task = bar.add_task("reading package state", total=len(hosts), failures="")

        def on_host(name: str, outcome: HostOutcome) -> None:
            if "state" in outcome.result or not outcome.ok:
                outcomes[name] = outcome
                bar.update(task, completed=len(outcomes))

        run_playbook(
            playbook("exposure.yml"), inventory, work_dir,
            extravars={
                **package_vars(advisories),
                "assessor_update_cache": update_cache,
                **(extra or {}),
            },
            limit=",".join(h.name for h in hosts), forks=forks, on_host=on_host,
        )
    return [host_state(h, outcomes.get(h.name)) for h in hosts]


def package_vars(advisories: list[Advisory]) -> dict[str, list[str]]:
    """The packages the hosts must report: sources by name, and binaries named directly."""
    return {
        "assessor_sources": sorted({s for a in advisories for s in a.sources}),
        "assessor_binaries": sorted({b for a in advisories for b in a.binaries}),
    }


def host_state(host: InventoryHost, outcome: HostOutcome | None) -> HostState:
    if outcome is None:
        return HostState(host, error="no result from Ansible for this host")
    if not outcome.ok:
        kind = "unreachable" if outcome.unreachable else "failed"
        return HostState(host, error=f"{kind}: {outcome.message}")
    state = outcome.result.get("state")
    if not isinstance(state, dict):
        return HostState(host, error="packages_state returned no state")
    return HostState(host, state=state)


def exposure_result(
    host_state: HostState, advisories: list[Advisory], blocked: str = ""
) -> HostResult:
    host = host_state.host
    if host_state.error:
        return HostResult(host.name, host.address, error=host_state.error)
    facts = {k: str(host_state.state.get("facts", {}).get(k, "")) for k in FACT_KEYS}
    findings = [to_finding(judge(a, host_state.state, blocked)) for a in advisories]
    return HostResult(host.name, host.address, facts=facts, findings=findings)


def make_run(
    run_id: str, started: str, profile: str, inventory: Path, advisories: list[Advisory],
    hosts: list[HostResult],
) -> RunResult:
    return RunResult(
        run_id=run_id, started=started, finished=now(), tool_version=__version__,
        catalogue_version="advisories: " + ", ".join(a.id for a in advisories),
        profile=profile, inventory=str(inventory), hosts=hosts,
    )


EXPOSED = (Status.FAIL, Status.ERROR)


def exit_code(run: RunResult) -> int:
    """1 when a host is (or may be) exposed, else 3 when a host could not be read, else 0."""
    if any(f.status in EXPOSED for h in run.hosts for f in h.findings):
        return 1
    if any(not h.assessed for h in run.hosts):
        return 3
    return 0


STYLES = {Status.FAIL: "red", Status.ERROR: "magenta", Status.PASS: "green"}


def exposure_table(run: RunResult) -> Table:
    table = Table(title=f"{run.profile} {run.run_id}")
    for column in ("Host", "Advisory", "Status", "Installed", "Fixed in", "Why"):
        table.add_column(column)
    for host in run.hosts:
        if not host.assessed:
            table.add_row(Text(printable(host.name)), "", Text("error", style="magenta"),
                          "", "", Text(printable(host.error)))
            continue
        for f in host.findings:
            if f.status is Status.NOTAPPLICABLE:
                continue
            table.add_row(
                Text(printable(host.name)), Text(printable(f.control_id)),
                Text(f.status.value, style=STYLES.get(f.status, "")),
                Text(printable(f.observed)), Text(printable(f.expected)),
                Text(printable(f.reason)),
            )
    return table
