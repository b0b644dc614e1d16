"""The mounts probe: /proc/self/mounts with its octal escapes undone.

Moved verbatim from roles/collect/library/assessor_snapshot.py; runs on the host.
"""

from __future__ import annotations

from typing import Any

from ansible.module_utils.assessor_probe_io import read_text

# --- mounts -----------------------------------------------------------------------------------


def unescape_mount(field: str) -> str:
    """/proc/mounts writes space, tab, newline and backslash as octal escapes."""
    for code, char in (("\\040", " "), ("\\011", "\t"), ("\\012", "\n"), ("\\134", "\\")):
        field = field.replace(code, char)
    return field


def read_mounts() -> list[dict[str, Any]]:
    text, _ = read_text("/proc/self/mounts")
    mounts = []
    for line in text.splitlines():
        parts = line.split()
        if len(parts) < 4:
            continue
        mounts.append({
            "source": unescape_mount(parts[0]),
            "target": unescape_mount(parts[1]),
            "fstype": parts[2],
            "options": parts[3].split(","),
        })
    return mounts


def probe_mounts(_wanted: object) -> list[dict[str, Any]]:
    return read_mounts()
