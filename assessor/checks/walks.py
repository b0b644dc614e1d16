"""What one bounded walk of the local filesystems found: world-writable, unowned, SUID/SGID.

The walk runs once per host for every category the controls ask for. When it is cut
short (time budget or entry cap) the verdict is `error` with why: a partial walk that
found nothing has not shown that there is nothing.
"""

from __future__ import annotations

import fnmatch
from typing import Any

from assessor.checks.core import Observation, Params, Snapshot, names_of, register
from assessor.results import Status

FINDS = {
    "world_writable_files": "world-writable files",
    "world_writable_dirs_no_sticky": "world-writable directories without the sticky bit",
    "unowned_user": "files whose owner has no account",
    "unowned_group": "files whose group does not exist",
    "suid": "SUID programs not in the allowlist",
    "sgid": "SGID programs not in the allowlist",
}
SHOWN = 10


def walk_probe(params: Params) -> dict[str, Any]:
    items = [str(params["find"])]
    for bound in ("max_seconds", "max_entries"):
        if bound in params:
            items.append(f"{bound}={int(params[bound])}")
    return {"walk": items}


@register("walk", walk_probe, required=("find",),
          optional=("allowed", "max_seconds", "max_entries"))
def walk(snapshot: Snapshot, params: Params) -> Observation:
    find = str(params["find"])
    if find not in FINDS:
        raise ValueError(f"find must be one of {', '.join(FINDS)}")
    probe = snapshot["walk"]
    if not probe.get("complete"):
        return Observation(Status.ERROR, "", "", str(probe.get("reason") or "walk incomplete"))
    result = probe["found"][find]
    allowed = names_of(params.get("allowed"))
    paths = [p for p in result["paths"] if not any(fnmatch.fnmatchcase(p, a) for a in allowed)]
    # the probe lists at most its cap; the count is exact, so unlisted ones still count
    unlisted = max(int(result["count"]) - len(result["paths"]), 0)
    total = len(paths) + unlisted
    skipped = ", ".join(probe.get("skipped_mounts", [])[:20]) or "none"
    evidence = (f"walked {probe['entries']} entries in {probe['seconds']}s over local "
                f"filesystems (skipped mounts: {skipped}); {FINDS[find]}: "
                f"{', '.join(paths) or 'none'}")
    expected = "none" + (f" outside {len(allowed)} allowed paths" if allowed else "")
    if total:
        head = ", ".join(paths[:SHOWN]) + (f" and {total - SHOWN} more" if total > SHOWN else "")
        return Observation(Status.FAIL, expected, f"{total}: {head}",
                           f"{total} {FINDS[find]}: {head}", evidence)
    observed = f"none among {probe['entries']} entries"
    return Observation(Status.PASS, expected, observed, f"no {FINDS[find]}", evidence)
