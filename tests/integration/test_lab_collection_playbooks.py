"""Plain `ansible-playbook` (no assessor process) runs the installed collection's harden and
hunt playbooks on lab hosts, and the results match what `assessor` reports for the same hosts.

The collection is built and installed offline into an empty collections path; the
playbooks run with no ansible.cfg, recorded by Ansible's stock junit callback (each task's
path and result per host), as a CI job or an AWX job template would run them, with the
extra vars the assessor's own plan gives. Own lab (ASSESSOR_PLAYBOOKS_LAB, default
`iplay`): two identical `weak` hosts, one hardened by `assessor harden` and one by
ansible-playbook, and a `compromised` host hunted both ways. (The assess playbook's
parity is test_lab_awx_artifacts.)
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest
from labrun import assess, installed_collection, module_lab, run_cli

from assessor.hunt import tables_for
from assessor.hunt.catalogue import load_rules
from assessor.inventory import InventoryHost
from assessor.lab import fleet
from assessor.outcomes import HostOutcome, TaskResult
from assessor.pipeline.assessment import AssessOptions, select_controls
from assessor.pipeline.hunt import HuntOptions, hunt_vars, merged
from assessor.pipeline.hunt import host_result as hunt_host_result
from assessor.remediation import taskmap
from assessor.remediation.changes import SETUP, EventLog
from assessor.remediation.plan import extravars, make_plan
from assessor.tools import roles_path

LAB = os.environ.get("ASSESSOR_PLAYBOOKS_LAB", "iplay")
PROFILE = "server-l1"
# weak hosts fail these; four roles, a file rewritten, a service reloaded, a live sysctl
CONTROLS = ("ssh.permit-root-login", "login.pass-max-days", "cron.crontab-permissions",
            "net.send-redirects")
COLLECTION = "ansible_collections/assessor/baseline"


lab = module_lab(LAB, 3, "weak,weak,compromised")


@pytest.fixture(scope="module")
def collections(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return installed_collection(tmp_path_factory.mktemp("collection"))


def ansible_playbook(collections: Path, inventory: str, name: str, limit: str,
                     variables: dict[str, Any], out: Path, *extra: str) -> list[TaskResult]:
    """Run `assessor.baseline.NAME` with ansible-playbook alone; every task result per host
    as the junit callback recorded it (loops expanded into their items' results)."""
    out.mkdir(parents=True)
    (out / "vars.json").write_text(json.dumps(variables))
    (out / "empty.cfg").write_text("")
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("ANSIBLE_", "JUNIT_"))}
    env = clean | {
        "ANSIBLE_CONFIG": str(out / "empty.cfg"), "ANSIBLE_COLLECTIONS_PATH": str(collections),
        "ANSIBLE_CALLBACKS_ENABLED": "ansible.builtin.junit",
        "JUNIT_OUTPUT_DIR": str(out / "junit"),
        "PATH": f"{Path(sys.executable).parent}:{clean.get('PATH', '')}",
    }
    proc = subprocess.run(
        [str(Path(sys.executable).parent / "ansible-playbook"), "-i", inventory,
         f"assessor.baseline.{name}", "--limit", limit, "-e", f"@{out / 'vars.json'}", *extra],
        capture_output=True, text=True, env=env, timeout=900, check=False,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-2000:]
    return junit_results(next((out / "junit").glob("*.xml")))


def junit_results(path: Path) -> list[TaskResult]:
    results = []
    for case in ET.parse(path).getroot().iter("testcase"):
        host, _, rest = str(case.get("name", "")).removeprefix("[").partition("] ")
        task = rest.split(": ", 1)[-1]
        where = str(case.get("classname", ""))
        if case.find("skipped") is not None:
            continue
        failed = case.find("failure")
        if failed is not None:
            result: Any = {"msg": failed.get("message", "")}
        else:
            try:
                result = json.loads(case.findtext("system-out") or "{}")
            except json.JSONDecodeError:  # an include's record, not a module's result
                continue
        status = "failed" if failed is not None else "ok"
        results.append(TaskResult(host, task, status, result, where))
        for item in result.get("results", []) if isinstance(result, dict) else []:
            if isinstance(item, dict):
                results.append(TaskResult(host, task, "failed" if item.get("failed") else "ok",
                                          item, where, item=True))
    return results


