"""Tailoring adapts a profile like XCCDF tailoring; every mistake names file, line and id."""

from __future__ import annotations

from pathlib import Path

import pytest

from assessor.catalogue import apply_tailoring, load_catalogue, load_tailoring
from assessor.errors import ConfigError

CATALOGUE = load_catalogue()


def tailor(tmp_path: Path, text: str) -> list[str]:
    path = tmp_path / "tailoring.yml"
    path.write_text(text)
    return [c.id for c in apply_tailoring(CATALOGUE, load_tailoring(path))]


def controls_by_id(tmp_path: Path, text: str) -> dict[str, dict[str, object]]:
    path = tmp_path / "tailoring.yml"
    path.write_text(text)
    return {c.id: c.check for c in apply_tailoring(CATALOGUE, load_tailoring(path))}


def test_extends_gives_the_profile(tmp_path: Path) -> None:
    assert tailor(tmp_path, "extends: server-l1\n") == [
        c.id for c in CATALOGUE.profile("server-l1")
    ]


def test_select_and_deselect(tmp_path: Path) -> None:
    ids = tailor(tmp_path, "extends: workstation-l1\nselect: [ssh.x11-forwarding]\n"
                           "deselect: [net.ip-forward]\n")
    assert "ssh.x11-forwarding" in ids and "net.ip-forward" not in ids


def test_bare_value_replaces_the_single_comparison(tmp_path: Path) -> None:
    checks = controls_by_id(tmp_path, "extends: server-l1\nset:\n  ssh.max-auth-tries: 3\n")
    assert checks["ssh.max-auth-tries"]["max"] == 3


def test_named_parameter_replaces_the_comparison(tmp_path: Path) -> None:
    checks = controls_by_id(
        tmp_path, "extends: server-l1\nset:\n  ssh.log-level: {expect: VERBOSE}\n"
    )
    assert checks["ssh.log-level"]["expect"] == "VERBOSE"
    assert "one_of" not in checks["ssh.log-level"]


def test_tailored_value_changes_the_verdict(tmp_path: Path) -> None:
    from unit_builders import Snap

    from assessor.evaluate import evaluate_control

    path = tmp_path / "t.yml"
    path.write_text("extends: server-l1\nset:\n  ssh.max-auth-tries: 3\n")
    control = next(c for c in apply_tailoring(CATALOGUE, load_tailoring(path))
                   if c.id == "ssh.max-auth-tries")
    snapshot = Snap().sshd(maxauthtries="4").build()
    assert evaluate_control(control, snapshot).status.value == "fail"
    assert evaluate_control(control, Snap().sshd(maxauthtries="3").build()).status.value == "pass"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("extends: server-l1\nselect: [no.such]\n", "select: unknown control 'no.such'"),
        ("extends: nope\n", "unknown profile 'nope'"),
        ("extends: server-l1\nset:\n  no.such: 3\n", "tailoring.yml:3: control no.such: unknown"),
        ("extends: server-l1\nset:\n  ssh.max-auth-tries: {max: lots}\n",
         "tailoring.yml:3: control ssh.max-auth-tries: 'max' must be an integer"),
        ("extends: server-l1\nset:\n  ssh.max-auth-tries: {kind: sysctl}\n",
         "check kind cannot be tailored"),
        ("extends: server-l1\ncolour: blue\n", "tailoring.yml:2: unknown tailoring key 'colour'"),
        ("extends: server-l1\nselect: [a\n", "tailoring file is not valid YAML"),
        ("select: []\n", "'extends' must name a profile"),
    ],
)
def test_mistakes_are_one_clear_config_error(tmp_path: Path, text: str, expected: str) -> None:
    with pytest.raises(ConfigError) as caught:
        tailor(tmp_path, text)
    assert expected in caught.value.message
    assert caught.value.exit_code == 2


def test_setting_a_deselected_control_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="not selected"):
        tailor(tmp_path, "extends: server-l1\ndeselect: [ssh.max-auth-tries]\n"
                         "set:\n  ssh.max-auth-tries: 3\n")
