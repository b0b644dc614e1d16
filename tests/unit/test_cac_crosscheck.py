"""The catalogue's CIS numbers, levels and SSG rules agree with ComplianceAsCode's mapping.

ComplianceAsCode's controls/cis_debian12.yml (BSD-3-Clause) maps every CIS Debian 12 item
to its levels and SSG rules, written by people other than this catalogue's authors: an
independent expectation. Every control citing a CIS item must have that item's profiles
(l1_server -> server-l1 and server-l2, l2_server -> server-l2, l1_workstation ->
workstation-l1) and an ssg ref among the item's rules; a control citing no CIS item must
not carry an ssg rule that CaC maps to one. Differences are allowed only when listed in
tests/data/cac/exceptions.yaml with a reason, and a listed exception must still be one.

The mapping is data fetched from ComplianceAsCode, kept out of this repository's commits
(fetched data lives in the steering checkout's shared/): the test reads it from
$ASSESSOR_CAC_CONTROLS, else ../shared/cac/cis_debian12.yml next to this checkout, else
tests/data/cac/cis_debian12.yml. Where none is there (a clean clone, CI), it reads the same
mapping as ComplianceAsCode built it into Debian's ssg-debian package, which `make scanner`
unpacks from Debian's archive: the Debian 12 data stream names each rule's CIS items
(`reference href=".../benchmark/debian_linux/"`) and each CIS profile selects the rules of
its level's items. That copy lacks the items with no rule (manual ones), whose levels it
cannot tell; everything else it gives is the controls file's, which a test checks
whenever both are here. Skipped, saying so, only when neither is.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

import pytest
import yaml

from assessor.catalogue import Control, load_catalogue
from assessor.lab import scanner

DATA = Path(__file__).parent.parent / "data" / "cac"
SHARED = Path(__file__).resolve().parents[3] / "shared" / "cac" / "cis_debian12.yml"
EXCEPTIONS = DATA / "exceptions.yaml"
FIELDS = ("cis", "level", "ssg")
XCCDF = "{http://checklists.nist.gov/xccdf/1.2}"
CIS_DEBIAN = "https://www.cisecurity.org/benchmark/debian_linux/"
RULE = "xccdf_org.ssgproject.content_rule_"
PROFILE = "xccdf_org.ssgproject.content_profile_"
# SSG's CIS profiles -> the controls file's level names, lowest level first.
LEVELS = (("cis_level1_server", "l1_server"), ("cis_level2_server", "l2_server"),
          ("cis_level1_workstation", "l1_workstation"),
          ("cis_level2_workstation", "l2_workstation"))


@dataclass(frozen=True)
class CisMapping:
    """CIS item -> its controls-file entry (`levels`, `rules`); `complete` when it lists
    every item of the benchmark, manual ones too (the controls file, not a data stream)."""

    items: Mapping[str, Mapping[str, Any]]
    complete: bool


def cac_path() -> Path | None:
    for candidate in (os.environ.get("ASSESSOR_CAC_CONTROLS"), SHARED, DATA / "cis_debian12.yml"):
        if candidate and Path(candidate).is_file():
            return Path(candidate)
    return None


def controls_file(path: Path) -> CisMapping:
    data = yaml.safe_load(path.read_text())
    assert data["id"] == "cis_debian12" and data["controls"], path
    return CisMapping({str(c["id"]): c for c in data["controls"]}, True)


def datastream_path() -> Path | None:
    tree = scanner.tree_path()
    return scanner.content(tree, 12) if scanner.pinned(tree) else None


def from_datastream(path: Path) -> CisMapping:
    """The CIS Debian 12 mapping as SSG built it into a data stream: an item's rules are
    those naming it; its levels are the lowest CIS profiles that select one of them (a
    level 2 profile holds level 1's rules too)."""
    root = ElementTree.parse(path).getroot()
    rules_of_item: dict[str, set[str]] = {}
    for rule in root.iter(f"{XCCDF}Rule"):
        for ref in rule.iterfind(f"{XCCDF}reference"):
            if ref.get("href") == CIS_DEBIAN and ref.text:
                rid = str(rule.get("id")).removeprefix(RULE)
                rules_of_item.setdefault(ref.text.strip(), set()).add(rid)
    selected = {str(p.get("id")).removeprefix(PROFILE):
                {str(s.get("idref")).removeprefix(RULE) for s in p.iterfind(f"{XCCDF}select")
                 if s.get("selected") == "true"}
                for p in root.iter(f"{XCCDF}Profile")}
    assert all(profile in selected for profile, _ in LEVELS), f"{path}: no CIS profiles"
    items: dict[str, dict[str, Any]] = {}
    for item, rules in rules_of_item.items():
        levels = [level for profile, level in LEVELS if rules & selected[profile]]
        for lower, higher in (("l1_server", "l2_server"), ("l1_workstation", "l2_workstation")):
            if lower in levels and higher in levels:
                levels.remove(higher)
        items[item] = {"rules": sorted(rules), "levels": levels}
    return CisMapping(items, False)


@pytest.fixture(scope="module")
def cac() -> CisMapping:
    path = cac_path()
    if path is not None:
        return controls_file(path)
    stream = datastream_path()
    if stream is None:
        pytest.skip("neither ComplianceAsCode's controls/cis_debian12.yml (set "
                    f"ASSESSOR_CAC_CONTROLS or put it at {SHARED}; fetched data is not "
                    "committed) nor the scanner tree's ssg-debian content (make scanner)")
    return from_datastream(stream)


def rules_of(item: dict[str, Any]) -> list[str]:
    """The item's SSG rules (mapped and related), without `var_x=value` assignments."""
    return [r for r in [*(item.get("rules") or []), *(item.get("related_rules") or [])]
            if "=" not in r]


def profiles_for(levels: list[str]) -> set[str]:
    wanted = set()
    if "l1_server" in levels:
        wanted |= {"server-l1", "server-l2"}
    if "l2_server" in levels:
        wanted.add("server-l2")
    if "l1_workstation" in levels:
        wanted.add("workstation-l1")
    return wanted


def differences(control: Control, cac: CisMapping) -> dict[str, str]:
    """field -> what differs, for one control. A data stream names no item without a rule
    (manual ones, or rules it was built without): for those only the ssg rule's own items
    are judged."""
    cis, ssg = control.refs.get("cis_debian12"), control.refs.get("ssg")
    found: dict[str, str] = {}
    owners = [i for i, entry in cac.items.items() if ssg and ssg in rules_of(entry)]
    if cis is None:
        if owners:
            found["cis"] = f"cites no CIS item, but CaC maps {ssg} to {', '.join(owners)}"
        return found
    item = cac.items.get(str(cis))
    if item is None and cac.complete:
        return {"cis": f"CIS {cis} is not an item of CIS Debian 12"}
    if item is None:  # no rule names the item: all a data stream can tell is ssg's own items
        if owners:
            found["cis"] = f"CIS {cis} has no rule, but CaC maps {ssg} to {', '.join(owners)}"
        return found
    if set(control.profiles) != (wanted := profiles_for(item.get("levels") or [])):
        found["level"] = f"profiles {sorted(control.profiles)}, CIS {cis} is {sorted(wanted)}"
    rules = rules_of(item)
    if ssg and ssg not in rules:
        found["ssg"] = f"ssg {ssg}, CaC maps {cis} to {', '.join(rules) or 'no rule'}"
    elif not ssg and rules:
        found["ssg"] = f"no ssg ref, CaC maps {cis} to {', '.join(rules)}"
    return found


def exceptions() -> dict[tuple[str, str], str]:
    entries = yaml.safe_load(EXCEPTIONS.read_text()) or []
    listed = {(str(e["control"]), str(e["field"])): str(e["reason"]) for e in entries}
    assert len(listed) == len(entries), "an exception is listed twice"
    return listed


def test_exceptions_name_real_controls_and_give_reasons() -> None:
    ids = {c.id for c in load_catalogue().controls}
    for (control, field), reason in exceptions().items():
        assert control in ids, control
        assert field in FIELDS, (control, field)
        assert len(reason.split()) >= 12, f"{control}: say why, so a reviewer can check it"


def unjudged(control: Control, cac: CisMapping) -> bool:
    """What a data stream cannot tell: an item it names no rule for (see differences)."""
    cis = control.refs.get("cis_debian12")
    return not cac.complete and cis is not None and str(cis) not in cac.items


def test_every_control_agrees_with_compliance_as_code(cac: CisMapping) -> None:
    listed = exceptions()
    unexplained, stale = [], []
    seen = set()
    controls = load_catalogue().controls
    for control in controls:
        for field, what in differences(control, cac).items():
            seen.add((control.id, field))
            if (control.id, field) not in listed:
                unexplained.append(f"{control.id}: {what}")
    blind = {(c.id, f) for c in controls if unjudged(c, cac) for f in FIELDS}
    stale = [f"{c} ({f})" for c, f in listed if (c, f) not in seen | blind]
    assert unexplained == [], "differences from CaC not in exceptions.yaml"
    assert stale == [], "exceptions that no longer differ: take them out"


def test_the_cross_check_would_catch_the_defects_it_was_written_for(cac: CisMapping) -> None:
    """The issue 13 defects, put back into copies of their controls, are all found."""
    controls = {c.id: c for c in load_catalogue().controls}

    def broken(control_id: str, **change: Any) -> dict[str, str]:
        control = controls[control_id]
        refs = {**control.refs, **change.pop("refs", {})}
        fields = {**control.__dict__, "refs": refs, **change}
        return differences(Control(**fields), cac)

    assert "ssg" in broken("ssh.log-level", refs={"ssg": "sshd_set_loglevel_verbose"})
    assert "level" in broken("login.pass-min-days",
                             profiles=("server-l1", "server-l2", "workstation-l1"))
    assert "cis" in broken("login.sha-crypt-rounds", refs={"cis_debian12": "5.4.1.4"}) or \
        "ssg" in broken("login.sha-crypt-rounds", refs={"cis_debian12": "5.4.1.4"})
    assert "level" in broken("pkg.telnet-client-absent", profiles=("server-l1", "server-l2"))


def test_the_data_stream_gives_the_controls_files_mapping() -> None:
    """What the CI run judges against is what the controls file says, item by item."""
    path, stream = cac_path(), datastream_path()
    if path is None or stream is None:
        pytest.skip("needs both the controls file and the scanner tree to compare them")
    full, built = controls_file(path), from_datastream(stream)
    automated = {i: item for i, item in full.items.items()
                 if [r for r in item.get("rules") or [] if "=" not in r]}
    assert set(built.items) == set(automated)
    for item, entry in built.items.items():
        assert set(entry["rules"]) == {r for r in automated[item]["rules"] if "=" not in r}, item
        assert sorted(entry["levels"]) == sorted(automated[item]["levels"]), item


STREAM = """<ds xmlns:x="http://checklists.nist.gov/xccdf/1.2"><x:Benchmark>
<x:Rule id="{r}sshd_a"><x:reference href="{cis}">5.1.1</x:reference>
  <x:reference href="https://www.cisecurity.org/controls/">9.9.9</x:reference></x:Rule>
<x:Rule id="{r}sshd_b"><x:reference href="{cis}">5.1.2</x:reference></x:Rule>
<x:Rule id="{r}gdm_c"><x:reference href="{cis}">1.7.1</x:reference>
  <x:reference href="{cis}">1.7.2</x:reference></x:Rule>
<x:Rule id="{r}uncited"/>
<x:Profile id="{p}cis_level1_server"><x:select idref="{r}sshd_a" selected="true"/>
  <x:select idref="{r}gdm_c" selected="false"/></x:Profile>
<x:Profile id="{p}cis_level2_server"><x:select idref="{r}sshd_a" selected="true"/>
  <x:select idref="{r}sshd_b" selected="true"/></x:Profile>
<x:Profile id="{p}cis_level1_workstation"><x:select idref="{r}sshd_a" selected="true"/>
  <x:select idref="{r}gdm_c" selected="true"/></x:Profile>
<x:Profile id="{p}cis_level2_workstation"><x:select idref="{r}sshd_a" selected="true"/>
  <x:select idref="{r}sshd_b" selected="true"/><x:select idref="{r}gdm_c" selected="true"/>
</x:Profile></x:Benchmark></ds>""".replace("{r}", RULE).replace("{p}", PROFILE).replace(
    "{cis}", CIS_DEBIAN)


def test_a_data_streams_items_levels_and_rules(tmp_path: Path) -> None:
    stream = tmp_path / "ds.xml"
    stream.write_text(STREAM)
    built = from_datastream(stream)
    assert not built.complete
    assert dict(built.items) == {
        "5.1.1": {"rules": ["sshd_a"], "levels": ["l1_server", "l1_workstation"]},
        "5.1.2": {"rules": ["sshd_b"], "levels": ["l2_server", "l2_workstation"]},
        "1.7.1": {"rules": ["gdm_c"], "levels": ["l1_workstation"]},
        "1.7.2": {"rules": ["gdm_c"], "levels": ["l1_workstation"]},
    }
    controls = {c.id: c for c in load_catalogue().controls}
    manual = controls["walk.suid-allowlist"]  # CIS 7.1.13: no rule, so not in a data stream
    assert unjudged(manual, built) and differences(manual, built) == {}
    wrong = Control(**{**manual.__dict__, "refs": {**manual.refs, "ssg": "sshd_b"}})
    assert differences(wrong, built) == {
        "cis": "CIS 7.1.13 has no rule, but CaC maps sshd_b to 5.1.2"}
