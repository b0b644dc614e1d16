"""`assess|harden|rollback --execution-nodes`: two lab hosts run Ansible for the others, as
AWX execution nodes do, through ansible-runner's streaming protocol (transmit here,
`ansible-runner worker` on the node over SSH, process here). Own lab (ASSESSOR_NODES_LAB,
default `inode`): two `execnode` hosts (Debian's ansible-core and ansible-runner in their
root) and two targets. The sharded run must judge every control as a run from here does,
a sharded harden must merge into one run directory (changes, manifests, before/after) and
roll back the same way, and a node that dies mid-run must leave its hosts in error with
the reason, never absent. The harden tests come last: they change weak-03.
"""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from labrun import Run, assess, run_cli, running_lab, ssh_ops

from assessor.lab import fleet

LAB = os.environ.get("ASSESSOR_NODES_LAB", "inode")
TARGETS = "weak-03:hardened-04"
NODES = "execnode-01,execnode-02"
# two controls weak hosts fail, each with its own role and a service reload on the host
CONTROLS = ("ssh.permit-root-login", "login.pass-max-days")


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


def harden(inventory: Path, out: Path,
           *extra: str) -> tuple[subprocess.CompletedProcess[str], dict[str, Any], Path]:
    proc = run_cli("harden", "-i", str(inventory), "--profile", "server-l1", "--controls",
                   ",".join(CONTROLS), "--limit", TARGETS, "--out", str(out),
                   "--execution-nodes", NODES, *extra, timeout=600)
    runs = sorted(p for p in out.iterdir() if (p / "harden.json").is_file())
    assert runs, proc.stdout + proc.stderr
    return proc, json.loads((runs[-1] / "harden.json").read_text()), runs[-1]


def host_entry(record: dict[str, Any], name: str) -> dict[str, Any]:
    return next(h for h in record["hosts"] if h["name"] == name)


def only_run(out: Path) -> Path:
    runs = [p for p in out.iterdir() if p.is_dir()]
    assert len(runs) == 1, runs
    return runs[0]


def changed(entry: dict[str, Any]) -> set[str]:
    """The controls a host's changes are attributed to, beside the roles' own setup (the
    backup directory made on a host's first run)."""
    return {c["control"] for c in entry["changes"] if c["status"] == "changed"} - {"(setup)"}


def verdicts(out: Path, host: str) -> dict[str, str]:
    results = json.loads((only_run(out) / "results.json").read_text())
    found = next(h for h in results["hosts"] if h["name"] == host)
    return {f["control_id"]: f["status"] for f in found["findings"] if f["control_id"] in CONTROLS}


def root_login(lab: fleet.LabState) -> str:
    said = ssh_ops(lab, "weak-03", "sudo sshd -T | grep -i '^permitrootlogin '")
    return said.stdout.strip()


def test_sharded_harden_merges_into_one_run_and_rolls_back_over_the_nodes(
    nodes_lab: fleet.LabState, tmp_path: Path
) -> None:
    inventory = Path(nodes_lab.inventory)
    weak_login = root_login(nodes_lab)
    assert weak_login != "permitrootlogin no", weak_login
    proc, record, run_dir = harden(inventory, tmp_path)
    # 1: the rest of the profile still fails on weak-03 (and the machine's own kernel
    # values on both hosts), as a harden from here says
    assert proc.returncode == 1, proc.stdout + proc.stderr
    weak = host_entry(record, "weak-03")
    assert weak["state"] == "changed", weak
    assert changed(weak) == set(CONTROLS)
    assert not changed(host_entry(record, "hardened-04"))
    # one run directory: before and after assessed over the nodes, the host's manifest kept
    assert set(verdicts(run_dir / "assess-before", "weak-03").values()) == {"fail"}
    assert verdicts(run_dir / "assess-after", "weak-03") == dict.fromkeys(CONTROLS, "pass")
    assert json.loads((run_dir / "manifests" / "weak-03.json").read_text())
    for ansible in (run_dir, only_run(run_dir / "assess-before"),
                    only_run(run_dir / "assess-after")):
        assert (ansible / "ansible" / "node-execnode-02" / "artifacts").is_dir(), ansible
    assert root_login(nodes_lab) == "permitrootlogin no"

    undone = run_cli("rollback", str(run_dir), "--execution-nodes", NODES, timeout=600)
    assert undone.returncode == 0, undone.stdout + undone.stderr
    assert root_login(nodes_lab) == weak_login
    assert (run_dir / "rollback-ansible" / "node-execnode-02" / "artifacts").is_dir()


def test_a_node_dying_mid_harden_leaves_its_hosts_unreachable_with_the_reason(
    nodes_lab: fleet.LabState, tmp_path: Path
) -> None:
    """execnode-02's worker is killed once its harden play runs (after the before-assess);
    weak-03 is then unreachable naming the node, hardened-04 is hardened as usual."""
    watcher = ("sudo sh -c 'for i in $(seq 1800); do "
               "pgrep -f \"[a]nsible-playbook.*harden.yml\" >/dev/null && "
               "pkill -KILL -f \"[a]nsible-runner worker\" && exit 0; sleep 0.1; done' "
               ">/dev/null 2>&1 &")
    assert ssh_ops(nodes_lab, "execnode-02", watcher).returncode == 0
    proc, record, _ = harden(Path(nodes_lab.inventory), tmp_path)
    assert proc.returncode == 3, proc.stdout + proc.stderr
    lost = host_entry(record, "weak-03")
    assert lost["state"] == "unreachable", lost
    assert lost["message"].startswith("execution node execnode-02: worker"), lost
    assert "weak-03" in proc.stdout
    assert host_entry(record, "hardened-04")["state"] in ("changed", "unchanged")
