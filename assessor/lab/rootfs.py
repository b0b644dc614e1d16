"""The lab's Debian root filesystem: built once with debootstrap, cached outside the repo.

The cache key covers the release and the recipe (packages and build steps), so changing
either builds a fresh root instead of reusing a stale one.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

from assessor.errors import ConfigError
from assessor.lab.system import run

Say = Callable[[str], None]

RELEASES = ("bookworm", "bullseye", "trixie")
PACKAGES = ("openssh-server", "python3", "sudo", "iproute2", "procps")
# Present on purpose so the baseline has something to find and flavours can remove.
# Installed with apt after debootstrap: debootstrap's resolver cannot pick between the
# inetd alternatives these depend on.
EXTRA_PACKAGES = (
    "telnetd", "rsh-server", "inetutils-telnet",
    # what the baseline's other areas judge: unit files and journald config, audit,
    # firewall, scheduling, password quality, logging
    "systemd", "auditd", "nftables", "cron", "at", "libpam-pwquality", "rsyslog",
    # mandatory access control, installed by default on Debian
    "apparmor",
)
POLICY_RC = """#!/bin/sh
# lab hosts have no init system: never start services from maintainer scripts
exit 101
"""
DEBOOTSTRAP_TIMEOUT = 1200
RECIPE_VERSION = "1"

LAB_INIT = """#!/bin/sh
# PID 1 of a lab host: private /proc, /run and ptys, fstab's tmpfs mounts, the enabled
# firewall, network sysctls from /etc/sysctl.d
# as a real boot would apply them (net.* only: the kernel's globals belong to the
# machine, not to the lab host), then sshd in the foreground, which reaps children.
mount -t proc proc /proc
mount -t tmpfs -o mode=0755,nosuid,nodev tmpfs /run
mkdir -p /run/sshd /run/lock
mount -t devpts -o newinstance,ptmxmode=0666,mode=0620,gid=5 devpts /dev/pts \\
  && mount --bind /dev/pts/ptmx /dev/ptmx
hostname -F /etc/hostname
# tmpfs entries of the host's /etc/fstab (/tmp, /dev/shm, /var/tmp) as a boot mounts them;
# a lab host has no block devices of its own, so nothing else
mount -a -t tmpfs >/dev/null 2>&1
# the ruleset nftables.service loads at boot, when the host enabled that service
if [ -e /etc/systemd/system/sysinit.target.wants/nftables.service ]; then
  nft -f /etc/nftables.conf
fi
# net.* only, in systemd-sysctl's order; procps' `sysctl --system --pattern` ignores the
# pattern and would write the machine's kernel.* and fs.* values from a lab host's files
/lib/systemd/systemd-sysctl --prefix=net >/dev/null 2>&1
# The kernel's global sysctls are the machine's, not the lab host's: make them read-only
# here so nothing run on a lab host (a hardening role, a test) can change the machine.
for d in kernel fs vm dev abi user debug; do
  [ -d /proc/sys/$d ] && mount --bind /proc/sys/$d /proc/sys/$d \
    && mount -o remount,bind,ro /proc/sys/$d
done
exec /usr/sbin/sshd -D -e
"""


def cache_root() -> Path:
    return Path(os.environ.get("ASSESSOR_CACHE", "/var/cache/assessor")) / "rootfs"


def mirror() -> str:
    return os.environ.get("ASSESSOR_DEBIAN_MIRROR", "http://deb.debian.org/debian")


def recipe_key(release: str) -> str:
    recipe = "\n".join([RECIPE_VERSION, release, *PACKAGES, *EXTRA_PACKAGES, LAB_INIT])
    return hashlib.sha256(recipe.encode()).hexdigest()[:12]


def ensure_rootfs(release: str, say: Say = print) -> Path:
    """Return the cached root for `release`, building it first if needed."""
    if release not in RELEASES:
        raise ConfigError(f"unknown release {release!r} (known: {', '.join(RELEASES)})")
    root = cache_root() / f"{release}-{recipe_key(release)}"
    if (root / ".complete").exists():
        return root
    root.parent.mkdir(parents=True, exist_ok=True)
    with open(root.parent / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (root / ".complete").exists():
            build(release, root, say)
    return root


def build(release: str, root: Path, say: Say) -> None:
    if not shutil.which("debootstrap"):
        raise ConfigError("debootstrap is not installed (apt-get install debootstrap)")
    staging = root.with_name(root.name + ".building")
    shutil.rmtree(staging, ignore_errors=True)
    say(f"building the {release} root filesystem in {root} (once; takes a minute or two)")
    command = [
        "debootstrap", "--variant=minbase", f"--include={','.join(PACKAGES)}",
        release, str(staging), mirror(),
    ]
    log = root.with_name(root.name + ".log")
    with open(log, "w") as out:
        try:
            proc = subprocess.run(
                command, stdout=out, stderr=subprocess.STDOUT, timeout=DEBOOTSTRAP_TIMEOUT,
                check=False,
            )
        except subprocess.TimeoutExpired as exc:
            raise ConfigError(f"debootstrap took over {DEBOOTSTRAP_TIMEOUT}s; see {log}") from exc
    if proc.returncode != 0:
        raise ConfigError(f"debootstrap failed (exit {proc.returncode}); see {log}")
    install_extras(staging, log)
    customise(staging)
    (staging / ".complete").write_text(release + "\n")
    staging.rename(root)


def install_extras(root: Path, log: Path) -> None:
    policy = root / "usr/sbin/policy-rc.d"
    policy.write_text(POLICY_RC)
    policy.chmod(0o755)
    env = {"DEBIAN_FRONTEND": "noninteractive", "PATH": "/usr/sbin:/usr/bin:/sbin:/bin"}
    steps = (
        ["apt-get", "update", "-q"],
        ["apt-get", "install", "-y", "-q", "--no-install-recommends", *EXTRA_PACKAGES],
    )
    with open(log, "a") as out:
        codes = [
            subprocess.run(
                ["chroot", str(root), *step], stdout=out, stderr=subprocess.STDOUT, env=env,
                timeout=DEBOOTSTRAP_TIMEOUT, check=False,
            ).returncode
            for step in steps
        ]
    if any(codes):
        raise ConfigError(f"installing {' '.join(EXTRA_PACKAGES)} failed; see {log}")
    run("chroot", str(root), "apt-get", "clean")
    shutil.rmtree(root / "var/lib/apt/lists", ignore_errors=True)
    (root / "var/lib/apt/lists/partial").mkdir(parents=True, exist_ok=True)


def customise(root: Path) -> None:
    """What every lab host shares: the admin user with sudo, a user without, no host keys."""
    chroot(root, "useradd", "--create-home", "--shell", "/bin/bash", "--groups", "sudo", "ops")
    chroot(root, "useradd", "--create-home", "--shell", "/bin/bash", "guest")
    sudoers = root / "etc/sudoers.d/lab-ops"
    sudoers.write_text("ops ALL=(ALL) NOPASSWD: ALL\n")
    sudoers.chmod(0o440)
    for key in (root / "etc/ssh").glob("ssh_host_*"):
        key.unlink()
    init = root / "usr/local/sbin/lab-init"
    init.write_text(LAB_INIT)
    init.chmod(0o755)
    shutil.rmtree(root / "var/cache/apt/archives", ignore_errors=True)
    (root / "var/cache/apt/archives/partial").mkdir(parents=True, exist_ok=True)


def chroot(root: Path, *argv: str) -> None:
    run("chroot", str(root), *argv)
