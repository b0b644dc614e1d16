"""Before and after one harden run, per host: what got fixed, what still fails, what broke.

Pure: two assessments' HostResults in, one comparison out. A control that passed before
and does not pass after is a regression, which the harden command treats as an error.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from assessor.results import Finding, HostResult, Status

GOOD = {Status.PASS, Status.WAIVED, Status.NOTAPPLICABLE}


@dataclass(frozen=True)
class Row:
    control: str
    before: str
    after: str
    reason: str = ""


@dataclass
class HostComparison:
    host: str
    state: str  # from the harden run: changed, unchanged, failed, unreachable, untouched
    message: str = ""
    fixed: list[Row] = field(default_factory=list)
    still_failing: list[Row] = field(default_factory=list)
    regressions: list[Row] = field(default_factory=list)
    passing: int = 0
    error: str = ""

    @property
    def ok(self) -> bool:
        return not self.regressions and not self.error and self.state in ("changed", "unchanged")


def compare_host(
    host: str, state: str, before: HostResult | None, after: HostResult | None,
    message: str = "",
) -> HostComparison:
    out = HostComparison(host, state, message)
    if before is None or after is None or not before.assessed or not after.assessed:
        why = [r.error for r in (before, after) if r is not None and r.error]
        out.error = "; ".join(why) or "not assessed before and after"
        return out
    earlier: dict[str, Finding] = {f.control_id: f for f in before.findings}
    for finding in after.findings:
        prior = earlier.get(finding.control_id)
        was = prior.status if prior else None
        row = Row(finding.control_id, was.value if was else "-", finding.status.value,
                  finding.reason)
        if finding.status in GOOD:
            if was is not None and was not in GOOD:
                out.fixed.append(row)
            else:
                out.passing += 1
        elif finding.status is Status.MANUAL:
            continue
        elif was in GOOD:
            out.regressions.append(row)
        else:
            out.still_failing.append(row)
    return out
