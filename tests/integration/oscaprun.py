"""OpenSCAP as an independent judge: Debian's scanner and SSG content on a lab host's tree.

`oscap-chroot ROOT ...` is `OSCAP_PROBE_ROOT=ROOT oscap ...` (the script sets nothing
else): the probes chroot into the tree, so a host's absolute symlinks resolve inside the
host. Not every probe only reads: oscap 1.3.7's dpkginfo probe has apt build its package
cache in the tree (var/cache/apt/*.bin and temporary files in /), so the tree is scanned
through a read-only bind mount, where apt keeps its cache in memory. The scan is tailored
to exactly the SSG rules the catalogue cites, with the CIS Debian 12 values that
ComplianceAsCode's `controls/cis_debian12.yml` sets for them, and runs once per root.
"""

from __future__ import annotations

import os
import re
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from xml.etree import ElementTree
from xml.sax.saxutils import quoteattr

import yaml

from assessor.catalogue.loader import Control

CONTENT = Path("/usr/share/xml/scap/ssg/content")
XCCDF = "http://checklists.nist.gov/xccdf/1.2"
RULE = "xccdf_org.ssgproject.content_rule_"
VALUE = "xccdf_org.ssgproject.content_value_"
PROFILE = "xccdf_assessor_profile_catalogue"
EVALUATED = ("pass", "fail")
DISAGREEMENTS = Path(__file__).parent.parent / "data" / "oscap" / "disagreements.yaml"

# CIS Debian 12 values for the variables of the rules we cite, as ComplianceAsCode's
# controls/cis_debian12.yml (commit 1356408436acf0d0f08de432c00482dca1ea46c8) selects
# them; SSG's own defaults (e.g. PASS_MAX_DAYS 60) are another benchmark's.
CIS_VALUES = {
    "sshd_max_auth_tries_value": "4",
    "var_sshd_max_sessions": "10",
    "var_sshd_set_login_grace_time": "60",
    "sshd_idle_timeout_value": "300",
    "var_sshd_set_keepalive": "3",
    "var_accounts_maximum_age_login_defs": "365",
    "var_accounts_minimum_age_login_defs": "1",
    "var_accounts_password_warn_age_login_defs": "7",
    "var_accounts_user_umask": "027",
    "var_auditd_max_log_file_action": "keep_logs",
    "var_auditd_space_left_action": "email",
    "var_auditd_admin_space_left_action": "halt",
}


def newest_datastream(content: Path = CONTENT) -> Path:
    """The SSG Debian data stream for the newest Debian release the installed content has."""
    streams = [(int(m.group(1)), p) for p in content.glob("ssg-debian*-ds.xml")
               if (m := re.fullmatch(r"ssg-debian(\d+)-ds\.xml", p.name))]
    assert streams, f"no ssg-debian data stream in {content} (apt package ssg-debian)"
    return max(streams)[1]


def ungated(datastream: Path, out: Path) -> Path:
    """The data stream without its benchmark-wide `Debian N` platform, so it judges any release.

    SSG gates the whole benchmark on /etc/debian_version matching its one release: Debian
    11 content on a Debian 12 or 13 tree would call every rule notapplicable. The rules'
    own platforms (package installed, machine, ...) stay.
    """
    text = datastream.read_text()
    gate = re.compile(r'<xccdf-1\.2:platform idref="cpe:/o:debian:debian_linux:\d+"/>')
    assert len(gate.findall(text)) == 1, f"{datastream}: expected one benchmark platform"
    out.write_text(gate.sub("", text))
    return out


def rules_in(datastream: Path) -> set[str]:
    return set(re.findall(rf'<xccdf-1\.2:Rule [^>]*id="{RULE}([^"]+)"', datastream.read_text()))


def mapped(controls: list[Control], known: set[str]) -> dict[str, str]:
    """Catalogue control id -> the SSG rule it cites, for the rules this content has."""
    return {c.id: str(c.refs["ssg"]) for c in controls
            if c.kind != "manual" and str(c.refs.get("ssg", "")) in known}


