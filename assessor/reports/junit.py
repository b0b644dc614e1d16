"""JUnit XML: one file per host with one `<testsuite>`, plus one merged file for the run.

CI systems show `<failure message>`, so it carries expected vs observed in one line, and
the body says what to do about it. Skipped cases (not applicable, waived, manual) carry
their reason; an expired waiver leaves the failure standing and says so in the body.

The XML is written as text (ElementTree's serialiser is the slow half of a 1,000-host
run): every value goes through `_attr` or `_text`, which drop what XML cannot carry and
escape markup. Tests validate the output against a JUnit XSD and parse it back.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from assessor.reports.text import xml_safe
from assessor.results import Finding, HostResult, RunResult, Status
from assessor.rundir import host_dir, write_text

JUNIT_FILE = "junit.xml"
SKIPPED = (Status.NOTAPPLICABLE, Status.WAIVED, Status.MANUAL)
DECLARATION = '<?xml version="1.0" encoding="utf-8"?>\n'


def _text(value: object) -> str:
    return xml_safe(str(value)).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _attr(value: object) -> str:
    """An attribute value; newlines and tabs as references, so parsers keep them."""
    return (
        _text(value).replace('"', "&quot;")
        .replace("\n", "&#10;").replace("\r", "&#13;").replace("\t", "&#9;")
    )


def _attrs(**attrs: object) -> str:
    return "".join(f' {name}="{_attr(value)}"' for name, value in attrs.items())


def waiver_text(finding: Finding) -> str:
    w = finding.waiver
    if w is None:
        return ""
    state = "expired" if w.expired else "expires"
    return f"waiver: {w.reason} (owner {w.owner}, {state} {w.expires})"


def failure_body(finding: Finding) -> str:
    parts = (
        f"severity: {finding.severity}",
        f"reason: {finding.reason}" if finding.reason else "",
        waiver_text(finding),
        f"evidence: {finding.evidence}" if finding.evidence else "",
        f"remediation: {finding.remediation}" if finding.remediation else "",
    )
    return "\n".join(p for p in parts if p)


def _outcome(tag: str, body: str, **attrs: object) -> str:
    if body:
        return f"    <{tag}{_attrs(**attrs)}>{_text(body)}</{tag}>\n"
    return f"    <{tag}{_attrs(**attrs)} />\n"


@lru_cache(maxsize=4096)
def _case_head(section: str, control_id: str, title: str) -> str:
    """A control's testcase attributes, the same on every host: escaped once per control."""
    return _attrs(classname=section, name=f"{control_id} {title}", time="0")


def testcase(finding: Finding) -> str:
    head = _case_head(finding.section, finding.control_id, finding.title)
    if finding.status is Status.FAIL:
        message = f"expected {finding.expected}, observed {finding.observed}"
        inner = _outcome("failure", failure_body(finding), message=message,
                         type=finding.severity.value)
    elif finding.status is Status.ERROR:
        inner = _outcome("error", finding.evidence, message=finding.reason, type="error")
    elif finding.status in SKIPPED:
        inner = _outcome("skipped", waiver_text(finding),
                         message=f"{finding.status.value}: {finding.reason}")
    elif finding.evidence:
        inner = f"    <system-out>{_text(finding.evidence)}</system-out>\n"
    else:
        return f"  <testcase{head} />\n"
    return f"  <testcase{head}>\n{inner}  </testcase>\n"


def properties(host: HostResult, run: RunResult) -> dict[str, str]:
    props = dict(sorted(host.facts.items()))
    props |= {
        "address": host.address,
        "run_id": run.run_id,
        "profile": run.profile,
        "tailoring": run.tailoring,
        "tool_version": run.tool_version,
        "catalogue_version": run.catalogue_version,
        "score": "" if host.score is None else f"{host.score}",
    }
    return props


def counts(host: HostResult) -> dict[str, int]:
    """tests, failures, errors, skipped: what the suite element must say about its cases."""
    if not host.assessed:
        return {"tests": 1, "failures": 0, "errors": 1, "skipped": 0}
    by_status = host.counts()
    return {
        "tests": len(host.findings), "failures": by_status["fail"],
        "errors": by_status["error"], "skipped": sum(by_status[s.value] for s in SKIPPED),
    }


def suite(host: HostResult, run: RunResult) -> str:
    """The host's `<testsuite>` element, with counts that match its cases."""
    head = _attrs(name=host.name, **counts(host), time="0", timestamp=run.finished,
                  hostname=host.name)
    props = "".join(
        f"    <property{_attrs(name=k, value=v)} />\n" for k, v in properties(host, run).items()
    )
    if host.assessed:
        cases = "".join(testcase(f) for f in host.findings)
    else:
        error = _outcome("error", "", message=f"host could not be assessed: {host.error}",
                         type="error")
        cases = f'  <testcase classname="host" name="assessment" time="0">\n{error}  </testcase>\n'
    return f"<testsuite{head}>\n  <properties>\n{props}  </properties>\n{cases}</testsuite>\n"


def write(run: RunResult, out_dir: Path) -> list[Path]:
    written = []
    suites = []
    totals = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
    for host in run.hosts:
        element = suite(host, run)
        suites.append(element)
        for key, value in counts(host).items():
            totals[key] += value
        path = host_dir(out_dir, host.name) / JUNIT_FILE
        write_text(path, DECLARATION + element)
        written.append(path)
    path = out_dir / JUNIT_FILE
    head = _attrs(name=f"assessor {run.run_id}", **totals, time="0")
    write_text(path, f"{DECLARATION}<testsuites{head}>\n{''.join(suites)}</testsuites>\n")
    written.append(path)
    return written
