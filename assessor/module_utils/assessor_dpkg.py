"""dpkg's status database (/var/lib/dpkg/status): RFC 822 stanzas, one per package."""

from __future__ import annotations

import re
from collections.abc import Iterator

STATUS_FILE = "/var/lib/dpkg/status"
_SOURCE = re.compile(r"^(\S+)(?:\s+\((\S+)\))?")


def stanzas(text: str) -> Iterator[dict[str, str]]:
    """Each package's fields (continuation lines dropped: none of ours need them)."""
    for block in text.split("\n\n"):
        fields = {}
        for line in block.splitlines():
            if line[:1] in (" ", "\t") or ":" not in line:
                continue
            key, _, value = line.partition(":")
            fields[key] = value.strip()
        if fields.get("Package"):
            yield fields


def source_of(fields: dict[str, str]) -> tuple[str, str]:
    """(source name, source version): `Source: name (version)` names both when they differ
    from the binary's; a bare `Source: name` keeps the binary's version."""
    name = fields["Package"]
    version = fields.get("Version", "")
    match = _SOURCE.match(fields.get("Source", ""))
    if match:
        name = match.group(1)
        version = match.group(2) or version
    return name, version


def status_words(status: str) -> tuple[str, str, str]:
    """`Status: want eflag state` as its three words ("" for any that is missing)."""
    want, eflag, state = [*status.split(), "", "", ""][:3]
    return want, eflag, state


def is_installed(status: str) -> bool:
    """Programs on disk: `install ok installed` and the half-installed states, not a removed
    package whose config files remain (`deinstall ok config-files`, dpkg -l's `rc`)."""
    words = status.split()
    return len(words) == 3 and words[2] not in ("not-installed", "config-files")
