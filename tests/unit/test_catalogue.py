"""The real catalogue: every control can pass and fail; broken catalogues fail at load time.

The walk is driven by one small table per check kind that turns a control's own params
into a passing and a failing snapshot, so a new control needs no new test code (a new
check kind needs one table entry, and a test below insists on it).
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from unit_builders import Snap

from assessor.catalogue import Catalogue, Control, load_catalogue
from assessor.checks import KINDS
from assessor.errors import ConfigError
from assessor.evaluate import evaluate_control
from assessor.results import Status

CATALOGUE = load_catalogue()
PROFILES = ("server-l1", "server-l2", "workstation-l1")

def load_cases() -> dict[str, Callable[[Snap, dict[str, Any], bool], Snap]]:
    """Merge CASES from every tests/unit/cases_*.py (one module per area of check kinds)."""
    merged: dict[str, Callable[[Snap, dict[str, Any], bool], Snap]] = {}
    for path in sorted(Path(__file__).parent.glob("cases_*.py")):
        module = importlib.import_module(path.stem)
        overlap = set(merged) & set(module.CASES)
        assert not overlap, f"{path.name} redefines cases for {overlap}"
        merged.update(module.CASES)
    return merged


CASES = load_cases()


def host_for(control: Control) -> Snap:
    """A host of a platform the control applies to."""
    if not control.platforms:
        return Snap()
    match = re.fullmatch(r"([a-z]+)(\d+)", control.platforms[0])
    assert match, control.platforms[0]
    return Snap(match[1], match[2])


def test_every_check_kind_has_a_fixture_table() -> None:
    assert set(CASES) == set(KINDS) - {"manual"}


AUTOMATED = [c for c in CATALOGUE.controls if c.kind != "manual"]
MANUAL = [c for c in CATALOGUE.controls if c.kind == "manual"]


@pytest.mark.parametrize("control", MANUAL, ids=lambda c: c.id)
def test_manual_control_is_reported_manual_with_instructions(control: Control) -> None:
    finding = evaluate_control(control, host_for(control).build())
    assert finding.status is Status.MANUAL
    assert str(control.params["instructions"]).strip() in finding.reason


@pytest.mark.parametrize("control", AUTOMATED, ids=lambda c: c.id)
def test_control_passes_on_a_compliant_host(control: Control) -> None:
    snapshot = CASES[control.kind](host_for(control), control.params, True).build()
    finding = evaluate_control(control, snapshot)
    assert finding.status is Status.PASS, finding.reason
    assert finding.observed
    assert finding.evidence


@pytest.mark.parametrize("control", AUTOMATED, ids=lambda c: c.id)
def test_control_fails_on_a_non_compliant_host(control: Control) -> None:
    snapshot = CASES[control.kind](host_for(control), control.params, False).build()
    finding = evaluate_control(control, snapshot)
    assert finding.status is Status.FAIL, finding.reason
    assert finding.expected
    assert finding.observed
    assert finding.remediation


@pytest.mark.parametrize("control", AUTOMATED, ids=lambda c: c.id)
def test_control_errors_when_its_probe_failed(control: Control) -> None:
    snapshot = CASES[control.kind](host_for(control), control.params, True).build()
    for probe in list(snapshot):
        if probe not in ("facts", "errors"):
            snapshot["errors"][probe] = "OSError: boom"
    finding = evaluate_control(control, snapshot)
    assert finding.status is Status.ERROR
    assert "boom" in finding.reason


def test_catalogue_size_and_ids() -> None:
    ids = [c.id for c in CATALOGUE.controls]
    assert len(ids) >= 20
    assert len(set(ids)) == len(ids)
    assert CATALOGUE.version


@pytest.mark.parametrize("profile", PROFILES)
def test_profiles_resolve(catalogue: Catalogue, profile: str) -> None:
    controls = catalogue.profile(profile)
    assert controls
    assert all(profile in c.profiles for c in controls)


def test_server_l2_is_at_least_server_l1(catalogue: Catalogue) -> None:
    l1 = {c.id for c in catalogue.profile("server-l1")}
    l2 = {c.id for c in catalogue.profile("server-l2")}
    assert l1 <= l2


def test_unknown_profile_is_a_config_error(catalogue: Catalogue) -> None:
    with pytest.raises(ConfigError) as caught:
        catalogue.profile("server-l9")
    assert caught.value.exit_code == 2
    assert "server-l9" in caught.value.message
    assert "server-l1" in caught.value.message


def test_every_control_says_how_to_fix_it(catalogue: Catalogue) -> None:
    for control in catalogue.controls:
        assert control.remediation_text(), control.id
        assert control.rationale, control.id


# --- loader errors ------------------------------------------------------------------------

GOOD = """\
version: "1"
controls:
  - id: ssh.permit-root-login
    title: SSH root login is disabled
    severity: high
    section: 5.1 SSH Server
    rationale: Accountability.
    check: {kind: sshd_effective, option: permitrootlogin, expect: "no"}
    remediate: {role: harden_ssh, tag: ssh.permit-root-login}
    profiles: [server-l1]

  - id: net.ip-forward
    title: IPv4 forwarding is disabled
    severity: medium
    section: 3.3 Network
    rationale: Not a router.
    check:
      kind: sysctl
      key: net.ipv4.ip_forward
      expect: "0"
    profiles: [server-l1]
