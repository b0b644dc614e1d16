"""login.defs settings and local accounts."""

from __future__ import annotations

from assessor.checks.core import (
    Observation,
    Params,
    Snapshot,
    compare,
    names_of,
    register,
    verdict,
)
from assessor.results import Status

LOGIN_DEFS = "/etc/login.defs"


def parse_login_defs(text: str) -> dict[str, str]:
    """Keys as login(1) reads them: first word, then the value; comments and blanks ignored."""
    values: dict[str, str] = {}
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        parts = line.split(None, 1)
        if len(parts) < 2:
            continue  # getdef skips a keyword without a value: the built-in default applies
        value = parts[1].strip()
        if value.startswith('"') and value.endswith('"') and len(value) >= 2:
            value = value[1:-1]
        values[parts[0]] = value
    return values


@register(
    "login_defs", lambda p: {"files": [LOGIN_DEFS]}, required=("key",), optional=("default",),
    comparison=True,
)
def login_defs(snapshot: Snapshot, params: Params) -> Observation:
    probe = snapshot["files"][LOGIN_DEFS]
    if not probe.get("exists"):
        return Observation(Status.FAIL, "", "missing", f"{LOGIN_DEFS} does not exist")
    key = str(params["key"])
    values = parse_login_defs(probe["content"])
    observed = values.get(key)
    shown = observed
    if observed is None and "default" in params:
        observed = str(params["default"])
        shown = f"{observed} (not set; built-in default)"
    ok, expected = compare(observed, params, fold_case=True)
    shown = shown if shown is not None else "not set"
    return verdict(ok, expected, shown, key, f"{LOGIN_DEFS}: {key} {shown}")


# --- accounts -----------------------------------------------------------------------------


@register("uid0_accounts", lambda p: {"accounts": True}, optional=("allowed",))
def uid0_accounts(snapshot: Snapshot, params: Params) -> Observation:
    allowed = names_of(params.get("allowed")) or ["root"]
    uid0 = [u["name"] for u in snapshot["accounts"]["users"] if int(u["uid"]) == 0]
    extra = [name for name in uid0 if name not in allowed]
    observed = ", ".join(uid0) or "none"
    evidence = f"/etc/passwd accounts with UID 0: {observed}"
    expected = "only " + ", ".join(allowed)
    if extra:
        return Observation(
            Status.FAIL, expected, observed, f"UID 0 also held by {', '.join(extra)}", evidence
        )
    reason = "only permitted accounts have UID 0"
    return Observation(Status.PASS, expected, observed, reason, evidence)


@register("no_empty_passwords", lambda p: {"accounts": True})
def no_empty_passwords(snapshot: Snapshot, params: Params) -> Observation:
    """Uses the password *state* the module derived on the host; hashes never leave it."""
    accounts = snapshot["accounts"]
    if accounts.get("shadow_error"):
        return Observation(
            Status.ERROR, "none", "", f"cannot read /etc/shadow: {accounts['shadow_error']}"
        )
    users = accounts["users"]
    empty = [u["name"] for u in users if u.get("password") == "empty"]
    observed = ", ".join(empty) or "none"
    evidence = f"/etc/shadow accounts with an empty password field: {observed}"
    if empty:
        return Observation(
            Status.FAIL, "none", observed, f"empty password for {', '.join(empty)}", evidence
        )
    return Observation(Status.PASS, "none", "none", "no account has an empty password", evidence)
