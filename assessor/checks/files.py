"""Owner and mode of files."""

from __future__ import annotations

from assessor.checks.core import (
    Observation,
    Params,
    Snapshot,
    names_of,
    register,
)
from assessor.results import Status


@register(
    "file_permissions",
    lambda p: {"stat": [p["path"]]},
    required=("path", "max_mode"),
    optional=("owner", "group", "when_absent"),
)
def file_permissions(snapshot: Snapshot, params: Params) -> Observation:
    """`when_absent: notapplicable` for files that only matter when present (backups, grub)."""
    path = str(params["path"])
    info = snapshot["stat"][path]
    if not info.get("exists"):
        if params.get("when_absent", "fail") == "notapplicable":
            return Observation(Status.NOTAPPLICABLE, "present", "missing",
                               f"{path} does not exist on this host", f"stat {path}: missing")
        return Observation(Status.FAIL, "present", "missing", f"{path} does not exist")
    mode = int(str(info["mode"]), 8)
    limit = int(str(params["max_mode"]), 8)
    owners = names_of(params.get("owner"))
    groups = names_of(params.get("group"))
    problems = []
    if mode & ~limit:
        problems.append(f"mode {mode:04o} allows more than {limit:04o}")
    if owners and info["owner"] not in owners:
        problems.append(f"owner {info['owner']} is not {' or '.join(owners)}")
    if groups and info["group"] not in groups:
        problems.append(f"group {info['group']} is not {' or '.join(groups)}")
    expected = f"mode <= {limit:04o}"
    expected += f", owner {'|'.join(owners)}" if owners else ""
    expected += f", group {'|'.join(groups)}" if groups else ""
    observed = f"mode {mode:04o}, owner {info['owner']}, group {info['group']}"
    evidence = f"stat {path}: {observed} (uid {info['uid']}, gid {info['gid']})"
    if problems:
        reason = f"{path}: " + "; ".join(problems)
        return Observation(Status.FAIL, expected, observed, reason, evidence)
    return Observation(Status.PASS, expected, observed, f"{path}: {observed}", evidence)
