"""Harden: assess, apply the profile's automated controls in waves, assess again, compare.

Preview with `check` (check mode with diffs, nothing changes); otherwise every changed
file is backed up on the host first and each host's backup manifest is kept in the run
directory for rollback.

With execution nodes, the before and after assessments and the harden play itself are
sharded the same way, and merge into this one run directory; each node runs its share's
waves, so --serial and --max-fail-percentage apply per node.
"""

from __future__ import annotations

import io
import json
from dataclasses import dataclass
from pathlib import Path

from rich.console import Console

from assessor.errors import AssessorError, ConfigError
from assessor.inventory import load_inventory
from assessor.pipeline import HostsOptions, shards_for
from assessor.pipeline.assessment import AssessOptions, assess, select_controls
from assessor.remediation import taskmap
from assessor.remediation.beforeafter import GOOD, compare_host
from assessor.remediation.changes import EventLog, HostLog
from assessor.remediation.plan import extravars, make_plan, split_ids
from assessor.remediation.record import HardenRecord, host_record
from assessor.reports import HARDEN_REPORTERS, write_with
from assessor.results import HostResult, RunResult
from assessor.rundir import (
    ANSIBLE,
    ASSESS_AFTER,
    ASSESS_BEFORE,
    manifest_path,
    new_run_dir,
    now,
    write_text,
)
from assessor.runner import run_playbook
from assessor.tools import playbook, roles_path


@dataclass(frozen=True, kw_only=True)
class HardenOptions(HostsOptions):
    profile: str | None = None
    tailoring: Path | None = None
    catalogue: Path | None = None
    controls: str | None = None  # comma-separated control ids: only these
    skip: str | None = None  # comma-separated control ids: leave these out
    check: bool = False
    serial: str = "100%"
    max_fail_percentage: int = 100


def quiet() -> Console:
    return Console(file=io.StringIO(), width=200)


def harden(options: HardenOptions, console: Console) -> tuple[HardenRecord, Path]:
    """The harden run's record and its run directory, whose reports are written."""
    assessing = AssessOptions(
        inventory=options.inventory, out=options.out, limit=options.limit,
        forks=options.forks, profile=options.profile, catalogue=options.catalogue,
        tailoring=options.tailoring, execution_nodes=options.execution_nodes,
    )
    _, profile, controls = select_controls(assessing)
    tasks = taskmap.role_tasks(roles_path())
    plan = make_plan(controls, roles_path(), only=split_ids(options.controls),
                     skip=split_ids(options.skip), role_tags=taskmap.tags_by_role(tasks))
    if plan.unavailable:
        console.print(f"{len(plan.unavailable)} automated control(s) have no remediation task "
                      f"yet and are left out: {', '.join(plan.unavailable)}", markup=False)
    if not plan.items:
        raise ConfigError("no automated control selected: nothing to harden")
    hosts = load_inventory(options.inventory, options.limit)
    run_dir = new_run_dir(options.out)
    started = now()
    console.print(f"harden {run_dir.name}: {len(plan.items)} controls through "
                  f"{', '.join(plan.roles)} on {len(hosts)} host(s)"
                  + (" (preview, nothing changes)" if options.check else ""))

    console.print("assessing before…")
    before = assess(_sub(assessing, run_dir / ASSESS_BEFORE), quiet())

    log = EventLog(plan.ids, taskmap.tags_by_location(tasks))
    console.print("applying…" if not options.check else "previewing…")
    ran = run_playbook(
        playbook("harden.yml"), options.inventory, run_dir / ANSIBLE,
        extravars=extravars(plan, run_dir.name, check=options.check, serial=options.serial,
                            max_fail_percentage=options.max_fail_percentage,
                            failing=failing_by_host(before, plan.ids)),
        limit=options.limit, forks=options.forks, tags=plan.tags, on_task=log.feed,
        shards=shards_for(options, [h.name for h in hosts]),
    )
    for host in hosts:
        log.host(host.name)
    if ran.rc != 0 and not any(log.host(h.name).state in ("failed", "unreachable")
                               for h in hosts):
        raise AssessorError(f"ansible-playbook failed (rc {ran.rc}) without a host failing: "
                            f"{playbook_error(Path(ran.artifact_dir))}; run dir {run_dir}")
    untouched = [h.name for h in hosts if not log.host(h.name).touched]

    after: RunResult | None = None  # none after a preview: nothing changed
    if not options.check:
        save_manifests(run_dir, log.hosts)
        console.print("assessing after…")
        after = assess(_sub(assessing, run_dir / ASSESS_AFTER), quiet())

    records = []
    for host in hosts:
        entry = log.host(host.name)
        comparison = None
        if after is not None:
            comparison = compare_host(host.name, entry.state, result_of(before, host.name),
                                      result_of(after, host.name), entry.message)
        records.append(host_record(entry, comparison))
    record = HardenRecord(
        run_id=run_dir.name, profile=profile, inventory=str(options.inventory.resolve()),
        check=options.check, started=started, finished=now(), controls=plan.ids,
        manual=[c.id for c in plan.manual], unavailable=list(plan.unavailable),
        serial=options.serial, max_fail_percentage=options.max_fail_percentage,
        stopped=bool(untouched), untouched=untouched, hosts=records,
    )
    write_with(HARDEN_REPORTERS, record, run_dir)
    return record, run_dir


def _sub(options: AssessOptions, out: Path) -> AssessOptions:
    return AssessOptions(
        inventory=options.inventory, out=out, limit=options.limit, forks=options.forks,
        profile=options.profile, catalogue=options.catalogue, tailoring=options.tailoring,
        execution_nodes=options.execution_nodes,
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


def save_manifests(run_dir: Path, hosts: dict[str, HostLog]) -> None:
    """Keep each host's backup manifest next to the report, for the record and rollback."""
    for name, log in hosts.items():
        if log.manifest:
            write_text(manifest_path(run_dir, name), json.dumps(log.manifest, indent=1))
