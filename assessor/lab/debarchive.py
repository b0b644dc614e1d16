"""Packages from a Debian release other than this machine's, through a private apt state.

`apt-get -o Dir::...` points apt at its own sources, lists and cache under a directory we
own, so the machine's apt configuration and package state are never touched. Used at
build time (Makefile) and by lab setup; what is downloaded is kept, so a second call is
offline.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from assessor.errors import ConfigError

ARCHIVE = "http://deb.debian.org/debian"
TIMEOUT = 300


def _apt(*args: str, cwd: Path | None = None) -> str:
    proc = subprocess.run(["apt-get", *args], cwd=cwd, capture_output=True, text=True,
                          timeout=TIMEOUT, check=False)
    if proc.returncode != 0:
        raise ConfigError(f"apt-get {' '.join(args[-3:])} failed ({proc.returncode}): "
                          f"{proc.stderr[-2000:]}")
    return proc.stdout


def private_state(state: Path, suite: str) -> list[str]:
    """apt options for a state of its own under `state`, reading only `suite`'s main."""
    (state / "lists/partial").mkdir(parents=True, exist_ok=True)
    (state / "archives/partial").mkdir(parents=True, exist_ok=True)
    mirror = os.environ.get("ASSESSOR_DEBIAN_MIRROR", ARCHIVE)
    (state / "sources.list").write_text(f"deb {mirror} {suite} main\n")
    return ["-o", f"Dir::Etc::sourcelist={state / 'sources.list'}",
            "-o", "Dir::Etc::sourceparts=-", "-o", f"Dir::State::Lists={state / 'lists'}",
            "-o", f"Dir::Cache={state}", "-o", "Dir::State::status=/dev/null",
            "-o", "Debug::NoLocking=1", "-o", "APT::Sandbox::User=root"]


def closure(options: list[str], packages: list[str]) -> list[str]:
    """`packages` and everything they depend on (not recommend) in that state's suite.

    With an empty dpkg status apt installs the whole dependency tree, libc6 included: the
    list is what a tree to chroot into needs.
    """
    out = _apt(*options, "-s", "-o", "APT::Install-Recommends=0", "install", *packages)
    return [line.split()[1] for line in out.splitlines() if line.startswith("Inst ")]


def download(dest: Path, suite: str, packages: list[str], with_depends: bool = False
             ) -> list[Path]:
    """The .debs of `packages` (and their dependencies) from `suite`, kept in `dest`."""
    dest.mkdir(parents=True, exist_ok=True)
    options = private_state(dest / "apt-state", suite)
    _apt(*options, "update", "-q")
    names = closure(options, packages) if with_depends else packages
    _apt(*options, "download", *names, cwd=dest)
    debs = [p for name in names for p in dest.glob(f"{name}_*.deb")]
    missing = [n for n in names if not list(dest.glob(f"{n}_*.deb"))]
    if missing:
        raise ConfigError(f"{suite}: apt-get download left out {missing}")
    return sorted(debs)


def deb_name(name: str, version: str, arch: str = "*") -> str:
    """The file name `apt-get download` gives a package's .deb (an epoch's colon as %3a)."""
    return f"{name}_{version.replace(':', '%3a')}_{arch}.deb"


def download_pinned(dest: Path, suite: str, pins: dict[str, str]) -> list[Path]:
    """The .debs of exactly these versions: the ones kept in `dest`, else from `suite`.

    Kept .debs are used as they are, so a suite that moved on (or a pool that dropped the
    version) does not matter once they are here; without them the archive must still
    have the pinned version, or this says so.
    """
    dest.mkdir(parents=True, exist_ok=True)
    missing = {n: v for n, v in pins.items() if not list(dest.glob(deb_name(n, v)))}
    if missing:
        options = private_state(dest / "apt-state", suite)
        _apt(*options, "update", "-q")
        try:
            _apt(*options, "download", *(f"{n}={v}" for n, v in missing.items()), cwd=dest)
        except ConfigError as error:
            raise ConfigError(
                f"{suite} no longer has {missing} and {dest} does not keep their .debs: "
                "pin the versions the suite has now and measure again what they judge "
                f"({error})") from error
    return sorted(p for n, v in pins.items() for p in dest.glob(deb_name(n, v)))
