"""JUnit files validate against a JUnit XSD and read back with matching counts."""

from __future__ import annotations

from pathlib import Path

import pytest
import xmlschema
from junitparser import Failure, JUnitXml, Skipped, TestSuite
from unit_builders import finding, run_of

from assessor.reports import host_dir, write_all
from assessor.results import HostResult, RunResult, Severity, Status, WaiverNote

XSD = Path(__file__).resolve().parents[1] / "data" / "junit" / "junit.xsd"
SKIPPED = ("notapplicable", "waived", "manual")


@pytest.fixture(scope="module")
def junit_schema() -> xmlschema.XMLSchema:
    return xmlschema.XMLSchema(str(XSD))


def waived_host() -> HostResult:
    return HostResult("app1", "10.0.0.9", {"os": "Debian 12", "kernel": "6.1"}, findings=[
        finding("a.waived", Status.WAIVED,
                waiver=WaiverNote("alice", "break-glass", "2027-01-31"), reason="waived"),
        finding("b.expired", Status.FAIL, Severity.CRITICAL, expected="no", observed="yes",
                waiver=WaiverNote("bob", "legacy", "2025-01-01", expired=True)),
        finding("c.manual", Status.MANUAL, reason="check the paper trail"),
        finding("d.pass", Status.PASS),
    ])


def only_suite(path: Path) -> TestSuite:
    """junitparser wraps a lone <testsuite> in JUnitXml; there must be exactly one."""
    xml = JUnitXml.fromfile(str(path))
    suites = list(xml) if isinstance(xml, JUnitXml) else [xml]
    assert len(suites) == 1 and isinstance(suites[0], TestSuite)
    return suites[0]


def check_suite(suite: TestSuite, host: HostResult) -> None:
    counts = host.counts()
    assert suite.name == host.name
    assert suite.tests == len(host.findings)
    assert (suite.failures, suite.errors) == (counts["fail"], counts["error"])
    assert suite.skipped == sum(counts[s] for s in SKIPPED)
    assert [case.classname for case in suite] == [f.section for f in host.findings]
    assert [case.name for case in suite] == [f"{f.control_id} {f.title}" for f in host.findings]


@pytest.mark.parametrize("which", ["mixed", "waived"])
def test_junit_validates_and_reads_back(
    tmp_path: Path, junit_schema: xmlschema.XMLSchema, mixed_run: RunResult, which: str
) -> None:
    run = mixed_run if which == "mixed" else run_of(waived_host())
    write_all(run, tmp_path)
    for host in run.hosts:
        path = host_dir(tmp_path, host.name) / "junit.xml"
        junit_schema.validate(str(path))
        suite = only_suite(path)
        if host.assessed:
            check_suite(suite, host)
            props = {p.name: p.value for p in suite.properties()}
            assert props["os"] == host.facts["os"] and props["address"] == host.address
            assert props["profile"] == run.profile and props["run_id"] == run.run_id
    merged_path = tmp_path / "junit.xml"
    junit_schema.validate(str(merged_path))
    merged = JUnitXml.fromfile(str(merged_path))
    assert isinstance(merged, JUnitXml)
    suites = list(merged)
    assert [s.name for s in suites] == [h.name for h in run.hosts]
    assert merged.tests == sum(s.tests for s in suites)
    assert merged.failures == sum(h.counts()["fail"] for h in run.hosts)


def test_junit_carries_waivers_and_manual_reasons(tmp_path: Path) -> None:
    run = run_of(waived_host())
    write_all(run, tmp_path)
    suite = only_suite(host_dir(tmp_path, "app1") / "junit.xml")
    results = {case.name.split()[0]: case.result for case in suite}
    (waived,) = results["a.waived"]
    assert isinstance(waived, Skipped) and waived.message == "waived: waived"
    assert "owner alice, expires 2027-01-31" in (waived.text or "")
    (expired,) = results["b.expired"]
    assert isinstance(expired, Failure) and expired.message == "expected no, observed yes"
    assert expired.type == "critical"
    assert "waiver: legacy (owner bob, expired 2025-01-01)" in (expired.text or "")
    (manual,) = results["c.manual"]
    assert isinstance(manual, Skipped) and manual.message == "manual: check the paper trail"
    assert results["d.pass"] == []


def test_a_broken_junit_file_fails_the_xsd(tmp_path: Path, junit_schema: xmlschema.XMLSchema,
                                           mixed_run: RunResult) -> None:
    """The schema is not a rubber stamp: a suite without counts is refused."""
    write_all(mixed_run, tmp_path)
    path = host_dir(tmp_path, "web1") / "junit.xml"
    path.write_text(path.read_text().replace(' failures="1"', "", 1))
    assert not junit_schema.is_valid(str(path))
