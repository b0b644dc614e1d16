"""dpkg's status database (/var/lib/dpkg/status): RFC 822 stanzas, one per package; and
its file lists (/var/lib/dpkg/info/*.list): which package ships a path."""

from __future__ import annotations

import glob
import os
import re
from collections.abc import Iterator, Mapping

STATUS_FILE = "/var/lib/dpkg/status"
INFO_DIR = "/var/lib/dpkg/info"
MERGED_USR = ("/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32")
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


def path_packages(info_dir: str = INFO_DIR) -> dict[str, str]:
    """Every path a package's file list names -> the package (the first list naming it;
    a directory is named by many). Undecodable bytes kept as os paths keep them."""
    table: dict[str, str] = {}
    for listing in sorted(glob.glob(os.path.join(info_dir, "*.list"))):
        package = os.path.basename(listing)[: -len(".list")].split(":")[0]
        try:
            with open(listing, encoding="utf-8", errors="surrogateescape") as handle:
                for line in handle:
                    table.setdefault(line.rstrip("\n"), package)
        except OSError:
            continue
    return table


def merged_usr_twins(path: str) -> list[str]:
    """The path and its merged-/usr twin: dpkg may list /bin/sleep for /usr/bin/sleep and
    /usr/bin/ls for /bin/ls."""
    names = [path]
    for top in MERGED_USR:
        if path.startswith("/usr" + top + "/"):
            names.append(path[len("/usr"):])
        elif path.startswith(top + "/"):
            names.append("/usr" + path)
    return names


def package_of(path: str, table: Mapping[str, str]) -> str:
    """The package whose file list names `path` or its merged-/usr twin, or ""."""
    return next((table[name] for name in merged_usr_twins(path) if name in table), "")
