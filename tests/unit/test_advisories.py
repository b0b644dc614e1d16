"""Advisory formats, their validation errors, dpkg version logic and the exposure judge."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from assessor.advisories import (
    AdvisoryError,
    Release,
    judge,
    load_advisories,
    security_plan,
    to_finding,
    upgrade_plan,
    versions,
)
from assessor.results import Severity, Status

DATA = Path(__file__).resolve().parent.parent / "data" / "advisories"


# --- versions -------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("low", "high"),
    [
        ("1.0-1", "1.0-1+deb12u1"),        # security suffix sorts after the base
        ("1.0~rc1-1", "1.0-1"),            # tilde sorts before anything
        ("2.0-1", "1:1.0-1"),              # an epoch beats any upstream version
        ("1.0-1+b1", "1.0-1+deb12u1"),     # binNMU below the security update
        ("2.36-9+deb12u3", "2.36-9+deb12u14"),  # numbers compare as numbers
        ("3.0.11-1~deb12u1", "3.0.11-1"),  # backport-style tilde
    ],
)
def test_dpkg_ordering(low: str, high: str) -> None:
    assert versions.compare(low, high) == -1
    assert versions.compare(high, low) == 1
    assert versions.at_least(high, low) and not versions.at_least(low, high)


def test_affected_range() -> None:
    assert versions.affected("1.0-1", "0", "1.0-1+deb12u1")
    assert not versions.affected("1.0-1+deb12u1", "0", "1.0-1+deb12u1")
    assert not versions.affected("0.9-1", "1.0-1", "1.0-1+deb12u1")  # before introduced
    assert versions.affected("5.0-1", "", "")  # no fix yet: every version


@pytest.mark.parametrize("bad", ["", " 1.0", "1.0 beta", "abc", "-1"])
def test_invalid_versions_are_refused(bad: str) -> None:
    with pytest.raises(ValueError):
        versions.check(bad)


# --- formats --------------------------------------------------------------------------

def test_shipped_advisories_load_in_every_format() -> None:
    loaded = {a.id: a for a in load_advisories([DATA])}
    assert {a.format for a in loaded.values()} == {"osv", "csaf", "bulletin"}
    glibc = loaded["DSA-5514-1"]
    assert glibc.cves == ("CVE-2023-4527", "CVE-2023-4911")
    assert {(str(f.release), f.fixed) for f in glibc.fixes} == {
        ("Debian 11", "2.31-13+deb11u7"), ("Debian 12", "2.36-9+deb12u3")}
    csaf = loaded["CERT-LAB-2026-0002"]
    assert csaf.severity is Severity.HIGH  # "Important"
    assert [(f.package, f.fixed, f.kind) for f in csaf.fixes] == [
        ("assessor-demo", "1.0-1+deb12u1", "source")]
    bulletin = loaded["CERT-LAB-2026-0003"]
    assert bulletin.severity is Severity.CRITICAL and bulletin.published == "2026-11-22"
    assert bulletin.binaries == {"libassessor-demo1"} and bulletin.sources == {"assessor-demo"}
    bsi = loaded["BSI-2022-0001"]
    assert bsi.fixes == () and any("not a dpkg package" in n for n in bsi.notes)
    nginx = loaded["DSA-3029-1"]
    assert not nginx.severity_stated and nginx.fixes[0].release == Release("debian", "7")


def write(tmp_path: Path, name: str, content: Any) -> Path:
    path = tmp_path / name
    path.write_text(content if isinstance(content, str) else json.dumps(content))
    return path


OSV = {
    "id": "DSA-1-1",
    "affected": [{
        "package": {"ecosystem": "Debian:12", "name": "demo"},
        "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "1.0-2"}]}],
    }],
}


def expect_error(path: Path, where: str, what: str, file: Path | None = None) -> None:
    with pytest.raises(AdvisoryError) as caught:
        load_advisories([path])
    assert caught.value.source == str(file or path)
    assert caught.value.where == where, caught.value.message
    assert what in caught.value.what, caught.value.message
    assert caught.value.exit_code == 2


def test_osv_errors_name_file_path_and_problem(tmp_path: Path) -> None:
    bad_version = json.loads(json.dumps(OSV))
    bad_version["affected"][0]["ranges"][0]["events"][1]["fixed"] = "1.0 beta"
    expect_error(write(tmp_path, "a.json", bad_version),
                 "/affected/0/ranges/0/events/1/fixed", "whitespace")
    no_name = json.loads(json.dumps(OSV))
    del no_name["affected"][0]["package"]["name"]
    expect_error(write(tmp_path, "b.json", no_name), "/affected/0/package",
                 "'name' is required but missing")
    two_kinds = json.loads(json.dumps(OSV))
    two_kinds["affected"][0]["ranges"][0]["events"][0] = {"introduced": "0", "fixed": "1"}
    expect_error(write(tmp_path, "c.json", two_kinds), "/affected/0/ranges/0/events/0", "")


def test_osv_last_affected_and_other_ecosystems(tmp_path: Path) -> None:
    record = {
        "id": "OSV-2", "affected": [
            {"package": {"ecosystem": "PyPI", "name": "demo"}},
            {"package": {"ecosystem": "Debian:12", "name": "demo"},
             "ranges": [{"type": "ECOSYSTEM",
                         "events": [{"introduced": "1.0-1"}, {"last_affected": "1.0-3"}]}]},
        ],
    }
    (advisory,) = load_advisories([write(tmp_path, "r.json", record)])
    (fix,) = advisory.fixes
    assert (fix.introduced, fix.last_affected, fix.fixed) == ("1.0-1", "1.0-3", "")
    assert any("PyPI" in note for note in advisory.notes)
    state = host_state({"demo": pkg("1.0-2")})
    assert judge(advisory, state).status is Status.FAIL
    assert judge(advisory, host_state({"demo": pkg("1.0-4")})).status is Status.PASS


def test_csaf_errors(tmp_path: Path) -> None:
    document = json.loads((DATA / "lab/CERT-LAB-2026-0002.csaf.json").read_text())
    document["document"]["csaf_version"] = "1.2"
    expect_error(write(tmp_path, "v.json", document), "/document/csaf_version", "2.0")
    document = json.loads((DATA / "lab/CERT-LAB-2026-0002.csaf.json").read_text())
    document["vulnerabilities"][0]["product_status"]["fixed"] = ["CSAFPID-9999"]
    expect_error(write(tmp_path, "p.json", document),
                 "/vulnerabilities/0/product_status/fixed/0", "'CSAFPID-9999' is not defined")
    document = json.loads((DATA / "lab/CERT-LAB-2026-0002.csaf.json").read_text())
    product = document["product_tree"]["branches"][0]["branches"][0]["branches"][1]["product"]
    product["product_identification_helper"]["purl"] = "pkg:deb/debian/assessor-demo@1.0-2"
    expect_error(write(tmp_path, "q.json", document),
                 "/product_tree/branches/0/branches/0/branches/1/product/"
                 "product_identification_helper/purl", "no usable distro qualifier")


def test_csaf_branch_path_and_relationship_without_purls(tmp_path: Path) -> None:
    document = {
        "document": {"category": "csaf_security_advisory", "csaf_version": "2.0",
                     "publisher": {"name": "CERT"}, "title": "t",
                     "tracking": {"id": "CERT-1", "initial_release_date": "2026-01-01"}},
        "product_tree": {
            "branches": [{"category": "vendor", "name": "Debian", "branches": [
                {"category": "product_name", "name": "openssl", "branches": [
                    {"category": "product_version", "name": "3.0.15-1~deb12u1",
                     "product": {"name": "openssl 3.0.15-1~deb12u1", "product_id": "P1"}}]},
                {"category": "product_family", "name": "Debian 12", "branches": [
                    {"category": "product_version", "name": "12",
                     "product": {"name": "Debian GNU/Linux 12", "product_id": "OS12",
                                 "product_identification_helper": {
                                     "cpe": "cpe:/o:debian:debian_linux:12"}}}]}]}],
            "relationships": [{"category": "default_component_of", "product_reference": "P1",
                               "relates_to_product_reference": "OS12",
                               "full_product_name": {"name": "openssl on Debian 12",
                                                     "product_id": "P1:OS12"}}],
        },
        "vulnerabilities": [{"cve": "CVE-2024-1", "product_status": {"fixed": ["P1:OS12"]}}],
    }
    (advisory,) = load_advisories([write(tmp_path, "c.json", document)])
    (fix,) = advisory.fixes
    assert (fix.release, fix.package, fix.fixed) == (
        Release("debian", "12"), "openssl", "3.0.15-1~deb12u1")
    assert not advisory.severity_stated


BULLETIN = """\
id: CERT-X-1
title: demo
published: 2026-11-20
severity: high
affected:
  - release: debian-12
    source: demo
    fixed: 1.0-2
