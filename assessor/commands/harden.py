"""`assessor harden`: apply the profile's automated controls through the harden_* roles.

Preview with --check (check mode with diffs, nothing changes); otherwise assess, apply in
waves (--serial, --max-fail-percentage) with every changed file backed up on the host
first, assess again and report per host what got fixed, what still fails and what broke.
"""

from __future__ import annotations

import argparse
import io
import json
from pathlib import Path
from typing import Any

from rich.console import Console

from assessor.atomic import write_text
from assessor.commands.assess import AssessOptions, assess, new_run_dir, now, select_controls
from assessor.commands.options import add_forks, add_waves
from assessor.errors import AssessorError, ConfigError
from assessor.inventory import load_inventory
from assessor.remediation import taskmap
from assessor.remediation.beforeafter import GOOD, compare_host
from assessor.remediation.changes import EventLog
from assessor.remediation.plan import extravars, make_plan, split_ids
from assessor.remediation.report import (
    HardenRecord,
    before_after_table,
    changes_table,
    host_record,
    write_record,
)
from assessor.results import HostResult, RunResult
from assessor.runner import run_playbook
from assessor.tools import playbook, roles_path

MANIFESTS = "manifests"


def add_parser(commands: Any) -> None:
    parser = commands.add_parser(
        "harden", help="apply a profile's automated controls (preview with --check)"
    )
    parser.add_argument("-i", "--inventory", type=Path, required=True, help="Ansible inventory")
    parser.add_argument("--limit", help="Ansible host pattern to harden a subset")
    parser.add_argument("--profile", help="profile (default server-l1, or the tailoring's)")
    parser.add_argument("--tailoring", type=Path, help="tailoring YAML adapting the profile")
    parser.add_argument("--catalogue", type=Path, help="catalogue file or directory to use")
    parser.add_argument("--controls", help="only these control ids (comma-separated)")
    parser.add_argument("--skip", help="leave out these control ids (comma-separated)")
    parser.add_argument("--check", action="store_true",
                        help="preview: show per host and control the exact change, change nothing")
    add_waves(parser)
    add_forks(parser)
    parser.add_argument("--out", type=Path, default=Path("reports"), help="run directory root")


def quiet() -> Console:
    return Console(file=io.StringIO(), width=200)


def run(args: argparse.Namespace, console: Console) -> int:
    options = AssessOptions(
        inventory=args.inventory, out=args.out, limit=args.limit, forks=args.forks,
        profile=args.profile, catalogue=args.catalogue, tailoring=args.tailoring,
    )
    _, profile, controls = select_controls(options)
    tasks = taskmap.role_tasks(roles_path())
    plan = make_plan(controls, roles_path(), only=split_ids(args.controls),
                     skip=split_ids(args.skip), role_tags=taskmap.tags_by_role(tasks))
    if plan.unavailable:
        console.print(f"{len(plan.unavailable)} automated control(s) have no remediation task "
                      f"yet and are left out: {', '.join(plan.unavailable)}", markup=False)
    if not plan.items:
        raise ConfigError("no automated control selected: nothing to harden")
    hosts = load_inventory(args.inventory, args.limit)
    run_dir = new_run_dir(args.out)
    started = now()
    console.print(f"harden {run_dir.name}: {len(plan.items)} controls through "
                  f"{', '.join(plan.roles)} on {len(hosts)} host(s)"
                  + (" (preview, nothing changes)" if args.check else ""))

    console.print("assessing before…")
    before = assess(_sub(options, run_dir / "assess-before"), quiet())

    log = EventLog(plan.ids, taskmap.tags_by_location(tasks))
    console.print("applying…" if not args.check else "previewing…")
    ran = run_playbook(
        playbook("harden.yml"), args.inventory, run_dir / "ansible",
        extravars=extravars(plan, run_dir.name, check=args.check, serial=args.serial,
                            max_fail_percentage=args.max_fail_percentage,
                            failing=failing_by_host(before, plan.ids)),
        limit=args.limit, forks=args.forks, tags=plan.tags, on_event=log.feed,
    )
    for host in hosts:
        log.host(host.name)
    if ran.rc != 0 and not any(log.host(h.name).state in ("failed", "unreachable")
                               for h in hosts):
        raise AssessorError(f"ansible-playbook failed (rc {ran.rc}) without a host failing: "
                            f"{playbook_error(Path(ran.artifact_dir))}; run dir {run_dir}")
    untouched = [h.name for h in hosts if not log.host(h.name).touched]

    after: RunResult | None = None  # none after a preview: nothing changed
    if not args.check:
        save_manifests(run_dir, log.hosts)
        console.print("assessing after…")
        after = assess(_sub(options, run_dir / "assess-after"), quiet())

    records = []
    for host in hosts:
        entry = log.host(host.name)
        comparison = None
        if after is not None:
            comparison = compare_host(host.name, entry.state, result_of(before, host.name),
                                      result_of(after, host.name), entry.message)
        records.append(host_record(entry, comparison))
    record = HardenRecord(
        run_id=run_dir.name, profile=profile, inventory=str(args.inventory.resolve()),
        check=args.check, started=started, finished=now(), controls=plan.ids,
        manual=[c.id for c in plan.manual], unavailable=list(plan.unavailable), serial=args.serial,
        max_fail_percentage=args.max_fail_percentage, stopped=bool(untouched),
        untouched=untouched, hosts=records,
    )
    write_record(record, run_dir)
    return summarise(record, run_dir, console)


