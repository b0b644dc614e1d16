#!/usr/bin/python3
"""Ansible module: what the watch compares between cycles, in one run per host.

Inventories (SUID/SGID files, listening sockets, users, authorized keys, cron entries, unit
files, kernel modules, packages), the content baseline of watched paths (a cache on the
host keyed by dev, inode, size, mtime and ctime, so only changed files are read; dpkg's
md5sums vouch for what a package upgrade changed) and the coverage probe. Standard library
only, Python 3.9-compatible; it reads and writes nothing but its own cache.
"""

from __future__ import annotations

DOCUMENTATION = r"""
module: assessor_watch_state
short_description: Inventories, content baseline and coverage for the assessor's watch
description:
- Read the host's SUID/SGID files, listening sockets, users, authorized keys, cron entries,
  systemd unit files, kernel modules and packages; compare watched paths with the content
  baseline kept on the host; probe the coverage of monitoring and anti-malware parts.
options:
  suid_roots:
    description: Roots searched for SUID and SGID files, each on its own filesystem only.
    type: list
    elements: str
    default: [/]
  paths:
    description: Paths whose file content is baselined by SHA-256.
    type: list
    elements: str
    default: [/etc, /usr/bin, /usr/sbin, /usr/lib]
  exclude:
    description: Glob patterns of paths left out of the content baseline.
    type: list
    elements: str
    default: []
  max_size:
    description: Files larger than this many bytes are baselined by size, not content.
    type: int
    default: 67108864
  cache:
    description: The baseline and stat-key cache kept on the host (mode 0600).
    type: str
    default: /var/lib/assessor/watch-state.json
  coverage:
    description: Coverage probe requests (package:NAME, unit:NAME, process:NAME,
      newest:GLOB, forwarding).
    type: list
    elements: str
    default: []
"""

RETURN = r"""
state:
  description: Per inventory (suid, ports, users, keys, cron, units, modules, packages) a
    mapping subject -> detail; integrity (baseline new or kept, changed, added, removed,
    deleted and dpkg-vouched files, stats); coverage (the probe's answers); facts (os_id and
    os_version_id from os-release, which the controls' platforms are judged by); errors by part.
  returned: always
  type: dict
"""

from collections.abc import Callable
from typing import Any

from ansible.module_utils.assessor_integrity import integrity
from ansible.module_utils.assessor_module_run import exit_timed
from ansible.module_utils.assessor_osrelease import read_os_release
from ansible.module_utils.assessor_probe_coverage import probe_coverage
from ansible.module_utils.assessor_watch_inventory import inventories
from ansible.module_utils.basic import AnsibleModule


def state(params: dict[str, Any]) -> dict[str, Any]:
    release = read_os_release()
    result: dict[str, Any] = {"errors": {}, "facts": {
        "os_id": release.get("ID", ""), "os_version_id": release.get("VERSION_ID", "")}}
    parts: tuple[tuple[str, Callable[[], Any]], ...] = (
        ("inventories", lambda: inventories(params["suid_roots"])),
        ("integrity", lambda: integrity(params["paths"], params["exclude"], params["cache"],
                                        params["max_size"])),
        ("coverage", lambda: probe_coverage(params["coverage"])),
    )
    for name, read in parts:
        try:
            value = read()
        except Exception as exc:  # one broken part must not cost the others
            result["errors"][name] = "%s: %s" % (type(exc).__name__, exc)
            continue
        if name == "inventories":
            result.update(value)
        else:
            result[name] = value
    return result


def main() -> None:
    module = AnsibleModule(
        argument_spec={
            "suid_roots": {"type": "list", "elements": "str", "default": ["/"]},
            "paths": {"type": "list", "elements": "str",
                      "default": ["/etc", "/usr/bin", "/usr/sbin", "/usr/lib"]},
            "exclude": {"type": "list", "elements": "str", "default": []},
            "max_size": {"type": "int", "default": 67108864},
            "cache": {"type": "str", "default": "/var/lib/assessor/watch-state.json"},
            "coverage": {"type": "list", "elements": "str", "default": []},
        },
        supports_check_mode=True,
    )
    exit_timed(module, "state", state)


if __name__ == "__main__":
    main()
