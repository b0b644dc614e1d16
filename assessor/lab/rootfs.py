"""The lab's Debian root filesystem: built once with debootstrap, cached outside the repo.

The cache key covers the release and the recipe (packages and build steps), so changing
either builds a fresh root instead of reusing a stale one.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import platform
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from assessor.errors import ConfigError
from assessor.lab.system import run

Say = Callable[[str], None]

DEBOOTSTRAP_TIMEOUT = 1200
RECIPE_VERSION = "2"
STALE_AFTER = 3 * 24 * 3600  # seconds before an unused root of another recipe is removed
POLICY_RC = """#!/bin/sh
# while the root is built in a chroot nothing may start: removed before any host boots
exit 101
"""
# Units that cannot work in a container sharing the machine's kernel: the kernel's audit
# subsystem is not namespaced (nspawn withholds CAP_AUDIT_CONTROL; trixie loads the rules
# in audit-rules.service of its own) and AppArmor needs
# securityfs. A drop-in skips them in a container, as Debian's own units do for
# timesyncd, so they stay enabled (as the baseline judges) and a boot has no failed unit.
CONTAINER_SKIPPED_UNITS = ("auditd.service", "audit-rules.service", "apparmor.service")
# Units that would reach outside the lab (freshclam downloads ClamAV's databases from the
# internet): masked, since lab hosts may talk only to this machine.
MASKED_UNITS = ("clamav-freshclam.service", "clamav-freshclam-once.service",
                "clamav-freshclam-once.timer")
CONTAINER_DROP_IN = """# lab host: the kernel is the machine's; see assessor/lab/rootfs.py
[Unit]
ConditionVirtualization=!container
"""


def load_releases() -> dict[str, dict[str, Any]]:
    """Package lists (and boot needs) per release, from releases.yaml beside this module."""
    text = resources.files("assessor.lab").joinpath("releases.yaml").read_text()
    data: dict[str, dict[str, Any]] = yaml.safe_load(text)
    return data


def needs_unified_cgroup(release: str) -> bool:
    return bool(load_releases()[release].get("unified_cgroup"))


RELEASES = tuple(load_releases())


def cache_root() -> Path:
    return Path(os.environ.get("ASSESSOR_CACHE", "/var/cache/assessor")) / "rootfs"


def mirror() -> str:
    return os.environ.get("ASSESSOR_DEBIAN_MIRROR", "http://deb.debian.org/debian")


def recipe_key(release: str) -> str:
    spec = load_releases()[release]
    recipe = "\n".join([RECIPE_VERSION, release, *spec["base"], *spec["extra"], POLICY_RC,
                        *CONTAINER_SKIPPED_UNITS, CONTAINER_DROP_IN, *MASKED_UNITS])
    return hashlib.sha256(recipe.encode()).hexdigest()[:12]


@dataclass(frozen=True)
class RootExtras:
    """What a flavour adds to the release's root: Debian packages, a Python venv of
    wheels the controller downloads from PyPI, and shell scripts run chrooted in the root
    once both are there (flavour keys `packages`, `python` and `build`)."""

    packages: tuple[str, ...] = ()
    venv: str = ""  # where the venv goes on the host
    requirements: tuple[str, ...] = ()
    links: tuple[str, ...] = ()  # the venv's bin/ programs linked into /usr/local/bin
    build: tuple[str, ...] = ()  # `sh -euc SCRIPT` chrooted, in order (no name server)

    @classmethod
    def of(cls, flavour: dict[str, Any]) -> RootExtras:
        python = flavour.get("python") or {}
        return cls(tuple(sorted(set(flavour.get("packages") or ()))), str(python.get("venv", "")),
                   tuple(python.get("requirements") or ()), tuple(python.get("links") or ()),
                   tuple(str(script) for script in flavour.get("build") or ()))

    def key(self) -> str:
        text = "\n".join([*self.packages, self.venv, *self.requirements, *self.links])
        if self.build:  # keys of roots built before `build` existed stay as they were
            text += "\n" + "\n".join(self.build)
        return hashlib.sha256(text.encode()).hexdigest()[:8]


def ensure_rootfs(release: str, say: Say = print, extras: RootExtras | None = None) -> Path:
    """Return the cached root for `release`, building it first if needed; with `extras`,
    a variant of it with those added (built once from it, cached beside it)."""
    if release not in RELEASES:
        raise ConfigError(f"unknown release {release!r} (known: {', '.join(RELEASES)})")
    root = cache_root() / f"{release}-{recipe_key(release)}"
    if extras and extras != RootExtras():
        base = ensure_rootfs(release, say)
        variant = root.with_name(f"{root.name}+{extras.key()}")
        if not (variant / ".complete").exists():
            with open(root.parent / ".lock", "w") as lock:
                fcntl.flock(lock, fcntl.LOCK_EX)
                if not (variant / ".complete").exists():
                    build_variant(base, variant, extras, say)
        return variant
    if (root / ".complete").exists():
        return root
    root.parent.mkdir(parents=True, exist_ok=True)
    with open(root.parent / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (root / ".complete").exists():
            build(release, root, say)
            prune_stale(release, root)
    return root


def build_variant(base: Path, variant: Path, extras: RootExtras, say: Say) -> None:
    """The release's root plus `extras`: packages from Debian's archive as the root's own
    were, wheels downloaded here (the host never reaches PyPI) installed into a venv by the
    root's own Python; the lab's no-name-server resolv.conf and the rest of customise() kept."""
    staging = variant.with_name(variant.name + ".building")
    shutil.rmtree(staging, ignore_errors=True)
    say(f"building {variant.name} from {base.name} (once): {' '.join(extras.packages)} "
        f"{' '.join(extras.requirements)}")
    log = variant.with_name(variant.name + ".log")
    log.write_text("")
    run("cp", "-a", "--reflink=auto", str(base), str(staging))
    (staging / ".complete").unlink()
    if extras.packages:
        lab_resolv = (staging / "etc/resolv.conf").read_text()
        (staging / "etc/resolv.conf").write_text(Path("/etc/resolv.conf").read_text())
        try:
            install_extras(staging, list(extras.packages), log)
        finally:
            (staging / "etc/resolv.conf").write_text(lab_resolv)
            (staging / "usr/sbin/policy-rc.d").unlink(missing_ok=True)
    if extras.venv:
        install_venv(staging, extras, log)
    for script in extras.build:
        run_build_script(staging, script, log)
    (staging / ".complete").write_text(f"{base.name} + {extras}\n")
    staging.rename(variant)
    keep_own_debs(variant, base.name.split("-")[0], say)


def run_build_script(root: Path, script: str, log: Path) -> None:
    """One of a flavour's `build` scripts, chrooted into the variant being built."""
    env = {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "LC_ALL": "C"}
    with open(log, "a") as out:
        code = subprocess.run(["chroot", str(root), "sh", "-euc", script], stdout=out,
                              stderr=subprocess.STDOUT, env=env, timeout=DEBOOTSTRAP_TIMEOUT,
                              check=False).returncode
    if code:
        first = script.strip().splitlines()[0] if script.strip() else ""
        raise ConfigError(f"lab root build script failed (exit {code}): {first!r}; see {log}")


