"""Processes still mapping deleted libraries after an upgrade, and the unit of each.

Moved verbatim from roles/packages_state/library/assessor_apt_state.py; runs on the host.
"""

from __future__ import annotations

import os
import re
from typing import Any

# Units whose restart would cut the host off or end sessions: never restarted for the user.
NEVER_RESTART = re.compile(
    r"^(dbus|dbus-broker|systemd-.*|user@.*|getty@.*|serial-getty@.*|gdm|lightdm|sddm"
    r"|display-manager|NetworkManager|networking|polkit)\.service$"
)


def deleted_library_users() -> list[dict[str, Any]]:
    """Processes still mapping a library file that was replaced or removed."""
    users: list[dict[str, Any]] = []
    systemd = os.path.isdir("/run/systemd/system")
    for pid in sorted((p for p in os.listdir("/proc") if p.isdigit()), key=int):
        try:
            with open("/proc/%s/maps" % pid, "rb") as handle:
                maps = handle.read().decode("utf-8", "replace")
            with open("/proc/%s/comm" % pid) as handle:
                comm = handle.read().strip()
        except OSError:
            continue
        files = sorted({
            line.split(None, 5)[5][: -len(" (deleted)")]
            for line in maps.splitlines()
            if line.endswith(" (deleted)") and len(line.split(None, 5)) == 6
            and ".so" in line.split(None, 5)[5] and not line.split(None, 5)[5].startswith(
                ("/memfd:", "/dev/shm/", "/SYSV"))
        })
        if not files:
            continue
        unit = unit_of(pid)
        if not systemd:
            why = "no service manager on this host (PID 1 is not systemd): restart by hand"
        elif not unit:
            why = "not started by a systemd service: restart by hand"
        elif NEVER_RESTART.match(unit):
            why = "%s is never restarted automatically (sessions or the host's access)" % unit
        else:
            why = ""
        users.append({
            "pid": int(pid), "comm": comm, "unit": unit, "files": files,
            "restartable": not why, "why_not": why,
        })
    return users


def unit_of(pid: str) -> str:
    try:
        with open("/proc/%s/cgroup" % pid) as handle:
            text = handle.read()
    except OSError:
        return ""
    for line in text.splitlines():
        path = line.split(":", 2)[-1]
        if "/system.slice/" in path and path.endswith(".service"):
            return path.rsplit("/", 1)[1]
    return ""
