"""User and group names for numeric ids, as `ls -l` shows them: the number when unknown."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Callable


def name_of(lookup: Callable[[int], Sequence[object]], ident: int) -> str:
    """`lookup` is pwd.getpwuid or grp.getgrgid."""
    try:
        return str(lookup(ident)[0])
    except KeyError:
        return str(ident)
