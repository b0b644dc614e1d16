"""Where each report lives in a run directory; host names never escape it."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]")


def host_slug(host: str) -> str:
    """A directory name for a host; names that had to be altered get a hash, so never collide."""
    slug = _UNSAFE.sub("_", host).lstrip(".") or "_"
    if slug == host and len(slug) <= 100:
        return slug
    return f"{slug[:80]}-{hashlib.sha256(host.encode()).hexdigest()[:10]}"


def host_dir(out_dir: Path, host: str) -> Path:
    return out_dir / "hosts" / host_slug(host)
