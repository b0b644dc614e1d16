"""Execution nodes: one run's hosts shared out to other machines that run Ansible.

The protocol is ansible-runner's streaming one, the one AWX sends over its receptor mesh:
the controller `transmit`s a job (project, inventory, variables, credentials) as one
stream, `ansible-runner worker` on the node runs it and streams the events back, and the
controller `process`es them as if Ansible had run here. The node is reached over SSH with
the connection variables the inventory gives it. What a node needs: ansible-core,
ansible-runner and SSH access to its hosts, with the credentials the inventory names;
those files go with the job into the worker's private directory, which the worker deletes
when the job ends (`--delete`).

This module is the pure part: which hosts go to which node, the worker's inventory with
its credential paths rewritten, and the argv that reaches a node.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from assessor.errors import ConfigError

# Where a host's credentials are named: the key as a variable, known_hosts in SSH options.
KEY_VARS = ("ansible_ssh_private_key_file", "ansible_private_key_file")
ARGS_VARS = ("ansible_ssh_common_args", "ansible_ssh_extra_args")
KNOWN_HOSTS = re.compile(r"(UserKnownHostsFile=)(\S+)")
NODE_SSH_OPTIONS = ("-o", "BatchMode=yes", "-o", "ConnectTimeout=15",
                    "-o", "ServerAliveInterval=15", "-o", "ServerAliveCountMax=4")


@dataclass(frozen=True)
class Shard:
    """One node's part of a run: the hosts it runs and what goes with them."""

    node: str
    ssh: tuple[str, ...]  # argv reaching the node; the worker command is appended
    hosts: tuple[str, ...]
    worker_dir: str  # the worker's private data directory on the node
    inventory: dict[str, Any] = field(default_factory=dict)  # for the worker, paths rewritten
    files: dict[str, Path] = field(default_factory=dict)  # creds/<name> on the node <- here


def plan_shards(targets: Sequence[str], nodes: Sequence[str],
                hostvars: Mapping[str, Mapping[str, Any]], worker_dir: str) -> list[Shard]:
    """Round-robin the targets over the nodes (in the order given); nodes left with no
    host get no shard. Every node must be a host of the inventory (its address, user,
    key and SSH options are how the controller reaches it)."""
    unknown = [n for n in nodes if n not in hostvars]
    if unknown:
        raise ConfigError(f"execution node {unknown[0]!r} is not a host of the inventory "
                          "(its connection variables say how to reach it)")
    if len(set(nodes)) != len(nodes):
        raise ConfigError("an execution node is named twice")
    shares: dict[str, list[str]] = {n: [] for n in nodes}
    for index, host in enumerate(sorted(targets)):
        shares[nodes[index % len(nodes)]].append(host)
    shards = []
    for node, hosts in shares.items():
        if hosts:
            inventory, files = worker_inventory(hostvars, hosts, worker_dir)
            shards.append(Shard(node, tuple(ssh_command(hostvars[node])), tuple(hosts),
                                worker_dir, inventory, files))
    return shards


def worker_inventory(hostvars: Mapping[str, Mapping[str, Any]], hosts: Sequence[str],
                     worker_dir: str) -> tuple[dict[str, Any], dict[str, Path]]:
    """The hosts with their variables, each credential file renamed into the worker's
    `creds/` directory; returns the inventory and {name in creds/: file here}."""
    files: dict[str, Path] = {}

    def moved(path: str) -> str:
        source = Path(path).expanduser()
        name = next((k for k, v in files.items() if v == source), f"{len(files)}-{source.name}")
        files[name] = source
        return f"{worker_dir}/creds/{name}"

    entries: dict[str, Any] = {}
    for host in hosts:
        values = dict(hostvars[host])
        for var in KEY_VARS:
            if isinstance(values.get(var), str):
                values[var] = moved(values[var])
        for var in ARGS_VARS:
            if isinstance(values.get(var), str):
                values[var] = KNOWN_HOSTS.sub(lambda m: m[1] + moved(m[2]), values[var])
        entries[host] = values
    return {"all": {"hosts": entries}}, files


def ssh_command(values: Mapping[str, Any]) -> list[str]:
    """ssh to a node as Ansible would connect to that host: address, port, user, key,
    the inventory's SSH options (split as ssh's own words, never through a shell)."""
    address = str(values.get("ansible_host") or values.get("inventory_hostname") or "")
    if not address:
        raise ConfigError("an execution node has no ansible_host")
    command = ["ssh", *NODE_SSH_OPTIONS]
    if values.get("ansible_port"):
        command += ["-p", str(values["ansible_port"])]
    key = next((values[v] for v in KEY_VARS if values.get(v)), None)
    if key:
        command += ["-i", str(key)]
    for var in ARGS_VARS:
        if values.get(var):
            command += shlex.split(str(values[var]))
    user = values.get("ansible_user")
    command.append(f"{user}@{address}" if user else address)
    return command


def worker_command(shard: Shard) -> str:
    """The one remote command: our words and a directory name we chose, nothing else."""
    return f"ansible-runner worker --private-data-dir {shlex.quote(shard.worker_dir)} --delete"
