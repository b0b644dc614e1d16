"""Every automated control can be applied: its role exists and has a task tagged with it.

The tags come from parsing roles/*/tasks/*.yml, exactly as the harden command maps runner
events back to controls. Controls whose kind no role implements yet are listed below, so
a new gap fails this test and a closed gap must be removed from the list.
"""

from __future__ import annotations

from assessor.catalogue import load_catalogue
from assessor.remediation import taskmap
from assessor.remediation.plan import make_plan
from assessor.tools import roles_path

CATALOGUE = load_catalogue()
AUTOMATED = [c for c in CATALOGUE.controls if "role" in c.remediate]
TASKS = taskmap.role_tasks(roles_path())

# Automated in the catalogue, but no harden role can apply them yet (kind not implemented):
# PAM stacks, audit rules and boot flags, mount options and separate mounts, the nftables
# ruleset, and account fixes that need a person's judgement about which accounts to touch.
KNOWN_GAPS = frozenset({
    "accounts.home-exists", "accounts.home-mode", "accounts.home-owner",
    "accounts.no-nologin-in-shells", "accounts.nologin-locked", "accounts.root-gid",
    "accounts.root-umask", "accounts.shadow-group-empty", "accounts.system-nologin",
    "apt.sources-signed", "audit.backlog-limit", "audit.boot-audit", "audit.rules-chacl",
    "audit.rules-chcon", "audit.rules-file-access", "audit.rules-file-deletion",
    "audit.rules-identity", "audit.rules-immutable", "audit.rules-kernel-modules",
    "audit.rules-logins", "audit.rules-mac-policy", "audit.rules-mounts",
    "audit.rules-network-environment", "audit.rules-permission-changes", "audit.rules-session",
    "audit.rules-setfacl", "audit.rules-sudo-log", "audit.rules-sudoers",
    "audit.rules-time-change", "audit.rules-user-emulation", "audit.rules-usermod",
    "fs.dev-shm-nodev", "fs.dev-shm-noexec", "fs.dev-shm-nosuid", "fs.dev-shm-separate",
    "fs.tmp-nodev", "fs.tmp-noexec", "fs.tmp-nosuid", "fs.tmp-separate", "fs.var-tmp-nodev",
    "fs.var-tmp-noexec", "fs.var-tmp-nosuid", "fs.var-tmp-separate", "fw.live-default-deny",
    "fw.live-loopback", "fw.nftables-base-chains", "fw.nftables-default-deny",
    "fw.nftables-loopback", "fw.single-utility", "logging.rsyslog-no-remote-input",
    "pam.faillock-account", "pam.faillock-deny", "pam.faillock-enabled", "pam.faillock-root",
    "pam.faillock-unlock-time", "pam.pwhistory-enabled", "pam.pwhistory-enforce-root",
    "pam.pwhistory-remember", "pam.pwhistory-use-authtok", "pam.pwquality-dictcheck",
    "pam.pwquality-difok", "pam.pwquality-enabled", "pam.pwquality-enforce-root",
    "pam.pwquality-enforcing", "pam.pwquality-maxrepeat", "pam.pwquality-maxsequence",
    "pam.pwquality-minclass", "pam.pwquality-minlen", "pam.unix-enabled", "pam.unix-hashing",
    "pam.unix-no-nullok", "pam.unix-no-remember", "pam.unix-use-authtok", "sudo.su-restricted",
})


def test_every_remediation_role_exists() -> None:
    missing = {c.id: c.remediate["role"] for c in AUTOMATED
               if not (roles_path() / c.remediate["role"] / "tasks" / "main.yml").is_file()}
    assert missing == {}


def test_every_automated_control_has_a_task_tagged_with_its_id() -> None:
    controls = [(c.id, c.remediate["role"], c.remediate.get("tag", c.id)) for c in AUTOMATED]
    assert taskmap.uncovered(controls, TASKS) == []


def test_tags_are_control_ids_of_their_role() -> None:
    """A stray tag (a typo, a control moved to another role) would run nothing."""
    ids = {c.remediate.get("tag", c.id): c.remediate["role"] for c in AUTOMATED}
    manual = {c.id for c in CATALOGUE.controls if "manual" in c.remediate}
    stray = {
        (task.role, tag) for task in TASKS for tag in task.tags
        if tag != "always" and ids.get(tag) != task.role and tag not in manual
    }
    assert stray == set()


def test_known_gaps_are_exactly_the_controls_no_role_can_apply() -> None:
    plan = make_plan(list(CATALOGUE.controls), roles_path(),
                     role_tags=taskmap.tags_by_role(TASKS))
    assert set(plan.unavailable) == KNOWN_GAPS
    assert len(plan.items) >= 150
