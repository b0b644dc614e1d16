"""The real catalogue: every control can pass and fail; broken catalogues fail at load time.

The walk is driven by one small table per check kind that turns a control's own params
into a passing and a failing snapshot, so a new control needs no new test code (a new
check kind needs one table entry, and a test below insists on it).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from unit_builders import CONFIG_FILES, INSTALLED, Snap

from assessor.catalogue import Catalogue, Control, load_catalogue
from assessor.checks import KINDS
from assessor.errors import ConfigError
from assessor.evaluate import evaluate_control
from assessor.results import Status

CATALOGUE = load_catalogue()
PROFILES = ("server-l1", "server-l2", "workstation-l1")

OPPOSITE = {"no": "yes", "yes": "no", "0": "1", "1": "0"}


def value_for(params: dict[str, Any], passing: bool) -> str:
    """A value the control's comparison accepts (passing) or rejects."""
    if "expect" in params:
        want = str(params["expect"])
        return want if passing else OPPOSITE.get(want.lower(), f"not-{want}")
    if "one_of" in params:
        first = str(params["one_of"][0])
        return first if passing else f"not-{first}"
    if "max" in params:
        return str(params["max"] if passing else params["max"] + 1)
    return str(params["min"] if passing else params["min"] - 1)


def names(value: Any) -> list[str]:
    if value is None:
        return []
    return [str(v) for v in value] if isinstance(value, list) else [str(value)]


def sshd_case(snap: Snap, p: dict[str, Any], passing: bool) -> Snap:
    return snap.sshd(**{p["option"]: value_for(p, passing)})


def sysctl_case(snap: Snap, p: dict[str, Any], passing: bool) -> Snap:
    return snap.sysctl({p["key"]: value_for(p, passing)})


def login_defs_case(snap: Snap, p: dict[str, Any], passing: bool) -> Snap:
    return snap.login_defs(
        f"# {p['key']} 0 is only a comment\n\n{p['key']}\t{value_for(p, passing)}\nUMASK 022\n"
    )


def file_permissions_case(snap: Snap, p: dict[str, Any], passing: bool) -> Snap:
    limit = int(p["max_mode"], 8)
    owner = (names(p.get("owner")) or ["root"])[0]
    group = (names(p.get("group")) or ["root"])[-1]
    if passing:
        return snap.stat(p["path"], f"{limit:04o}", owner=owner, group=group)
    extra = next((b for b in (0o002, 0o020, 0o004, 0o040, 0o4000) if not limit & b), None)
    if extra is None:
        return snap.stat(p["path"], f"{limit:04o}", owner="nobody", group="nogroup")
    return snap.stat(p["path"], f"{limit | extra:04o}", owner=owner, group=group)


def package_absent_case(snap: Snap, p: dict[str, Any], passing: bool) -> Snap:
    for i, name in enumerate(names(p["name"])):
        snap.package(name, INSTALLED if (i == 0 and not passing) else CONFIG_FILES)
    return snap


def uid0_case(snap: Snap, p: dict[str, Any], passing: bool) -> Snap:
    allowed = names(p.get("allowed")) or ["root"]
    for name in allowed:
        snap.user(name, 0)
    snap.user("alice", 1000)
    return snap if passing else snap.user("intruder", 0)


def empty_password_case(snap: Snap, p: dict[str, Any], passing: bool) -> Snap:
    snap.user("root", 0, "hashed").user("daemon", 1, "locked")
    return snap if passing else snap.user("nopass", 1001, "empty")


CASES: dict[str, Callable[[Snap, dict[str, Any], bool], Snap]] = {
    "sshd_effective": sshd_case,
    "sysctl": sysctl_case,
    "login_defs": login_defs_case,
    "file_permissions": file_permissions_case,
    "package_absent": package_absent_case,
    "uid0_accounts": uid0_case,
    "no_empty_passwords": empty_password_case,
}


def host_for(control: Control) -> Snap:
    """A host of a platform the control applies to."""
    if not control.platforms:
        return Snap()
    match = re.fullmatch(r"([a-z]+)(\d+)", control.platforms[0])
    assert match, control.platforms[0]
    return Snap(match[1], match[2])


def test_every_check_kind_has_a_fixture_table() -> None:
    assert set(CASES) == set(KINDS)


@pytest.mark.parametrize("control", CATALOGUE.controls, ids=lambda c: c.id)
def test_control_passes_on_a_compliant_host(control: Control) -> None:
    snapshot = CASES[control.kind](host_for(control), control.params, True).build()
    finding = evaluate_control(control, snapshot)
    assert finding.status is Status.PASS, finding.reason
    assert finding.observed
    assert finding.evidence


@pytest.mark.parametrize("control", CATALOGUE.controls, ids=lambda c: c.id)
def test_control_fails_on_a_non_compliant_host(control: Control) -> None:
    snapshot = CASES[control.kind](host_for(control), control.params, False).build()
    finding = evaluate_control(control, snapshot)
    assert finding.status is Status.FAIL, finding.reason
    assert finding.expected
    assert finding.observed
    assert finding.remediation


@pytest.mark.parametrize("control", CATALOGUE.controls, ids=lambda c: c.id)
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
    assert "cannot read catalogue" in caught.value.message
    assert caught.value.exit_code == 2


def test_catalogue_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "latin1.yaml"
    path.write_bytes(GOOD.replace("Accountability.", "Responsabilit\u00e9.").encode("latin-1"))
    with pytest.raises(ConfigError) as caught:
        load_catalogue(path)
    assert caught.value.message.startswith(f"{path}: catalogue is not UTF-8")
