"""Sharding a run over execution nodes: who runs which host, and what the worker gets."""

from __future__ import annotations

from pathlib import Path

import pytest

from assessor.errors import ConfigError
from assessor.nodes import plan_shards, ssh_command, worker_command

KEY = "/run/lab/id_ed25519"
ARGS = "-o UserKnownHostsFile=/run/lab/known_hosts -o StrictHostKeyChecking=yes"


def hostvars(*names: str) -> dict[str, dict[str, object]]:
    return {n: {"ansible_host": f"10.0.0.{i}", "ansible_user": "ops",
                "ansible_ssh_private_key_file": KEY, "ansible_ssh_common_args": ARGS}
            for i, n in enumerate(names, start=1)}


def test_hosts_go_round_robin_in_name_order_and_idle_nodes_get_nothing() -> None:
    every = hostvars("n1", "n2", "n3", "c", "a", "b")
    shards = plan_shards(["c", "a", "b"], ["n1", "n2"], every, "/tmp/w")
    assert [(s.node, s.hosts) for s in shards] == [("n1", ("a", "c")), ("n2", ("b",))]
    one = plan_shards(["a"], ["n1", "n2", "n3"], every, "/tmp/w")
    assert [s.node for s in one] == ["n1"]


def test_a_node_must_be_an_inventory_host_named_once() -> None:
    with pytest.raises(ConfigError, match="'nx' is not a host of the inventory"):
        plan_shards(["a"], ["nx"], hostvars("a"), "/tmp/w")
    with pytest.raises(ConfigError, match="named twice"):
        plan_shards(["a"], ["a", "a"], hostvars("a"), "/tmp/w")


def test_credentials_are_renamed_into_the_workers_directory_once_each() -> None:
    shard = plan_shards(["a", "b"], ["n"], hostvars("n", "a", "b"), "/tmp/w1")[0]
    hosts = shard.inventory["all"]["hosts"]
    assert hosts["a"]["ansible_ssh_private_key_file"] == "/tmp/w1/creds/0-id_ed25519"
    assert "UserKnownHostsFile=/tmp/w1/creds/1-known_hosts" in hosts["b"]["ansible_ssh_common_args"]
    assert "StrictHostKeyChecking=yes" in hosts["b"]["ansible_ssh_common_args"]
    assert shard.files == {"0-id_ed25519": Path(KEY), "1-known_hosts": Path("/run/lab/known_hosts")}


def test_the_node_is_reached_as_ansible_would_reach_it_without_a_shell() -> None:
    values = hostvars("n")["n"] | {"ansible_port": 2222}
    command = ssh_command(values)
    assert command[0] == "ssh" and "BatchMode=yes" in command
    assert command[-1] == "ops@10.0.0.1"
    assert command[command.index("-p"):command.index("-p") + 2] == ["-p", "2222"]
    assert command[command.index("-i"):command.index("-i") + 2] == ["-i", KEY]
    assert "UserKnownHostsFile=/run/lab/known_hosts" in command
    with pytest.raises(ConfigError, match="no ansible_host"):
        ssh_command({})


def test_the_remote_command_holds_only_our_words_and_the_quoted_directory() -> None:
    shard = plan_shards(["a"], ["n"], hostvars("n", "a"), "/tmp/w x")[0]
    assert worker_command(shard) == "ansible-runner worker --private-data-dir '/tmp/w x' --delete"
