"""The pipeline's seams: runner events to typed results, the judges' records to reporters."""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console
from unit_builders import Snap

from assessor.advisories.patchrun import evidence_of, post_findings
from assessor.errors import NOT_ASSESSED, ConfigError
from assessor.inventory import InventoryHost
from assessor.outcomes import HostOutcome, PlaybookRun
from assessor.pipeline import assessment
from assessor.pipeline.rollback import RESTORE_TASK, restored
from assessor.remediation.changes import Change
from assessor.remediation.record import HardenRecord, HostRecord, RollbackRecord
from assessor.reports import (
    HARDEN_REPORTERS,
    PATCH_REPORTERS,
    ROLLBACK_REPORTERS,
    json_report,
    write_with,
)
from assessor.results import Severity, Status
from assessor.rundir import evidence_dir, host_slug, new_run_dir
from assessor.runner import task_from_event


def raw(kind: str, host: str = "web1", task: str = "t", **data: object) -> dict[str, object]:
    return {"event": kind, "event_data": {"host": host, "task": task, **data}}


def test_runner_names_every_task_event_in_its_own_words() -> None:
    ok = task_from_event(raw("runner_item_on_ok", res={"changed": True}, task_path="r.yml:3"))
    assert ok is not None and (ok.status, ok.item, ok.changed, ok.path) == (
        "ok", True, True, "r.yml:3")
    failed = task_from_event(raw("runner_on_failed", res={"msg": "x"}, ignore_errors=True))
    assert failed is not None and failed.status == "failed" and not failed.failed
    gone = task_from_event(raw("runner_on_unreachable", res={"msg": "no route"}))
    assert gone is not None and gone.failed and gone.result["msg"] == "no route"
    assert task_from_event(raw("playbook_on_stats")) is None
    assert task_from_event({"event": "runner_on_ok", "event_data": {}}) is None


def test_rollback_keeps_the_restore_result_and_the_first_failure() -> None:
    tasks = [task_from_event(e) for e in (
        raw("runner_on_ok", "a", RESTORE_TASK, res={"actions": [{"path": "/etc/x"}]}),
        raw("runner_on_failed", "b", "validate", res={"msg": "first"}),
        raw("runner_on_failed", "b", "reload", res={"msg": "second"}),
        raw("runner_item_on_failed", "c", "loop", res={"msg": "item"}),
        raw("runner_on_failed", "c", "ignored", res={"msg": "ignored"}, ignore_errors=True),
    )]
    record = restored([t for t in tasks if t is not None])
    assert record.hosts == {"a": {"actions": [{"path": "/etc/x"}]}}
    assert record.failures == {"b": "first"}


def test_rollback_record_is_written_through_its_reporter(tmp_path: Path) -> None:
    (path,) = write_with(ROLLBACK_REPORTERS, RollbackRecord({"a": {"x": 1}}, {}), tmp_path)
    assert json.loads(path.read_text()) == {"hosts": {"a": {"x": 1}}, "failures": {}}


def test_harden_record_renders_json_and_an_escaped_page(tmp_path: Path) -> None:
    change = Change("a", "ssh.x", "write", "changed", "-<b>old\n+new")
    record = HardenRecord("r1", "server-l1", "inv", False, "s", "f", ["ssh.x"], [], [], "1",
                          100, False, [], [HostRecord("a", "changed", "", [change])])
    written = write_with(HARDEN_REPORTERS, record, tmp_path)
    assert [p.name for p in written] == ["harden.json", "harden.html"]
    assert json.loads(written[0].read_text())["hosts"][0]["changes"][0]["control"] == "ssh.x"
    page = written[1].read_text()
    assert "&lt;b&gt;old" in page and "<b>old" not in page


def test_patch_evidence_is_judged_pure_and_written_per_host(tmp_path: Path) -> None:
    report = {"before": {"openssl": "1"}, "after": {"openssl": "2"}, "planned": ["openssl=2"],
              "apt_stdout": "done", "reboot_required": {"required": True, "packages": ["x"]}}
    evidence = evidence_of("web/1", report)
    assert evidence.changes == ["openssl 1 -> 2"]
    (reboot,) = post_findings(report, "never", check=False)
    assert reboot.status is Status.MANUAL and "x" in reboot.observed
    written = write_with(PATCH_REPORTERS, [evidence], tmp_path)
    where = evidence_dir(tmp_path, "web/1")
    assert where.parent.name == host_slug("web/1") and len(written) == 5
    assert (where / "packages-changed.txt").read_text() == "openssl 1 -> 2\n"
    assert (where / "packages-before.txt").read_text() == "openssl\t1\n"


def test_run_ids_never_collide(tmp_path: Path) -> None:
    first, second = new_run_dir(tmp_path), new_run_dir(tmp_path)
    assert first != second and second.name.startswith(first.name)


