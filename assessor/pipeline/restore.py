"""Restore a compromised host to known-good, and prove it.

1. before: package integrity (dpkg's md5sums, playbooks/restore.yml) and a hunt with the
   case's own indicators beside any --iocs;
2. reinstall every package whose files fail their md5sums at its installed version, from
   the host's repositories (nothing else is fetched);
3. remove the persistence the hunt found, through quarantine (recorded in its manifest);
4. re-apply the hardening profile (pipeline.hardening: assess, apply, assess again) and
   patch what the given advisories need (pipeline.patching);
5. after: integrity and the hunt again. restore.json keeps the plan, every step's run
   directory, before/after per host and the measured duration; the run is attached to
   the case. With `check` every step previews and nothing changes.
"""

from __future__ import annotations

import io
import json
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rich.console import Console

from assessor.errors import ConfigError
from assessor.incident.attach import RESTORE, read_runs
from assessor.incident.record import attach, load_case, operator
from assessor.intel import Indicator, IndicatorType, Origin
from assessor.inventory import InventoryHost, load_inventory
from assessor.pipeline import HostsOptions
from assessor.pipeline.hardening import HardenOptions, harden
from assessor.pipeline.hunt import HuntOptions, run_hunt
from assessor.pipeline.patching import PatchOptions, patch
from assessor.pipeline.quarantine import QuarantineOptions, quarantine_hosts
from assessor.quarantine.items import unremovable
from assessor.quarantine.manifest import manifest_file
from assessor.results import HostResult, RunResult, Status
from assessor.rundir import ASSESS_AFTER, ASSESS_BEFORE, new_run_dir, now, write_text
from assessor.runner import HostOutcome, run_playbook
from assessor.tools import playbook

HUNT_BEFORE = "hunt-before"
HUNT_AFTER = "hunt-after"
HARDEN = "harden"
PATCH = "patch"


@dataclass(frozen=True, kw_only=True)
class RestoreOptions(HostsOptions):
    case: str
    cases: Path = Path("evidence")
    check: bool = False
    profile: str | None = None
    tailoring: Path | None = None
    controls: str | None = None  # comma-separated: re-apply only these of the profile
    advisories: tuple[Path, ...] = ()
    iocs: tuple[Path, ...] = ()


@dataclass
class HostPlan:
    """What restore does (or, with check, would do) on one host, and what it found."""

    name: str
    reinstall: dict[str, str] = field(default_factory=dict)
    tampered: list[str] = field(default_factory=list)
    unowned: list[str] = field(default_factory=list)
    unavailable: list[str] = field(default_factory=list)  # pkg=version no repository offers
    persistence: list[str] = field(default_factory=list)
    unremovable: list[str] = field(default_factory=list)  # findings no removal declared
    error: str = ""


def quiet() -> Console:
    return Console(file=io.StringIO(), width=200)


def case_indicators(options: RestoreOptions) -> tuple[Indicator, ...]:
    """The hashes the case's hunts matched: the re-hunt looks for exactly those again."""
    record, _ = load_case(options.cases, options.case)
    hashes = sorted({s.sha256 for a in record.attachments for s in a.sightings if s.sha256})
    origin = (Origin(f"incident {options.case}", "case.json"),)
    return tuple(Indicator(IndicatorType.SHA256, h, origin) for h in hashes)


def integrity(options: RestoreOptions, hosts: list[InventoryHost], work: Path,
              action: str = "verify", packages: dict[str, dict[str, str]] | None = None,
              ) -> dict[str, HostOutcome]:
    outcomes: dict[str, HostOutcome] = {}

    def on_host(name: str, outcome: HostOutcome) -> None:
        if "integrity" in outcome.result or not outcome.ok:
            outcomes[name] = outcome

    run_playbook(playbook("restore.yml"), options.inventory, work, forks=options.forks,
                 limit=",".join(h.name for h in hosts), on_host=on_host, extravars={
                     "restore_integrity_action": action, "assessor_check": options.check,
                     "restore_integrity_packages": packages or {}})
    return outcomes


