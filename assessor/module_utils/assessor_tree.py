"""One walk for the watch's host code: regular files under a root, links never followed.

`enter` decides which directories are descended into (the SUID search stays on the root's
filesystem), `keep` which entries are looked at at all (the content baseline's excludes).
"""

from __future__ import annotations

import os
import stat
from collections.abc import Callable, Iterator


def regular_files(root: str, enter: Callable[[str, os.stat_result], bool],
                  keep: Callable[[str], bool]) -> Iterator[tuple[str, os.stat_result]]:
    stack = [root]
    while stack:
        current = stack.pop()
        try:
            entries = list(os.scandir(current))
        except OSError:
            continue
        for entry in entries:
            if not keep(entry.path):
                continue
            try:
                info = entry.stat(follow_symlinks=False)
            except OSError:
                continue
            if stat.S_ISDIR(info.st_mode):
                if enter(entry.path, info):
                    stack.append(entry.path)
            elif stat.S_ISREG(info.st_mode):
                yield entry.path, info
