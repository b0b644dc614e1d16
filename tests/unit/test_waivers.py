"""Waivers: live ones turn a fail into waived; expired ones leave the fail and say so."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from unit_builders import finding

from assessor.errors import ConfigError
from assessor.results import HostResult, Status
from assessor.waivers import Waiver, apply_waivers, load_waivers

TODAY = dt.date(2026, 11, 25)

WAIVERS = """\
waivers:
  - control: ssh.x11-forwarding
    hosts: "web-*"
    reason: X2Go sessions need it until the migration
    owner: alice@example.org
    expires: 2027-03-31
  - control: "net.*"
    hosts: routers
    reason: these hosts route
    owner: bob@example.org
    expires: 2026-01-31
"""


def host(name: str, *findings: tuple[str, Status]) -> HostResult:
    return HostResult(name, findings=[finding(cid, status) for cid, status in findings])


@pytest.fixture
def waivers(tmp_path: Path) -> list[Waiver]:
    path = tmp_path / "waivers.yml"
    path.write_text(WAIVERS)
    return load_waivers(path)


def test_live_waiver_waives_a_failure_on_matching_hosts(waivers: list[Waiver]) -> None:
    result = apply_waivers(host("web-01", ("ssh.x11-forwarding", Status.FAIL)), (), waivers, TODAY)
    waived = result.findings[0]
    assert waived.status is Status.WAIVED
    assert waived.waiver is not None and waived.waiver.owner == "alice@example.org"
    assert "waived until 2027-03-31" in waived.reason
    assert waived.waiver.source.endswith("waivers.yml:2")


def test_waiver_does_not_touch_other_hosts_or_passes(waivers: list[Waiver]) -> None:
    other = apply_waivers(host("db-01", ("ssh.x11-forwarding", Status.FAIL)), (), waivers, TODAY)
    assert other.findings[0].status is Status.FAIL and other.findings[0].waiver is None
    passing = apply_waivers(host("web-01", ("ssh.x11-forwarding", Status.PASS)), (), waivers, TODAY)
    assert passing.findings[0].waiver is None


def test_expired_waiver_stays_a_failure_and_says_so(waivers: list[Waiver]) -> None:
    result = apply_waivers(host("gw-01", ("net.ip-forward", Status.FAIL)), ("routers",),
                           waivers, TODAY)
    lapsed = result.findings[0]
    assert lapsed.status is Status.FAIL
    assert lapsed.waiver is not None and lapsed.waiver.expired
    assert lapsed.reason.startswith("waiver expired on 2026-01-31 (bob@example.org)")


def test_waiver_valid_through_its_expiry_day(waivers: list[Waiver]) -> None:
    last_day = dt.date(2027, 3, 31)
    result = apply_waivers(host("web-01", ("ssh.x11-forwarding", Status.FAIL)), (), waivers,
                           last_day)
    assert result.findings[0].status is Status.WAIVED


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("waivers:\n  - control: a\n    hosts: b\n    reason: c\n    owner: d\n",
         "waivers.yml:2: waiver for a: missing expires"),
        ("waivers:\n  - {control: a, hosts: b, reason: c, owner: d, expires: soon}\n",
         "field 'expires' must be a date"),
        ("waivers:\n  - {control: a, hosts: b, reason: '', owner: d, expires: 2027-01-01}\n",
         "field 'reason' must be a non-empty string"),
        ("waivers:\n  - {control: a, hosts: b, reason: c, owner: d, expires: 2027-01-01, x: 1}\n",
         "unknown field x"),
        ("nothing: here\n", "expected a mapping with a 'waivers' list"),
    ],
)
def test_bad_waivers_file_is_one_clear_error(tmp_path: Path, text: str, expected: str) -> None:
    path = tmp_path / "waivers.yml"
    path.write_text(text)
    with pytest.raises(ConfigError) as caught:
        load_waivers(path)
    assert expected in caught.value.message and caught.value.exit_code == 2