def _sub(options: AssessOptions, out: Path) -> AssessOptions:
    return AssessOptions(
        inventory=options.inventory, out=out, limit=options.limit, forks=options.forks,
        profile=options.profile, catalogue=options.catalogue, tailoring=options.tailoring,
    )


def playbook_error(artifact_dir: Path) -> str:
    """The [ERROR] lines ansible-playbook printed (a role that does not parse, say)."""
    stdout = artifact_dir / "stdout"
    text = stdout.read_text(errors="replace") if stdout.is_file() else ""
    lines = [line.strip() for line in text.splitlines() if "ERROR" in line]
    return " | ".join(lines[:3]) or "see the ansible stdout in the run directory"


def failing_by_host(before: RunResult, ids: list[str]) -> dict[str, list[str]]:
    """Per assessed host, the selected controls not passing there: only those are applied,
    so a setting that already complies stays exactly as the host has it."""
    wanted = set(ids)
    return {
        host.name: [f.control_id for f in host.findings
                    if f.control_id in wanted and f.status not in GOOD]
        for host in before.hosts if host.assessed
    }


def result_of(run: RunResult, name: str) -> HostResult | None:
    return next((h for h in run.hosts if h.name == name), None)


def save_manifests(run_dir: Path, hosts: dict[str, Any]) -> None:
    """Keep each host's backup manifest next to the report, for the record and rollback."""
    for name, log in hosts.items():
        if log.manifest:
            write_text(run_dir / MANIFESTS / f"{name}.json", json.dumps(log.manifest, indent=1))


def summarise(record: HardenRecord, run_dir: Path, console: Console) -> int:
    console.print(changes_table(record))
    changed = sum(1 for h in record.hosts for c in h.changes if c.status == "changed")
    verb = "would change" if record.check else "changed"
    console.print(f"{changed} change(s) {verb} across {len(record.hosts)} host(s)")
    if not record.check:
        console.print(before_after_table(record))
    failed = [h.name for h in record.hosts if h.state in ("failed", "unreachable")]
    if failed:
        console.print(f"failed: {', '.join(failed)}", markup=False)
    if record.untouched:
        console.print(f"stopped after a wave exceeded --max-fail-percentage "
                      f"{record.max_fail_percentage}: left untouched: "
                      f"{', '.join(record.untouched)}", markup=False)
    if record.regressions:
        console.print(f"REGRESSION: {record.regressions} control(s) pass before and fail after; "
                      "see harden.html", markup=False)
    if record.manual:
        console.print(f"{len(record.manual)} manual control(s) not applied: "
                      f"{', '.join(record.manual)}", markup=False)
    console.print(f"Report: {run_dir}/harden.html (harden.json"
                  + ("" if record.check else f"; undo with `assessor rollback {run_dir}`") + ")",
                  markup=False)
    if failed or record.untouched:
        return 3
    still = any(h.comparison and (h.comparison.still_failing or h.comparison.error)
                for h in record.hosts)
    return 1 if record.regressions or still else 0