def found(outcome: HostOutcome | None) -> dict[str, Any]:
    value = outcome.result.get("integrity") if outcome and outcome.ok else None
    return value if isinstance(value, dict) else {}


def detections(result: HostResult) -> list[str]:
    """Every failing hit of the hunt: indicator and ClamAV files, and each rule's hits (the
    rules' own summary findings and the quarantine's are not hits)."""
    return sorted(f.control_id.removeprefix("hunt.ioc:") for f in result.findings
                  if f.status is Status.FAIL and ":" in f.control_id
                  and not f.control_id.startswith("hunt.quarantine:"))


def make_plans(hosts: list[InventoryHost], verified: dict[str, HostOutcome],
               hunted: RunResult) -> list[HostPlan]:
    plans = []
    hunt_of = {h.name: h for h in hunted.hosts}
    for host in hosts:
        outcome = verified.get(host.name)
        state = found(outcome)
        plan = HostPlan(host.name)
        if not state:
            plan.error = outcome.message if outcome else "no integrity result from Ansible"
        plan.reinstall = {str(k): str(v) for k, v in (state.get("packages") or {}).items()}
        plan.tampered = sorted({str(f.get("path")) for f in state.get("failing") or []})
        plan.unowned = sorted(str(p) for p in state.get("unowned") or [])
        plan.unavailable = sorted(str(p) for p in state.get("unavailable") or [])
        hunt = hunt_of.get(host.name)
        if hunt is not None and hunt.error:
            plan.error = plan.error or f"hunt: {hunt.error}"
        plan.persistence = detections(hunt) if hunt is not None else []
        plan.unremovable = unremovable(hunt) if hunt is not None else []
        plans.append(plan)
    return plans


def score_of(run_dir: Path, step: str, host: str) -> float | None:
    for path in sorted((run_dir / step).glob("*/results.json")):
        data = json.loads(path.read_text())
        for entry in data.get("hosts", []):
            if entry.get("name") == host:
                score = entry.get("score")
                return float(score) if isinstance(score, int | float) else None
    return None


class Clock:
    """Seconds per step, measured, for restore.json and the README's time to restore."""

    def __init__(self) -> None:
        self.start = self.mark = time.monotonic()
        self.steps: dict[str, float] = {}

    def lap(self, step: str) -> None:
        now_ = time.monotonic()
        self.steps[step] = round(now_ - self.mark, 1)
        self.mark = now_

    @property
    def total(self) -> float:
        return round(time.monotonic() - self.start, 1)


