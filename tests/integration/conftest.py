"""Integration fixtures: a real lab of namespaced Debian hosts, assessed by the real CLI.

These tests need root (the lab does); CI runs as root. One lab serves the whole session.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from labrun import Run, assess, running_lab

from assessor.lab import fleet

LAB = os.environ.get("ASSESSOR_TEST_LAB", "itest")
FLAVOURS = "hardened,insecure,weak"


SESSION_LAB_FIXTURES = {"lab", "lab_host", "full_run"}


@pytest.hookimpl(tryfirst=True)  # before pytest-xdist reads the groups
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark lab tests and keep each lab on one worker under `pytest -n N --dist loadgroup`:
    a module's tests share its module-scoped lab, and every module using the session lab
    shares that one, so no lab is ever booted twice or by two workers at once."""
    for item in items:
        if "integration" not in str(item.path):
            continue
        item.add_marker(pytest.mark.lab)
        uses_session_lab = SESSION_LAB_FIXTURES & set(getattr(item, "fixturenames", ()))
        group = "session-lab" if uses_session_lab else item.path.stem
        item.add_marker(pytest.mark.xdist_group(group))


@pytest.fixture(scope="session")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[fleet.LabState]:
    inventory = tmp_path_factory.mktemp("lab") / "inventory.yml"
    with running_lab(LAB, 3, FLAVOURS, inventory) as state:
        yield state


@pytest.fixture(scope="session")
def lab_host(lab: fleet.LabState) -> dict[str, fleet.LabHost]:
    return {h.flavour: h for h in lab.hosts}


@pytest.fixture(scope="session")
def full_run(lab: fleet.LabState, tmp_path_factory: pytest.TempPathFactory) -> Run:
    """Every control of server-l2 on every lab host, through the real CLI."""
    return assess(Path(lab.inventory), tmp_path_factory.mktemp("reports"), "--profile", "server-l2")
