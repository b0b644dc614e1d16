"""`assess --execution-nodes`: two lab hosts run Ansible for the others, as AWX execution
nodes do, through ansible-runner's streaming protocol (transmit here, `ansible-runner
worker` on the node over SSH, process here). Own lab (ASSESSOR_NODES_LAB, default `inode`):
two `execnode` hosts (Debian's ansible-core and ansible-runner in their root) and two
targets. The sharded run must judge every control as a run from here does, and a node
that dies mid-run must leave its hosts in error with the reason, never absent.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from labrun import Run, assess, running_lab, ssh_ops

from assessor.lab import fleet

LAB = os.environ.get("ASSESSOR_NODES_LAB", "inode")
TARGETS = "weak-03:hardened-04"
NODES = "execnode-01,execnode-02"


@pytest.fixture(scope="module")
def nodes_lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[fleet.LabState]:
    inventory = tmp_path_factory.mktemp("nodes") / "inventory.yml"
    with running_lab(LAB, 4, "execnode,execnode,weak,hardened", inventory) as state:
        yield state


def statuses(run: Run) -> dict[tuple[str, str], str]:
    hosts = run.results["hosts"]
    assert isinstance(hosts, list)
    return {(h["name"], f["control_id"]): f["status"] for h in hosts for f in h["findings"]}


def test_sharded_assess_judges_like_a_local_one(nodes_lab: fleet.LabState, tmp_path: Path) -> None:
    inventory = Path(nodes_lab.inventory)
    local = assess(inventory, tmp_path / "local", "--limit", TARGETS)
    sharded = assess(inventory, tmp_path / "sharded", "--limit", TARGETS,
                     "--execution-nodes", NODES)
    assert sharded.code == local.code, sharded.stderr
    assert statuses(sharded) == statuses(local)
    assert len({host for host, _ in statuses(sharded)}) == 2
    # each node ran its own share: its events came back into this one run directory
    for node in NODES.split(","):
        assert (sharded.run_dir / "ansible" / f"node-{node}" / "artifacts").is_dir(), node
    # the workers removed their private directories, credentials included
    for node in NODES.split(","):
        left = ssh_ops(nodes_lab, node, "ls -d /tmp/assessor-node-* 2>/dev/null | wc -l")
        assert left.stdout.strip() == "0", node


def test_a_node_dying_mid_run_leaves_its_hosts_in_error(
    nodes_lab: fleet.LabState, tmp_path: Path
) -> None:
    """execnode-02's worker is killed as soon as it starts (a bounded watcher on the node);
    its host (weak-03: targets go round-robin in name order) gets an error naming the node."""
    watcher = ("sudo sh -c 'for i in $(seq 300); do pkill -KILL -f \"[a]nsible-runner worker\" "
               "&& exit 0; sleep 0.1; done' >/dev/null 2>&1 &")
    assert ssh_ops(nodes_lab, "execnode-02", watcher).returncode == 0
    run = assess(Path(nodes_lab.inventory), tmp_path / "r", "--limit", TARGETS,
                 "--execution-nodes", NODES)
    assert run.code == 3, run.stdout + run.stderr
    lost = run.host("weak-03")
    assert str(lost["error"]).startswith("unreachable: execution node execnode-02: worker"), lost
    kept = run.host("hardened-04")
    assert not kept.get("error") and kept["findings"], kept
