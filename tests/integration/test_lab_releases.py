"""The third release, first-class: the same verdicts per control on bullseye.

bookworm runs the whole lab suite and trixie its core with harden, rollback and patch
(test_lab_trixie.py); bullseye runs the core here, within the suite's budget: every
automated control of server-l2 passes on a hardened host and fails on an insecure one (or
gives the verdict this machine's kernel decides), on a lab of the release's own root
(package lists per release: assessor/lab/releases.yaml). OpenSCAP with SSG's Debian 11
content scans both hosts while assessor assesses them, and every disagreement is in
tests/data/oscap/disagreements-debian11.yaml with who is right and why.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
import releaserun
from labrun import running_lab

from assessor.lab import fleet

# trixie's core runs in test_lab_trixie.py, on the lab it hardens and patches
RELEASES = [r for r in os.environ.get("ASSESSOR_TEST_RELEASES", "trixie,bullseye").split(",")
            if r not in ("trixie", "bookworm")]
AGREEMENT_FLOOR = {"bullseye": 0.85}  # measured 0.855 (145 compared, 21 explained)


@pytest.fixture(scope="module", params=RELEASES)
def release_lab(request: pytest.FixtureRequest,
                tmp_path_factory: pytest.TempPathFactory) -> Iterator[fleet.LabState]:
    release = str(request.param)
    inventory = tmp_path_factory.mktemp(f"lab-{release}") / "inventory.yml"
    with running_lab(f"irel{release[:3]}", 2, "hardened,insecure", inventory,
                     release=release) as state:
        yield state


@pytest.fixture(scope="module")
def judged(release_lab: fleet.LabState,
           tmp_path_factory: pytest.TempPathFactory) -> releaserun.Judged:
    return releaserun.judge(release_lab, tmp_path_factory.mktemp("reports"),
                            tmp_path_factory.mktemp("oscap"))


def test_hosts_boot_the_release(release_lab: fleet.LabState) -> None:
    assert releaserun.booted_wrong(release_lab) == {}


def test_every_control_passes_hardened_and_fails_insecure(
    release_lab: fleet.LabState, judged: releaserun.Judged
) -> None:
    assert judged.run.code == 1, judged.run.stderr
    wrong = releaserun.wrong_verdicts(release_lab, judged.run)
    assert not wrong, (wrong, releaserun.firewall_state(release_lab, wrong))


def test_release_exemptions_are_explained(release_lab: fleet.LabState) -> None:
    _, unexplained = releaserun.exemptions_unexplained(release_lab.release)
    assert unexplained == []


def test_release_content_agrees_as_its_table_says(
    release_lab: fleet.LabState, judged: releaserun.Judged
) -> None:
    compared, differ = releaserun.agreement(release_lab, judged)
    assert compared >= 140, compared
    assert releaserun.table_problems(release_lab.release, differ) == []
    assert 1 - len(differ) / compared >= AGREEMENT_FLOOR[release_lab.release], (
        compared, len(differ))
