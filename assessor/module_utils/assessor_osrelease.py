"""/etc/os-release: KEY=value lines, values optionally quoted."""

from __future__ import annotations

OS_RELEASE = "/etc/os-release"


def parse_os_release(text: str) -> dict[str, str]:
    fields = {}
    for line in text.splitlines():
        key, sep, value = line.strip().partition("=")
        if sep:
            fields[key] = value.strip().strip("\"'")
    return fields


def read_os_release(path: str = OS_RELEASE) -> dict[str, str]:
    """The fields, or none when the file cannot be read."""
    try:
        with open(path, encoding="utf-8", errors="backslashreplace") as handle:
            return parse_os_release(handle.read())
    except OSError:
        return {}
