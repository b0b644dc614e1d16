"""How the operator reaches the lab's hosts: the lab's key in authorized_keys, every host's
keys in the lab's known_hosts, and an Ansible inventory with one group per flavour."""

from __future__ import annotations

import os
from pathlib import Path

import yaml

from assessor.lab.state import LabState, host_paths
from assessor.rundir import write_text


def authorize(root: Path, user: str, public_key: str) -> None:
    entry = next(
        line.split(":") for line in (root / "etc/passwd").read_text().splitlines()
        if line.startswith(f"{user}:")
    )
    uid, gid, home = int(entry[2]), int(entry[3]), entry[5]
    ssh_dir = root / home.lstrip("/") / ".ssh"
    ssh_dir.mkdir(mode=0o700, exist_ok=True)
    keys = ssh_dir / "authorized_keys"
    keys.write_text(public_key)
    keys.chmod(0o600)
    for path in (ssh_dir, keys):
        os.chown(path, uid, gid)


def write_known_hosts(state: LabState) -> None:
    lines = []
    for host in state.hosts:
        etc_ssh = host_paths(state, host)["merged"] / "etc/ssh"
        for pub in sorted(etc_ssh.glob("ssh_host_*_key.pub")):
            kind, key = pub.read_text().split()[:2]
            lines.append(f"{host.address} {kind} {key}")
    write_text(Path(state.known_hosts), "\n".join(lines) + "\n")


def inventory_data(state: LabState) -> dict[str, object]:
    groups: dict[str, dict[str, object]] = {}
    for host in state.hosts:
        members = groups.setdefault(host.flavour, {"hosts": {}})["hosts"]
        members[host.name] = {"ansible_host": host.address}  # type: ignore[index]
    return {
        "all": {
            "vars": {
                "ansible_user": "ops",
                "ansible_become": True,
                "ansible_ssh_private_key_file": state.key,
                "ansible_ssh_common_args": (
                    f"-o UserKnownHostsFile={state.known_hosts} "
                    "-o StrictHostKeyChecking=yes -o IdentitiesOnly=yes"
                ),
            },
            "children": {f"lab_{state.name}": {"children": groups}},
        }
    }


def write_inventory(state: LabState) -> None:
    path = Path(state.inventory)
    path.parent.mkdir(parents=True, exist_ok=True)
    header = f"# Written by `assessor lab up --name {state.name}`; removed by `lab down`.\n"
    write_text(path, header + yaml.safe_dump(inventory_data(state), sort_keys=False))
