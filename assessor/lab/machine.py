"""What every lab host shares with this machine: its kernel, read when the lab starts.

A lab host has its own network stack, but not its own kernel. Sysctls outside `net.*`
(kernel.*, fs.*, vm.*), Yama, and the modules that are built in or loaded are the
machine's: read-only in every host (nspawn mounts /proc/sys read-only but for net), and
different from one machine to the next. The lab reads them when it starts and records
them in its state, so tests expect what this machine really has instead of assuming a
kernel, and a control the machine decides is expected to give the same verdict on every
lab host, with the reason.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from assessor.catalogue.loader import Control
from assessor.checks.core import compare
from assessor.checks.kernel import module_name
from assessor.results import Status

NAMESPACED_PREFIXES = ("net.",)


@dataclass(frozen=True)
class MachineProfile:
    """This machine's kernel as lab hosts see it."""

    kernel: str
    sysctl: dict[str, str | None] = field(default_factory=dict)  # None: not in /proc/sys
    built_in: tuple[str, ...] = ()
    loaded: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, object]:
        return {"kernel": self.kernel, "sysctl": self.sysctl,
                "built_in": list(self.built_in), "loaded": list(self.loaded)}

    @classmethod
    def from_dict(cls, data: dict[str, object]) -> MachineProfile:
        sysctl = data.get("sysctl") or {}
        assert isinstance(sysctl, dict)
        return cls(str(data.get("kernel", "")), dict(sysctl),
                   tuple(data.get("built_in") or ()),  # type: ignore[arg-type]
                   tuple(data.get("loaded") or ()))  # type: ignore[arg-type]


@dataclass(frozen=True)
class MachineBound:
    """A control this machine decides for every lab host: the verdict and why."""

    control: str
    status: Status
    reason: str


def is_namespaced(key: str) -> bool:
    return key.startswith(NAMESPACED_PREFIXES)


def machine_keys(controls: Iterable[Control]) -> list[str]:
    """The sysctl keys of the controls that a lab host cannot set for itself."""
    return sorted({str(c.check["key"]) for c in controls
                   if c.kind == "sysctl" and not is_namespaced(str(c.check["key"]))})


def module_names(controls: Iterable[Control]) -> list[str]:
    return sorted({str(c.check["name"]) for c in controls if c.kind == "kernel_module_disabled"})


def read_machine(keys: Iterable[str], modules: Iterable[str], proc: Path = Path("/proc"),
                 sys: Path = Path("/sys")) -> MachineProfile:
    """Read the values from this machine (or from a recorded tree with the same layout)."""
    sysctl: dict[str, str | None] = {}
    for key in keys:
        try:
            sysctl[key] = (proc / "sys" / key.replace(".", "/")).read_text().strip()
        except OSError:
            sysctl[key] = None
    loaded = tuple(sorted(line.split()[0] for line in read_lines(proc / "modules")))
    filesystems = {line.split()[-1] for line in read_lines(proc / "filesystems")}
    built_in = tuple(sorted(
        name for name in modules
        if module_name(name) not in loaded
        and (name in filesystems or (sys / "module" / module_name(name)).is_dir())
    ))
    kernel = (proc / "sys/kernel/osrelease").read_text().strip() \
        if (proc / "sys/kernel/osrelease").exists() else ""
    return MachineProfile(kernel, sysctl, built_in, loaded)


def read_lines(path: Path) -> list[str]:
    try:
        return [line for line in path.read_text().splitlines() if line.strip()]
    except OSError:
        return []


def machine_bound(controls: Iterable[Control], machine: MachineProfile) -> list[MachineBound]:
    """The controls whose verdict on every lab host follows from this machine's kernel.

    A sysctl outside net.* that the machine runs at a failing value fails on every host,
    however well the host persists it; one the kernel lacks (Yama on a kernel built without
    it) is an error. A module built into the kernel or loaded in it cannot be disabled from
    a host. Uses the checks' own comparison, so the expectation cannot drift from the check.
    """
    bound = []
    for control in controls:
        if control.kind == "sysctl" and not is_namespaced(key := str(control.check["key"])):
            value = machine.sysctl.get(key)
            if value is None:
                bound.append(MachineBound(control.id, Status.ERROR,
                                          f"{key} does not exist in this machine's kernel "
                                          f"{machine.kernel}, which every lab host shares"))
            elif not compare(value, control.check)[0]:
                bound.append(MachineBound(control.id, Status.FAIL,
                                          f"{key} is {value} on this machine, and lab hosts "
                                          "share its kernel and cannot change it"))
        elif control.kind == "kernel_module_disabled":
            name = str(control.check["name"])
            if name in machine.built_in or module_name(name) in machine.loaded:
                state = "built into" if name in machine.built_in else "loaded in"
                bound.append(MachineBound(control.id, Status.FAIL,
                                          f"{name} is {state} this machine's kernel "
                                          f"{machine.kernel}, which every lab host shares"))
    return bound
