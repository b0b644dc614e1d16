"""JUnit XML per host: one testsuite per host, one testcase per control.

CI systems show `<failure message>`, so it carries expected vs observed in one line, and
the body says what to do about it.
"""

from __future__ import annotations

from pathlib import Path

from junit_xml import TestCase, TestSuite, to_xml_report_string

from assessor.atomic import write_text
from assessor.reports.paths import host_dir
from assessor.reports.text import xml_safe
from assessor.results import Finding, HostResult, RunResult, Status

JUNIT_FILE = "junit.xml"


def testcase(finding: Finding) -> TestCase:
    case = TestCase(
        name=xml_safe(f"{finding.control_id} {finding.title}"),
        classname=xml_safe(finding.section),
    )
    reason = xml_safe(finding.reason)
    if finding.status is Status.FAIL:
        message = f"expected {finding.expected}, observed {finding.observed}"
        body = "\n".join(
            part
            for part in (
                f"severity: {finding.severity}",
                f"evidence: {finding.evidence}" if finding.evidence else "",
                f"remediation: {finding.remediation}" if finding.remediation else "",
            )
            if part
        )
        case.add_failure_info(message=xml_safe(message), output=xml_safe(body))
    elif finding.status is Status.ERROR:
        case.add_error_info(message=reason, output=xml_safe(finding.evidence))
    elif finding.status in (Status.NOTAPPLICABLE, Status.WAIVED, Status.MANUAL):
        case.add_skipped_info(message=f"{finding.status}: {reason}")
    else:
        case.stdout = xml_safe(finding.evidence)
    return case


def suite(host: HostResult, run: RunResult) -> TestSuite:
    properties = {k: xml_safe(v) for k, v in host.facts.items()}
    properties |= {"address": xml_safe(host.address), "run_id": run.run_id, "profile": run.profile}
    if not host.assessed:
        case = TestCase(name="assessment", classname="host")
        case.add_error_info(message=xml_safe(f"host could not be assessed: {host.error}"))
        cases = [case]
    else:
        cases = [testcase(f) for f in host.findings]
    return TestSuite(
        name=xml_safe(host.name),
        test_cases=cases,
        hostname=xml_safe(host.name),
        timestamp=run.finished,
        properties=properties,
    )


def write(run: RunResult, out_dir: Path) -> list[Path]:
    written = []
    for host in run.hosts:
        path = host_dir(out_dir, host.name) / JUNIT_FILE
        write_text(path, to_xml_report_string([suite(host, run)], encoding="utf-8"))
        written.append(path)
    return written
