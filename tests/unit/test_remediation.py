"""Pure remediation logic: plan and target values, file settings, events, before/after."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from assessor.catalogue import load_catalogue
from assessor.errors import ConfigError
from assessor.outcomes import TaskResult
from assessor.remediation.beforeafter import compare_host
from assessor.remediation.changes import EventLog, diff_text
from assessor.remediation.kinds import file_settings
from assessor.remediation.plan import extravars, make_plan, target_value
from assessor.results import Finding, HostResult, Severity, Status
from assessor.runner import task_from_event
from assessor.tools import roles_path

CONTROLS = {c.id: c for c in load_catalogue().controls}


def test_target_is_the_role_default_when_the_check_accepts_it() -> None:
    assert target_value({"max": 4}, "4") == "4"
    assert target_value({"one_of": ["INFO", "VERBOSE"]}, "VERBOSE") == "VERBOSE"
    assert target_value({"expect": "no"}, "no") == "no"


def test_target_follows_a_stricter_tailoring_over_the_role_default() -> None:
    assert target_value({"max": 3}, "4") == "3"  # tailored `set: {max: 3}`
    assert target_value({"min": 14}, "8") == "14"
    assert target_value({"one_of": ["SHA512"]}, "YESCRYPT") == "SHA512"
    assert target_value({"expect": "0"}, None) == "0"
    assert target_value({"present": True}, None) is None


def test_plan_uses_tailored_params_and_orders_roles() -> None:
    tailored = replace(CONTROLS["ssh.max-auth-tries"],
                       check={"kind": "sshd_effective", "option": "maxauthtries", "max": 3})
    plan = make_plan([tailored, CONTROLS["net.ip-forward"]], roles_path())
    by_id = {i.id: i for i in plan.items}
    assert by_id["ssh.max-auth-tries"].target == "3"
    assert by_id["ssh.max-auth-tries"].settings == (
        {"control": "ssh.max-auth-tries", "key": "MaxAuthTries", "value": "3"},)
    assert by_id["ssh.max-auth-tries"].file is not None
    assert by_id["ssh.max-auth-tries"].file["validate"].startswith("/usr/sbin/sshd -t")
    assert plan.roles == ("harden_ssh", "harden_sysctl")
    assert plan.tags == "ssh.max-auth-tries,net.ip-forward"


def test_controls_and_skip_select_and_reject_unknown_ids() -> None:
    chosen = [CONTROLS["ssh.max-auth-tries"], CONTROLS["net.ip-forward"]]
    plan = make_plan(chosen, roles_path(), skip=["net.ip-forward"])
    assert plan.ids == ["ssh.max-auth-tries"]
    plan = make_plan(chosen, roles_path(), only=["net.ip-forward"])
    assert plan.ids == ["net.ip-forward"]
    with pytest.raises(ConfigError, match="not-a-control"):
        make_plan(chosen, roles_path(), only=["not-a-control"])


def test_manual_controls_are_listed_not_applied() -> None:
    plan = make_plan([CONTROLS["accounts.single-uid0"]], roles_path())
    assert plan.items == () and [c.id for c in plan.manual] == ["accounts.single-uid0"]


def test_a_control_without_a_tagged_task_is_unavailable(tmp_path: Path) -> None:
    plan = make_plan([CONTROLS["net.ip-forward"]], roles_path(), role_tags={"harden_sysctl": set()})
    assert plan.unavailable == ("net.ip-forward",) and plan.items == ()


def test_extravars_carry_the_per_host_failing_controls() -> None:
    plan = make_plan([CONTROLS["net.ip-forward"]], roles_path())
    extra = extravars(plan, "run1", check=True, serial="1", max_fail_percentage=0,
                      failing={"web1": ["net.ip-forward"]})
    assert extra["harden_common_failing"] == {"web1": ["net.ip-forward"]}
    assert extra["assessor_check"] is True and extra["assessor_serial"] == "1"
    assert extra["harden_common_remediation"][0]["settings"][0]["key"] == "net.ipv4.ip_forward"


@pytest.mark.parametrize(("kind", "params", "target", "path", "line"), [
    ("kernel_module_disabled", {"name": "cramfs"}, None, "/etc/modprobe.d/60-assessor.conf",
     "install cramfs /bin/false"),
    ("apt_conf_false", {"option": "Acquire::AllowInsecureRepositories"}, None,
     "/etc/apt/apt.conf.d/60-assessor", 'Acquire::AllowInsecureRepositories "false";'),
    ("sudo_defaults", {"option": "use_pty", "expect": "true"}, "true",
     "/etc/sudoers.d/60-assessor", "Defaults use_pty"),
])
def test_file_settings_per_kind(
    kind: str, params: dict[str, object], target: str | None, path: str, line: str
) -> None:
    placed = file_settings("c", kind, params, target)
    assert placed is not None
    spec, settings = placed
    assert spec["path"] == path and settings[0]["line"] == line


def test_config_value_goes_to_a_late_drop_in_when_the_program_reads_one() -> None:
    params = {"files": ["/etc/systemd/journald.conf", "/etc/systemd/journald.conf.d/*.conf"],
              "section": "Journal", "key": "Storage", "expect": "persistent"}
    placed = file_settings("c", "config_value", params, "persistent")
    assert placed is not None
    assert placed[0] == {"path": "/etc/systemd/journald.conf.d/99-assessor.conf",
                         "separator": "=", "section": "Journal"}
    single = file_settings("c", "config_value",
                           {"files": ["/etc/login.defs"], "key": "UMASK", "separator": " "}, "027")
    assert single is not None and single[0]["path"] == "/etc/login.defs"


def event(kind: str, host: str, res: dict[str, object], task: str = "t",
          path: str = "") -> TaskResult:
    """A runner event as the runner hands it on: the fold below never sees the raw event."""
    result = task_from_event({"event": kind, "event_data": {"host": host, "task": task,
                                                             "res": res, "task_path": path}})
    assert result is not None
    return result


def test_events_are_split_per_control_and_host_states_follow() -> None:
    log = EventLog(["ssh.max-auth-tries", "net.ip-forward"],
                   {"/r/tasks/main.yml:3": ("net.ip-forward",)})
    log.feed(event("runner_on_start", "a", {}))
    log.feed(event("runner_on_ok", "a", {"changed": True, "changes": [
        {"control": "ssh.max-auth-tries", "before": "MaxAuthTries 6", "after": "MaxAuthTries 4"}]}))
    log.feed(event("runner_item_on_ok", "a", {"changed": True, "stdout": "removed x",
                                               "item": {"id": "net.ip-forward"}}))
    diff = {"before": "1\n", "after": "0\n"}
    log.feed(event("runner_on_ok", "a", {"changed": True, "diff": diff},
                   path="/r/tasks/main.yml:3"))
    log.feed(event("runner_on_failed", "b", {"msg": "boom"}, task="write"))
    log.feed(event("runner_on_ok", "a", {"changed": False, "manifest": {"entries": [1]}}))
    a, b = log.hosts["a"], log.hosts["b"]
    assert [(c.control, c.diff) for c in a.changes[:1]] == [
        ("ssh.max-auth-tries", "-MaxAuthTries 6\n+MaxAuthTries 4")]
    assert a.changes[1].control == "net.ip-forward" and a.changes[1].message == "removed x"
    assert a.changes[2].control == "net.ip-forward" and "+0" in a.changes[2].diff
    assert a.state == "changed" and a.manifest == {"entries": [1]}
    assert b.state == "failed" and "write: boom" in b.message
    assert log.host("c").state == "untouched"


def test_diff_text_reads_every_shape_ansible_gives() -> None:
    assert "-a\n+b\n" in diff_text({"before": "a\n", "after": "b\n"})
    assert diff_text([{"prepared": "Remv telnetd"}]) == "Remv telnetd"
    assert diff_text({"before": "same", "after": "same"}) == ""


def finding(control: str, status: Status) -> Finding:
    return Finding(control, "t", "s", Severity.LOW, status, f"why {control}", "", "")


def test_before_after_sorts_fixed_still_failing_and_regressions() -> None:
    before = HostResult("h", findings=[finding("a", Status.FAIL), finding("b", Status.FAIL),
                                       finding("c", Status.PASS), finding("d", Status.MANUAL)])
    after = HostResult("h", findings=[finding("a", Status.PASS), finding("b", Status.FAIL),
                                      finding("c", Status.FAIL), finding("d", Status.MANUAL)])
    result = compare_host("h", "changed", before, after)
    assert [r.control for r in result.fixed] == ["a"]
    assert [(r.control, r.reason) for r in result.still_failing] == [("b", "why b")]
    assert [r.control for r in result.regressions] == ["c"]
    assert not result.ok


def test_before_after_reports_a_host_not_assessed() -> None:
    result = compare_host("h", "failed", HostResult("h", error="unreachable: x"), None)
    assert result.error == "unreachable: x" and not result.ok
