"""What changed between two runs, host by host: the question a CI gate asks.

A regression is a control that now fails (or errors) on a host where it did not, or a
host that was assessed before and could not be now. Fixed controls, changed evidence,
and hosts that appeared or went away are reported but do not count as regressions.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from assessor.reports.tabular import Column, Listing
from assessor.results import Finding, HostResult, RunResult, Status

FAILING = (Status.FAIL, Status.ERROR)


@dataclass(frozen=True)
class Change:
    control_id: str
    title: str
    severity: str
    before: str
    after: str
    observed_before: str = ""
    observed_after: str = ""
    evidence_before: str = ""
    evidence_after: str = ""


@dataclass(frozen=True)
class HostDiff:
    name: str
    score_before: float | None
    score_after: float | None
    newly_failing: list[Change] = field(default_factory=list)
    fixed: list[Change] = field(default_factory=list)
    changed_evidence: list[Change] = field(default_factory=list)
    other: list[Change] = field(default_factory=list)
    lost: str = ""
    recovered: bool = False

    @property
    def regressed(self) -> bool:
        return bool(self.newly_failing or self.lost)

    @property
    def changed(self) -> bool:
        return bool(
            self.regressed or self.fixed or self.changed_evidence or self.other or self.recovered
        )


@dataclass(frozen=True)
class RunDiff:
    before: RunResult
    after: RunResult
    hosts: list[HostDiff]
    new_hosts: list[HostResult]
    gone_hosts: list[HostResult]

    @property
    def regressed(self) -> bool:
        return any(h.regressed for h in self.hosts)

    def exit_code(self) -> int:
        return 1 if self.regressed else 0


def _change(control_id: str, a: Finding | None, b: Finding | None) -> Change:
    some = b or a
    assert some is not None
    return Change(
        control_id, some.title, some.severity.value,
        a.status.value if a else "", b.status.value if b else "",
        a.observed if a else "", b.observed if b else "",
        a.evidence if a else "", b.evidence if b else "",
    )


def diff_host(a: HostResult, b: HostResult) -> HostDiff:
    result = HostDiff(a.name, a.score, b.score)
    if not b.assessed:
        return HostDiff(a.name, a.score, None, lost=b.error) if a.assessed else result
    if not a.assessed:
        return HostDiff(a.name, None, b.score, recovered=True)
    before = {f.control_id: f for f in a.findings}
    after = {f.control_id: f for f in b.findings}
    for control_id in [*after, *(c for c in before if c not in after)]:
        fa, fb = before.get(control_id), after.get(control_id)
        change = _change(control_id, fa, fb)
        was_failing = fa is not None and fa.status in FAILING
        is_failing = fb is not None and fb.status in FAILING
        if is_failing and not was_failing:
            result.newly_failing.append(change)
        elif was_failing and fb is not None and not is_failing:
            result.fixed.append(change)
        elif fa is None or fb is None or fa.status is not fb.status:
            result.other.append(change)
        elif (fa.evidence, fa.observed) != (fb.evidence, fb.observed):
            result.changed_evidence.append(change)
    return result


def diff_runs(before: RunResult, after: RunResult) -> RunDiff:
    old = {h.name: h for h in before.hosts}
    new = {h.name: h for h in after.hosts}
    return RunDiff(
        before, after,
        hosts=[diff_host(old[n], new[n]) for n in new if n in old],
        new_hosts=[h for h in after.hosts if h.name not in old],
        gone_hosts=[h for h in before.hosts if h.name not in new],
    )


def _status(change: Change) -> str:
    return f"{change.before or 'absent'} -> {change.after or 'absent'}"


def text_lines(diff: RunDiff) -> list[str]:
    """The diff as plain lines; the caller strips control characters before printing."""
    lines = [f"diff {diff.before.run_id} -> {diff.after.run_id}"]
    for host in diff.hosts:
        if not host.changed:
            continue
        lines.append(f"{host.name}: score {host.score_before} -> {host.score_after}")
        if host.lost:
            lines.append(f"  REGRESSED: could not be assessed: {host.lost}")
        if host.recovered:
            lines.append("  assessed again (could not be assessed before)")
        for label, changes in (
            ("newly failing", host.newly_failing), ("fixed", host.fixed),
            ("changed evidence", host.changed_evidence), ("other changes", host.other),
        ):
            for c in changes:
                detail = f"observed {c.observed_before!r} -> {c.observed_after!r}"
                lines.append(f"  {label}: {c.control_id} [{c.severity}] {_status(c)}; {detail}")
    lines += [f"new host: {h.name}" for h in diff.new_hosts]
    lines += [f"gone host: {h.name}" for h in diff.gone_hosts]
    regressions = sum(len(h.newly_failing) + bool(h.lost) for h in diff.hosts)
    fixed = sum(len(h.fixed) for h in diff.hosts)
    verdict = "REGRESSED" if diff.regressed else "no regression"
    lines.append(
        f"{verdict}: {regressions} regression(s), {fixed} fixed, "
        f"{len(diff.new_hosts)} new host(s), {len(diff.gone_hosts)} gone"
    )
    return lines


def diff_listing(diff: RunDiff) -> Listing:
    """One row per change per host (and per host lost, recovered, new or gone)."""
    listing = Listing(f"diff {diff.before.run_id} -> {diff.after.run_id}",
                      [Column("host", key=True), Column("change"), Column("control", key=True),
                       Column("severity"), Column("before"), Column("after"),
                       Column("observed", wide=True)])
    for host in diff.hosts:
        if host.lost:
            listing.add(host.name, "regressed", "", "", "assessed", "not assessed", host.lost,
                        style={1: "red"})
        if host.recovered:
            listing.add(host.name, "recovered", "", "", "not assessed", "assessed", "")
        for label, changes in (
            ("newly failing", host.newly_failing), ("fixed", host.fixed),
            ("changed evidence", host.changed_evidence), ("other", host.other),
        ):
            for c in changes:
                listing.add(host.name, label, c.control_id, c.severity, c.before, c.after,
                            f"{c.observed_before!r} -> {c.observed_after!r}",
                            style={1: "red" if label == "newly failing" else ""})
    for h in diff.new_hosts:
        listing.add(h.name, "new host", "", "", "", "", "")
    for h in diff.gone_hosts:
        listing.add(h.name, "gone host", "", "", "", "", "")
    return listing
