"""`assessor harden` for the firewall, account, APT-source and rsyslog-input controls.

Own lab (ASSESSOR_HARDEN_FW_LAB, default `hfa`): weak-01 gets a second firewall
utility, a trusted APT source and an rsyslog network input on top of Debian's defaults
and is hardened with its firewall (nftables is installed there); insecure-02 has the
account faults of the `insecure` flavour (nftables is purged there and the lab has no
mirror, so its firewall controls are not in reach); weak-03 carries a default-deny
ruleset that drops SSH, which the firewall role must refuse to load or enable. After
each run the operator must still reach every host over SSH and use sudo.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
from pathlib import Path
from typing import Any

from labrun import Run, assess, module_lab, root_of, run_cli, ssh_ops

from assessor.lab import fleet
from assessor.rundir import ASSESS_AFTER, ASSESS_BEFORE

LAB = os.environ.get("ASSESSOR_HARDEN_FW_LAB", "hfa")
PROFILE = "server-l2"
FIREWALL = [
    "fw.nftables-installed", "fw.single-utility", "fw.ufw-absent", "fw.nftables-enabled",
    "fw.nftables-base-chains", "fw.nftables-default-deny", "fw.nftables-loopback",
    "fw.live-default-deny", "fw.live-loopback",
]
ACCOUNTS = [
    "accounts.root-gid", "accounts.root-umask", "accounts.system-nologin",
    "accounts.nologin-locked", "accounts.no-nologin-in-shells", "accounts.shadow-group-empty",
    "accounts.home-exists", "accounts.home-owner", "accounts.home-mode",
]
OTHERS = ["apt.sources-signed", "logging.rsyslog-no-remote-input", "cron.enabled"]
TIMEOUT = "accounts.shell-timeout"
DUMMY_UFW = r"""set -e
work=$(mktemp -d)
mkdir -p "$work/ufw/DEBIAN"
cat > "$work/ufw/DEBIAN/control" <<'END'
Package: ufw
Version: 99:0.0-lab
Architecture: all
Maintainer: lab <lab@lab.invalid>
Description: lab stand-in for a second firewall utility
 ships no files.
END
dpkg-deb -Zgzip --build "$work/ufw" "$work/ufw.deb" >/dev/null
dpkg -i "$work/ufw.deb" >/dev/null
rm -rf "$work"
"""
RSYSLOG_INPUT = """# a network input spread over several lines
module(load="imudp"
       threads="2")
input(type="imudp" port="514")
"""
DROPS_SSH = """#!/usr/sbin/nft -f
flush ruleset
table inet filter {
\tchain input {
\t\ttype filter hook input priority filter; policy drop;
\t\tiif "lo" accept
\t\ttcp dport 2222 accept
\t}
\tchain forward {
\t\ttype filter hook forward priority filter; policy drop;
\t}
\tchain output {
\t\ttype filter hook output priority filter; policy accept;
\t}
}
"""


lab = module_lab(LAB, 3, "weak,insecure,weak")


def harden(lab: fleet.LabState, out: Path, host: str, controls: list[str],
           ) -> tuple[subprocess.CompletedProcess[str], dict[str, Any]]:
    proc = run_cli("harden", "-i", lab.inventory, "--profile", PROFILE, "--out", str(out),
                   "--limit", host, "--controls", ",".join(controls), timeout=600)
    runs = sorted(p for p in out.iterdir() if (p / "harden.json").is_file())
    assert runs, proc.stdout + proc.stderr
    return proc, json.loads((runs[-1] / "harden.json").read_text())


def host_record(record: dict[str, Any], name: str) -> dict[str, Any]:
    return next(h for h in record["hosts"] if h["name"] == name)


def statuses(lab: fleet.LabState, out: Path, host: str, controls: list[str]) -> dict[str, str]:
    return judged(assess(Path(lab.inventory), out, "--profile", PROFILE, "--limit", host),
                  host, controls)


def harden_judged(out: Path, phase: str, host: str, controls: list[str]) -> dict[str, str]:
    """The verdicts of harden's own assessment `phase` (before or after, the profile on
    the same limit): what a separate `assess` would give, without running it again."""
    run_dir = next(p for p in out.iterdir() if (p / "harden.json").is_file())
    return judged(Run(0, "", "", run_dir / phase), host, controls)


def judged(run: Run, host: str, controls: list[str]) -> dict[str, str]:
    found = run.host(host)["findings"]
    assert isinstance(found, list)
    return {f["control_id"]: f["status"] for f in found if f["control_id"] in controls}


def fingerprint(root: Path, paths: list[str]) -> dict[str, tuple[str, int, int]]:
    """(sha256 or 'dir' or 'absent', mode, uid) of each path under a host's root."""
    out = {}
    for rel in paths:
        path = root / rel
        if path.is_symlink():  # an absolute target points into the host, not this machine
            out[rel] = ("link " + os.readlink(path), 0, 0)
            continue
        if not path.exists():
            out[rel] = ("absent", 0, 0)
            continue
        info = path.stat()
        kind = "dir" if path.is_dir() else hashlib.sha256(path.read_bytes()).hexdigest()
        out[rel] = (kind, info.st_mode, info.st_uid)
    return out


