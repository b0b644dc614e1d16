"""SSH daemon settings, judged on `sshd -T` so Include and Match are sshd's own."""

from __future__ import annotations

from assessor.checks.config import judge_value
from assessor.checks.core import (
    Observation,
    Params,
    Snapshot,
    as_int,
    names_of,
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


@register("sshd_effective", lambda p: {"sshd": True}, required=("option",),
          optional=("unbounded",), comparison=True)
def sshd_effective(snapshot: Snapshot, params: Params) -> Observation:
    """One keyword of `sshd -T`; `unbounded` names values meaning "no limit" (LoginGraceTime
    0), which fail a `max`."""
    probe = snapshot["sshd"]
    if probe.get("rc") != 0:
        return Observation(
            Status.ERROR, "", "", f"sshd -T exited {probe.get('rc')}: {probe.get('stderr', '')}"
        )
    option = str(params["option"]).lower()
    values = parse_sshd_t(probe["stdout"]).get(option)
    observed = " ".join(values) if values is not None else None
    ok, expected = judge_value(observed, params)
    shown = observed if observed is not None else "(not reported by sshd -T)"
    return verdict(ok, expected, shown, f"sshd {option}", f"sshd -T: {option} {shown}")


# --- sysctl -------------------------------------------------------------------------------


def sshd_settings(snapshot: Snapshot) -> dict[str, list[str]] | Observation:
    probe = snapshot["sshd"]
    if probe.get("rc") != 0:
        return Observation(
            Status.ERROR, "", "", f"sshd -T exited {probe.get('rc')}: {probe.get('stderr', '')}"
        )
    return parse_sshd_t(probe["stdout"])


@register("sshd_forbid", lambda p: {"sshd": True}, required=("option", "values"))
def sshd_forbid(snapshot: Snapshot, params: Params) -> Observation:
    """No item of a comma-separated list (Ciphers, MACs, KexAlgorithms) may be a forbidden one.

    Judged on what sshd will offer, so `+alg`, `-alg` and `^alg` forms and the compiled-in
    defaults are already resolved by sshd itself. Also serves `Banner none`.
    """
    settings = sshd_settings(snapshot)
    if isinstance(settings, Observation):
        return settings
    option = str(params["option"]).lower()
    forbidden = {v.lower() for v in names_of(params["values"])}
    values = settings.get(option)
    if values is None:
        return Observation(Status.FAIL, "reported by sshd -T", "(not reported by sshd -T)",
                           f"sshd -T does not report {option}", f"sshd -T: no {option}")
    items = [i.strip() for v in values for i in v.split(",") if i.strip()]
    bad = [i for i in items if i.lower() in forbidden]
    observed = ",".join(items)
    expected = "none of " + ", ".join(names_of(params["values"]))
    evidence = f"sshd -T: {option} {observed}"
    if bad:
        reason = f"sshd {option} includes {', '.join(bad)}"
        return Observation(Status.FAIL, expected, observed, reason, evidence)
    return Observation(Status.PASS, expected, observed, f"sshd {option} is {observed}", evidence)


@register("sshd_any_set", lambda p: {"sshd": True}, required=("options",))
def sshd_any_set(snapshot: Snapshot, params: Params) -> Observation:
    """At least one of the options has a value (AllowUsers, AllowGroups, DenyUsers...)."""
    settings = sshd_settings(snapshot)
    if isinstance(settings, Observation):
        return settings
    options = [o.lower() for o in names_of(params["options"])]
    found = [f"{o} {v}" for o in options for v in settings.get(o, []) if v.strip()]
    expected = "one of " + ", ".join(options) + " set"
    if not found:
        return Observation(Status.FAIL, expected, "none set", f"sshd -T sets none of "
                           f"{', '.join(options)}", "sshd -T: " + ", ".join(options) + " absent")
    observed = "; ".join(found)
    return Observation(Status.PASS, expected, observed, observed, "sshd -T: " + observed)


@register("sshd_fields_max", lambda p: {"sshd": True}, required=("option", "limits"))
def sshd_fields_max(snapshot: Snapshot, params: Params) -> Observation:
    """A colon-separated value judged field by field, e.g. MaxStartups 10:30:60."""
    settings = sshd_settings(snapshot)
    if isinstance(settings, Observation):
        return settings
    option = str(params["option"]).lower()
    limits = [int(f) for f in str(params["limits"]).split(":")]
    values = settings.get(option) or []
    observed = " ".join(values) or "(not reported by sshd -T)"
    fields = [as_int(f) for f in (values[-1].split(":") if values else [])]
    ok = len(values) == 1 and len(fields) == len(limits) and all(
        f is not None and f <= limit for f, limit in zip(fields, limits, strict=True)
    )
    expected = "each field <= " + str(params["limits"])
    return verdict(ok, expected, observed, f"sshd {option}", f"sshd -T: {option} {observed}")
