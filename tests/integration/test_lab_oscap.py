"""OpenSCAP agrees with assessor: the same lab hosts judged by Debian's scanner and SSG.

The session lab's hosts (hardened, insecure, weak; bookworm) are assessed once
(`full_run`); here trixie's oscap 1.4.2 with forky's SSG 0.1.82 (pinned; its Debian 12
data stream; the scanner tree `make scanner` builds) scans each running host with the SSG
rules the catalogue cites, from inside the host's mount, pid and network namespaces, as
`sudo -i oscap` on the host would (its mount table, its system bus, root's login PATH),
and the filesystem walks once more on the insecure host's tree (read-only). Every control
whose rule OpenSCAP evaluated (pass or fail) is compared with our verdict on the same
host, but for the kernel values this machine decides for every host. Every disagreement
is in tests/data/oscap/disagreements.yaml with who is right and why: a new one fails the
test, and so does a row that no longer happens. test_lab_trixie.py and
test_lab_releases.py do the same with the Debian 13 data stream on three trixie hosts and
the Debian 11 one on two bullseye hosts (releaserun.py; disagreements-debian13.yaml and
disagreements-debian11.yaml).

The agreement the issue asks for is 95 %; measured, it is about 85 %, and in all but a
few rows of the table SSG's Debian content is what differs from the host's real state:
its sshd, journald and pwquality rules read only the main file (not the drop-ins the
daemons include) and pass only explicit lines where the built-in default is compliant,
its package rules name Red Hat packages, and its service rules want units active that
the lab's containers skip (auditd, the time daemon). So the test holds the measured
floor, and bench/RESULTS.md ("OpenSCAP agreement") reports the figure.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import oscaprun
import pytest
from labrun import Run, root_of

from assessor.catalogue import load_catalogue
from assessor.lab import fleet, scanner

CONTROLS = load_catalogue().controls
WALKED = "insecure"
AGREEMENT_TARGET = 0.95  # the figure: reported, not met by ssg-debian 0.1.82
AGREEMENT_FLOOR = 0.85  # measured 0.857 (697 compared, 100 explained disagreements)


@pytest.fixture(scope="module")
def scans(lab: fleet.LabState, tmp_path_factory: pytest.TempPathFactory
          ) -> tuple[dict[str, str], dict[str, dict[str, str]]]:
    """(control -> SSG rule, flavour -> {rule: oscap result}), one scan per host, in parallel.

    The filesystem walks run on the insecure host only (the one with planted world-writable
    and unowned files), on its tree read-only: SSG's walks start from the mount points its
    partition probe reads, and only under a bind mount does it read any.
    """
    work = tmp_path_factory.mktemp("oscap")
    tree = scanner.ensure()
    rules, walks = oscaprun.prepare(tree, work, 12, CONTROLS)

    def scan(host: fleet.LabHost) -> dict[str, str]:
        return oscaprun.scan_live(tree, work, lab, host)

    def walk(host: fleet.LabHost) -> dict[str, str]:
        return oscaprun.evaluate(tree, work, "ds.xml", "tailoring-walks.xml",
                                 f"{host.name}-walks.xml", root=root_of(lab, host.name))

    walked = next(h for h in lab.hosts if h.flavour == WALKED)
    with ThreadPoolExecutor(max_workers=len(lab.hosts) + 1) as pool:
        walking = pool.submit(walk, walked)
        results = dict(zip([h.flavour for h in lab.hosts], pool.map(scan, lab.hosts),
                           strict=True))
        results[WALKED] |= {r: v for r, v in walking.result().items() if r in walks}
    return rules, results


@pytest.fixture(scope="module")
def comparison(lab: fleet.LabState, full_run: Run,
               scans: tuple[dict[str, str], dict[str, dict[str, str]]]
               ) -> tuple[int, list[oscaprun.Disagreement]]:
    rules, results = scans
    return oscaprun.agreement(lab, full_run, rules, results)


def test_oscap_evaluates_most_cited_rules(
    scans: tuple[dict[str, str], dict[str, dict[str, str]]]
) -> None:
    rules, results = scans
    assert len(rules) >= 250, "the catalogue cites fewer SSG rules that this content has"
    for flavour in ("hardened", "weak"):  # insecure has no auditd: its audit rules are n/a
        evaluated = [r for r in rules.values() if results[flavour].get(r) in oscaprun.EVALUATED]
        assert len(evaluated) >= 0.85 * len(rules), (flavour, sorted(set(rules.values())
                                                                     - set(evaluated)))
    walked = [c.id for c in CONTROLS if c.kind == "walk" and c.id in rules]
    assert walked and all(results[WALKED][rules[c]] in oscaprun.EVALUATED for c in walked)
    # the scans tell hosts apart: the hardened host passes rules the weak one fails
    differ = {r for r in rules.values() if results["hardened"].get(r) != results["weak"].get(r)}
    assert len(differ) >= 15, differ


def test_agreement_holds_its_floor(
    comparison: tuple[int, list[oscaprun.Disagreement]]
) -> None:
    compared, differ = comparison
    print(f"OpenSCAP agreement: {compared - len(differ)} of {compared} verdicts "
          f"({100 * (1 - len(differ) / compared):.1f} %)")  # the figure bench/RESULTS.md reports
    assert compared >= 600
    assert 1 - len(differ) / compared >= AGREEMENT_FLOOR, (compared, len(differ))


def test_every_disagreement_is_in_the_table(
    comparison: tuple[int, list[oscaprun.Disagreement]]
) -> None:
    new, gone = oscaprun.unexplained(comparison[1])
    assert not new, "disagreements not in tests/data/oscap/disagreements.yaml: " + "; ".join(new)
    assert not gone, f"rows that no longer disagree (remove them): {gone}"


def test_table_is_for_the_scanned_content() -> None:
    """The table was measured with this content: another SSG version needs a new table."""
    held = scanner.versions(scanner.ensure())["ssg-debian"]
    assert oscaprun.table_content() == f"ssg-debian {held}", (
        f"the scanner tree has ssg-debian {held}; tests/data/oscap/disagreements.yaml was "
        f"measured with {oscaprun.table_content()}: measure again and update the table")


def test_scan_left_the_hosts_unchanged(lab: fleet.LabState,
                                       scans: tuple[dict[str, str], dict[str, dict[str, str]]]
                                       ) -> None:
    """The scan was read-only: apt's package cache was never written into a host's tree,
    nor oscap's temp directory or result files (SCE's, a relative path's)."""
    for host in lab.hosts:
        root = root_of(lab, host.name)
        left = [*(root / "var/cache/apt").glob("*.bin"), *(root / "tmp").glob("oscap.*"),
                *root.glob("*.result.xml")]
        assert not left, left


def test_ungated_content_keeps_every_rule(tmp_path: Path) -> None:
    source = oscaprun.datastream(scanner.ensure(), 12)
    ungated = oscaprun.ungated(source, tmp_path / "ds.xml")
    assert oscaprun.rules_in(ungated) == oscaprun.rules_in(source)
    assert '<xccdf-1.2:platform idref="cpe:/o:debian:' in source.read_text()
    assert '<xccdf-1.2:platform idref="cpe:/o:debian:' not in ungated.read_text()
    assert len(oscaprun.KERNEL_CHECK.findall(source.read_text())) == 1
    assert not oscaprun.KERNEL_CHECK.findall(ungated.read_text())