def login_tmout(lab: fleet.LabState, host: str) -> str:
    """TMOUT as the operator's login shell on `host` ends up with it ("" when unset)."""
    proc = ssh_ops(lab, host, "bash -lc 'echo \"TMOUT=$TMOUT\"'")
    assert proc.returncode == 0, proc.stderr
    return proc.stdout.strip().rpartition("TMOUT=")[2]


def entry(root: Path, name: str) -> tuple[list[str], list[str]]:
    """An account's /etc/passwd and /etc/shadow fields."""
    def fields(path: str) -> list[str]:
        lines = (root / path).read_text().splitlines()
        return next(line.split(":") for line in lines if line.split(":")[0] == name)
    return fields("etc/passwd"), fields("etc/shadow")


def test_weak_host_gets_a_default_deny_firewall_and_keeps_ssh(
    lab: fleet.LabState, tmp_path: Path
) -> None:
    root = root_of(lab, "weak-01")
    (root / "etc/apt/sources.list.d/lab-trusted.list").write_text(
        "deb [arch=amd64 trusted=yes] http://apt.lab.invalid/debian bookworm main # lab\n")
    (root / "etc/apt/sources.list.d/lab-trusted.sources").write_text(
        "Types: deb\nURIs: http://apt.lab.invalid/debian\nSuites: bookworm\n"
        "Components: main\nTrusted: yes\n")
    (root / "etc/rsyslog.d/20-lab-input.conf").write_text(RSYSLOG_INPUT)
    (root / "root/lab-ufw.sh").write_text(DUMMY_UFW)
    added = ssh_ops(lab, "weak-01", "sudo -n sh /root/lab-ufw.sh && sudo -n rm /root/lab-ufw.sh"
                    " && sudo -n systemctl stop cron.service")  # enabled, not active
    assert added.returncode == 0, added.stderr
    watched = ["etc/nftables.conf", "etc/apt/sources.list.d/lab-trusted.list",
               "etc/apt/sources.list.d/lab-trusted.sources", "etc/rsyslog.d/20-lab-input.conf",
               "root/.profile", "home/ops", "home/guest",
               "etc/systemd/system/sysinit.target.wants/nftables.service"]
    original = fingerprint(root, watched)
    controls = FIREWALL + ACCOUNTS + OTHERS
    proc, record = harden(lab, tmp_path / "first", "weak-01", controls)
    before = harden_judged(tmp_path / "first", ASSESS_BEFORE, "weak-01", controls)
    must_fix = {"fw.single-utility", "fw.ufw-absent", "fw.nftables-default-deny",
                "fw.nftables-loopback", "fw.live-default-deny", "fw.live-loopback",
                "accounts.home-mode", "accounts.root-umask", *OTHERS}
    assert {c for c in must_fix if before[c] != "fail"} == set(), before
    host = host_record(record, "weak-01")
    assert host["state"] == "changed", proc.stdout + proc.stderr
    assert host["comparison"]["regressions"] == []
    after = harden_judged(tmp_path / "first", ASSESS_AFTER, "weak-01", controls)
    assert {c: s for c, s in after.items() if s not in ("pass", "notapplicable")} == {}

    # a new connection gets in through the default-deny ruleset, and sudo still works
    reach = ssh_ops(lab, "weak-01", "sudo -n nft list chain inet filter input && echo admin")
    assert "policy drop" in reach.stdout and "admin" in reach.stdout, reach.stderr
    conf = (root / "etc/nftables.conf").read_text()
    assert "tcp dport { 22 } accept" in conf
    assert "# assessor: " in (root / "etc/rsyslog.d/20-lab-input.conf").read_text()
    assert "[arch=amd64] http" in (root / "etc/apt/sources.list.d/lab-trusted.list").read_text()

    proc2, again = harden(lab, tmp_path / "second", "weak-01", controls)
    assert [c for c in host_record(again, "weak-01")["changes"]
            if c["status"] == "changed"] == [], proc2.stdout

    run_dir = next(p for p in (tmp_path / "first").iterdir() if (p / "harden.json").is_file())
    rolled = run_cli("rollback", str(run_dir))
    assert rolled.returncode == 0, rolled.stdout + rolled.stderr
    assert fingerprint(root, watched) == original
    back = statuses(lab, tmp_path / "reverted", "weak-01", controls)
    assert back["fw.live-default-deny"] == "fail", "rollback did not reload the old ruleset"
    assert back["fw.nftables-default-deny"] == "fail" and back["accounts.home-mode"] == "fail"
    # harden started cron (CIS 2.4.1.1: enabled and active); rollback stopped it again
    assert back["cron.enabled"] == "fail"
    assert ssh_ops(lab, "weak-01", "systemctl is-active cron.service").stdout.strip() == "inactive"
    assert "admin" in ssh_ops(lab, "weak-01", "sudo -n true && echo admin").stdout


