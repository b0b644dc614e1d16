"""`assessor harden` of the PAM controls and su (server-l2) on a real `weak` lab host.

Own lab (ASSESSOR_HARDEN_PAM_LAB, default `ihpam`) of two `weak` hosts: weak-02 is only
previewed, weak-01 hardened, probed as a user would meet PAM, run again and rolled back.
Files are read straight from each host's root on this machine.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

from labrun import Run, assess, module_lab, run_cli
from test_lab_harden import changed, root_of, ssh_ops, statuses, tree

from assessor.catalogue import load_catalogue
from assessor.lab import fleet
from assessor.rundir import ASSESS_AFTER, ASSESS_BEFORE

LAB = os.environ.get("ASSESSOR_HARDEN_PAM_LAB", "ihpam")
PROFILE = "server-l2"
IDS = sorted(c.id for c in load_catalogue().profile(PROFILE)
             if c.id.startswith("pam.") or c.id == "sudo.su-restricted")
# what the PAM steps write: the stacks, pam-auth-update's profiles and state, module files
TOPS = ("etc", "var/lib/pam", "usr/share/pam-configs")
PASSWORD = "Lab-su-Pw-2026"
# SHA-512 crypt of PASSWORD (fixed salt), so the test needs no crypt library here
PASSWORD_HASH = ("$6$assessorlab$Sq.2hwFE9OW6xt148n8jQ7wl.0RvKmtGKhL6B1fRRqh6AMJ19BLoodYHBmwlw"
                 ".YILOxMzxtDvMJ.nMw8lxmuB/")


lab = module_lab(LAB, 2, "weak")


def trees(root: Path) -> dict[str, tuple[str, int, int, int]]:
    out: dict[str, tuple[str, int, int, int]] = {}
    for top in TOPS:
        out.update(tree(root, top))
    return out


def harden(inventory: str, out: Path, *extra: str) -> tuple[subprocess.CompletedProcess[str],
                                                            dict[str, Any]]:
    proc = run_cli("harden", "-i", inventory, "--profile", PROFILE, "--controls", ",".join(IDS),
                   "--out", str(out), *extra, timeout=600)
    runs = sorted(p for p in out.iterdir() if (p / "harden.json").is_file())
    assert runs, proc.stdout + proc.stderr
    return proc, json.loads((runs[-1] / "harden.json").read_text())


def as_root(lab: fleet.LabState, name: str, script: str) -> subprocess.CompletedProcess[str]:
    """A shell script run as root on the host through ops's sudo, as an admin would."""
    return ssh_ops(lab, name, "sudo -n sh -c " + _quote(script))


def su_as_guest() -> str:
    """guest runs su to guest, typing its right password: only pam_wheel can refuse it."""
    inner = f"echo {PASSWORD} | su guest -s /bin/sh -c 'echo in-as-$(id -un)'"
    return f"su guest -s /bin/sh -c {_quote(inner)}"


def _quote(text: str) -> str:
    return "'" + text.replace("'", "'\"'\"'") + "'"


def test_check_previews_every_failing_control_and_changes_nothing(
    lab: fleet.LabState, tmp_path: Path
) -> None:
    root = root_of(lab, "weak-02")
    before = trees(root)
    proc, record = harden(lab.inventory, tmp_path, "--limit", "weak-02", "--check")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    previewed = {c["control"] for c in changed(record, "weak-02")}
    # weak = Debian as installed: no faillock, no pwhistory, nullok, pwquality defaults
    for control in ("pam.faillock-enabled", "pam.pwhistory-enabled", "pam.unix-no-nullok",
                    "pam.pwquality-minlen", "pam.faillock-deny", "sudo.su-restricted"):
        assert control in previewed, (control, sorted(previewed))
    assert trees(root) == before, "a --check run changed files"
    assert not (root / "var/backups/assessor").exists()


