"""The OpenSCAP agreement's pure parts: tailoring, results, comparison, the committed table."""

from __future__ import annotations

from pathlib import Path
from xml.etree import ElementTree

import oscaprun
import pytest
import yaml

from assessor.catalogue import load_catalogue
from assessor.errors import ConfigError
from assessor.lab import aptrepo, scanner

RESULTS = f"""<?xml version="1.0"?>
<Benchmark xmlns="{oscaprun.XCCDF}"><TestResult id="x">
  <rule-result idref="{oscaprun.RULE}sshd_disable_root_login"><result>fail</result></rule-result>
  <rule-result idref="{oscaprun.RULE}file_permissions_etc_shadow"><result>pass</result>
  </rule-result>
  <rule-result idref="{oscaprun.RULE}partition_for_tmp"><result>notapplicable</result></rule-result>
</TestResult></Benchmark>"""


def test_results_are_read_per_rule() -> None:
    assert oscaprun.parse_results(RESULTS.encode()) == {
        "sshd_disable_root_login": "fail", "file_permissions_etc_shadow": "pass",
        "partition_for_tmp": "notapplicable"}


def test_tailoring_selects_exactly_the_rules_and_sets_the_values() -> None:
    tree = ElementTree.fromstring(oscaprun.tailoring({"b_rule", "a_rule"}, {"var_x": "5_min"}))
    ns = {"x": oscaprun.XCCDF}
    profile = tree.find("x:Profile", ns)
    assert profile is not None and profile.get("id") == oscaprun.PROFILE
    assert [s.get("idref") for s in profile.findall("x:select", ns)] == [
        oscaprun.RULE + "a_rule", oscaprun.RULE + "b_rule"]
    assert [(v.get("idref"), v.get("selector")) for v in profile.findall("x:refine-value", ns)
            ] == [(oscaprun.VALUE + "var_x", "5_min")]


def test_selections_are_cis_values_the_content_offers(tmp_path: Path) -> None:
    ds = tmp_path / "ds.xml"
    ds.write_text(f'<xccdf-1.2:Value id="{oscaprun.VALUE}var_accounts_tmout" type="number">'
                  '<xccdf-1.2:value selector="15_min">900</xccdf-1.2:value>'
                  '<xccdf-1.2:value>600</xccdf-1.2:value></xccdf-1.2:Value>')
    offered = oscaprun.values_in(ds)
    assert offered == {"var_accounts_tmout": {"15_min"}}
    assert oscaprun.selections(offered) == {"var_accounts_tmout": "15_min"}
    with pytest.raises(AssertionError, match="do not offer"):
        oscaprun.selections(offered, {"var_accounts_tmout": "10_min"})


def test_compare_counts_only_evaluated_rules_and_skips_the_machines() -> None:
    rules = {"ssh.a": "rule_a", "ssh.b": "rule_b", "fs.c": "rule_c", "boot.d": "rule_d"}
    oscap = {"rule_a": "pass", "rule_b": "fail", "rule_c": "notapplicable", "rule_d": "fail"}
    ours = {"ssh.a": "pass", "ssh.b": "pass", "fs.c": "fail", "boot.d": "pass"}
    compared, differ = oscaprun.compare(rules, oscap, ours, "weak", excluded={"boot.d"})
    assert compared == 2
    assert differ == [oscaprun.Disagreement("ssh.b", "rule_b", "weak", "fail", "pass")]


KERNEL_OBJECT = ('<linux:dpkginfo_object id="oval:ssg-obj_inventory_test_kernel_installed:obj:1"'
                 ' version="1">\n  <linux:name>linux-base</linux:name></linux:dpkginfo_object>')


def test_only_the_release_and_kernel_gates_go(tmp_path: Path) -> None:
    source = tmp_path / "ssg-debian12-ds.xml"
    source.write_text('<b><xccdf-1.2:platform idref="cpe:/o:debian:debian_linux:12"/>'
                      '<xccdf-1.2:Rule id="r"><xccdf-1.2:platform idref="#machine"/>'
                      f'<xccdf-1.2:platform idref="#system_with_kernel"/></xccdf-1.2:Rule>'
                      f'{KERNEL_OBJECT}</b>')
    text = oscaprun.ungated(source, tmp_path / "out.xml").read_text()
    assert "debian_linux" not in text and 'idref="#machine"' in text
    assert "<linux:name>base-files</linux:name>" in text and "linux-base" not in text
    assert 'idref="#system_with_kernel"' in text
    source.write_text("<b/>")
    with pytest.raises(AssertionError):
        oscaprun.ungated(source, tmp_path / "out.xml")


def test_every_release_has_its_table() -> None:
    assert [t.name for t in oscaprun.tables()] == [
        "disagreements-debian11.yaml", "disagreements-debian13.yaml", "disagreements.yaml"]


@pytest.mark.parametrize("table", oscaprun.tables(), ids=lambda t: t.stem)
def test_table_rows_are_unique_and_name_what_the_catalogue_cites(table: Path) -> None:
    rows = yaml.safe_load(table.read_text())["disagreements"]
    keys = [(r["control"], r["rule"], r["flavour"]) for r in rows]
    assert len(keys) == len(set(keys))
    cited = {c.id: c.refs.get("ssg") for c in load_catalogue().controls}
    stale = [k for k in keys if cited.get(k[0]) != k[1]]
    assert not stale, f"rows whose control no longer cites that SSG rule: {stale}"
    assert all(r["oscap"] in oscaprun.EVALUATED and r["ours"] != r["oscap"] for r in rows)
    assert all(r["right"] in ("assessor", "oscap", "both") and len(r["why"]) >= 30 for r in rows)


def test_every_table_was_measured_with_the_pinned_content() -> None:
    pinned = f"ssg-debian {scanner.CONTENT[1]['ssg-debian']}"
    assert [oscaprun.table_content(t) for t in oscaprun.tables()] == [pinned] * 3


def test_unexplained_names_new_changed_and_gone_rows(tmp_path: Path) -> None:
    table = tmp_path / "t.yaml"
    table.write_text(yaml.safe_dump({"content": "x", "disagreements": [
        {"control": "a.b", "rule": "r1", "flavour": "weak", "oscap": "fail", "ours": "pass"},
        {"control": "c.d", "rule": "r2", "flavour": "weak", "oscap": "pass", "ours": "fail"}]}))
    differ = [oscaprun.Disagreement("a.b", "r1", "weak", "pass", "fail"),  # verdicts changed
              oscaprun.Disagreement("e.f", "r3", "weak", "fail", "pass")]  # new
    new, gone = oscaprun.unexplained(differ, table)
    assert new == ["a.b (r1) on weak: oscap pass, ours fail",
                   "e.f (r3) on weak: oscap fail, ours pass"]
    assert gone == [("c.d", "r2", "weak")]


def test_lab_repository_never_writes_through_a_host_symlink(tmp_path: Path) -> None:
    root = tmp_path / "root"
    (root / "etc").mkdir(parents=True)
    (root / "etc/apt").symlink_to(tmp_path / "elsewhere")  # absolute: this machine's files
    with pytest.raises(ConfigError, match="symlink"):
        aptrepo.in_root(root, "etc/apt/sources.list")
    assert aptrepo.in_root(root, "srv/repo") == root / "srv/repo"