def restore(options: RestoreOptions, console: Console) -> tuple[dict[str, Any], Path]:
    """Every step in order; returns restore.json's record and the run directory."""
    load_case(options.cases, options.case)  # the case must exist before anything runs
    hosts = load_inventory(options.inventory, options.limit)
    if not hosts:
        raise ConfigError(f"{options.inventory}: no host matches --limit {options.limit}")
    run_dir = new_run_dir(options.out)
    started, clock = now(), Clock()
    indicators = case_indicators(options)
    console.print(f"restore {run_dir.name}: reading integrity and hunting on {len(hosts)} "
                  f"host(s) with {len(indicators)} indicator(s) from case {options.case}…",
                  markup=False)
    verified = integrity(options, hosts, run_dir / "ansible-verify")
    clock.lap("integrity before")
    hunt_dir, hunted = hunt(options, hosts, indicators, run_dir / HUNT_BEFORE)
    clock.lap("hunt before")
    plans = make_plans(hosts, verified, hunted)
    reachable = [h for h, p in zip(hosts, plans, strict=True) if not p.error]
    steps: dict[str, str] = {"hunt_before": str(hunt_dir)}
    show_plan(plans, options, console)

    reinstalled: dict[str, dict[str, Any]] = {}
    if options.check:  # the plan says it all: verify already asked the repositories
        reinstalled = {p.name: {"reinstalled": [f"{k}={v}" for k, v in p.reinstall.items()
                                                if f"{k}={v}" not in p.unavailable],
                                "unavailable": p.unavailable} for p in plans}
    elif reachable and any(p.reinstall for p in plans):
        done = integrity(options, reachable, run_dir / "ansible-reinstall", "reinstall",
                         {p.name: p.reinstall for p in plans if p.reinstall})
        reinstalled = {name: found(o) | ({"error": o.message} if not o.ok else {})
                       for name, o in done.items()}
        clock.lap("reinstall")
    quarantined = remove_persistence(hunted, plans, options, run_dir, console)
    clock.lap("quarantine")
    harden_dir: Path | None = None
    if reachable:
        console.print("hardening (assess, apply, assess again)…" if not options.check else
                      "previewing the hardening (assess, check mode)…", markup=False)
        _, harden_dir = harden(HardenOptions(
            inventory=options.inventory, out=run_dir / HARDEN, limit=options.limit,
            forks=options.forks, profile=options.profile, tailoring=options.tailoring,
            controls=options.controls, check=options.check), quiet())
        steps["harden"] = str(harden_dir)
        clock.lap("harden")
    if reachable and options.advisories:
        console.print("patching what the advisories need…", markup=False)
        patch(PatchOptions(inventory=options.inventory, out=run_dir / PATCH,
                           limit=options.limit, forks=options.forks,
                           advisories=list(options.advisories), check=options.check), quiet())
        steps["patch"] = str(run_dir / PATCH)
        clock.lap("patch")

    after_plans = plans  # a preview changed nothing: what was found is still there
    if not options.check:
        console.print("verifying again: integrity and the hunt…", markup=False)
        after = integrity(options, hosts, run_dir / "ansible-verify-after")
        clock.lap("integrity after")
        hunt_after_dir, hunted_after = hunt(options, hosts, indicators, run_dir / HUNT_AFTER)
        clock.lap("hunt after")
        steps["hunt_after"] = str(hunt_after_dir)
        after_plans = make_plans(hosts, after, hunted_after)
    record_hosts = [
        host_record(p, a, reinstalled.get(p.name, {}), quarantined.get(p.name, []),
                    harden_dir, options.check)
        for p, a in zip(plans, after_plans, strict=True)
    ]
    result = {
        "run_id": run_dir.name, "case": options.case, "check": options.check,
        "operator": operator(), "started": started, "finished": now(),
        "duration_s": clock.total, "step_seconds": clock.steps,
        "inventory": str(options.inventory), "profile": options.profile or "",
        "controls": options.controls or "all automated",
        "advisories": [str(a) for a in options.advisories],
        "steps": steps, "hosts": record_hosts,
    }
    write_text(run_dir / RESTORE, json.dumps(result, indent=1, sort_keys=True) + "\n")
    attach(options.cases, options.case, read_runs(run_dir))
    return result, run_dir


def hunt(options: RestoreOptions, hosts: list[InventoryHost],
         indicators: tuple[Indicator, ...], out: Path) -> tuple[Path, RunResult]:
    return run_hunt(hosts, HuntOptions(inventory=options.inventory, out=out,
                                       limit=options.limit, forks=options.forks,
                                       iocs=options.iocs, indicators=indicators), quiet())


def show_plan(plans: list[HostPlan], options: RestoreOptions, console: Console) -> None:
    verb = "would" if options.check else "will"
    for plan in plans:
        if plan.error:
            console.print(f"{plan.name}: cannot restore: {plan.error}", markup=False)
            continue
        console.print(f"{plan.name}: {verb} reinstall "
                      f"{', '.join(f'{k}={v}' for k, v in plan.reinstall.items()) or 'nothing'}"
                      f" ({len(plan.tampered)} file(s) fail their md5sums); {verb} remove "
                      f"{len(plan.persistence)} hunt finding(s) through quarantine: "
                      f"{', '.join(plan.persistence) or 'nothing'}; {verb} re-apply profile "
                      f"{options.profile or 'server-l1'}"
                      + (f" and patch for {len(options.advisories)} advisory file(s)"
                         if options.advisories else ""), markup=False)
        if plan.unavailable:
            console.print(f"{plan.name}: no repository offers {', '.join(plan.unavailable)} "
                          "at the installed version: those files stay as they are",
                          markup=False)
        if plan.unremovable:
            console.print(f"{plan.name}: no removal for {'; '.join(plan.unremovable)}",
                          markup=False)
        if plan.unowned:
            console.print(f"{plan.name}: {len(plan.unowned)} failing file(s) no package owns: "
                          f"{', '.join(plan.unowned[:5])}", markup=False)