def test_insecure_accounts_are_fixed_without_touching_the_operator(
    lab: fleet.LabState, tmp_path: Path
) -> None:
    root = root_of(lab, "insecure-02")
    databases = ["etc/passwd", "etc/shadow", "etc/group", "etc/gshadow", "etc/shells",
                 "home/lodger", "home/nopass", "home/ghost", "root/.profile"]
    original = fingerprint(root, databases)
    operator = {name: entry(root, name) for name in ("ops", "root")}
    # the flavour's profile.d/lab-tmout.sh sets TMOUT=0 (no timeout) for every login shell
    assert login_tmout(lab, "insecure-02") == "0"
    controls = ACCOUNTS + OTHERS + [TIMEOUT]
    proc, record = harden(lab, tmp_path / "first", "insecure-02", controls)
    before = harden_judged(tmp_path / "first", ASSESS_BEFORE, "insecure-02", [TIMEOUT])
    assert before == {TIMEOUT: "fail"}
    host = host_record(record, "insecure-02")
    assert host["state"] == "changed", proc.stdout + proc.stderr
    after = harden_judged(tmp_path / "first", ASSESS_AFTER, "insecure-02", controls)
    assert {c: s for c, s in after.items() if s not in ("pass", "notapplicable")} == {}

    # the operator's account is as it was; root only got its primary group 0
    assert entry(root, "ops") == operator["ops"]
    root_now, root_then = entry(root, "root"), operator["root"]
    assert root_now[0][3] == "0" and root_then[0][3] != "0"
    assert root_now[0][:3] + root_now[0][4:] == root_then[0][:3] + root_then[0][4:]
    assert root_now[1] == root_then[1]
    assert "/bin/bash" in (root / "etc/shells").read_text().splitlines()
    assert (root / "home/ghost").is_dir()
    assert "still-admin" in ssh_ops(lab, "insecure-02", "sudo -n true && echo still-admin").stdout
    # what a login shell ends with: harden's readonly 900 is read first, and the shell
    # refuses lab-tmout.sh's TMOUT=0 after it (the file itself is left as it was)
    assert login_tmout(lab, "insecure-02") == "900"
    assert (root / "etc/profile.d/lab-tmout.sh").read_text() == "TMOUT=0\n"

    run_dir = next(p for p in (tmp_path / "first").iterdir() if (p / "harden.json").is_file())
    rolled = run_cli("rollback", str(run_dir))
    assert rolled.returncode == 0, rolled.stdout + rolled.stderr
    assert fingerprint(root, databases) == original
    assert login_tmout(lab, "insecure-02") == "0"


def test_a_ruleset_that_drops_ssh_is_never_loaded_or_enabled(
    lab: fleet.LabState, tmp_path: Path
) -> None:
    root = root_of(lab, "weak-03")
    (root / "etc/nftables.conf").write_text(DROPS_SSH)
    controls = ["fw.nftables-enabled", "fw.live-default-deny", "fw.live-loopback"]
    proc, record = harden(lab, tmp_path, "weak-03", controls)
    host = host_record(record, "weak-03")
    assert proc.returncode != 0 and host["state"] == "failed", proc.stdout
    assert "no rule accepts the SSH port this run uses (22)" in host["message"]
    assert not (root / "etc/systemd/system/sysinit.target.wants/nftables.service").is_symlink()
    reach = ssh_ops(lab, "weak-03", "sudo -n nft list ruleset; echo reached")
    assert "reached" in reach.stdout and "policy drop" not in reach.stdout, reach.stderr
