"""Merging execution nodes' events: a node that fails leaves none of its hosts looking done."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from assessor import runner
from assessor.nodes import Shard


def ok(host: str, task_path: str = "") -> dict[str, Any]:
    return {"event": "runner_on_ok", "event_data": {
        "host": host, "task": "t", "task_path": task_path, "res": {"changed": True}}}


def stats(*hosts: str) -> dict[str, Any]:
    return {"event": "playbook_on_stats", "event_data": {"processed": dict.fromkeys(hosts, 1)}}


def fake_nodes(monkeypatch: pytest.MonkeyPatch, streams: dict[str, list[dict[str, Any]]],
               failures: dict[str, str]) -> None:
    def run_on_nodes(shards: list[Shard], playbook: Path, work_dir: Path, handle: Any,
                     **_: Any) -> dict[str, str]:
        for shard in shards:
            for event in streams[shard.node]:
                handle(event)
        return failures

    monkeypatch.setattr(runner, "run_on_nodes", run_on_nodes)


SHARDS = [Shard("n1", ("ssh", "n1"), ("a", "c"), "/tmp/w"),
          Shard("n2", ("ssh", "n2"), ("b",), "/tmp/w")]


def test_a_failed_nodes_hosts_are_unreachable_with_its_reason_even_after_results(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    fake_nodes(monkeypatch, {"n1": [ok("a"), ok("c"), stats("a", "c")], "n2": [ok("b")]},
               {"n2": "worker exited 255, stream cut short"})
    seen: list[str] = []
    run = runner.run_playbook(tmp_path / "p.yml", tmp_path / "i.yml", tmp_path / "w",
                              shards=SHARDS, on_task=lambda t: seen.append(f"{t.host}:{t.status}"))
    assert run.rc == 1
    assert run.hosts["a"].ok and run.hosts["c"].ok
    lost = run.hosts["b"]
    assert lost.unreachable and not lost.ok
    assert lost.message == ("execution node n2: worker exited 255, stream cut short "
                            "(before the play ended on this host)")
    assert seen[-1] == "b:unreachable"  # harden's change log sees it as a task result


def test_a_healthy_node_silent_about_a_host_makes_it_unreachable(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    fake_nodes(monkeypatch, {"n1": [ok("a"), stats("a")], "n2": [ok("b"), stats("b")]}, {})
    run = runner.run_playbook(tmp_path / "p.yml", tmp_path / "i.yml", tmp_path / "w",
                              shards=SHARDS)
    assert run.rc == 0
    assert run.hosts["b"].ok
    assert run.hosts["c"].message == "execution node n1: gave no result for this host"


def test_a_nodes_task_paths_become_the_local_roles_paths() -> None:
    prefixes = {"/tmp/w/project/roles/": "/src/roles/",
                "/tmp/w/project/harden.yml": "/src/p/harden.yml"}
    assert runner.local_path("/tmp/w/project/roles/harden_ssh/tasks/main.yml:12",
                             prefixes) == "/src/roles/harden_ssh/tasks/main.yml:12"
    assert runner.local_path("/tmp/w/project/harden.yml:30", prefixes) == "/src/p/harden.yml:30"
    assert runner.local_path("/elsewhere/x.yml:1", prefixes) == "/elsewhere/x.yml:1"


def test_the_project_is_built_once_with_an_ansible_cfg_finding_roles(tmp_path: Path) -> None:
    playbook = tmp_path / "harden.yml"
    playbook.write_text("---\n")
    project = runner.build_project(playbook, tmp_path / "project")
    assert (project / "roles" / "harden_ssh" / "tasks").is_dir()
    assert (project / "module_utils").is_dir()
    assert (project / "harden.yml").read_text() == "---\n"
    assert "roles_path = roles" in (project / "ansible.cfg").read_text()
    assert not list(project.rglob("__pycache__"))
