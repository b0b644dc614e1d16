"""Verdicts about the next boot, proven by booting: lab hosts run systemd and really reboot.

Own lab (ASSESSOR_BOOT_LAB, default `iboot`) of two `weak` hosts. Each test changes what a
host persists (sysctl files that conflict across directories, units enabled, disabled and
masked, mounts from fstab and from a unit), reboots the host for real, and then asserts
that what the assessor said the boot would do is what the host holds after it.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

from labrun import assess, module_lab, root_of, ssh_ops

from assessor.checks.kernel import persisted_sysctl
from assessor.lab import fleet

SYSCTL_DIRS = ("/etc/sysctl.d", "/run/sysctl.d", "/usr/local/lib/sysctl.d", "/usr/lib/sysctl.d",
               "/lib/sysctl.d")

LAB = os.environ.get("ASSESSOR_BOOT_LAB", "iboot")
VENV_BIN = Path(sys.executable).parent


lab = module_lab(LAB, 2, "weak")


def host_of(lab: fleet.LabState, name: str) -> fleet.LabHost:
    return next(h for h in lab.hosts if h.name == name)


def on_host(lab: fleet.LabState, name: str, command: str) -> str:
    proc = ssh_ops(lab, name, command)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout.strip()


def reboot(lab: fleet.LabState, name: str) -> None:
    """`systemctl reboot` on the host, then wait for its next boot to answer SSH."""
    host = host_of(lab, name)
    before = len(fleet.boots(lab, host))
    ssh_ops(lab, name, "sudo systemctl reboot")
    fleet.wait_booted(lab, host, boot=before + 1)


def findings(lab: fleet.LabState, name: str, out: Path) -> dict[str, dict[str, Any]]:
    run = assess(Path(lab.inventory), out, "--limit", name, "--profile", "server-l2")
    assert run.code in (0, 1), run.stdout + run.stderr
    found = run.host(name)["findings"]
    assert isinstance(found, list)
    return {f["control_id"]: f for f in found}


def test_hosts_boot_systemd_and_really_reboot(lab: fleet.LabState) -> None:
    name = "weak-01"
    assert on_host(lab, name, "cat /proc/1/comm") == "systemd"
    assert on_host(lab, name, "systemctl is-active ssh.service") == "active"
    assert on_host(lab, name, "hostname") == name
    state = on_host(lab, name, "systemctl is-system-running --wait || true")
    assert state == "running", on_host(lab, name, "systemctl --failed --no-pager || true")
    boot_id = on_host(lab, name, "cat /proc/sys/kernel/random/boot_id")
    reboot(lab, name)
    assert on_host(lab, name, "cat /proc/sys/kernel/random/boot_id") != boot_id
    boots = fleet.boots(lab, host_of(lab, name))
    assert len(boots) == 2 and boots[0]["status"] == 133 and boots[1]["ready"]
    _, rows = fleet.status(LAB)
    assert {r.name: r.boots for r in rows} == {"weak-01": 2, "weak-02": 1}


def test_ansible_reboot_module_sees_a_new_boot(lab: fleet.LabState) -> None:
    name = "weak-02"
    boot_id = on_host(lab, name, "cat /proc/sys/kernel/random/boot_id")
    proc = subprocess.run(
        [str(VENV_BIN / "ansible"), name, "-i", lab.inventory, "-m", "ansible.builtin.reboot",
         "-a", "reboot_timeout=120"],
        capture_output=True, text=True, timeout=300, check=False,
        env=os.environ | {"PATH": f"{VENV_BIN}:{os.environ['PATH']}",
                          "ANSIBLE_HOST_KEY_CHECKING": "True"},
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert '"rebooted": true' in proc.stdout
    assert on_host(lab, name, "cat /proc/sys/kernel/random/boot_id") != boot_id
    assert len(fleet.boots(lab, host_of(lab, name))) >= 2


# --- sysctl: the rule the assessor applies is the one systemd-sysctl applies at boot -------

# key -> (files that set it, the file and line that must decide it)
SYSCTL_CASES: dict[str, tuple[dict[str, str], str]] = {
    # /etc/sysctl.conf is read through Debian's 99-sysctl.conf link; a later name wins
    "net.ipv4.ip_forward": (
        {"etc/sysctl.conf": "net.ipv4.ip_forward = 1\n",
         "etc/sysctl.d/99-zz-local.conf": "# local\nnet.ipv4.ip_forward = 0\n"},
        "/etc/sysctl.d/99-zz-local.conf:2"),
    # a file in /etc masks the vendor file of the same name in /usr/lib
    "net.ipv4.conf.all.send_redirects": (
        {"usr/lib/sysctl.d/60-vendor.conf": "net.ipv4.conf.all.send_redirects = 0\n",
         "etc/sysctl.d/60-vendor.conf": "net.ipv4.conf.all.send_redirects = 1\n"},
        "/etc/sysctl.d/60-vendor.conf:1"),
    # an explicit key beats a glob that matches it, whatever their order
    "net.ipv4.conf.all.log_martians": (
        {"etc/sysctl.d/10-explicit.conf": "net.ipv4.conf.all.log_martians = 1\n",
         "etc/sysctl.d/90-glob.conf": "net.ipv4.conf.*.log_martians = 0\n"},
        "/etc/sysctl.d/10-explicit.conf:1"),
    # the later of two names in different directories wins, across /usr/lib and /etc
    "net.ipv4.icmp_echo_ignore_broadcasts": (
        {"etc/sysctl.d/20-early.conf": "net.ipv4.icmp_echo_ignore_broadcasts = 0\n",
         "usr/lib/sysctl.d/70-late.conf": "net.ipv4.icmp_echo_ignore_broadcasts = 1\n"},
        "/usr/lib/sysctl.d/70-late.conf:1"),
}
SYSCTL_CONTROLS = {
    "net.ipv4.ip_forward": "net.ip-forward",
    "net.ipv4.conf.all.send_redirects": "net.send-redirects",
    "net.ipv4.conf.all.log_martians": "net.log-martians",
    "net.ipv4.icmp_echo_ignore_broadcasts": "net.icmp-echo-ignore-broadcasts",
}
PERSISTED = re.compile(r"persisted \(systemd-sysctl\): (\S+) \(([^)]+)\)")


def test_persisted_sysctl_is_what_the_boot_applies(lab: fleet.LabState, tmp_path: Path) -> None:
    name = "weak-01"
    root = root_of(lab, name)
    assert (root / "etc/sysctl.d/99-sysctl.conf").is_symlink()  # Debian's link, as shipped
    for files, _ in SYSCTL_CASES.values():
        for path, text in files.items():
            (root / path).parent.mkdir(parents=True, exist_ok=True)
            (root / path).write_text(text)
    before = findings(lab, name, tmp_path / "before")
    reboot(lab, name)
    after = findings(lab, name, tmp_path / "after")
    for key, (_, decider) in SYSCTL_CASES.items():
        control = SYSCTL_CONTROLS[key]
        said = PERSISTED.search(before[control]["evidence"])
        assert said, before[control]["evidence"]
        running = on_host(lab, name, f"/sbin/sysctl -n {key}")
        assert said.group(1) == running, (key, before[control]["evidence"], running)
        assert said.group(2) == decider, (key, said.group(2))
        assert f"= {running};" in after[control]["evidence"]


def test_procps_rule_is_what_sysctl_system_applies(lab: fleet.LabState) -> None:
    """Without systemd, procps' `sysctl --system` applies the files: run the real one on the
    same conflicting files and compare with what the assessor's procps rule predicts."""
    name = "weak-01"
    root = root_of(lab, name)
    for files, _ in SYSCTL_CASES.values():
        for path, text in files.items():
            (root / path).parent.mkdir(parents=True, exist_ok=True)
            (root / path).write_text(text)
    files = {f"/{p.relative_to(root)}": p.read_text()
             for d in SYSCTL_DIRS for p in sorted((root / d.lstrip("/")).glob("*.conf"))}
    files["/etc/sysctl.conf"] = (root / "etc/sysctl.conf").read_text()
    probe = {"dirs": list(SYSCTL_DIRS), "files": files, "init": "other"}
    ssh_ops(lab, name, "sudo /sbin/sysctl --system")  # kernel.* are read-only: ignored
    for key in SYSCTL_CASES:
        predicted = persisted_sysctl(probe, key)
        assert predicted is not None
        assert on_host(lab, name, f"/sbin/sysctl -n {key}") == predicted.value, (key, predicted)
    # the case where the two programs differ: /etc/sysctl.conf has the last word here
    assert persisted_sysctl(probe, "net.ipv4.ip_forward").source == "/etc/sysctl.conf:1"