def remove_persistence(hunted: RunResult, plans: list[HostPlan], options: RestoreOptions,
                       run_dir: Path, console: Console) -> dict[str, list[dict[str, Any]]]:
    """Remove what the hunt found through quarantine, as each rule's `remove:` says (with
    check: only show it). Returns per host the items of the quarantine manifest: action,
    path, status, reason, whether it can be undone."""
    wanted = {p.name for p in plans if p.persistence and not p.error}
    if not wanted:
        return {}
    results = [h for h in hunted.hosts if h.name in wanted]
    quarantine_hosts(results, hunted.run_id, options.inventory, run_dir,
                     QuarantineOptions(enabled=True, check=options.check, kill_processes=True,
                                       persistence=True), console)
    path = manifest_file(run_dir)
    items = json.loads(path.read_text()).get("items", []) if path.is_file() else []
    done: dict[str, list[dict[str, Any]]] = {}
    for item in items:
        done.setdefault(str(item.get("host")), []).append(
            {k: item.get(k) for k in ("id", "action", "path", "status", "reason",
                                      "reversible", "vault") if item.get(k) is not None})
    return done


def host_record(before: HostPlan, after: HostPlan, reinstalled: dict[str, Any],
                removal: list[dict[str, Any]], harden_dir: Path | None,
                check: bool) -> dict[str, Any]:
    state = {
        "before": {"files failing md5sums": len(before.tampered),
                   "hunt findings": len(before.persistence),
                   "baseline score": score_of(harden_dir, ASSESS_BEFORE, before.name)
                   if harden_dir else None},
        "after": {"files failing md5sums": len(after.tampered),
                  "hunt findings": len(after.persistence),
                  "baseline score": score_of(harden_dir, ASSESS_AFTER, after.name)
                  if harden_dir and not check else None},
    }
    failed = [f"{i.get('action', 'file')} {i.get('path')} ({i.get('status')}: "
              f"{i.get('reason')})" for i in removal
              if i.get("status") not in ("moved", "removed", "would-move", "would-remove")]
    clean = not after.error and not after.tampered and not after.persistence
    problems = [why for why in (
        before.error, after.error, reinstalled.get("error"),
        f"not offered by any repository: {', '.join(reinstalled['unavailable'])}"
        if reinstalled.get("unavailable") else "",
        f"still failing md5sums: {', '.join(after.tampered)}" if after.tampered else "",
        f"hunt still finds: {', '.join(after.persistence)}" if after.persistence else "",
        f"no removal for: {'; '.join(before.unremovable)}" if before.unremovable else "",
        f"not removed: {', '.join(failed)}" if failed else "",
    ) if why]
    return {
        "name": before.name, **state, "tampered": before.tampered, "unowned": before.unowned,
        "plan": {"reinstall": before.reinstall, "quarantine": before.persistence},
        "reinstalled": [] if check else list(reinstalled.get("reinstalled", [])),
        "quarantined": [] if check else [f"{i.get('action', 'file')} {i.get('path')}"
                                         for i in removal if i.get("action") != "process"
                                         and i.get("status") in ("moved", "removed")],
        "killed": [] if check else [f"{i.get('path')}: {i.get('reason')}" for i in removal
                                    if i.get("action") == "process"
                                    and i.get("status") == "removed"],
        "removal": removal,  # with check: what would be removed, as the manifest says
        "not removable": before.unremovable,
        "restored": clean and not check,
        "verdict": ("preview only (--check): nothing changed" if check else
                    "known-good: md5sums match, no hunt finding" if clean else
                    "NOT restored: " + "; ".join(problems)),
    }
