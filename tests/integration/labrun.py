"""Helpers for integration tests: run the real `assessor` CLI and read what it wrote."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from assessor.catalogue import load_catalogue
from assessor.lab import fleet
from assessor.lab.machine import MachineBound, machine_bound

ASSESSOR = str(Path(sys.executable).parent / "assessor")


@dataclass(frozen=True)
class Run:
    code: int
    stdout: str
    stderr: str
    out: Path

    @property
    def run_dir(self) -> Path:
        dirs = sorted(p for p in self.out.iterdir() if p.is_dir())
        assert len(dirs) == 1, f"expected one run directory in {self.out}: {dirs}"
        return dirs[0]

    @property
    def results(self) -> dict[str, object]:
        return json.loads((self.run_dir / "results.json").read_text())  # type: ignore[no-any-return]

    def host(self, name: str) -> dict[str, object]:
        hosts = self.results["hosts"]
        assert isinstance(hosts, list)
        return next(h for h in hosts if h["name"] == name)


def run_cli(*args: str, timeout: int = 300) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [ASSESSOR, *args], capture_output=True, text=True, timeout=timeout, check=False,
        env=os.environ | {"COLUMNS": "200"},
    )


def assess(inventory: Path, out: Path, *extra: str) -> Run:
    proc = run_cli("assess", "-i", str(inventory), "--out", str(out), *extra)
    return Run(proc.returncode, proc.stdout, proc.stderr, out)


@contextmanager
def running_lab(name: str, count: int, flavours: str, inventory: Path,
                release: str = "bookworm") -> Iterator[fleet.LabState]:
    """A fresh lab for one test module: leftovers of an interrupted run removed first."""
    if os.geteuid() != 0:
        pytest.fail("integration tests need root for the lab (run `make test` as root)")
    fleet.down(name, say=lambda _: None)
    state = fleet.up(name, count, release=release, flavours=flavours, inventory=inventory,
                     say=lambda _: None)
    try:
        yield state
    finally:
        fleet.down(name, say=lambda _: None)


def module_lab(name: str, count: int, flavours: str, release: str = "bookworm"
               ) -> Callable[..., Iterator[fleet.LabState]]:
    """A module-scoped `lab` fixture: a fresh lab of its own for one test module."""
    @pytest.fixture(scope="module", name="lab")
    def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[fleet.LabState]:
        inventory = tmp_path_factory.mktemp(name) / "inventory.yml"
        with running_lab(name, count, flavours, inventory, release=release) as state:
            yield state
    return lab


def root_of(lab: fleet.LabState, name: str) -> Path:
    """A lab host's root filesystem as this machine sees it (the overlay's merged dir)."""
    host = next(h for h in lab.hosts if h.name == name)
    return fleet.host_paths(lab, host)["merged"]


def ssh_ops(lab: fleet.LabState, name: str, command: str,
            timeout: int = 60) -> subprocess.CompletedProcess[str]:
    """A new SSH connection as the operator, with the lab's key and strict host keys."""
    host = next(h for h in lab.hosts if h.name == name)
    return subprocess.run(
        ["ssh", "-i", lab.key, "-o", f"UserKnownHostsFile={lab.known_hosts}",
         "-o", "StrictHostKeyChecking=yes", "-o", "IdentitiesOnly=yes", "-o", "BatchMode=yes",
         "-o", "ConnectTimeout=10", f"ops@{host.address}", command],
        capture_output=True, text=True, timeout=timeout, check=False,
    )


def read_exempt(path: Path) -> dict[str, str]:
    """An exemption file: `control-id reason` a line, # comments."""
    exempt: dict[str, str] = {}
    for line in path.read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            control, _, why = line.partition(" ")
            exempt[control] = why.strip()
    return exempt


def lab_exempt() -> dict[str, str]:
    """Controls the lab cannot make both pass and fail (each with why), from lab_exempt_*.txt."""
    exempt: dict[str, str] = {}
    for path in sorted(Path(__file__).parent.glob("lab_exempt_*.txt")):
        exempt.update(read_exempt(path))
    return exempt


def machine_decided(lab: fleet.LabState) -> dict[str, MachineBound]:
    """Controls this machine's kernel decides on every lab host, read when the lab started.

    A test expects these to give the machine's verdict (with its reason) on every host,
    hardened or not, instead of assuming the kernel of the machine the suite was written on.
    """
    return {b.control: b for b in machine_bound(load_catalogue().controls, lab.machine_profile)}


def installed_collection(work: Path) -> Path:
    """`assessor collection build`, then `ansible-galaxy collection install --offline` of the
    tarball into an empty collections path under `work`, as AWX or a user installs it."""
    built = run_cli("collection", "build", "--out", str(work / "dist"))
    assert built.returncode == 0, built.stderr
    tarball = next((work / "dist").glob("assessor-baseline-*.tar.gz"))
    installed = subprocess.run(
        [str(Path(sys.executable).parent / "ansible-galaxy"), "collection", "install",
         "--offline", str(tarball), "-p", str(work / "collections")],
        capture_output=True, text=True, timeout=300, check=False,
    )
    assert installed.returncode == 0, installed.stderr
    return work / "collections"