# --- services: enabled, disabled and masked, and what runs after the boot ---------------------

UNIT_CASES = {
    # unit: (what to do, the control, the state the assessor must report, active after boot)
    "cron.service": ("disable", "cron.enabled", "disabled", "inactive"),
    "rsyslog.service": ("mask", "logging.rsyslog-enabled", "masked", "inactive"),
    "nftables.service": ("enable", "fw.nftables-enabled", "enabled", "active"),
}


def test_unit_states_are_what_systemd_boots(lab: fleet.LabState, tmp_path: Path) -> None:
    name = "weak-02"
    for unit, (action, _, _, _) in UNIT_CASES.items():
        on_host(lab, name, f"sudo systemctl {action} {unit} 2>&1")
    before = findings(lab, name, tmp_path / "before")
    reboot(lab, name)
    for unit, (_, control, state, active) in UNIT_CASES.items():
        # observed: the enablement, then (for a control wanting the unit active too) what
        # runs now: `cron` disabled just now is still running until the reboot
        assert before[control]["observed"].split(",")[0] == state, before[control]
        assert on_host(lab, name, f"systemctl is-enabled {unit} || true") == state
        assert on_host(lab, name, f"systemctl is-active {unit} || true") == active
        assert before[control]["status"] == ("pass" if state == "enabled" else "fail")


