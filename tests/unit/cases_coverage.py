"""Pass/fail snapshot builders for the coverage check kinds (see test_catalogue.py)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from unit_builders import Snap

NOW = 1_800_000_000.0


def coverage(snap: Snap) -> dict[str, Any]:
    return snap.data.setdefault("coverage", {"now": NOW, "packages": {}, "units": {},
                                             "processes": {}, "newest": {},
                                             "forwarding": {"rsyslog": [],
                                                            "journal_upload": []}})


def unit(active: bool) -> dict[str, str]:
    return {"LoadState": "loaded", "ActiveState": "active" if active else "inactive",
            "SubState": "running" if active else "dead", "UnitFileState": "enabled"}


def daemon_case(snap: Snap, p: dict[str, Any], passing: bool) -> Snap:
    seen = coverage(snap)
    seen["packages"][p["package"]] = {"installed": True, "version": "1.0-1"}
    seen["units"][p["unit"]] = unit(passing)
    if p.get("process"):
        seen["processes"][p["process"]] = [321] if passing else []
    return snap


def newest_case(snap: Snap, p: dict[str, Any], passing: bool) -> Snap:
    hours = p["max_hours"] - 1 if passing else p["max_hours"] + 1
    coverage(snap)["newest"][p["glob"]] = {"path": "/var/lib/clamav/daily.cld",
                                           "mtime": NOW - hours * 3600, "size": 9, "matched": 3}
    return snap


def forwarding_case(snap: Snap, p: dict[str, Any], passing: bool) -> Snap:
    seen = coverage(snap)
    target = (p.get("collector") or "192.0.2.10").split(":")[0]
    seen["forwarding"]["rsyslog"].append({"file": "/etc/rsyslog.d/90-forward.conf", "line": "1",
                                          "target": target, "port": "514",
                                          "protocol": "tcp"})
    seen["units"]["rsyslog.service"] = unit(passing)
    seen["units"]["systemd-journal-upload.service"] = {"LoadState": "not-found"}
    return snap


CASES: dict[str, Callable[[Snap, dict[str, Any], bool], Snap]] = {
    "daemon_running": daemon_case,
    "newest_file_age": newest_case,
    "log_forwarding": forwarding_case,
}