def test_assess_pipeline_wires_outcomes_to_results_and_reporters(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    """plan -> runner -> outcomes -> evaluate -> reporters, with the runner played by data."""
    hosts = [InventoryHost("web1", "10.0.0.1", ("web",)), InventoryHost("db1", "10.0.0.2", ())]
    planned: dict[str, Any] = {}

    def run_playbook(playbook: Path, inventory: Path, work_dir: Path, **kw: Any) -> PlaybookRun:
        planned.update(kw, playbook=playbook.name, work_dir=work_dir)
        outcome = HostOutcome(ok=True, result={"snapshot": Snap().build()})
        kw["on_host"]("web1", outcome)
        kw["on_host"]("db1", HostOutcome(ok=False, message="no route", unreachable=True))
        return PlaybookRun("successful", 0, {"web1": outcome}, str(work_dir))

    monkeypatch.setattr(assessment, "load_inventory", lambda _path, _limit: hosts)
    monkeypatch.setattr(assessment, "run_playbook", run_playbook)
    (tmp_path / "inv.yml").write_text("all: {}\n")  # read by the (fake) Ansible only
    options = assessment.AssessOptions(inventory=tmp_path / "inv.yml", out=tmp_path / "runs")
    result = assessment.assess(options, Console(file=io.StringIO()))
    run_dir = tmp_path / "runs" / result.run_id
    assert planned["playbook"] == "assess.yml" and planned["work_dir"] == run_dir / "ansible"
    assert "sshd" in planned["extravars"]["collect_probes"]
    web, db = result.hosts
    assert web.assessed and web.findings and db.error == "unreachable: no route"
    assert result.exit_code(Severity.LOW) == NOT_ASSESSED
    assert json_report.read(run_dir).hosts[1].error == "unreachable: no route"
    assert (run_dir / "index.html").is_file() and (run_dir / "junit.xml").is_file()


def fake_ansible(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                 run_playbook: Callable[..., PlaybookRun],
                 load_inventory: Callable[..., list[InventoryHost]]) -> assessment.AssessOptions:
    """Assess options for an inventory only the given (fake) Ansible reads."""
    monkeypatch.setattr(assessment, "load_inventory", load_inventory)
    monkeypatch.setattr(assessment, "run_playbook", run_playbook)
    (tmp_path / "inv.yml").write_text("all: {}\n")
    return assessment.AssessOptions(inventory=tmp_path / "inv.yml", out=tmp_path / "runs")


def test_assess_takes_its_hosts_from_the_play_without_reading_the_inventory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The play's closing stats name every host it went through; the inventory is not read
    (a second Ansible starting up) unless waivers need the groups."""
    def run_playbook(playbook: Path, inventory: Path, work_dir: Path, **kw: Any) -> PlaybookRun:
        outcome = HostOutcome(ok=True, result={"snapshot": Snap().build()}, address="10.0.0.1")
        kw["on_host"]("web1", outcome)
        kw["on_host"]("db1", HostOutcome(ok=False, message="no route", unreachable=True,
                                         address="10.0.0.2"))
        return PlaybookRun("successful", 0, {"web1": outcome}, str(work_dir),
                           ended=("web1", "db1", "mute1"))

    def never(*_: Any) -> list[InventoryHost]:
        raise AssertionError("the inventory was read")

    result = assessment.assess(fake_ansible(tmp_path, monkeypatch, run_playbook, never),
                               Console(file=io.StringIO()))
    assert [(h.name, h.address) for h in result.hosts] == [
        ("db1", "10.0.0.2"), ("mute1", "mute1"), ("web1", "10.0.0.1")]
    db, mute, web = result.hosts
    assert web.assessed and db.error == "unreachable: no route"
    assert mute.error == "no result from Ansible for this host"


def test_a_play_that_reached_no_host_gives_the_inventorys_error_and_leaves_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    def run_playbook(playbook: Path, inventory: Path, work_dir: Path, **kw: Any) -> PlaybookRun:
        return PlaybookRun("successful", 0, {}, str(work_dir), ended=())

    def malformed(*_: Any) -> list[InventoryHost]:
        raise ConfigError("inv.yml:3: malformed inventory: bad")

    options = fake_ansible(tmp_path, monkeypatch, run_playbook, malformed)
    with pytest.raises(ConfigError, match="malformed inventory"):
        assessment.assess(options, Console(file=io.StringIO()))
    assert not (tmp_path / "runs").exists()


def test_harden_and_rollback_records_judge_their_exit_code() -> None:
    ok = HostRecord("a", "changed", "", [])
    record = HardenRecord("r1", "p", "inv", False, "s", "f", [], [], [], "1", 100, False, [],
                          [ok])
    assert record.exit_code() == 0
    failed = HardenRecord(**{**record.__dict__, "hosts": [ok, HostRecord("b", "unreachable",
                                                                         "x", [])]})
    assert failed.failed == ["b"] and failed.exit_code() == NOT_ASSESSED
    assert RollbackRecord({"a": {"conflicts": [{"path": "/etc/x"}]}}, {}).exit_code() == 1
    assert RollbackRecord({}, {"a": "unreachable"}).exit_code() == NOT_ASSESSED