"""


def test_bulletin_errors(tmp_path: Path) -> None:
    expect_error(write(tmp_path, "a.yaml", BULLETIN.replace("high", "urgent")), "/severity",
                 "'urgent' is not one of")
    expect_error(write(tmp_path, "b.yaml", BULLETIN.replace("fixed: 1.0-2", "fixed: x y")),
                 "/affected/0/fixed", "whitespace")
    expect_error(write(tmp_path, "c.yaml", BULLETIN.replace("debian-12", "windows")),
                 "/affected/0/release", "is not a release")
    expect_error(write(tmp_path, "d.yaml", BULLETIN.replace("title: demo\n", "")), "/",
                 "'title' is required")
    expect_error(write(tmp_path, "e.yaml", BULLETIN + "  - [unclosed\n"), "line 10 column 1",
                 "invalid YAML")


def test_loader_errors(tmp_path: Path) -> None:
    expect_error(write(tmp_path, "x.json", "{"), "line 1 column 2", "invalid JSON")
    expect_error(write(tmp_path, "y.json", {"hello": 1}), "/", "neither an OSV record")
    expect_error(tmp_path / "missing.json", "/", "no such file")
    empty = tmp_path / "empty"
    empty.mkdir()
    expect_error(empty, "/", "no *.json")
    twice = tmp_path / "twice"
    twice.mkdir()
    write(twice, "1.json", OSV)
    write(twice, "2.json", OSV)
    expect_error(twice, "/", f"also defined in {twice / '1.json'}", file=twice / "2.json")


# --- judge ----------------------------------------------------------------------------

def pkg(version: str, source: str = "demo", source_version: str = "", hold: bool = False,
        state: str = "installed") -> dict[str, Any]:
    return {"version": version, "source": source, "source_version": source_version or version,
            "hold": hold, "state": state, "eflag": "ok", "want": "hold" if hold else "install"}


def host_state(packages: dict[str, Any], policy: dict[str, Any] | None = None,
               release: tuple[str, str] = ("debian", "12")) -> dict[str, Any]:
    return {"facts": {"os_id": release[0], "os_version_id": release[1]},
            "packages": packages, "policy": policy or {}}


def offer(installed: str, candidate: str, *available: str | tuple[str, str]) -> dict[str, Any]:
    """apt-cache policy as the module reports it; (version, source version) when they differ."""
    table = []
    for item in available:
        version, source_version = item if isinstance(item, tuple) else (item, item)
        table.append({"version": version, "source_version": source_version, "origins": [
            "https://deb.debian.org/debian-security bookworm-security/main amd64 Packages"]})
    return {"installed": installed, "candidate": candidate, "versions": table}


@pytest.fixture
def demo(tmp_path: Path) -> Any:
    (advisory,) = load_advisories([write(tmp_path, "d.json", OSV)])
    return advisory


def test_exposed_with_fix_on_offer_plans_the_candidate(demo: Any) -> None:
    state = host_state(
        {"demo": pkg("1.0-1"), "libdemo1": pkg("1.0-1+b1", source_version="1.0-1")},
        {"demo": offer("1.0-1", "1.0-2", "1.0-2", "1.0-1"),
         "libdemo1": offer("1.0-1+b1", "1.0-2", "1.0-2", "1.0-1+b1")},
    )
    verdict = judge(demo, state)
    assert verdict.status is Status.FAIL
    assert upgrade_plan([verdict]) == {"demo": "1.0-2", "libdemo1": "1.0-2"}
    finding = to_finding(verdict)
    assert finding.control_id == "DSA-1-1" and finding.expected == "demo >= 1.0-2"
    assert finding.observed == "demo 1.0-1; libdemo1 1.0-1+b1 (source demo 1.0-1)"
    assert "demo=1.0-2" in finding.remediation


def test_binaries_judged_by_their_source_version(demo: Any) -> None:
    # libdemo1 carries its own epoch (2:1.0) but is built from source demo 1.0-1: affected,
    # though "2:1.0" > "1.0-2" as a binary version
    state = host_state({"libdemo1": pkg("2:1.0", source_version="1.0-1")},
                       {"libdemo1": offer("2:1.0", "2:1.0", ("2:1.0", "1.0-1"))})
    verdict = judge(demo, state)
    assert verdict.status is Status.ERROR  # affected, and nothing offered fixes the source
    assert "no configured repository offers demo >= 1.0-2" in verdict.reason
    state["policy"] = {"libdemo1": offer("2:1.0", "2:1.0+b1", ("2:1.0+b1", "1.0-2"),
                                         ("2:1.0", "1.0-1"))}
    verdict = judge(demo, state)
    assert verdict.status is Status.FAIL
    assert upgrade_plan([verdict]) == {"libdemo1": "2:1.0+b1"}


def test_held_package_is_blocked_and_not_planned(demo: Any) -> None:
    state = host_state({"demo": pkg("1.0-1", hold=True)}, {"demo": offer("1.0-1", "1.0-2",
                                                                         "1.0-2")})
    verdict = judge(demo, state)
    assert verdict.status is Status.ERROR and "held (apt-mark hold)" in verdict.reason
    assert upgrade_plan([verdict]) == {}
    assert "apt-mark unhold demo" in to_finding(verdict).remediation


def test_pinned_down_candidate_is_blocked(demo: Any) -> None:
    state = host_state({"demo": pkg("1.0-1")}, {"demo": offer("1.0-1", "1.0-1", "1.0-2")})
    verdict = judge(demo, state)
    assert verdict.status is Status.ERROR and "pinned down" in verdict.reason


def test_fixed_not_installed_other_release_and_unknown_release(demo: Any) -> None:
    assert judge(demo, host_state({"demo": pkg("1.0-2")})).status is Status.PASS
    assert judge(demo, host_state({"demo": pkg("1:0.5-1")})).status is Status.PASS  # epoch
    absent = judge(demo, host_state({"other": pkg("1.0", source="other")}))
    assert absent.status is Status.PASS and "not affected" in absent.reason
    other = judge(demo, host_state({"demo": pkg("1.0-1")}, release=("debian", "11")))
    assert other.status is Status.NOTAPPLICABLE and "Debian 11" in other.reason
    unknown = judge(demo, {"facts": {}, "packages": {}})
    assert unknown.status is Status.ERROR


def test_removed_package_config_files_do_not_count(demo: Any) -> None:
    state = host_state({"demo": pkg("1.0-1", state="config-files")})
    assert judge(demo, state).status is Status.PASS


def test_host_level_block_turns_exposure_into_error(demo: Any) -> None:
    state = host_state({"demo": pkg("1.0-1")}, {"demo": offer("1.0-1", "1.0-2", "1.0-2")})
    verdict = judge(demo, state, blocked="pre-check failed: dpkg lock held")
    assert verdict.status is Status.ERROR
    assert verdict.reason.startswith("blocked: not patched: pre-check failed: dpkg lock held")


def test_unfixed_advisory_fails_without_a_plan(tmp_path: Path) -> None:
    (advisory,) = load_advisories([write(tmp_path, "u.yaml", BULLETIN.replace(
        "    fixed: 1.0-2\n", ""))])
    verdict = judge(advisory, host_state({"demo": pkg("1.0-1")}))
    assert verdict.status is Status.FAIL and "no fix is published" in verdict.reason
    assert upgrade_plan([verdict]) == {}
    assert to_finding(verdict).expected == "demo: no fix published"


def test_security_plan_respects_holds() -> None:
    state = {"held": ["kept"], "security_upgrades": [
        {"package": "kept", "version": "2"}, {"package": "libssl3", "version": "3.0.15-1~deb12u1"},
    ]}
    assert security_plan(state) == {"libssl3": "3.0.15-1~deb12u1"}
