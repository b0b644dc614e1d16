"""systemd units: enabled, disabled, masked or not installed, read from the unit links;
and, where the benchmark asks for "enabled and active" (CIS 2.4.1.1, 6.1.3.2, 6.2.1.2),
running now, as systemd reports it (the coverage probe's `systemctl show`)."""

from __future__ import annotations

from assessor.checks.config import stat_entries
from assessor.checks.core import Observation, Params, Snapshot, names_of, register, verdict

# --- systemd units ------------------------------------------------------------------------

UNIT_DIRS = ("/etc/systemd/system", "/usr/lib/systemd/system", "/lib/systemd/system")


def unit_paths(unit: str) -> dict[str, list[str]]:
    return {
        "wants": [f"/etc/systemd/system/*.wants/{unit}"],
        "files": [f"{d}/{unit}" for d in UNIT_DIRS],
    }


def unit_stats(units: list[str]) -> list[str]:
    """The paths `unit_state` reads for each unit: its .wants links and its unit files."""
    return [p for unit in units for paths in unit_paths(unit).values() for p in paths]


def unit_probes(params: Params) -> dict[str, list[str]]:
    """`unit` may name several units that do the same job (Debian's dailyaidecheck.timer,
    the aidecheck.timer CIS's remediation writes)."""
    probes = {"stat": unit_stats(names_of(params["unit"]))}
    if params.get("active"):
        probes["coverage"] = [f"unit:{unit}" for unit in names_of(params["unit"])]
    return probes


def active_state(snapshot: Snapshot, unit: str) -> tuple[bool, str]:
    """(active now, what systemd says), from the coverage probe's `systemctl show`."""
    state = (snapshot.get("coverage") or {}).get("units", {}).get(unit) or {}
    if state.get("error") and not state.get("ActiveState"):
        return False, f"systemctl show {unit} failed: {state['error']}"
    sub = f" ({state['SubState']})" if state.get("SubState") else ""
    return state.get("ActiveState") == "active", f"{state.get('ActiveState') or 'unknown'}{sub}"


def unit_state(snapshot: Snapshot, unit: str) -> tuple[str, str]:
    """(state, evidence): masked, enabled, disabled or not-installed, read from the links.

    `systemctl enable` makes a link in a target's .wants directory; `mask` links the unit
    name in /etc/systemd/system to /dev/null, which stat (following links) sees as a device.
    """
    paths = unit_paths(unit)
    files = stat_entries(snapshot, paths["files"])
    wants = [path for path, _ in stat_entries(snapshot, paths["wants"])]
    masked = [p for p, info in files if p.startswith("/etc/") and info.get("type") == "other"]
    if masked:
        return "masked", f"{masked[0]} -> /dev/null"
    if not files:
        return "not-installed", f"no unit file {unit} in {', '.join(UNIT_DIRS)}"
    if wants:
        return "enabled", "wanted by " + ", ".join(wants)
    return "disabled", f"unit file {files[0][0]}; no link in /etc/systemd/system/*.wants"


@register("service_enabled", unit_probes, required=("unit",), optional=("active",))
def service_enabled(snapshot: Snapshot, params: Params) -> Observation:
    """Enabled, or with several units, at least one of them enabled; with `active`, that
    unit running now as well (enabled alone says what the next boot starts)."""
    units = names_of(params["unit"])
    states = [(unit, *unit_state(snapshot, unit)) for unit in units]
    enabled = [s for s in states if s[1] == "enabled"]
    unit, state, evidence = (enabled or states)[0]
    if len(units) > 1:
        evidence = "; ".join(f"{u}: {e}" for u, _, e in states)
        unit = unit if enabled else " or ".join(units)
    if not params.get("active"):
        return verdict(bool(enabled), "enabled", state, unit, evidence)
    running = {u: active_state(snapshot, u) for u in units}
    good = [u for u, _, _ in enabled if running[u][0]]
    if good:
        unit = good[0]
    shown = f"{state}, {running[unit][1]}" if unit in running else state
    evidence += "; " + "; ".join(f"{u}: {seen} now" for u, (_, seen) in running.items())
    return verdict(bool(good), "enabled and active", shown, unit, evidence)


@register("service_disabled", unit_probes, required=("unit",))
def service_disabled(snapshot: Snapshot, params: Params) -> Observation:
    unit = str(params["unit"])
    state, evidence = unit_state(snapshot, unit)
    return verdict(state != "enabled", "disabled, masked or not installed", state, unit, evidence)
