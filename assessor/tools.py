"""Where the Ansible command-line tools and the project's playbooks live.

ansible-runner starts `ansible-playbook` from PATH, so the venv's bin/ is put first on it.
"""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

from assessor import module_utils
from assessor.errors import ConfigError

PROJECT_ROOT = Path(os.environ.get("ASSESSOR_HOME", Path(__file__).resolve().parent.parent))


def venv_bin() -> Path:
    return Path(sys.executable).parent


def tool_env() -> dict[str, str]:
    """The environment for Ansible tools: our venv first on PATH, nothing else changed."""
    env = dict(os.environ)
    env["PATH"] = f"{venv_bin()}{os.pathsep}{env.get('PATH', '')}"
    return env


def ansible_tool(name: str) -> str:
    found = shutil.which(name, path=tool_env()["PATH"])
    if not found:
        raise ConfigError(f"{name} not found: install the project with `make venv`")
    return found


def playbook(name: str) -> Path:
    path = PROJECT_ROOT / "playbooks" / name
    if not path.is_file():
        raise ConfigError(f"{path}: playbook missing (set ASSESSOR_HOME to the project root)")
    return path


def roles_path() -> Path:
    return PROJECT_ROOT / "roles"


def module_utils_path() -> Path:
    """The module_utils the roles' modules share with the controller (ANSIBLE_MODULE_UTILS)."""
    return module_utils.HERE
