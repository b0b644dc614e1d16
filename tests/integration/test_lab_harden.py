"""`assessor harden` and `rollback` on real lab hosts: preview, apply, idempotence, undo, waves.

Own lab (ASSESSOR_HARDEN_LAB, default `ihd`) of three `weak` hosts, because these tests
change hosts: weak-03 is previewed, weak-01 hardened and rolled back, weak-02 broken on
purpose to stop a wave. Files are read straight from each host's root on this machine.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

from labrun import (
    Run,
    assess,
    lab_exempt,
    machine_decided,
    module_lab,
    root_of,
    run_cli,
    ssh_ops,
)

from assessor.catalogue import load_catalogue
from assessor.lab import fleet
from assessor.rundir import ASSESS_AFTER

LAB = os.environ.get("ASSESSOR_HARDEN_LAB", "ihd")
PROFILE = "server-l1"


lab = module_lab(LAB, 3, "weak")


def tree(root: Path, top: str = "etc") -> dict[str, tuple[str, int, int, int]]:
    """Every file and directory under root/top: (sha256 or type, mode, uid, gid)."""
    out = {}
    for path in sorted((root / top).rglob("*")):
        info = path.lstat()
        kind = hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() and \
            not path.is_symlink() else ("link" if path.is_symlink() else "dir")
        out[str(path.relative_to(root))] = (kind, info.st_mode, info.st_uid, info.st_gid)
    return out


def harden(
    inventory: str, out: Path, *extra: str
) -> tuple[subprocess.CompletedProcess[str], dict[str, Any]]:
    proc = run_cli("harden", "-i", inventory, "--profile", PROFILE, "--out", str(out), *extra,
                   timeout=600)
    runs = sorted(p for p in out.iterdir() if (p / "harden.json").is_file())
    assert runs, proc.stdout + proc.stderr
    return proc, json.loads((runs[-1] / "harden.json").read_text())


def changed(record: dict[str, Any], host: str) -> list[dict[str, Any]]:
    entry = next(h for h in record["hosts"] if h["name"] == host)
    return [c for c in entry["changes"] if c["status"] == "changed"]


def statuses(run_dir: Path, host: str) -> dict[str, str]:
    results = json.loads((run_dir / "results.json").read_text())
    found = next(h for h in results["hosts"] if h["name"] == host)
    return {f["control_id"]: f["status"] for f in found["findings"]}


def test_check_previews_per_control_and_changes_nothing(
    lab: fleet.LabState, tmp_path: Path
) -> None:
    root = root_of(lab, "weak-03")
    before = tree(root)
    proc, record = harden(lab.inventory, tmp_path, "--limit", "weak-03", "--check")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert record["check"] is True
    changes = changed(record, "weak-03")
    by_control = {c["control"]: c for c in changes}
    assert "+PermitRootLogin no" in by_control["ssh.permit-root-login"]["diff"]
    assert "PASS_MAX_DAYS" in by_control["login.pass-max-days"]["diff"]
    assert "mode 0600" in by_control["cron.crontab-permissions"]["diff"]
    # apt's own simulation (check mode): what it would remove
    telnetd = by_control["pkg.telnetd-absent"]
    assert "Remv telnetd" in telnetd["diff"] + telnetd["message"], telnetd
    assert "would change" in proc.stderr  # piped: notes on stderr, the listing on stdout
    assert tree(root) == before, "a --check run changed files under /etc"
    assert not (root / "var/backups/assessor").exists()


def test_harden_fixes_rolls_back_and_is_idempotent(lab: fleet.LabState, tmp_path: Path) -> None:
    root = root_of(lab, "weak-01")
    original = tree(root)
    proc, record = harden(lab.inventory, tmp_path / "first", "--limit", "weak-01")
    host = next(h for h in record["hosts"] if h["name"] == "weak-01")
    assert host["state"] == "changed", proc.stdout + proc.stderr
    assert host["comparison"]["regressions"] == []
    assert len(host["comparison"]["fixed"]) >= 40

    # every automated control of the profile now passes, except known remediation gaps
    automated = {c.id for c in load_catalogue().profile(PROFILE) if "role" in c.remediate}
    # and those this machine's kernel decides (see labrun.machine_decided), which keep the
    # machine's verdict
    decided = machine_decided(lab)
    expected = automated - set(lab_exempt()) - set(record["unavailable"]) - set(decided)
    # harden's own assessment after (the same profile and limit as `assess` would take)
    run_dir = next(p for p in (tmp_path / "first").iterdir() if (p / "harden.json").is_file())
    found = statuses(Run(0, "", "", run_dir / ASSESS_AFTER).run_dir, "weak-01")
    not_passing = {c: found[c] for c in expected if found[c] not in ("pass", "notapplicable")}
    assert not not_passing, not_passing
    wrong = {c: (found[c], b.reason) for c, b in decided.items()
             if c in automated and found[c] != b.status.value}
    assert not wrong, wrong

    # the operator is not locked out
    reach = ssh_ops(lab, "weak-01", "sudo -n true && echo still-admin")
    assert "still-admin" in reach.stdout, reach.stderr

    # a second run changes nothing
    proc2, again = harden(lab.inventory, tmp_path / "second", "--limit", "weak-01")
    assert changed(again, "weak-01") == [], proc2.stdout

    # rollback restores every recorded file byte for byte, and the failures come back
    manifest = json.loads((run_dir / "manifests" / "weak-01.json").read_text())
    assert manifest["entries"], "no backups recorded"
    rolled = run_cli("rollback", str(run_dir))
    assert rolled.returncode == 0, rolled.stdout + rolled.stderr
    assert "not restored byte for byte" in rolled.stdout  # the removed packages
    now = tree(root)
    for entry in manifest["entries"]:
        key = entry["path"].lstrip("/")
        if not entry["existed"]:
            assert key not in now, f"{entry['path']} should be gone again"
        elif key.startswith("etc/"):
            assert now[key] == original[key], f"{entry['path']} not restored"
    reverted = assess(Path(lab.inventory), tmp_path / "reverted", "--profile", PROFILE,
                      "--limit", "weak-01")
    back = statuses(reverted.run_dir, "weak-01")
    fixed = {row["control"] for row in host["comparison"]["fixed"]}
    removed_packages = {c for c in fixed if c.startswith("pkg.")}
    live_mounts = {c.id for c in load_catalogue().controls  # mounted until the next boot
                   if c.kind in ("separate_mount", "mount_option")} & fixed
    assert not live_mounts or "stay live until the next boot" in rolled.stdout
    assert {c for c in fixed - removed_packages - live_mounts if back[c] == "pass"} == set()


def test_wave_stops_at_failure_percentage_and_names_untouched(
    lab: fleet.LabState, tmp_path: Path
) -> None:
    dropins = root_of(lab, "weak-02") / "etc/ssh/sshd_config.d"
    shutil.rmtree(dropins)
    dropins.write_text("not a directory: the ssh role cannot write its drop-in here\n")
    untouched_root = root_of(lab, "weak-03")
    before = tree(untouched_root)
    proc, record = harden(lab.inventory, tmp_path, "--limit", "weak-02,weak-03",
                          "--serial", "1", "--max-fail-percentage", "0")
    assert proc.returncode == 3, proc.stdout + proc.stderr
    states = {h["name"]: h["state"] for h in record["hosts"]}
    assert states == {"weak-02": "failed", "weak-03": "untouched"}
    assert record["untouched"] == ["weak-03"] and record["stopped"] is True
    assert "left untouched: weak-03" in proc.stderr.replace("\n", " ")
    assert tree(untouched_root) == before
