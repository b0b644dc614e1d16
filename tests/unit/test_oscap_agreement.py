"""The OpenSCAP agreement's pure parts: tailoring, results, comparison, the committed table."""

from __future__ import annotations

from pathlib import Path
from xml.etree import ElementTree

import oscaprun
import pytest
import yaml

from assessor.catalogue import load_catalogue
from assessor.errors import ConfigError
from assessor.lab import aptrepo

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
    tree = ElementTree.fromstring(oscaprun.tailoring({"b_rule", "a_rule"}, {"var_x": "4"}))
    ns = {"x": oscaprun.XCCDF}
    profile = tree.find("x:Profile", ns)
    assert profile is not None and profile.get("id") == oscaprun.PROFILE
    assert [s.get("idref") for s in profile.findall("x:select", ns)] == [
        oscaprun.RULE + "a_rule", oscaprun.RULE + "b_rule"]
    assert [(v.get("idref"), v.text) for v in profile.findall("x:set-value", ns)] == [
        (oscaprun.VALUE + "var_x", "4")]


def test_compare_counts_only_evaluated_rules_and_skips_the_machines() -> None:
    rules = {"ssh.a": "rule_a", "ssh.b": "rule_b", "fs.c": "rule_c", "boot.d": "rule_d"}
    oscap = {"rule_a": "pass", "rule_b": "fail", "rule_c": "notapplicable", "rule_d": "fail"}
    ours = {"ssh.a": "pass", "ssh.b": "pass", "fs.c": "fail", "boot.d": "pass"}
    compared, differ = oscaprun.compare(rules, oscap, ours, "weak", excluded={"boot.d"})
    assert compared == 2
    assert differ == [oscaprun.Disagreement("ssh.b", "rule_b", "weak", "fail", "pass")]


def test_only_the_benchmark_wide_release_gate_goes(tmp_path: Path) -> None:
    source = tmp_path / "ssg-debian11-ds.xml"
    source.write_text('<b><xccdf-1.2:platform idref="cpe:/o:debian:debian_linux:11"/>'
                      '<xccdf-1.2:Rule id="r"><xccdf-1.2:platform idref="#machine"/></b>')
    text = oscaprun.ungated(source, tmp_path / "out.xml").read_text()
    assert "debian_linux" not in text and 'idref="#machine"' in text
    source.write_text("<b/>")
    with pytest.raises(AssertionError):
        oscaprun.ungated(source, tmp_path / "out.xml")


def test_table_rows_are_unique_and_name_what_the_catalogue_cites() -> None:
    rows = yaml.safe_load(oscaprun.DISAGREEMENTS.read_text())["disagreements"]
    keys = [(r["control"], r["rule"], r["flavour"]) for r in rows]
    assert len(keys) == len(set(keys))
    cited = {c.id: c.refs.get("ssg") for c in load_catalogue().controls}
    stale = [k for k in keys if cited.get(k[0]) != k[1]]
    assert not stale, f"rows whose control no longer cites that SSG rule: {stale}"
    assert all(r["oscap"] in oscaprun.EVALUATED and r["ours"] != r["oscap"] for r in rows)


def test_lab_repository_never_writes_through_a_host_symlink(tmp_path: Path) -> None:
    root = tmp_path / "root"
    (root / "etc").mkdir(parents=True)
    (root / "etc/apt").symlink_to(tmp_path / "elsewhere")  # absolute: this machine's files
    with pytest.raises(ConfigError, match="symlink"):
        aptrepo.in_root(root, "etc/apt/sources.list")
    assert aptrepo.in_root(root, "srv/repo") == root / "srv/repo"
