"""Pure parts of the watch: alert life, drift, heartbeats, metrics, config errors."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from assessor.errors import ConfigError
from assessor.results import Finding, HostResult, Severity, Status
from assessor.watch.alerts.model import Condition, alert_id, reconcile
from assessor.watch.config import load_config
from assessor.watch.drift import control_drift, set_drift
from assessor.watch.heartbeats import missed_hosts, stall
from assessor.watch.metrics import render
from assessor.watch.store import HostCycle

T0 = datetime(2026, 12, 1, 10, tzinfo=UTC)
COND = Condition("web1", "control", "ssh.root", Severity.HIGH, "root login allowed")


def f(cid: str, status: Status, severity: Severity = Severity.HIGH) -> Finding:
    return Finding(cid, cid, "s", severity, status, "why", "e", "o")


def test_alert_id_is_stable_and_distinct() -> None:
    assert alert_id("web1", "control", "a") == alert_id("web1", "control", "a")
    assert alert_id("web1", "control", "a") != alert_id("web2", "control", "a")
    assert alert_id("a\x00b", "c", "d") != alert_id("a", "b\x00c", "d")


def test_alert_opens_once_renotifies_after_interval_and_resolves() -> None:
    always = lambda a: True  # noqa: E731
    saved, notes = reconcile([], [COND], T0, 3600, always)
    assert [n.event for n in notes] == ["open"] and saved[0].count == 1
    saved, notes = reconcile(saved, [COND], T0 + timedelta(minutes=30), 3600, always)
    assert notes == [] and saved[0].count == 2 and saved[0].first_seen == T0.isoformat()
    saved, notes = reconcile(saved, [COND], T0 + timedelta(minutes=61), 3600, always)
    assert [n.event for n in notes] == ["renotify"]
    first_key = notes[0].key
    saved, notes = reconcile(saved, [], T0 + timedelta(minutes=70), 3600, always)
    assert [n.event for n in notes] == ["resolved"] and saved[0].state == "resolved"
    assert notes[0].key != first_key
    resolved = saved
    saved, notes = reconcile(resolved, [], T0 + timedelta(minutes=80), 3600, always)
    assert saved == [] and notes == []  # resolved stays resolved, silently
    saved, notes = reconcile(resolved, [COND], T0 + timedelta(minutes=90), 3600, always)
    # reopening is a new notification with a key never used before
    assert [n.event for n in notes] == ["open"] and notes[0].key != first_key


def test_an_unjudged_alert_is_not_resolved() -> None:
    saved, _ = reconcile([], [COND], T0, 3600, lambda a: True)
    kept, notes = reconcile(saved, [], T0 + timedelta(minutes=5), 3600, lambda a: False)
    assert kept == [] and notes == []


def test_control_drift_newly_failing_fixed_and_score() -> None:
    before = HostCycle(1, "web1", True, 66.7, "", {"a": "pass", "b": "fail", "c": "pass"})
    now = HostResult("web1", findings=[f("a", Status.FAIL), f("b", Status.PASS),
                                       f("c", Status.ERROR)])
    items = {(i.kind, i.subject): i.detail for i in control_drift(before, now)}
    assert set(items) == {("control-failing", "a"), ("control-failing", "c"),
                          ("control-fixed", "b"), ("score", "score")}
    assert items[("score", "score")] == "66.7 -> 33.3 (-33.4)"
    same = HostResult("web1", findings=[f("a", Status.PASS), f("b", Status.FAIL),
                                        f("c", Status.PASS)])
    assert control_drift(before, same) == []
    assert control_drift(None, now) == []
    assert control_drift(before, HostResult("web1", error="unreachable")) == []


def test_set_drift() -> None:
    items = set_drift("h", "suid", ["/usr/bin/su"], ["/usr/bin/su", "/tmp/x"])
    assert [(i.kind, i.subject) for i in items] == [("suid-added", "/tmp/x")]
    assert set_drift("h", "port", ["tcp/22"], [])[0].kind == "port-removed"


def test_heartbeat_after_n_misses_and_stall() -> None:
    recent = {"up": [True, False, False], "down": [False, False, False], "new": [False]}
    assert [c.host for c in missed_hosts(recent, 3)] == ["down"]
    assert missed_hosts({"flaky": [False, False, True]}, 3) == []
    assert stall(30, 60) == []
    assert stall(61, 60)[0].kind == "stall"


def test_metrics_textfile_format() -> None:
    saved, _ = reconcile([], [COND], T0, 3600, lambda a: True)
    text = render([HostResult("a", findings=[f("x", Status.FAIL)]), HostResult("b", error="x")],
                  saved, 12.5, 1764583200)
    assert "assessor_watch_hosts_up 1\n" in text and "assessor_watch_hosts 2\n" in text
    assert 'assessor_watch_findings{severity="high"} 1\n' in text
    assert 'assessor_watch_open_alerts{severity="high"} 1\n' in text
    assert "assessor_watch_cycle_duration_seconds 12.500\n" in text
    assert text.count("# TYPE ") == 6


def test_config_with_only_sinks_uses_defaults(tmp_path: Path) -> None:
    (tmp_path / "hook.key").write_text("k\n")
    path = tmp_path / "watch.yml"
    path.write_text("sinks:\n  - {type: syslog, url: 'udp://127.0.0.1:5514'}\n"
                    "  - {type: webhook, url: 'http://127.0.0.1:8099/hook',"
                    " secret_file: hook.key}\n"
                    "  - {type: email, url: 'smtp://127.0.0.1:8025', from: w@x.org,"
                    " to: [s@x.org]}\n")
    config = load_config(path)
    assert config.steps == ("assess", "drift") and config.store == str(tmp_path / "watch.db")
    assert [s.name.split(":")[0] for s in config.sinks] == ["syslog", "webhook", "email"]


def test_misp_feed_key_is_read_from_its_file(tmp_path: Path) -> None:
    (tmp_path / "misp.key").write_text("automation-key\n")
    path = tmp_path / "watch.yml"
    path.write_text("misp:\n  - {url: 'https://misp.example/feeds/a/', key_file: misp.key}\n"
                    "  - {url: 'https://misp.example/feeds/b/'}\n")
    config = load_config(path)
    assert config.misp == [{"url": "https://misp.example/feeds/a/", "key": "automation-key"},
                           {"url": "https://misp.example/feeds/b/"}]
    (tmp_path / "misp.key").unlink()
    with pytest.raises(ConfigError, match=r"watch\.yml:2: key_file: .*misp\.key: No such file"):
        load_config(path)


@pytest.mark.parametrize(("text", "message"), [
    ("interval: -1\n", "watch.yml:1: interval: must be a positive"),
    ("misp: {url: 'https://m.example/f/', token: x}\n", "watch.yml:1: misp: a mapping"),
    ("sinks:\n  - type: pager\n", "watch.yml:2: type: 'pager' is not one of"),
    ("sinks:\n  - type: syslog\n    url: http://x\n", "watch.yml:3: url: 'http://x'"),
    ("sinks:\n  - type: webhook\n    url: http://x\n    secret_file: none.key\n",
     "watch.yml:4: secret_file:"),
    ("steps: [assess, dance]\n", "watch.yml:1: steps:"),
    ("colour: red\n", "watch.yml:1: colour: unknown key"),
    ("min_severity: huge\n", "watch.yml:1: min_severity: 'huge'"),
])
def test_config_errors_name_file_and_line(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "watch.yml"
    path.write_text(text)
    with pytest.raises(ConfigError, match=message.replace("(", r"\(")) as caught:
        load_config(path)
    assert caught.value.exit_code == 2
