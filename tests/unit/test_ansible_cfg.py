"""The checkout's ansible.cfg gives plain `ansible-playbook` what the assessor's runner sets.

Ansible itself is the judge: `ansible-config dump` once with the file and once with the
runner's environment must report the same effective values, connection plugins included.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from assessor.runner import ANSIBLE_SETTINGS
from assessor.tools import PROJECT_ROOT, module_utils_path, roles_path

ANSIBLE_CONFIG_BIN = Path(sys.executable).with_name("ansible-config")


def effective(env: dict[str, str]) -> dict[str, Any]:
    """Every changed setting as {name or plugin/name: value}, origins dropped."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith("ANSIBLE_")}
    out = subprocess.run(
        [str(ANSIBLE_CONFIG_BIN), "dump", "--only-changed", "--format", "json", "-t", "all"],
        env={**clean, **env}, cwd="/", capture_output=True, text=True, check=True, timeout=120,
    ).stdout
    values: dict[str, Any] = {}
    for entry in json.loads(out):
        if "name" in entry:
            values[entry["name"]] = entry["value"]
            continue
        for kind, plugins in entry.items():
            for plugin in plugins if isinstance(plugins, list) else ():
                for name, settings in plugin.items():
                    for setting in settings:
                        values[f"{kind}/{name}/{setting['name']}"] = setting["value"]
    values.pop("CONFIG_FILE", None)
    return values


def test_checkout_ansible_cfg_equals_the_runner_settings(tmp_path: Path) -> None:
    empty = tmp_path / "empty.cfg"
    empty.write_text("")
    from_file = effective({"ANSIBLE_CONFIG": str(PROJECT_ROOT / "ansible.cfg")})
    from_runner = effective({
        "ANSIBLE_CONFIG": str(empty), **ANSIBLE_SETTINGS,
        "ANSIBLE_ROLES_PATH": str(roles_path()), "ANSIBLE_MODULE_UTILS": str(module_utils_path()),
    })
    assert from_file == from_runner
    assert from_file["CONNECTION_PLUGINS/ssh/pipelining"] is True