def install_venv(root: Path, extras: RootExtras, log: Path) -> None:
    version = subprocess.run(
        ["chroot", str(root), "python3", "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
        capture_output=True, text=True, check=True, timeout=60).stdout.strip()
    wheels = root / "tmp/assessor-wheels"
    wheels.mkdir(parents=True)
    machine = platform.machine()
    platforms = [f"--platform={tag}_{machine}" for tag in
                 ("manylinux2014", "manylinux_2_28", "manylinux_2_31", "manylinux_2_34")]
    steps = [
        [sys.executable, "-m", "pip", "download", "-q", "--dest", str(wheels),
         "--only-binary=:all:", f"--python-version={version}", "--implementation=cp",
         *platforms, *extras.requirements],
        ["chroot", str(root), "python3", "-m", "venv", extras.venv],
        ["chroot", str(root), f"{extras.venv}/bin/pip", "install", "-q", "--no-index",
         "--find-links=/tmp/assessor-wheels", *extras.requirements],
    ]
    # the host's pip sees none of this machine's pip settings (its indexes, certificates)
    chroot_env = {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "PIP_DISABLE_PIP_VERSION_CHECK": "1"}
    with open(log, "a") as out:
        for step in steps:
            code = subprocess.run(step, stdout=out, stderr=subprocess.STDOUT,
                                  env=chroot_env if step[0] == "chroot" else None,
                                  timeout=DEBOOTSTRAP_TIMEOUT, check=False).returncode
            if code:
                raise ConfigError(f"{' '.join(step[:4])} ... failed (exit {code}); see {log}")
    shutil.rmtree(wheels)
    for name in extras.links:
        link = root / "usr/local/bin" / name
        link.unlink(missing_ok=True)
        link.symlink_to(f"{extras.venv}/bin/{name}")


def prune_stale(release: str, keep: Path, min_age: float = STALE_AFTER) -> None:
    """Remove the release's roots of other recipes that no lab host is built on and that are
    older than `min_age` seconds (another checkout may still use a recent one)."""
    in_use = Path("/proc/mounts").read_text()
    for old in keep.parent.glob(f"{release}-*"):
        if old == keep or old.name.startswith(f"{keep.name}+") or not old.is_dir() \
                or old.suffix == ".building" \
                or f"lowerdir={old}" in in_use or not (old / ".complete").exists() \
                or time.time() - (old / ".complete").stat().st_mtime < min_age:
            continue
        shutil.rmtree(old, ignore_errors=True)
        old.with_name(old.name + ".log").unlink(missing_ok=True)


def build(release: str, root: Path, say: Say) -> None:
    if not shutil.which("debootstrap"):
        raise ConfigError("debootstrap is not installed (apt-get install debootstrap)")
    spec = load_releases()[release]
    staging = root.with_name(root.name + ".building")
    shutil.rmtree(staging, ignore_errors=True)
    say(f"building the {release} root filesystem in {root} (once; takes a minute or two)")
    command = [
        "debootstrap", "--variant=minbase", f"--include={','.join(spec['base'])}",
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
    install_extras(staging, spec["extra"], log)
    customise(staging)
    (staging / ".complete").write_text(release + "\n")
    staging.rename(root)
    keep_own_debs(root, release, say)


def keep_own_debs(root: Path, release: str, say: Say) -> None:
    """The root's packages as .debs, while Debian's archive is reachable (build time), for
    the lab repository to offer hosts their own packages; a failure only costs that."""
    from assessor.lab.aptrepo import fetch_own_debs  # aptrepo builds on roots, not them on it
    try:
        fetch_own_debs(root, release)
    except ConfigError as exc:
        say(f"the .debs of {root.name} were not all kept (restore cannot reinstall what "
            f"the lab repository lacks): {exc}")


def install_extras(root: Path, packages: list[str], log: Path) -> None:
    policy = root / "usr/sbin/policy-rc.d"
    policy.write_text(POLICY_RC)
    policy.chmod(0o755)
    env = {"DEBIAN_FRONTEND": "noninteractive", "PATH": "/usr/sbin:/usr/bin:/sbin:/bin"}
    steps = (
        ["apt-get", "update", "-q"],
        ["apt-get", "install", "-y", "-q", "--no-install-recommends", *packages],
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
        raise ConfigError(f"installing {' '.join(packages)} failed; see {log}")
    run("chroot", str(root), "apt-get", "clean")
    shutil.rmtree(root / "var/lib/apt/lists", ignore_errors=True)
    (root / "var/lib/apt/lists/partial").mkdir(parents=True, exist_ok=True)


def customise(root: Path) -> None:
    """What every lab host shares: the admin user with sudo, a user without, no host keys,
    no machine id, and the units a container cannot run skipped."""
    chroot(root, "useradd", "--create-home", "--shell", "/bin/bash", "--groups", "sudo", "ops")
    chroot(root, "useradd", "--create-home", "--shell", "/bin/bash", "guest")
    sudoers = root / "etc/sudoers.d/lab-ops"
    sudoers.write_text("ops ALL=(ALL) NOPASSWD: ALL\n")
    sudoers.chmod(0o440)
    for key in (root / "etc/ssh").glob("ssh_host_*"):
        key.unlink()
    for unit in CONTAINER_SKIPPED_UNITS:
        drop_in = root / "etc/systemd/system" / f"{unit}.d" / "lab-container.conf"
        drop_in.parent.mkdir(parents=True, exist_ok=True)
        drop_in.write_text(CONTAINER_DROP_IN)
    for unit in MASKED_UNITS:
        link = root / "etc/systemd/system" / unit
        link.unlink(missing_ok=True)
        link.symlink_to("/dev/null")
    # no name server: nothing on a lab host may look up, let alone reach, the outside
    (root / "etc/resolv.conf").unlink(missing_ok=True)
    (root / "etc/resolv.conf").write_text("# lab host: no name server (see rootfs.py)\n")
    # a booted host starts services from maintainer scripts, as a server does
    (root / "usr/sbin/policy-rc.d").unlink(missing_ok=True)
    (root / "etc/machine-id").write_text("")  # each boot of each host gets its own
    shutil.rmtree(root / "var/cache/apt/archives", ignore_errors=True)
    (root / "var/cache/apt/archives/partial").mkdir(parents=True, exist_ok=True)


def chroot(root: Path, *argv: str) -> None:
    run("chroot", str(root), *argv)
