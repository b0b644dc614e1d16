"""Which process holds each socket, from /proc/*/fd: the hunt's socket probe and the
watch's listening-port inventory both name a socket's owner this way. Reads only."""

from __future__ import annotations

import os


def socket_owners() -> dict[str, int]:
    """socket inode (as /proc/net/* prints it) -> the lowest pid holding it."""
    owners: dict[str, int] = {}
    for pid in sorted(int(n) for n in os.listdir("/proc") if n.isdigit()):
        try:
            names = os.listdir("/proc/%d/fd" % pid)
        except OSError:
            continue  # gone, or not ours to read
        for fd in names:
            try:
                target = os.readlink("/proc/%d/fd/%s" % (pid, fd))
            except OSError:
                continue
            if target.startswith("socket:["):
                owners.setdefault(target[8:-1], pid)
    return owners
