"""`apt-cache policy` output, parsed: installed, candidate and every version with its pin.

Moved verbatim from roles/packages_state/library/assessor_apt_state.py; runs on the host.
"""

from __future__ import annotations

import re
from typing import Any


def parse_policy(text: str) -> dict[str, Any]:
    """`apt-cache policy PKG...` -> {pkg: {installed, candidate, versions: [{version, pin,
    origins}]}}."""
    result = {}
    current: Any = None
    version: Any = None
    for line in text.splitlines():
        if line and not line.startswith(" ") and line.endswith(":"):
            current = {"installed": "", "candidate": "", "versions": []}
            result[line[:-1]] = current
            version = None
            continue
        if current is None:
            continue
        stripped = line.strip()
        if stripped.startswith("Installed:"):
            current["installed"] = clean(stripped.split(":", 1)[1])
        elif stripped.startswith("Candidate:"):
            current["candidate"] = clean(stripped.split(":", 1)[1])
        elif stripped == "Version table:":
            continue
        else:
            match = re.match(r"^ (\*\*\*| {3}) (\S+) (-?\d+)$", line)
            if match:
                version = {"version": match.group(2), "pin": int(match.group(3)), "origins": []}
                current["versions"].append(version)
            elif version is not None and re.match(r"^\s+-?\d+ ", line):
                version["origins"].append(stripped.split(" ", 1)[1])
    return result


def clean(value: str) -> str:
    value = value.strip()
    return "" if value == "(none)" else value
