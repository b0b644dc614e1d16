"""Time synchronisation (CIS 2.3): one daemon in use, and that daemon given time servers.

A daemon is in use when its package is installed and its unit enabled (read from the unit
links, as `service_enabled` reads them). systemd-timesyncd takes `NTP=` / `FallbackNTP=`
from the [Time] section of timesyncd.conf and its drop-ins (the last one wins); chrony
takes `server` and `pool` lines from chrony.conf, conf.d and sources.d.
"""

from __future__ import annotations

from assessor.checks.config import live_lines, read_files
from assessor.checks.core import Observation, Params, Snapshot, register
from assessor.checks.packages import installed
from assessor.checks.units import unit_state, unit_stats
from assessor.results import Status

# daemon -> (packages, unit, configuration files)
DAEMONS: dict[str, tuple[tuple[str, ...], str, tuple[str, ...]]] = {
    "systemd-timesyncd": (("systemd-timesyncd",), "systemd-timesyncd.service",
                          ("/etc/systemd/timesyncd.conf", "/etc/systemd/timesyncd.conf.d/*.conf")),
    "chrony": (("chrony",), "chrony.service",
               ("/etc/chrony/chrony.conf", "/etc/chrony/conf.d/*.conf",
                "/etc/chrony/sources.d/*.sources")),
    "ntp": (("ntp", "ntpsec"), "ntpsec.service", ()),
}
ASPECTS = ("single", "configured")


def time_probes(params: object) -> dict[str, object]:
    stats = unit_stats([unit for _, unit, _ in DAEMONS.values()])
    files = [f for _, _, conf in DAEMONS.values() for f in conf]
    return {"packages": True, "stat": stats, "files": files}


def in_use(snapshot: Snapshot) -> dict[str, str]:
    """daemon -> why it is in use, for each daemon installed with its unit enabled."""
    used = {}
    for name, (packages, unit, _) in DAEMONS.items():
        present = [p for p in packages if installed(snapshot["packages"].get(p))]
        state, evidence = unit_state(snapshot, unit)
        if present and state == "enabled":
            used[name] = f"{present[0]} installed, {unit} {evidence}"
    return used


def servers(snapshot: Snapshot, daemon: str) -> list[str]:
    """The time sources the daemon's configuration names, with where."""
    found: list[str] = []
    for path, text in read_files(snapshot, list(DAEMONS[daemon][2])):
        if daemon == "systemd-timesyncd":
            section = ""
            for number, line in live_lines(text, "#;"):
                if line.startswith("["):
                    section = line.strip("[] ")
                    continue
                key, sep, value = line.partition("=")
                if section == "Time" and sep and key.strip() in ("NTP", "FallbackNTP"):
                    found = [f for f in found if not f.startswith(key.strip() + "=")]
                    if value.strip():
                        found.append(f"{key.strip()}={value.strip()} ({path}:{number})")
        else:
            for number, line in live_lines(text, "#"):
                words = line.split()
                if words and words[0] in ("server", "pool") and len(words) > 1:
                    found.append(f"{words[0]} {words[1]} ({path}:{number})")
    return found


@register("time_sync", time_probes, required=("aspect",), optional=("daemon",))
def time_sync(snapshot: Snapshot, params: Params) -> Observation:
    aspect = str(params["aspect"])
    if aspect not in ASPECTS:
        raise ValueError(f"aspect must be one of {', '.join(ASPECTS)}")
    used = in_use(snapshot)
    evidence = "; ".join(f"{d}: {why}" for d, why in used.items()) or \
        "no time daemon installed with its unit enabled"
    if aspect == "single":
        observed = ", ".join(used) or "none"
        expected = "exactly one of " + ", ".join(DAEMONS)
        ok = len(used) == 1
        reason = (f"{observed} keeps the clock" if ok else
                  "no time daemon is in use" if not used else f"several in use: {observed}")
        return Observation(Status.PASS if ok else Status.FAIL, expected, observed, reason,
                           evidence)
    daemon = str(params.get("daemon", ""))
    if daemon not in DAEMONS or not DAEMONS[daemon][2]:
        raise ValueError(f"daemon must be one of systemd-timesyncd, chrony, not {daemon!r}")
    if daemon not in used:
        return Observation(Status.NOTAPPLICABLE, "", "not in use",
                           f"{daemon} is not the time daemon in use", evidence)
    found = servers(snapshot, daemon)
    expected = f"{daemon} names its time servers"
    if not found:
        return Observation(Status.FAIL, expected, "no server configured",
                           f"{daemon} is in use but its configuration names no time server",
                           evidence)
    observed = "; ".join(found)
    return Observation(Status.PASS, expected, observed, f"{daemon}: {observed}",
                       evidence + "; " + observed)
