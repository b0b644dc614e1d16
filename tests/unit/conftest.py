"""Shared fixtures for the unit tests: pure, fast, no hosts and no network."""

from __future__ import annotations

from types import ModuleType

import pytest
from unit_builders import Snap, finding, load_snapshot_module, run_of

from assessor.catalogue import Catalogue, load_catalogue
from assessor.results import HostResult, RunResult, Severity, Status


@pytest.fixture
def snap() -> Snap:
    """A fresh Debian 12 snapshot builder."""
    return Snap()


@pytest.fixture(scope="session")
def snapshot_module() -> ModuleType:
    return load_snapshot_module()


@pytest.fixture(scope="session")
def catalogue() -> Catalogue:
    return load_catalogue()


@pytest.fixture
def mixed_run() -> RunResult:
    """One assessed host with every interesting status, one host that could not be reached."""
    assessed = HostResult(
        name="web1",
        address="10.0.0.1",
        facts={"os": "Debian GNU/Linux 12 (bookworm)", "kernel": "6.1.0"},
        findings=[
            finding("ssh.permit-root-login", Status.PASS),
            finding("ssh.x11-forwarding", Status.FAIL, Severity.MEDIUM,
                    expected="no", observed="yes"),
            finding("net.ip-forward", Status.ERROR, Severity.MEDIUM, section="3.3 Network",
                    reason="probe 'sysctl' failed: PermissionError", expected="", observed=""),
            finding("files.shadow", Status.NOTAPPLICABLE, Severity.HIGH, section="7.1 Files",
                    reason="not for platform debian11", expected="", observed=""),
        ],
    )
    unreachable = HostResult(name="db1", address="10.0.0.2", error="unreachable: no route to host")
    return run_of(assessed, unreachable)