# --- mounts: /tmp, /dev/shm and /var/tmp from fstab and from a unit, after the boot ----------

VAR_TMP_MOUNT = """[Unit]
Description=/var/tmp for the lab's boot-truth test
[Mount]
What=tmpfs
Where=/var/tmp
Type=tmpfs
Options=mode=1777,nosuid,nodev,noexec,size=64m
[Install]
WantedBy=local-fs.target
"""
FSTAB = """# <file system> <mount point> <type> <options> <dump> <pass>
tmpfs /tmp tmpfs rw,nosuid,nodev,size=128m,mode=1777 0 0
tmpfs /dev/shm tmpfs rw,nosuid,nodev,noexec,size=64m 0 0
"""
MOUNT_CASES = {
    # control: (the boot's verdict, the mount point, option)
    "fs.tmp-separate": ("pass", "/tmp", None),
    "fs.tmp-nodev": ("pass", "/tmp", "nodev"),
    "fs.tmp-noexec": ("fail", "/tmp", "noexec"),
    "fs.dev-shm-noexec": ("pass", "/dev/shm", "noexec"),
    "fs.var-tmp-separate": ("pass", "/var/tmp", None),
    "fs.var-tmp-noexec": ("pass", "/var/tmp", "noexec"),
}


def test_mounts_after_boot_follow_fstab_and_units(lab: fleet.LabState, tmp_path: Path) -> None:
    name = "weak-01"
    root = root_of(lab, name)
    before = findings(lab, name, tmp_path / "before")
    assert before["fs.tmp-separate"]["status"] == "fail"  # weak: /tmp is on the root
    (root / "etc/fstab").write_text(FSTAB)
    unit = root / "etc/systemd/system/var-tmp.mount"
    unit.write_text(VAR_TMP_MOUNT)
    wants = root / "etc/systemd/system/local-fs.target.wants"
    wants.mkdir(exist_ok=True)
    (wants / "var-tmp.mount").symlink_to("/etc/systemd/system/var-tmp.mount")
    reboot(lab, name)
    after = findings(lab, name, tmp_path / "after")
    for control, (status, target, option) in MOUNT_CASES.items():
        assert after[control]["status"] == status, after[control]
        options = on_host(lab, name, f"findmnt -n -o OPTIONS --target {target}").split(",")
        assert on_host(lab, name, f"findmnt -n -o TARGET --target {target}") == target
        if option:
            assert (option in options) == (status == "pass"), (control, options)
