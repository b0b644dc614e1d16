"""Integration fixtures: a real lab of namespaced Debian hosts, assessed by the real CLI.

These tests need root (the lab does); CI runs as root. One lab serves the whole session.
"""

from __future__ import annotations

import inspect
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from labrun import Run, assess, running_lab

from assessor.lab import fleet

LAB = os.environ.get("ASSESSOR_TEST_LAB", "itest")
FLAVOURS = "hardened,insecure,weak"


SESSION_LAB_FIXTURES = {"lab", "lab_host", "full_run"}


@pytest.hookimpl(tryfirst=True)  # before pytest-xdist turns the groups into node ids
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark lab tests and keep each lab on one worker under `pytest -n N --dist loadgroup`:
    a module's tests share its module-scoped lab, and every module with a test using the
    session lab joins that one's group, so no lab is ever booted twice or by two workers."""
    lab_items = [i for i in items if "integration" in str(i.path)]
    on_session_lab = {i.path for i in lab_items if uses_session_lab(i)}
    for item in lab_items:
        item.add_marker(pytest.mark.lab)
        group = "session-lab" if item.path in on_session_lab else item.path.stem
        item.add_marker(pytest.mark.xdist_group(group))
    items[:] = sorted(items, key=lambda i: schedule_rank(i, on_session_lab))


# The longest groups start first (xdist hands groups out in item order), so the two
# workers finish together instead of one starting a long lab late; unit tests fill in.
# From `make test`'s --durations, longest first.
LONGEST_FIRST = ("test_lab_harden", "test_lab_restore_compromised", "test_lab_harden_fw_accounts",
                 "test_lab_trixie", "test_lab_watch", "test_lab_harden_audit_fs",
                 "test_lab_patch", "test_lab_execution_nodes", "test_lab_incident",
                 "test_lab_collection_playbooks", "test_lab_harden_pam", "test_lab_boot_truth",
                 "test_browser_reports")


def schedule_rank(item: pytest.Item, on_session_lab: set[Path]) -> int:
    """0 for the session lab's modules, then LONGEST_FIRST's order, other labs, unit tests
    last; a stable sort keeps each module's tests together and in their order."""
    if "integration" not in str(item.path):
        return len(LONGEST_FIRST) + 2
    if item.path in on_session_lab:
        return 0
    stem = item.path.stem
    return LONGEST_FIRST.index(stem) + 1 if stem in LONGEST_FIRST else len(LONGEST_FIRST) + 1


def pytest_collection_finish(session: pytest.Session) -> None:
    """Refuse to run when pytest-xdist's loadgroup did not take the groups (a pytest and
    xdist pair that disagree on node ids): labs would boot on two workers at once."""
    if not getattr(session.config.option, "loadgroup", False):
        return
    lost = [i.nodeid for i in session.items if "integration" in str(i.path) and "@" not in i.nodeid]
    if lost:
        raise pytest.UsageError(f"pytest-xdist did not group {lost[0]} by its lab: check the "
                                "pytest and pytest-xdist versions (pyproject pins them)")


def uses_session_lab(item: pytest.Item) -> bool:
    """Whether the test reaches this file's session lab (a module's own fixture named `lab`
    is that module's lab, not the session's)."""
    info = getattr(item, "_fixtureinfo", None)
    if info is None:
        return False
    for name in SESSION_LAB_FIXTURES:
        definitions = info.name2fixturedefs.get(name) or ()
        if definitions and Path(inspect.getfile(definitions[-1].func)) == Path(__file__):
            return True
    return False


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