def test_harden_pam_works_for_users_is_idempotent_and_rolls_back(
    lab: fleet.LabState, tmp_path: Path
) -> None:
    root = root_of(lab, "weak-01")
    # as installed, root may give anyone a short password (pwquality only warns root)
    assert as_root(lab, "weak-01", "echo 'guest:Abc1-x' | chpasswd").returncode == 0
    # guest gets a known password (set by hash: no PAM rule judges it) and can su to itself
    made = as_root(lab, "weak-01", f"echo 'guest:{PASSWORD_HASH}' | chpasswd -e")
    assert made.returncode == 0, made.stderr
    assert "in-as-guest" in as_root(lab, "weak-01", su_as_guest()).stdout
    original = trees(root)
    proc, record = harden(lab.inventory, tmp_path / "first", "--limit", "weak-01")
    host = next(h for h in record["hosts"] if h["name"] == "weak-01")
    assert host["state"] == "changed", proc.stdout + proc.stderr
    assert record["unavailable"] == [] and host["comparison"]["regressions"] == []
    # harden's own assessments before and after (the profile on the same limit)
    run_dir = next(p for p in (tmp_path / "first").iterdir() if (p / "harden.json").is_file())
    before = statuses(Run(0, "", "", run_dir / ASSESS_BEFORE).run_dir, "weak-01")
    failing = {c for c in IDS if before[c] == "fail"}
    assert len(failing) >= 10, before
    after = statuses(Run(0, "", "", run_dir / ASSESS_AFTER).run_dir, "weak-01")
    assert {c: after[c] for c in IDS if after[c] != "pass"} == {}

    # the stacks were made by pam-auth-update, in its order, with our profiles enabled
    auth = (root / "etc/pam.d/common-auth").read_text()
    assert auth.index("pam_faillock.so preauth") < auth.index("pam_unix.so") \
        < auth.index("pam_faillock.so authfail")
    enabled = set((root / "var/lib/pam/auth").read_text().split()) | set(
        (root / "var/lib/pam/password").read_text().split())
    assert {"assessor-faillock", "assessor-faillock-notify", "assessor-pwhistory"} <= enabled

    # ops still logs in by key and gets root by sudo; root still gets su
    reach = ssh_ops(lab, "weak-01", "sudo -n true && echo still-admin")
    assert "still-admin" in reach.stdout, reach.stderr
    su = as_root(lab, "weak-01", "su -c 'echo su-as-root' root")
    assert "su-as-root" in su.stdout, su.stderr
    # su refuses everyone else, even with the right password (the group is empty)
    assert "in-as-guest" not in as_root(lab, "weak-01", su_as_guest()).stdout
    # the password rules bind root too: root's chpasswd of a short password is refused
    short = as_root(lab, "weak-01", "echo 'guest:Abc1-x' | chpasswd")
    assert short.returncode != 0 and "shorter than 14" in short.stderr, short.stderr

    proc2, second = harden(lab.inventory, tmp_path / "second", "--limit", "weak-01")
    assert changed(second, "weak-01") == [], proc2.stdout

    manifest = json.loads((run_dir / "manifests" / "weak-01.json").read_text())
    recorded = {e["path"] for e in manifest["entries"]}
    assert {"/etc/pam.d/common-auth", "/var/lib/pam/auth", "/etc/pam.d/su",
            "/etc/security/pwquality.conf"} <= recorded
    rolled = run_cli("rollback", str(run_dir))
    assert rolled.returncode == 0, rolled.stdout + rolled.stderr
    now = trees(root)
    for entry in manifest["entries"]:
        key = entry["path"].lstrip("/")
        if not entry["existed"]:
            assert key not in now, f"{entry['path']} should be gone again"
        elif key.startswith(TOPS) and key not in ("etc/shadow", "etc/shadow-"):
            assert now[key] == original[key], f"{entry['path']} not restored"
    back = statuses(assess(Path(lab.inventory), tmp_path / "reverted", "--profile", PROFILE,
                           "--limit", "weak-01").run_dir, "weak-01")
    assert {c for c in failing if back[c] != "fail"} == set()
