"""Inventory: ansible-inventory's listing to hosts, and its complaints to one line.

The stderr samples are what ansible-core 2.19's `ansible-inventory --list` printed for
these broken files (with ANSIBLE_INVENTORY_UNPARSED_FAILED set, as load_inventory does).
"""

from __future__ import annotations

from pathlib import Path

from assessor.inventory import InventoryHost, describe_inventory_error, hosts_from_listing

YAML_SYNTAX = """\
[WARNING]: Failed to parse inventory with 'auto' plugin: YAML parsing failed: While parsing \
a flow node did not find expected node content.

Failed to parse inventory with 'auto' plugin.

<<< caused by >>>

YAML parsing failed: While parsing a flow node did not find expected node content.
Origin: /x/inv.yml:3:5

(source not shown: file truncated)

[WARNING]: Failed to parse inventory with 'yaml' plugin: YAML parsing failed: While parsing \
a flow node did not find expected node content.

Failed to parse inventory with 'yaml' plugin.

<<< caused by >>>

YAML parsing failed: While parsing a flow node did not find expected node content.
Origin: <inventory plugin 'yaml' with source '/x/inv.yml'>

[WARNING]: Failed to parse inventory with 'ini' plugin: Failed to parse inventory: Invalid \
host pattern 'all:' supplied, ending in ':' is not allowed, this character is reserved to \
provide a port.

Failed to parse inventory with 'ini' plugin.

<<< caused by >>>

Failed to parse inventory: Invalid host pattern 'all:' supplied, ending in ':' is not \
allowed, this character is reserved to provide a port.
Origin: /x/inv.yml

[ERROR]: Completely failed to parse inventory source /x/inv.yml
"""

YAML_STRUCTURE = """\
[WARNING]: Failed to parse inventory with 'auto' plugin: no root 'plugin' key found, \
'/x/inv.yml' is not a valid YAML inventory plugin config file

Failed to parse inventory with 'auto' plugin.

<<< caused by >>>

no root 'plugin' key found, '/x/inv.yml' is not a valid YAML inventory plugin config file
Origin: <inventory plugin 'auto' with source '/x/inv.yml'>

[WARNING]: Failed to parse inventory with 'yaml' plugin: Invalid "hosts" entry for "all" \
group, requires a dictionary, found "<class 'list'>" instead.

Failed to parse inventory with 'yaml' plugin.

<<< caused by >>>

Invalid "hosts" entry for "all" group, requires a dictionary, found "<class 'list'>" instead.
Origin: <inventory plugin 'yaml' with source '/x/inv.yml'>

[WARNING]: Failed to parse inventory with 'ini' plugin: Failed to parse inventory: Invalid \
host pattern 'all:' supplied, ending in ':' is not allowed, this character is reserved to \
provide a port.

Failed to parse inventory with 'ini' plugin.

<<< caused by >>>

Failed to parse inventory: Invalid host pattern 'all:' supplied, ending in ':' is not \
allowed, this character is reserved to provide a port.
Origin: /x/inv.yml

[ERROR]: Completely failed to parse inventory source /x/inv.yml
"""

INI_BROKEN = """\
[WARNING]: Failed to parse inventory with 'ini' plugin: Failed to parse inventory: not \
enough values to unpack (expected 3, got 2)

Failed to parse inventory with 'ini' plugin.

<<< caused by >>>

Failed to parse inventory: not enough values to unpack (expected 3, got 2)
Origin: /x/hosts.ini

[ERROR]: Completely failed to parse inventory source /x/hosts.ini
"""


def test_yaml_syntax_error_is_one_line_with_file_and_line() -> None:
    message = describe_inventory_error(Path("/x/inv.yml"), YAML_SYNTAX)
    assert "\n" not in message
    assert message.startswith("/x/inv.yml:3: malformed inventory: ")
    assert "did not find expected node content" in message


def test_yaml_structure_error_names_the_yaml_problem_not_the_plugin_probe() -> None:
    message = describe_inventory_error(Path("/x/inv.yml"), YAML_STRUCTURE)
    assert "\n" not in message
    assert message.startswith("/x/inv.yml: malformed inventory: ")
    assert 'Invalid "hosts" entry for "all" group' in message


def test_ini_error() -> None:
    message = describe_inventory_error(Path("/x/hosts.ini"), INI_BROKEN)
    assert message == (
        "/x/hosts.ini: malformed inventory: "
        "Failed to parse inventory: not enough values to unpack (expected 3, got 2)"
    )


def test_unknown_complaint_keeps_the_last_error_line() -> None:
    stderr = "[WARNING]: something\n[ERROR]: first\n[ERROR]: Vault password is wrong\n"
    message = describe_inventory_error(Path("/x/inv.yml"), stderr)
    assert message == "/x/inv.yml: malformed inventory: Vault password is wrong"


def test_unstructured_stderr_is_bounded() -> None:
    message = describe_inventory_error(Path("/x/inv.yml"), "z" * 5000)
    assert message == "/x/inv.yml: malformed inventory: " + "z" * 300


LISTING = {
    "_meta": {
        "hostvars": {
            "d1": {"ansible_host": "10.0.0.9", "ansible_user": "admin"},
            "w1": {"ansible_host": "10.0.0.1"},
        },
        "profile": "inventory_legacy",
    },
    "all": {"children": ["ungrouped", "prod", "staging"]},
    "db": {"hosts": ["d1"]},
    "prod": {"children": ["web", "db"]},
    "staging": {"hosts": ["w2"]},
    "ungrouped": {"hosts": ["lone"]},
    "web": {"hosts": ["w1", "w2"]},
}


def test_hosts_from_listing_with_nested_groups() -> None:
    assert hosts_from_listing(LISTING) == [
        InventoryHost(name="d1", address="10.0.0.9", groups=("prod", "db")),
        InventoryHost(name="lone", address="lone", groups=()),
        InventoryHost(name="w1", address="10.0.0.1", groups=("prod", "web")),
        InventoryHost(name="w2", address="w2", groups=("prod", "web", "staging")),
    ]


def test_hosts_from_listing_survives_cycles_and_missing_groups() -> None:
    listing = {
        "all": {"children": ["a", "ghost"]},
        "a": {"children": ["b"], "hosts": ["h1"]},
        "b": {"children": ["a"], "hosts": ["h2"]},
    }
    hosts = {h.name: h for h in hosts_from_listing(listing)}
    assert set(hosts) == {"h1", "h2"}
    assert hosts["h2"].groups == ("a", "b")


def test_empty_listing_has_no_hosts() -> None:
    assert hosts_from_listing({"_meta": {"hostvars": {}}, "all": {"children": ["ungrouped"]}}) == []
