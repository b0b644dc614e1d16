"""Coverage of the central systems: the monitoring and anti-malware parts a host relies on
are installed, running and current (the `coverage` probe, which collect and watch_state
both run on the host).

A daemon counts only when its package is installed, its unit is active and, when named,
its process is there: a unit that says active while its process died is not coverage.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from assessor.checks.core import Observation, Params, Snapshot, register, verdict
from assessor.results import Status


def daemon_probes(params: Params) -> dict[str, list[str]]:
    wanted = [f"package:{params['package']}", f"unit:{params['unit']}"]
    if params.get("process"):
        wanted.append(f"process:{params['process']}")
    return {"coverage": wanted}


def unit_text(units: dict[str, Any], unit: str) -> tuple[bool, str]:
    state = units.get(unit) or {}
    if state.get("LoadState") in ("", "not-found"):
        return False, f"{unit} not found"
    active = state.get("ActiveState") == "active"
    return active, (f"{unit} {state.get('ActiveState')} ({state.get('SubState')}), "
                    f"{state.get('UnitFileState') or 'no unit file state'}")


@register("daemon_running", daemon_probes, required=("package", "unit"), optional=("process",))
def daemon_running(snapshot: Snapshot, params: Params) -> Observation:
    seen = snapshot["coverage"]
    package, unit = str(params["package"]), str(params["unit"])
    pkg = seen["packages"][package]
    parts = [f"{package} {pkg['version']}" if pkg["installed"] else f"{package} not installed"]
    active, unit_seen = unit_text(seen["units"], unit)
    parts.append(unit_seen)
    ok = bool(pkg["installed"]) and active
    if params.get("process"):
        pids = seen["processes"][str(params["process"])]
        parts.append(f"process {params['process']} pids {', '.join(map(str, pids))}" if pids
                     else f"no process {params['process']}")
        ok = ok and bool(pids)
    expected = f"{package} installed, {unit} active" + (
        f", process {params['process']} running" if params.get("process") else "")
    observed = "; ".join(parts)
    return verdict(ok, expected, observed, package, evidence=observed)


def newest_probes(params: Params) -> dict[str, list[str]]:
    return {"coverage": [f"newest:{params['glob']}"]}


@register("newest_file_age", newest_probes, required=("glob", "max_hours"))
def newest_file_age(snapshot: Snapshot, params: Params) -> Observation:
    """How old the newest file matching `glob` is: a signature database's last update."""
    seen = snapshot["coverage"]
    newest = seen["newest"][str(params["glob"])]
    limit = float(params["max_hours"])
    expected = f"a file matching {params['glob']} updated within {limit:g}h"
    if not newest["path"]:
        return Observation(Status.FAIL, expected, "no matching file",
                           f"no file matches {params['glob']}", f"{newest['matched']} matched")
    hours = (float(seen["now"]) - float(newest["mtime"])) / 3600
    observed = f"{newest['path']} updated {hours:.1f}h ago"
    return verdict(hours <= limit, expected, observed, "the newest database file",
                   evidence=f"{newest['path']} mtime {newest['mtime']:.0f}, "
                   f"{newest['size']} bytes; host clock {float(seen['now']):.0f}")


FORWARDERS = {"rsyslog": "rsyslog.service", "journal_upload": "systemd-journal-upload.service"}


def forwarding_probes(params: Params) -> dict[str, list[str]]:
    return {"coverage": ["forwarding", *(f"unit:{u}" for u in FORWARDERS.values())]}


def _matches(collector: str, host: str, port: str) -> bool:
    if not collector:
        return True
    want = urlsplit(collector if "://" in collector else f"//{collector}")
    return want.hostname == host.strip("[]").lower() and (want.port is None or
                                                         str(want.port) == port)


@register("log_forwarding", forwarding_probes, optional=("collector",))
def log_forwarding(snapshot: Snapshot, params: Params) -> Observation:
    """rsyslog (omfwd or @/@@) or systemd-journal-upload sends to the collector, and runs.

    `collector` is `host` or `host:port` (the watch config's); empty means any collector."""
    seen = snapshot["coverage"]
    collector = str(params.get("collector") or "")
    forwarding = seen["forwarding"]
    candidates: list[tuple[str, str, str]] = []  # (forwarder, where, target)
    for entry in forwarding["rsyslog"]:
        if _matches(collector, entry["target"], entry["port"]):
            candidates.append(("rsyslog", f"{entry['file']}:{entry['line']}",
                               f"{entry['protocol']}://{entry['target']}:{entry['port']}"))
    for entry in forwarding["journal_upload"]:
        url = urlsplit(entry["url"])
        if _matches(collector, url.hostname or "", str(url.port or 19532)):
            candidates.append(("journal_upload", f"{entry['file']}:{entry['line']}",
                               entry["url"]))
    expected = f"logs forwarded to {collector or 'a collector'} by a running forwarder"
    running = []
    for forwarder, where, target in candidates:
        active, unit_seen = unit_text(seen["units"], FORWARDERS[forwarder])
        if active:
            running.append(f"{target} ({where}; {unit_seen})")
    every = [f"{t} at {w}" for _, w, t in candidates] or ["no forwarding to the collector"]
    observed = "; ".join(running) if running else "; ".join(every) + (
        " but its forwarder is not running" if candidates else "")
    evidence = "rsyslog: " + ", ".join(f"{e['target']}:{e['port']}"
                                       for e in forwarding["rsyslog"]) + "; journal-upload: " \
        + ", ".join(e["url"] for e in forwarding["journal_upload"])
    return verdict(bool(running), expected, observed, "log forwarding", evidence=evidence)
