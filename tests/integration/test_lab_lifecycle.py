"""`lab up` makes real hosts; `lab down` removes every namespace, link, mount and process."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from labrun import ASSESSOR, run_cli

from assessor.lab import fleet, network

NAME = "itdown"


def leftovers(name: str) -> dict[str, list[str]]:
    processes = []
    for proc in Path("/proc").iterdir():
        if proc.name.isdigit():
            try:
                if f"/{name}/".encode() in (proc / "cmdline").read_bytes():
                    processes.append(proc.name)
            except OSError:
                continue
    return {
        "namespaces": network.lab_namespaces(name),
        "links": network.lab_links(name),
        "mounts": fleet.lab_mounts(name),
        "processes": processes,
        "state": [str(fleet.lab_dir(name))] if fleet.lab_dir(name).exists() else [],
    }


def test_up_status_down_leaves_nothing(tmp_path: Path) -> None:
    inventory = tmp_path / "inv.yml"
    fleet.down(NAME, say=lambda _: None)
    before_links = network_links()
    proc = run_cli("lab", "up", "--name", NAME, "--hosts", "2", "--flavours", "weak",
                   "--inventory", str(inventory))
    assert proc.returncode == 0, proc.stderr
    try:
        found = leftovers(NAME)
        assert len(found["namespaces"]) == 2 and len(found["links"]) == 3
        assert len(found["mounts"]) == 2 and found["processes"]
        status = run_cli("lab", "status", "--name", NAME)
        assert status.returncode == 0 and status.stdout.count("yes") == 4, status.stdout
        state = fleet.read_state(NAME)
        assert state is not None
        host = state.hosts[0]
        hostname = subprocess.run(
            ["ip", "netns", "exec", host.netns, "nsenter", "-t", str(netns_pid(host.netns)),
             "--uts", "hostname"], capture_output=True, text=True, check=True, timeout=30,
        ).stdout.strip()
        assert hostname == host.name
        assert inventory.exists()
    finally:
        down = run_cli("lab", "down", "--name", NAME)
    assert down.returncode == 0, down.stderr
    assert not any(leftovers(NAME).values()), leftovers(NAME)
    assert network_links() == before_links
    assert not inventory.exists()


def network_links() -> set[str]:
    """This machine's own links: other labs' (other test workers' labs start and stop
    meanwhile) are left out; this lab's are checked by `leftovers`."""
    return {link for link in os.listdir("/sys/class/net")
            if not link.startswith((network.bridge_name(""), "asv"))}


def netns_pid(ns: str) -> int:
    return min(network.namespace_pids(ns))


def test_lab_needs_root_and_says_so() -> None:
    proc = subprocess.run(
        ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
         ASSESSOR, "lab", "down", "--name", NAME],
        capture_output=True, text=True, timeout=60, check=False,
    )
    assert proc.returncode == 2, proc.stderr
    assert "needs root" in proc.stderr
