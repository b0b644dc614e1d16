"""SSH daemon settings, judged on `sshd -T` so Include and Match are sshd's own."""

from __future__ import annotations

from assessor.checks.core import (
    Observation,
    Params,
    Snapshot,
    compare,
    register,
    verdict,
)
from assessor.results import Status


def parse_sshd_t(output: str) -> dict[str, list[str]]:
    """`sshd -T` prints `keyword value` lines; repeated keywords keep every value."""
    settings: dict[str, list[str]] = {}
    for line in output.splitlines():
        key, _, value = line.strip().partition(" ")
        if key:
            settings.setdefault(key.lower(), []).append(value.strip())
    return settings


@register("sshd_effective", lambda p: {"sshd": True}, required=("option",), comparison=True)
def sshd_effective(snapshot: Snapshot, params: Params) -> Observation:
    probe = snapshot["sshd"]
    if probe.get("rc") != 0:
        return Observation(
            Status.ERROR, "", "", f"sshd -T exited {probe.get('rc')}: {probe.get('stderr', '')}"
        )
    option = str(params["option"]).lower()
    values = parse_sshd_t(probe["stdout"]).get(option)
    observed = " ".join(values) if values is not None else None
    ok, expected = compare(observed, params, fold_case=True)
    shown = observed if observed is not None else "(not reported by sshd -T)"
    return verdict(ok, expected, shown, f"sshd {option}", f"sshd -T: {option} {shown}")


# --- sysctl -------------------------------------------------------------------------------
