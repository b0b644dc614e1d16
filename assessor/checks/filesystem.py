"""Mount points and their options, judged on the live mount table (/proc/mounts).

A directory that is not a mount point of its own lives on the mount that contains it,
and that mount's options are the ones that apply to it: /tmp on the root filesystem has
the root filesystem's (usually no nodev, nosuid or noexec).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from assessor.checks.core import Observation, Params, Snapshot, register
from assessor.results import Status

MOUNT_OPTIONS = ("nodev", "nosuid", "noexec")


def containing_mount(mounts: Sequence[Mapping[str, Any]], path: str) -> Mapping[str, Any]:
    """The mount a path lives on: the longest mount point above it, the latest if stacked."""
    best: Mapping[str, Any] | None = None
    for mount in mounts:
        target = str(mount["target"]).rstrip("/") or "/"
        inside = path == target or target == "/" or path.startswith(target + "/")
        if inside and (best is None or len(target) >= len(str(best["target"]).rstrip("/"))):
            best = mount
    if best is None:
        raise ValueError(f"no mount in /proc/mounts contains {path}")
    return best


def describe(mount: Mapping[str, Any]) -> str:
    options = ",".join(mount["options"])
    return f"{mount['target']} {mount['fstype']} ({options}) from {mount['source']}"


@register("separate_mount", lambda p: {"mounts": True}, required=("path",))
def separate_mount(snapshot: Snapshot, params: Params) -> Observation:
    path = str(params["path"]).rstrip("/") or "/"
    mount = containing_mount(snapshot["mounts"], path)
    evidence = f"/proc/mounts: {path} is on {describe(mount)}"
    expected = f"{path} is a mount point"
    if (str(mount["target"]).rstrip("/") or "/") != path:
        observed = f"on {mount['target']}"
        return Observation(
            Status.FAIL, expected, observed,
            f"{path} is not a separate mount; it lives on {mount['target']}", evidence,
        )
    observed = f"mounted ({mount['fstype']})"
    return Observation(Status.PASS, expected, observed, f"{path} is {observed}", evidence)


@register("mount_option", lambda p: {"mounts": True}, required=("path", "option"))
def mount_option(snapshot: Snapshot, params: Params) -> Observation:
    path = str(params["path"]).rstrip("/") or "/"
    option = str(params["option"])
    if option not in MOUNT_OPTIONS:
        raise ValueError(f"option must be one of {', '.join(MOUNT_OPTIONS)}")
    mount = containing_mount(snapshot["mounts"], path)
    evidence = f"/proc/mounts: {path} is on {describe(mount)}"
    observed = ",".join(mount["options"])
    own = (str(mount["target"]).rstrip("/") or "/") == path
    where = path if own else f"{mount['target']} (which holds {path})"
    if option in mount["options"]:
        return Observation(Status.PASS, option, observed, f"{where} is mounted {option}",
                           evidence)
    return Observation(Status.FAIL, option, observed, f"{where} is mounted without {option}",
                       evidence)
