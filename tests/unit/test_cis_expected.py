"""The catalogue's checks against verdicts written by hand from the CIS benchmark's text.

tests/data/cis_expected/*.yaml list, per CIS Debian 12 item, values its audit accepts and
rejects. Snapshots are built from those values alone, never from the control's params, so
a control whose params drift from the benchmark fails here (see the README there).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from cases_config import pam_file
from unit_builders import Snap

from assessor.catalogue import load_catalogue
from assessor.evaluate import evaluate_control
from assessor.results import Status

DATA = Path(__file__).parent.parent / "data" / "cis_expected"
CONTROLS = {c.id: c for c in load_catalogue().controls}


def sshd_host(item: dict[str, Any], value: Any) -> Snap:
    return Snap().sshd(**{item["option"]: value})


def sysctl_host(item: dict[str, Any], value: Any) -> Snap:
    """Running and persisted alike: the benchmark wants both."""
    snap = Snap().sysctl({item["key"]: value})
    return snap.sysctl_file("/etc/sysctl.d/60-cis.conf", f"{item['key']} = {value}\n")


def mode_host(item: dict[str, Any], value: Any) -> Snap:
    mode, owner, group = value
    return Snap().stat(item["path"], mode, owner=owner, group=group,
                       uid=0 if owner == "root" else 1000, gid=0 if group == "root" else 42)


def login_defs_host(item: dict[str, Any], value: Any) -> Snap:
    return Snap().login_defs(f"# {item['key']} is set below\n{item['key']}\t{value}\n")


def pam_host(item: dict[str, Any], value: Any) -> Snap:
    snap = Snap()
    pam_file(snap, item["service"], f"{item['type']} required {item['module']} {value}\n")
    return snap


BUILDERS: dict[str, Callable[[dict[str, Any], Any], Snap]] = {
    "sshd": sshd_host, "sysctl": sysctl_host, "modes": mode_host,
    "login_defs": login_defs_host, "pam": pam_host,
}


def cases() -> list[Any]:
    found = []
    for path in sorted(DATA.glob("*.yaml")):
        for item in yaml.safe_load(path.read_text()):
            for verdict in ("pass", "fail"):
                for value in item[verdict]:
                    found.append(pytest.param(path.stem, item, value, verdict,
                                              id=f"{item['cis']}-{item['control']}-{verdict}-{value}"))
    return found


def test_every_area_has_expectations() -> None:
    assert {p.stem for p in DATA.glob("*.yaml")} == set(BUILDERS)


@pytest.mark.parametrize(("area", "item", "value", "verdict"), cases())
def test_control_gives_the_benchmarks_verdict(
    area: str, item: dict[str, Any], value: Any, verdict: str
) -> None:
    control = CONTROLS[item["control"]]
    assert control.refs.get("cis_debian12") == item["cis"], "the fixture cites another item"
    finding = evaluate_control(control, BUILDERS[area](item, value).build())
    assert finding.status is Status(verdict), f"{item['text']}: {value!r} -> {finding.reason}"
