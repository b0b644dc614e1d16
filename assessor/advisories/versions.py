"""dpkg version logic from python-debian: epochs, `~` before anything, `+deb12u1` suffixes.

Never compare Debian versions as strings: "1:1.0" > "2.0", "1.0~rc1" < "1.0" and
"1.0-1+deb12u1" > "1.0-1" are what dpkg says, and what these functions say.
"""

from __future__ import annotations

import re

from debian.debian_support import Version

# dpkg's own rule: the upstream part starts with a digit; python-debian is laxer.
_UPSTREAM_START = re.compile(r"^(\d+:)?\d")


def check(text: str) -> str:
    """The version if dpkg would accept it, else ValueError saying why."""
    if not isinstance(text, str) or not text.strip():
        raise ValueError("empty version")
    if text != text.strip() or " " in text:
        raise ValueError(f"version {text!r} contains whitespace")
    try:
        Version(text)
    except ValueError as exc:
        raise ValueError(f"{text!r} is not a Debian version: {exc}") from exc
    if not _UPSTREAM_START.match(text):
        raise ValueError(f"{text!r} is not a Debian version: the upstream part must start "
                         "with a digit")
    return text


def compare(a: str, b: str) -> int:
    """-1, 0 or 1 as dpkg --compare-versions would order a and b."""
    left, right = Version(a), Version(b)
    return (left > right) - (left < right)


def at_least(installed: str, fixed: str) -> bool:
    return compare(installed, fixed) >= 0


def affected(installed: str, introduced: str, fixed: str) -> bool:
    """In [introduced, fixed): "0" or "" as introduced means every version before the fix."""
    if introduced not in ("", "0") and compare(installed, introduced) < 0:
        return False
    return not fixed or compare(installed, fixed) < 0
