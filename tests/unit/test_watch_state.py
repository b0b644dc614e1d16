"""Drift beyond controls, judged on the controller: against the last cycle for the
timeline, against the first cycle's baseline for alerts; packages only drift; what dpkg
vouched for is "changed by package X upgrade"; the config tailors the coverage profile."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from assessor.errors import ConfigError
from assessor.results import Severity
from assessor.watch.config import load_config
from assessor.watch.coverage import Agent, CoverageConfig, coverage_controls
from assessor.watch.state import HostRecord, judge_state


def state(**changes: dict[str, str]) -> dict[str, Any]:
    base: dict[str, Any] = {
        "suid": {"/usr/bin/passwd": "mode 4755 owner root"},
        "ports": {"tcp 0.0.0.0:22": "sshd[80]"},
        "users": {"root": "uid 0"}, "keys": {}, "cron": {}, "units": {}, "modules": {},
        "packages": {"sudo:amd64": "1.9.13p3-1"},
        "integrity": {"changed": [], "added": [], "removed": [], "deleted": [], "vouched": []},
        "errors": {},
    }
    base.update(changes)
    return base


def cycle(record: HostRecord, host_state: dict[str, Any]) -> tuple[Any, HostRecord]:
    judged = judge_state("web1", host_state, HostRecord.loads(record.dumps()))
    return judged, judged.record


def test_first_cycle_is_the_baseline_and_says_nothing() -> None:
    judged, _ = cycle(HostRecord(), state())
    assert judged.drift == [] and judged.conditions == []
    assert "drift.suid" in judged.judged_kinds and "integrity" in judged.judged_kinds


def test_new_suid_file_is_one_condition_while_it_is_there_and_drift_once() -> None:
    _, record = cycle(HostRecord(), state())
    planted = state(suid={"/usr/bin/passwd": "mode 4755 owner root",
                          "/tmp/.x/sh": "mode 4755 owner root"})
    judged, record = cycle(record, planted)
    assert [(c.kind, c.subject, c.severity) for c in judged.conditions] == [
        ("drift.suid", "/tmp/.x/sh", Severity.HIGH)]
    assert [(d.kind, d.subject) for d in judged.drift] == [("suid-added", "/tmp/.x/sh")]
    again, record = cycle(record, planted)
    assert len(again.conditions) == 1 and again.drift == []  # still there: same condition
    fixed, _ = cycle(record, state())
    assert fixed.conditions == []
    assert [(d.kind, d.subject) for d in fixed.drift] == [("suid-removed", "/tmp/.x/sh")]


def test_new_port_and_key_alert_but_package_upgrades_only_drift() -> None:
    _, record = cycle(HostRecord(), state())
    judged, _ = cycle(record, state(ports={"tcp 0.0.0.0:22": "sshd[80]",
                                           "tcp 0.0.0.0:4444": "nc[999]"},
                                    keys={"root ssh-ed25519 SHA256:abc": "x:1"},
                                    packages={"sudo:amd64": "1.9.13p3-1+deb12u1"}))
    assert sorted(c.kind for c in judged.conditions) == ["drift.keys", "drift.ports"]
    assert ("packages-changed", "sudo:amd64",
            "1.9.13p3-1 -> 1.9.13p3-1+deb12u1") in [d.row()[1:] for d in judged.drift]


def test_integrity_changes_alert_unless_dpkg_vouched() -> None:
    integrity = {"changed": [{"path": "/usr/bin/ls", "was": "a", "now": "b"}], "added": [],
                 "removed": [], "deleted": [],
                 "vouched": [{"path": "/usr/bin/sudo", "package": "sudo",
                              "version": "1.9.13p3-1+deb12u1", "was": "c", "now": "d"}]}
    judged, _ = cycle(HostRecord(), state(integrity=integrity))
    assert [(c.kind, c.subject) for c in judged.conditions] == [("integrity", "/usr/bin/ls")]
    assert [d.detail for d in judged.drift] == [
        "changed by package sudo upgrade (now 1.9.13p3-1+deb12u1): /usr/bin/sudo"]


def test_a_broken_part_is_a_note_and_judges_nothing_it_did_not_read() -> None:
    broken = {"errors": {"inventories": "OSError: boom"},
              "integrity": {"changed": [], "added": [], "removed": [], "deleted": [],
                            "vouched": []}}
    judged, _ = cycle(HostRecord(), broken)
    assert judged.notes == ["web1: watch_state inventories failed: OSError: boom"]
    assert judged.judged_kinds == frozenset({"integrity"})


def test_coverage_controls_take_the_config_collector_age_and_agents() -> None:
    controls = coverage_controls(CoverageConfig(
        "10.0.0.9:6514", 6, (Agent("edr", "falcon-sensor", "falcon-sensor.service", "falcond"),)))
    by_id = {c.id: c for c in controls}
    assert by_id["coverage.log-forwarding"].params["collector"] == "10.0.0.9:6514"
    assert by_id["coverage.clamav-signatures"].params["max_hours"] == 6
    assert by_id["coverage.agent-edr"].params == {
        "package": "falcon-sensor", "unit": "falcon-sensor.service", "process": "falcond"}
    assert {"coverage.clamav-daemon", "coverage.auditd"} <= set(by_id)


def test_a_misp_feed_alone_pulls_and_hunts(tmp_path: Path) -> None:
    path = tmp_path / "watch.yml"
    path.write_text("misp: {url: 'http://127.0.0.1:1/feed/'}\n")
    config = load_config(path)
    assert config.steps == ("assess", "drift", "intel-pull", "hunt")
    assert config.misp == [{"url": "http://127.0.0.1:1/feed/"}]


def test_config_steps_follow_what_it_gives(tmp_path: Path) -> None:
    (tmp_path / "adv.yaml").write_text("x: 1\n")
    path = tmp_path / "watch.yml"
    path.write_text("coverage:\n  collector: 10.0.0.9\n  agents:\n"
                    "    - {name: wazuh, package: wazuh-agent, unit: wazuh-agent.service}\n"
                    "taxii: {api_root: 'http://127.0.0.1:1/api/', collection: c1}\n"
                    "advisories: [adv.yaml]\ndrift: {paths: [/etc]}\n")
    config = load_config(path)
    assert config.steps == ("assess", "drift", "coverage", "intel-pull", "hunt", "exposure")
    assert config.coverage.agents[0].unit == "wazuh-agent.service"
    assert config.taxii == [{"api_root": "http://127.0.0.1:1/api/", "collection": "c1"}]
    assert config.drift == {"paths": ["/etc"]}
    assert config.advisories == (tmp_path / "adv.yaml",)


@pytest.mark.parametrize(("text", "problem"), [
    ("coverage:\n  agents:\n    - {package: x}\n", "needs package and unit"),
    ("drift:\n  pathz: [/etc]\n", "unknown key in drift"),
    ("drift:\n  paths: /etc\n", "a list of paths"),
    ("taxii: {api_root: x}\n", "with api_root and collection"),
    ("steps: [exposure]\n", "needs `advisories`"),
    ("hunt:\n  ioc_urls: [ftp://x/feed.json]\n", "a list of http(s) URLs"),
    ("misp: {url: ftp://x/feed/}\n", "url (http:// or https://) of a MISP feed"),
    ("misp: [{url: 'http://x/feed/', token: t}]\n", "of a MISP feed's directory"),
])
def test_config_mistakes_name_file_and_line(tmp_path: Path, text: str, problem: str) -> None:
    path = tmp_path / "watch.yml"
    path.write_text("interval: 60\n" + text)
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    assert caught.value.message.startswith(f"{path}:") and problem in caught.value.message


class Collecting:
    """A sink that keeps what it is sent."""

    def __init__(self) -> None:
        self.name, self.min_rank = "collect", Severity.LOW.rank
        self.sent: list[dict[str, Any]] = []

    def send(self, message: dict[str, Any]) -> None:
        self.sent.append(message)


def test_a_cycle_turns_host_state_into_one_alert_and_an_unreached_host_resolves_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    from dataclasses import replace

    from assessor.watch import cycle as cycle_module
    from assessor.watch.steps import HostStates
    from assessor.watch.store import open_store

    (tmp_path / "watch.yml").write_text("steps: [drift]\nheartbeat_misses: 5\n")
    sink = Collecting()
    config = replace(load_config(tmp_path / "watch.yml"), sinks=[sink])
    answers = [state(), state(suid={"/usr/bin/passwd": "x", "/tmp/.x/sh": "y"}), None, state()]

    def fake_states(*_args: Any) -> HostStates:
        got = answers.pop(0)
        return HostStates(addresses={"web1": "10.0.0.1"},
                          states={"web1": got} if got is not None else {})

    monkeypatch.setattr(cycle_module, "host_states", fake_states)
    store = open_store(config.store)
    run = lambda: cycle_module.run_cycle(config, tmp_path / "inv", tmp_path / "out", store)  # noqa: E731
    run()  # the baseline
    run()  # the SUID file appears
    assert [(m["event"], m["alert"]["subject"]) for m in sink.sent] == [("open", "/tmp/.x/sh")]
    run()  # the host did not answer: its drift alerts stay as they were
    assert len(sink.sent) == 1 and store.open_alerts()[0].subject == "/tmp/.x/sh"
    run()  # answered again, the file is gone
    assert [m["event"] for m in sink.sent] == ["open", "resolved"]
    assert [d["kind"] for d in store.drift("web1")][:2] == ["suid-removed", "suid-added"]
    store.close()