"""
SECOND_CONTROL_LINE = 12
SECOND_CHECK_LINE = 18  # a block mapping starts at its first key


def load_text(tmp_path: Path, text: str) -> ConfigError:
    path = tmp_path / "bad.yaml"
    path.write_text(text)
    with pytest.raises(ConfigError) as caught:
        load_catalogue(path)
    assert caught.value.exit_code == 2
    assert caught.value.message.startswith(f"{path}:")
    return caught.value


def test_good_text_loads(tmp_path: Path) -> None:
    path = tmp_path / "good.yaml"
    path.write_text(GOOD)
    loaded = load_catalogue(path)
    assert [c.id for c in loaded.controls] == ["ssh.permit-root-login", "net.ip-forward"]
    assert loaded.controls[1].params == {"key": "net.ipv4.ip_forward", "expect": "0"}
    assert loaded.source == str(path)


def test_missing_field(tmp_path: Path) -> None:
    error = load_text(tmp_path, GOOD.replace("    title: IPv4 forwarding is disabled\n", ""))
    assert f":{SECOND_CONTROL_LINE}: " in error.message
    assert "control net.ip-forward" in error.message
    assert "'title'" in error.message


def test_missing_check_still_names_the_control(tmp_path: Path) -> None:
    text = GOOD.replace(
        '    check:\n      kind: sysctl\n      key: net.ipv4.ip_forward\n      expect: "0"\n', ""
    )
    error = load_text(tmp_path, text)
    assert f":{SECOND_CONTROL_LINE}: " in error.message
    assert "control net.ip-forward" in error.message
    assert "'check'" in error.message


def test_bad_field_value(tmp_path: Path) -> None:
    error = load_text(tmp_path, GOOD.replace("severity: medium", "severity: urgent"))
    assert f":{SECOND_CONTROL_LINE}: " in error.message
    assert "control net.ip-forward" in error.message
    assert "field 'severity'" in error.message
    assert "urgent" in error.message


def test_unexpected_field(tmp_path: Path) -> None:
    text = GOOD.replace("    severity: medium\n", "    severity: medium\n    colour: red\n")
    error = load_text(tmp_path, text)
    assert f":{SECOND_CONTROL_LINE}: " in error.message
    assert "control net.ip-forward" in error.message
    assert "'colour' was unexpected" in error.message


def test_misspelt_field(tmp_path: Path) -> None:
    error = load_text(tmp_path, GOOD.replace("    severity: medium\n", "    severty: medium\n"))
    assert "control net.ip-forward" in error.message
    assert "severity" in error.message


def test_unknown_check_kind(tmp_path: Path) -> None:
    error = load_text(tmp_path, GOOD.replace("kind: sysctl", "kind: sysctll"))
    assert f":{SECOND_CHECK_LINE}: " in error.message
    assert "control net.ip-forward" in error.message
    assert "field 'check'" in error.message
    assert "unknown check kind 'sysctll'" in error.message


@pytest.mark.parametrize(
    ("old", "new", "problem"),
    [
        ('expect: "0"', 'max: "1"', "'max' must be an integer"),
        ('expect: "0"', 'expect: "0"\n      colour: red', "does not take colour"),
        ("      key: net.ipv4.ip_forward\n", "", "needs key"),
        ('expect: "0"', 'expect: "0"\n      max: 1', "exactly one of"),
    ],
)
def test_bad_check_param(tmp_path: Path, old: str, new: str, problem: str) -> None:
    error = load_text(tmp_path, GOOD.replace(old, new))
    assert f":{SECOND_CHECK_LINE}: " in error.message
    assert "control net.ip-forward" in error.message
    assert "field 'check'" in error.message
    assert problem in error.message


def test_unquoted_yaml_boolean_is_caught_at_load(tmp_path: Path) -> None:
    error = load_text(tmp_path, GOOD.replace('expect: "no"', "expect: no"))
    assert ":8: " in error.message
    assert "control ssh.permit-root-login" in error.message
    assert "quote it" in error.message


def test_unquoted_octal_mode_is_caught_at_load(tmp_path: Path) -> None:
    text = GOOD.replace(
        "check: {kind: sshd_effective, option: permitrootlogin, expect: \"no\"}",
        "check: {kind: file_permissions, path: /etc/shadow, max_mode: 0640}",
    )
    error = load_text(tmp_path, text)
    assert "control ssh.permit-root-login" in error.message
    assert "max_mode" in error.message


def test_duplicate_id(tmp_path: Path) -> None:
    error = load_text(tmp_path, GOOD.replace("id: net.ip-forward", "id: ssh.permit-root-login"))
    assert f":{SECOND_CONTROL_LINE}: " in error.message
    assert "control ssh.permit-root-login" in error.message
    assert "duplicate id (first at line 3)" in error.message


def test_yaml_syntax_error(tmp_path: Path) -> None:
    text = GOOD.replace("profiles: [server-l1]\n\n", "profiles: [server-l1\n\n")
    error = load_text(tmp_path, text)
    assert f":{SECOND_CONTROL_LINE}: catalogue is not valid YAML: " in error.message
    assert "expected ',' or ']'" in error.message
    assert "\n" not in error.message
    assert "<unicode string>" not in error.message


def test_yaml_indentation_error_line(tmp_path: Path) -> None:
    text = GOOD.replace("    section: 3.3 Network\n", "    section: 3.3 Network\n   bad: [\n")
    error = load_text(tmp_path, text)
    assert ":16: catalogue is not valid YAML: " in error.message
    assert "\n" not in error.message


def test_not_a_mapping(tmp_path: Path) -> None:
    error = load_text(tmp_path, "- just\n- a list\n")
    assert "must be a mapping" in error.message


def test_unreadable_catalogue(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        load_catalogue(tmp_path / "absent.yaml")
    assert "absent.yaml: catalogue not found" in caught.value.message
    assert caught.value.exit_code == 2


def test_catalogue_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "latin1.yaml"
    path.write_bytes(GOOD.replace("Accountability.", "Responsabilit\u00e9.").encode("latin-1"))
    with pytest.raises(ConfigError) as caught:
        load_catalogue(path)
    assert caught.value.message.startswith(f"{path}: catalogue is not UTF-8")


RELEASES = {"debian11", "debian12", "debian13"}


def test_every_control_names_the_supported_releases_it_applies_to() -> None:
    """debian13 (trixie, the current stable) wherever a control applies; nothing unknown."""
    for control in CATALOGUE.controls:
        assert control.platforms, f"{control.id}: say which releases it applies to"
        assert set(control.platforms) <= RELEASES, (control.id, control.platforms)
        assert "debian13" in control.platforms, control.id


@pytest.mark.parametrize("control", AUTOMATED, ids=lambda c: c.id)
def test_control_is_notapplicable_on_a_release_it_does_not_name(control: Control) -> None:
    """Even on a host that would pass or fail it, the platform decides first, with why."""
    host = CASES[control.kind](Snap("debian", "10"), control.params, False).build()
    finding = evaluate_control(control, host)
    assert finding.status is Status.NOTAPPLICABLE
    assert finding.reason == "not for platform debian10"
