"""From controls and a host's snapshot to findings: pure Python, never the network."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from assessor.catalogue import Control
from assessor.checks import judge, probes_for
from assessor.checks.core import platform_of
from assessor.results import Finding, HostResult, Status


def plan_probes(controls: Iterable[Control]) -> dict[str, Any]:
    """Merge what every control needs into one request for the collect module."""
    plan: dict[str, Any] = {}
    for control in controls:
        for probe, wanted in probes_for(control.kind, control.params).items():
            if isinstance(wanted, list):
                known = plan.setdefault(probe, [])
                known.extend(item for item in wanted if item not in known)
            else:
                plan[probe] = True
    return plan


def evaluate_control(control: Control, snapshot: Mapping[str, Any]) -> Finding:
    platform = platform_of(snapshot.get("facts", {}))
    if control.platforms and platform not in control.platforms:
        observation_status, reason = Status.NOTAPPLICABLE, f"not for platform {platform or '?'}"
        expected = observed = evidence = ""
    else:
        obs = judge(control.kind, snapshot, control.params)
        observation_status, reason = obs.status, obs.reason
        expected, observed, evidence = obs.expected, obs.observed, obs.evidence
    return Finding(
        control_id=control.id,
        title=control.title,
        section=control.section,
        severity=control.severity,
        status=observation_status,
        reason=reason,
        expected=expected,
        observed=observed,
        evidence=evidence,
        rationale=control.rationale,
        remediation=control.remediation_text(),
        refs=dict(control.refs),
    )


def evaluate_host(
    name: str, address: str, controls: Iterable[Control], snapshot: Mapping[str, Any]
) -> HostResult:
    facts = {k: str(v) for k, v in snapshot.get("facts", {}).items()}
    findings = [evaluate_control(control, snapshot) for control in controls]
    return HostResult(name=name, address=address, facts=facts, findings=findings)
