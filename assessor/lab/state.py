"""What the lab knows of itself: its hosts, where each one's files are, and its state file.

State lives in a run directory (tmpfs by default, like the mounts and namespaces it
describes, so a reboot of this machine forgets both together).
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path

from assessor.lab.machine import MachineProfile
from assessor.rundir import write_text


@dataclass
class LabHost:
    name: str
    flavour: str
    index: int
    address: str
    netns: str
    pid: int = 0


@dataclass
class LabState:
    name: str
    release: str
    subnet: str
    inventory: str
    key: str
    known_hosts: str
    hosts: list[LabHost] = field(default_factory=list)
    machine: dict[str, object] = field(default_factory=dict)

    @classmethod
    def from_dict(cls, data: dict[str, object]) -> LabState:
        hosts = [LabHost(**h) for h in data.pop("hosts", [])]  # type: ignore[attr-defined]
        return cls(**data, hosts=hosts)  # type: ignore[arg-type]

    @property
    def machine_profile(self) -> MachineProfile:
        """This machine's kernel values as read when the lab started."""
        return MachineProfile.from_dict(self.machine)


def lab_dir(name: str) -> Path:
    return Path(os.environ.get("ASSESSOR_LAB_DIR", "/run/assessor-lab")) / name


def default_inventory(name: str) -> Path:
    from assessor.tools import PROJECT_ROOT

    return PROJECT_ROOT / "inventories" / "lab" / f"{name}.yml"


def read_state(name: str) -> LabState | None:
    path = lab_dir(name) / "state.json"
    if not path.exists():
        return None
    return LabState.from_dict(json.loads(path.read_text()))


def save_state(state: LabState) -> None:
    write_text(lab_dir(state.name) / "state.json", json.dumps(asdict(state), indent=2))


def host_paths(state: LabState, host: LabHost) -> dict[str, Path]:
    base = lab_dir(state.name) / host.name
    return {p: base / p for p in ("upper", "work", "merged", "log")} | {"dir": base}