def changed_controls(record: dict[str, Any], host: str) -> set[str]:
    entry = next(h for h in record["hosts"] if h["name"] == host)
    return {c["control"] for c in entry["changes"] if c["status"] == "changed"} - {SETUP}


def only_run(out: Path) -> Path:
    runs = [p for p in out.iterdir() if p.is_dir()]
    assert len(runs) == 1, runs
    return runs[0]


def verdicts(run_dir: Path, host: str) -> dict[str, str]:
    results = json.loads((run_dir / "results.json").read_text())
    found = next(h for h in results["hosts"] if h["name"] == host)
    return {f["control_id"]: f["status"] for f in found["findings"]}


def test_plain_ansible_playbook_hardens_as_assessor_harden_does(
    lab: fleet.LabState, collections: Path, tmp_path: Path
) -> None:
    proc = run_cli("harden", "-i", lab.inventory, "--profile", PROFILE, "--controls",
                   ",".join(CONTROLS), "--limit", "weak-01", "--out", str(tmp_path / "ours"),
                   timeout=600)
    assert proc.returncode == 1, proc.stdout + proc.stderr  # the rest of the profile fails
    run_dir = only_run(tmp_path / "ours")
    record = json.loads((run_dir / "harden.json").read_text())
    ours = changed_controls(record, "weak-01")
    assert ours == set(CONTROLS), record

    # the same plan's extra vars, as a job template would hold them; every host fails them
    _, _, controls = select_controls(AssessOptions(inventory=Path(lab.inventory),
                                                   out=tmp_path, profile=PROFILE))
    tasks = taskmap.role_tasks(roles_path())
    plan = make_plan(controls, roles_path(), only=list(CONTROLS),
                     role_tags=taskmap.tags_by_role(tasks))
    variables = extravars(plan, "plain-run", check=False, serial="100%",
                          max_fail_percentage=100)
    results = ansible_playbook(collections, lab.inventory, "harden", "weak-02", variables,
                               tmp_path / "plain", "--tags", plan.tags)
    installed = taskmap.role_tasks(collections / COLLECTION / "roles")
    log = EventLog(plan.ids, taskmap.tags_by_location(installed))
    for result in results:
        log.feed(result)
    theirs = log.host("weak-02")
    assert theirs.state == "changed", theirs
    assert {c.control for c in theirs.changes if c.status == "changed"} - {SETUP} == ours
    # the host's own backup manifest records the same paths either way
    mine = json.loads((run_dir / "manifests" / "weak-01.json").read_text())
    assert sorted(e["path"] for e in theirs.manifest["entries"]) == \
        sorted(e["path"] for e in mine["entries"])

    after = assess(Path(lab.inventory), tmp_path / "after", "--profile", PROFILE,
                   "--limit", "weak-02")
    assert verdicts(after.run_dir, "weak-02") == \
        verdicts(only_run(run_dir / "assess-after"), "weak-01")
    assert all(verdicts(after.run_dir, "weak-02")[c] == "pass" for c in CONTROLS)


def test_plain_ansible_playbook_hunts_as_assessor_hunt_does(
    lab: fleet.LabState, collections: Path, tmp_path: Path
) -> None:
    proc = run_cli("hunt", "-i", lab.inventory, "--limit", "compromised-03",
                   "--out", str(tmp_path / "ours"), timeout=600)
    assert proc.returncode == 1, proc.stdout + proc.stderr  # it finds what was planted
    ours = json.loads((only_run(tmp_path / "ours") / "results.json").read_text())["hosts"][0]
    found = {(f["control_id"], f["status"]) for f in ours["findings"]}
    assert any(status == "fail" for _, status in found), ours

    rules = load_rules(None)
    tables = tables_for([])
    options = HuntOptions(inventory=Path(lab.inventory), out=tmp_path)
    results = ansible_playbook(collections, lab.inventory, "hunt", "compromised-03",
                               hunt_vars(options, tables, rules), tmp_path / "plain")
    outcome: HostOutcome | None = None
    for result in results:
        if result.host == "compromised-03" and not result.item and result.status == "ok":
            outcome = merged(outcome, HostOutcome(True, result.result))
    host = InventoryHost("compromised-03", ours["address"], ())
    theirs = hunt_host_result(host, outcome, tables, rules)
    assert {(f.control_id, f.status.value) for f in theirs.findings} == found
