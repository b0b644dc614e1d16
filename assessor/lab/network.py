"""The lab's network: one bridge on this machine, one namespace and veth link per host.

Every name is derived from the lab's name, so `down` can find exactly what `up` made
and nothing else.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import ipaddress
import json
import re
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

from assessor.errors import ConfigError
from assessor.lab.system import run

NAME_PATTERN = re.compile(r"^[a-z][a-z0-9]{0,7}$")
LAB_RANGE = ipaddress.IPv4Network("10.231.0.0/16")
FIRST_HOST = 10


def check_name(name: str) -> None:
    if not NAME_PATTERN.match(name):
        raise ConfigError(
            f"lab name {name!r}: use 1-8 lowercase letters or digits, starting with a letter"
        )


def bridge_name(lab: str) -> str:
    return f"asrbr-{lab}"


def netns_name(lab: str, index: int) -> str:
    return f"asr-{lab}-{index:02d}"


def veth_name(lab: str, index: int) -> str:
    return f"asv{lab}{index:02d}"


def host_address(subnet: ipaddress.IPv4Network, index: int) -> str:
    return str(subnet.network_address + FIRST_HOST + index)


def gateway(subnet: ipaddress.IPv4Network) -> str:
    return str(subnet.network_address + 1)


def routed_networks() -> list[ipaddress.IPv4Network]:
    routes = json.loads(run("ip", "-j", "-4", "route", "show", "table", "all") or "[]")
    found = []
    for route in routes:
        dst = route.get("dst", "")
        if dst and dst != "default" and "/" in dst:
            found.append(ipaddress.IPv4Network(dst, strict=False))
    return found


@contextlib.contextmanager
def allocation_lock(labs_dir: Path) -> Iterator[None]:
    """Held from choosing a /24 until its bridge routes it, so two labs started at once
    (parallel test workers, two operators) never pick the same subnet."""
    labs_dir.mkdir(parents=True, exist_ok=True)
    with open(labs_dir / ".subnet.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield


def pick_subnet(lab: str) -> ipaddress.IPv4Network:
    """A /24 in 10.231.0.0/16 chosen from the lab's name, skipping any already routed."""
    subnets: list[ipaddress.IPv4Network] = list(LAB_RANGE.subnets(new_prefix=24))
    start = int(hashlib.sha256(lab.encode()).hexdigest(), 16) % len(subnets)
    taken = routed_networks()
    for offset in range(len(subnets)):
        candidate = subnets[(start + offset) % len(subnets)]
        if not any(candidate.overlaps(net) for net in taken):
            return candidate
    raise ConfigError(f"no free /24 left in {LAB_RANGE} for the lab")


def create_bridge(lab: str, subnet: ipaddress.IPv4Network) -> None:
    bridge = bridge_name(lab)
    run("ip", "link", "add", bridge, "type", "bridge")
    run("ip", "addr", "add", f"{gateway(subnet)}/{subnet.prefixlen}", "dev", bridge)
    run("ip", "link", "set", bridge, "up")


def create_host_network(lab: str, index: int, subnet: ipaddress.IPv4Network) -> None:
    ns, veth = netns_name(lab, index), veth_name(lab, index)
    run("ip", "netns", "add", ns)
    run("ip", "link", "add", veth, "type", "veth", "peer", "name", "eth0", "netns", ns)
    run("ip", "link", "set", veth, "master", bridge_name(lab), "up")
    run("ip", "-n", ns, "addr", "add", f"{host_address(subnet, index)}/{subnet.prefixlen}",
        "dev", "eth0")
    run("ip", "-n", ns, "link", "set", "lo", "up")
    run("ip", "-n", ns, "link", "set", "eth0", "up")
    run("ip", "-n", ns, "route", "add", "default", "via", gateway(subnet))


def lab_namespaces(lab: str) -> list[str]:
    pattern = re.compile(rf"^asr-{re.escape(lab)}-\d+$")
    names = [line.split()[0] for line in run("ip", "netns", "list").splitlines() if line.strip()]
    return [n for n in names if pattern.match(n)]


def lab_links(lab: str) -> list[str]:
    pattern = re.compile(rf"^(asv{re.escape(lab)}\d+|asrbr-{re.escape(lab)})$")
    links = json.loads(run("ip", "-j", "link", "show") or "[]")
    return [link["ifname"] for link in links if pattern.match(link.get("ifname", ""))]


def namespace_pids(ns: str) -> list[int]:
    return [int(p) for p in run("ip", "netns", "pids", ns, check=False).split()]


def remove_network(lab: str) -> None:
    for ns in lab_namespaces(lab):
        run("ip", "netns", "del", ns, check=False)
    # a veth's host end can outlive its namespace for a moment: delete it by name
    for link in sorted(lab_links(lab), key=lambda n: n.startswith("asrbr-")):
        run("ip", "link", "del", link, check=False)


def wait_for_port(address: str, port: int, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection((address, port), timeout=1):
                return True
        except OSError:
            time.sleep(0.1)
    return False


def host_init(netns: str) -> int:
    """The pid of a lab host's init (systemd, pid 1 in its own pid namespace)."""
    pids = subprocess.run(["ip", "netns", "pids", netns], capture_output=True, text=True,
                          timeout=30, check=True).stdout.split()
    for pid in pids:
        try:
            status = Path(f"/proc/{pid}/status").read_text()
        except OSError:
            continue
        nspid = next((line.split()[1:] for line in status.splitlines()
                      if line.startswith("NSpid:")), [])
        if nspid and nspid[-1] == "1" and len(nspid) > 1:
            return int(pid)
    raise ConfigError(f"network namespace {netns}: no host init (pid 1 of its own) in it")
