"""Digests of a file's content, read once in blocks and never through a link (O_NOFOLLOW:
a planted symlink cannot make the host read what it points at); O_NOATIME where the
kernel allows, so a sweep leaves access times as they were. The hunt's sweep and the
watch's content baseline both hash this way."""

from __future__ import annotations

import hashlib
import os

CHUNK = 1 << 20


def file_digests(path: str, names: tuple[str, ...] = ("sha256",)) -> list[str]:
    """The hex digests of `path`'s content, one per hashlib name, in the order given."""
    digests = [hashlib.new(name) for name in names]
    fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | getattr(os, "O_NOATIME", 0))
    with os.fdopen(fd, "rb") as handle:
        while True:
            block = handle.read(CHUNK)
            if not block:
                break
            for digest in digests:
                digest.update(block)
    return [d.hexdigest() for d in digests]
