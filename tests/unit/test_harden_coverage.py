"""Every automated control can be applied: its role exists and has a task tagged with it.

The tags come from parsing roles/*/tasks/*.yml, exactly as the harden command maps runner
events back to controls. Controls whose kind no role implements yet are listed below, so
a new gap fails this test and a closed gap must be removed from the list.
"""

from __future__ import annotations

from assessor.catalogue import load_catalogue
from assessor.remediation import taskmap
from assessor.remediation.plan import make_plan
from assessor.tools import roles_path

CATALOGUE = load_catalogue()
AUTOMATED = [c for c in CATALOGUE.controls if "role" in c.remediate]
TASKS = taskmap.role_tasks(roles_path())

# Automated in the catalogue, but no harden role can apply them yet (kind not implemented).
# None left; a control added without a role task must be listed here until it has one.
KNOWN_GAPS: frozenset[str] = frozenset()


def test_every_remediation_role_exists() -> None:
    missing = {c.id: c.remediate["role"] for c in AUTOMATED
               if not (roles_path() / c.remediate["role"] / "tasks" / "main.yml").is_file()}
    assert missing == {}


def test_every_automated_control_has_a_task_tagged_with_its_id() -> None:
    controls = [(c.id, c.remediate["role"], c.remediate.get("tag", c.id)) for c in AUTOMATED]
    assert taskmap.uncovered(controls, TASKS) == []


def test_tags_are_control_ids_of_their_role() -> None:
    """A stray tag (a typo, a control moved to another role) would run nothing."""
    ids = {c.remediate.get("tag", c.id): c.remediate["role"] for c in AUTOMATED}
    manual = {c.id for c in CATALOGUE.controls if "manual" in c.remediate}
    stray = {
        (task.role, tag) for task in TASKS for tag in task.tags
        if tag != "always" and ids.get(tag) != task.role and tag not in manual
    }
    assert stray == set()


def test_known_gaps_are_exactly_the_controls_no_role_can_apply() -> None:
    plan = make_plan(list(CATALOGUE.controls), roles_path(),
                     role_tags=taskmap.tags_by_role(TASKS))
    assert set(plan.unavailable) == KNOWN_GAPS
    assert len(plan.items) >= 150
