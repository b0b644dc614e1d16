"""AWX and plain ansible-runner runs of the assess playbook give the assessor's own reports.

The session lab is assessed once by `assessor assess` (full_run). Here the same playbook runs
with ansible-runner alone, configured only by the checkout's ansible.cfg (no assessor
process, as an AWX job template runs it); `assessor report --from-artifacts` judges its
artifact directory, and then an AWX-shaped job_events export built from those events. Each
host's every control must get the verdict full_run gave.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import ansible_runner
import pytest
from labrun import Run, run_cli

from assessor.catalogue import load_catalogue
from assessor.evaluate import plan_probes
from assessor.lab import fleet
from assessor.tools import PROJECT_ROOT


def statuses(results: dict[str, object]) -> dict[tuple[str, str], str]:
    hosts = results["hosts"]
    assert isinstance(hosts, list)
    return {(h["name"], f["control_id"]): f["status"] for h in hosts for f in h["findings"]}


@pytest.fixture(scope="module")
def artifacts(lab: fleet.LabState, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The assess playbook run by ansible-runner with only ansible.cfg for settings."""
    private = tmp_path_factory.mktemp("runner")
    probes = plan_probes(load_catalogue().profile("server-l2"))
    clean = {k: v for k, v in os.environ.items() if not k.startswith("ANSIBLE_")}
    result = ansible_runner.run(
        private_data_dir=str(private), playbook=str(PROJECT_ROOT / "playbooks" / "assess.yml"),
        inventory=lab.inventory, extravars={"collect_probes": probes}, quiet=True,
        envvars={"ANSIBLE_CONFIG": str(PROJECT_ROOT / "ansible.cfg"),
                 "PATH": f"{Path(sys.executable).parent}:{clean.get('PATH', '')}"},
        timeout=600,
    )
    assert result.rc == 0, result.stdout.read()
    return Path(result.config.artifact_dir)


def judged(tmp: Path, source: Path, inventory: str) -> Run:
    out = tmp / "reports"
    proc = run_cli("report", "--from-artifacts", str(source), "-i", inventory,
                   "--profile", "server-l2", "--out", str(out))
    assert proc.returncode in (0, 1), proc.stderr
    return Run(proc.returncode, proc.stdout, proc.stderr, out)


def test_runner_artifacts_judge_like_assess(
    artifacts: Path, lab: fleet.LabState, full_run: Run, tmp_path: Path
) -> None:
    run = judged(tmp_path, artifacts, lab.inventory)
    assert run.code == full_run.code
    assert statuses(run.results) == statuses(full_run.results)
    for host in lab.hosts:
        assert (run.run_dir / "hosts" / host.name / "report.html").is_file()


def test_awx_job_events_export_judges_like_assess(
    artifacts: Path, lab: fleet.LabState, full_run: Run, tmp_path: Path
) -> None:
    """What `GET /api/v2/jobs/N/job_events/` returns, two pages, as one saved file."""
    events = [json.loads(p.read_text()) for p in sorted((artifacts / "job_events").glob("*.json"))]
    pages = [
        {"count": len(events), "next": "/api/v2/jobs/7/job_events/?page=2", "previous": None,
         "results": [awx_event(e) for e in events[: len(events) // 2]]},
        {"count": len(events), "next": None, "previous": "/api/v2/jobs/7/job_events/?page=1",
         "results": [awx_event(e) for e in events[len(events) // 2:]]},
    ]
    export = tmp_path / "job_events.json"
    export.write_text(json.dumps(pages))
    run = judged(tmp_path, export, lab.inventory)
    assert statuses(run.results) == statuses(full_run.results)


def awx_event(event: dict[str, object]) -> dict[str, object]:
    """An ansible-runner event as AWX's job_events API shows it (AWX stores event_data)."""
    data = event.get("event_data") or {}
    assert isinstance(data, dict)
    return {
        "id": event["counter"], "type": "job_event", "job": 7, "event": event["event"],
        "counter": event["counter"], "event_data": data, "host_name": data.get("host", ""),
        "uuid": event.get("uuid"), "created": event.get("created"), "failed": False,
        "changed": False, "task": data.get("task", ""), "play": data.get("play", ""),
    }


@pytest.fixture(scope="module")
def collection_artifacts(lab: fleet.LabState, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """`assessor.baseline.assess` from the built collection, installed offline into an
    empty collections path, run by ansible-runner with no other configuration: as AWX runs it."""
    work = tmp_path_factory.mktemp("collection")
    built = run_cli("collection", "build", "--out", str(work / "dist"))
    assert built.returncode == 0, built.stderr
    tarball = next((work / "dist").glob("assessor-baseline-*.tar.gz"))
    installed = subprocess.run(
        [str(Path(sys.executable).parent / "ansible-galaxy"), "collection", "install", "--offline",
         str(tarball), "-p", str(work / "collections")],
        capture_output=True, text=True, timeout=300, check=False,
    )
    assert installed.returncode == 0, installed.stderr
    empty = work / "empty.cfg"
    empty.write_text("")
    (work / "runner").mkdir()
    clean = {k: v for k, v in os.environ.items() if not k.startswith("ANSIBLE_")}
    result = ansible_runner.run(
        private_data_dir=str(work / "runner"), playbook="assessor.baseline.assess",
        inventory=lab.inventory, quiet=True, timeout=600,
        extravars={"collect_probes": plan_probes(load_catalogue().profile("server-l2"))},
        envvars={"ANSIBLE_CONFIG": str(empty),
                 "ANSIBLE_COLLECTIONS_PATH": str(work / "collections"),
                 "PATH": f"{Path(sys.executable).parent}:{clean.get('PATH', '')}"},
    )
    assert result.rc == 0, result.stdout.read()
    return Path(result.config.artifact_dir)


def test_installed_collection_assesses_like_assess(
    collection_artifacts: Path, lab: fleet.LabState, full_run: Run, tmp_path: Path
) -> None:
    run = judged(tmp_path, collection_artifacts, lab.inventory)
    assert statuses(run.results) == statuses(full_run.results)