def tailoring(rules: set[str], values: dict[str, str] = CIS_VALUES) -> str:
    """An XCCDF 1.2 tailoring: one profile selecting exactly `rules`, with `values` set."""
    selects = "".join(f'\n    <xccdf-1.2:select idref={quoteattr(RULE + r)} selected="true"/>'
                      for r in sorted(rules))
    sets = "".join(f"\n    <xccdf-1.2:set-value idref={quoteattr(VALUE + k)}>{v}"
                   "</xccdf-1.2:set-value>" for k, v in sorted(values.items()))
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<xccdf-1.2:Tailoring xmlns:xccdf-1.2="{XCCDF}" id="xccdf_assessor_tailoring_catalogue">\n'
        '  <xccdf-1.2:version time="2026-12-01T00:00:00">1</xccdf-1.2:version>\n'
        f'  <xccdf-1.2:Profile id="{PROFILE}">\n'
        "    <xccdf-1.2:title>assessor catalogue: the SSG rules it cites</xccdf-1.2:title>"
        f"{selects}{sets}\n  </xccdf-1.2:Profile>\n</xccdf-1.2:Tailoring>\n"
    )


@contextmanager
def read_only(root: Path) -> Iterator[Path]:
    """`root` bind-mounted read-only: whatever a probe tries to write there fails."""
    with tempfile.TemporaryDirectory(prefix="oscap-ro-") as mountpoint:
        subprocess.run(["mount", "--bind", str(root), mountpoint], check=True, timeout=30)
        try:
            subprocess.run(["mount", "-o", "remount,bind,ro", mountpoint], check=True, timeout=30)
            yield Path(mountpoint)
        finally:
            subprocess.run(["umount", mountpoint], check=True, timeout=30)


def evaluate(root: Path, datastream: Path, tailoring_file: Path, results: Path) -> dict[str, str]:
    """`oscap-chroot root xccdf eval` with the tailored profile; SSG rule -> XCCDF result."""
    with read_only(root) as tree:
        proc = subprocess.run(
            ["oscap", "xccdf", "eval", "--tailoring-file", str(tailoring_file),
             "--profile", PROFILE, "--results", str(results), str(datastream)],
            capture_output=True, text=True, timeout=300, check=False,
            env=os.environ | {"OSCAP_PROBE_ROOT": str(tree),
                              "OSCAP_EVALUATION_TARGET": f"chroot://{tree}"},
        )
    # 0: all pass, 2: some rule failed; anything else is the scanner's own error
    assert proc.returncode in (0, 2), proc.stderr[-2000:]
    return parse_results(results.read_bytes())


def parse_results(xml: bytes) -> dict[str, str]:
    """SSG rule (without its id prefix) -> result, from an XCCDF 1.2 TestResult."""
    tree = ElementTree.fromstring(xml)
    out = {}
    for result in tree.iter(f"{{{XCCDF}}}rule-result"):
        rule = str(result.get("idref", "")).removeprefix(RULE)
        verdict = result.find(f"{{{XCCDF}}}result")
        out[rule] = verdict.text if verdict is not None and verdict.text else "unknown"
    return out


@dataclass(frozen=True)
class Disagreement:
    control: str
    rule: str
    flavour: str
    oscap: str
    ours: str


def compare(rules: dict[str, str], oscap: dict[str, str], ours: dict[str, str], flavour: str,
            excluded: set[str]) -> tuple[int, list[Disagreement]]:
    """Compared controls and where the two verdicts differ, for one host.

    Compared: every mapped control whose rule OpenSCAP evaluated (pass or fail) and that is
    not excluded (the machine's kernel decides it).
    """
    compared, differ = 0, []
    for control, rule in sorted(rules.items()):
        if control in excluded or oscap.get(rule) not in EVALUATED:
            continue
        compared += 1
        if ours.get(control) != oscap[rule]:
            differ.append(Disagreement(control, rule, flavour, oscap[rule], ours.get(control, "")))
    return compared, differ


def load_table(path: Path = DISAGREEMENTS) -> dict[tuple[str, str, str], dict[str, Any]]:
    """The committed disagreements, keyed by (control, rule, flavour)."""
    rows = yaml.safe_load(path.read_text())["disagreements"] or []
    return {(r["control"], r["rule"], r["flavour"]): r for r in rows}
