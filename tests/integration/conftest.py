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


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "integration" in str(item.path):
            item.add_marker(pytest.mark.lab)


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
