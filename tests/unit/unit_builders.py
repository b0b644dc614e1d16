"""Test data builders: host snapshots shaped like the collect module's output, findings, runs.

Tests read like the host they describe:
`Snap().sshd(permitrootlogin="no").sysctl({"net.ipv4.ip_forward": "0"}).build()`.
"""

from __future__ import annotations

import copy
import importlib.util
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import ansible.module_utils

from assessor import module_utils
from assessor.results import Finding, HostResult, RunResult, Severity, Status

PROJECT = Path(__file__).resolve().parents[2]
SNAPSHOT_MODULE = PROJECT / "roles" / "collect" / "library" / "assessor_snapshot.py"
LOGIN_DEFS = "/etc/login.defs"

INSTALLED = "install ok installed"
CONFIG_FILES = "deinstall ok config-files"
NOT_INSTALLED = "purge ok not-installed"
SYSCTL_DIRS = (
    "/etc/sysctl.d", "/run/sysctl.d", "/usr/local/lib/sysctl.d", "/usr/lib/sysctl.d",
    "/lib/sysctl.d",
)


def expose_module_utils() -> None:
    """Let `ansible.module_utils.assessor_*` resolve here as on a host (the runner points
    ANSIBLE_MODULE_UTILS at the same directory), so role modules load in-process."""
    if str(module_utils.HERE) not in ansible.module_utils.__path__:
        ansible.module_utils.__path__.append(str(module_utils.HERE))


expose_module_utils()


def load_role_module(role: str, name: str) -> ModuleType:
    """roles/<role>/library/<name>.py loaded in this process, as Ansible runs it on a host."""
    path = Path(__file__).parents[2] / "roles" / role / "library" / f"{name}.py"
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def load_snapshot_module() -> ModuleType:
    """The Ansible module by file path: its parsing helpers are plain stdlib functions.

    Its probes live by family in module_utils (assessor_probe_*); their names are shown on
    the module too, so a test reads every probe from one place, as the module runs them.
    """
    spec = importlib.util.spec_from_file_location("assessor_snapshot", SNAPSHOT_MODULE)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    for name, family in sorted(sys.modules.items()):
        if name.startswith("ansible.module_utils.assessor_probe_"):
            for attr, value in vars(family).items():
                if not attr.startswith("_") and not hasattr(module, attr):
                    setattr(module, attr, value)
    return module


class Snap:
    """A snapshot under construction; every method returns self so calls chain."""

    def __init__(self, os_id: str = "debian", version: str = "12") -> None:
        self.data: dict[str, Any] = {
            "facts": {
                "hostname": "h1",
                "os": f"Debian GNU/Linux {version}",
                "os_id": os_id,
                "os_version_id": version,
                "kernel": "6.1.0-test",
                "arch": "x86_64",
            },
            "errors": {},
        }

    def sshd_output(self, stdout: str, rc: int = 0, stderr: str = "") -> Snap:
        self.data["sshd"] = {"rc": rc, "stdout": stdout, "stderr": stderr}
        return self

    def sshd(self, **options: str | int) -> Snap:
        """`sshd -T` prints lower-case keywords, one `keyword value` per line."""
        lines = [f"{k.lower()} {v}" for k, v in options.items()]
        return self.sshd_output("\n".join(lines) + "\n")

    def sysctl(self, values: dict[str, str | None]) -> Snap:
        self.data.setdefault("sysctl", {}).update(values)
        return self

    def stat(
        self, path: str, mode: str = "0644", owner: str = "root", group: str = "root",
        uid: int = 0, gid: int = 0,
    ) -> Snap:
        self.data.setdefault("stat", {})[path] = {
            "exists": True, "type": "file", "mode": mode, "uid": uid, "gid": gid,
            "owner": owner, "group": group,
        }
        return self

    def missing_file(self, path: str) -> Snap:
        self.data.setdefault("stat", {})[path] = {"exists": False}
        self.data.setdefault("files", {})[path] = {"exists": False}
        return self

    def file(self, path: str, content: str) -> Snap:
        self.data.setdefault("files", {})[path] = {
            "exists": True, "content": content, "truncated": False,
        }
        return self

    def login_defs(self, content: str) -> Snap:
        return self.file(LOGIN_DEFS, content)

    def package(self, name: str, status: str = INSTALLED, version: str = "1.0-1") -> Snap:
        self.data.setdefault("packages", {})[name] = {
            "status": status, "version": version, "arch": "amd64", "source": name,
        }
        return self

    def no_packages(self) -> Snap:
        self.data.setdefault("packages", {})
        return self

    def user(self, name: str, uid: int = 1000, password: str = "hashed") -> Snap:
        users = self.data.setdefault("accounts", {"users": []})["users"]
        users.append({
            "name": name, "uid": str(uid), "gid": str(uid), "home": f"/home/{name}",
            "shell": "/bin/bash", "password": password, "line": len(users) + 1,
        })
        return self

    def error(self, probe: str, why: str) -> Snap:
        self.data["errors"][probe] = why
        return self

    def sysctl_file(self, path: str, content: str) -> Snap:
        """A sysctl.d (or /etc/sysctl.conf) file as the `sysctl_files` probe returns it."""
        probe = self.data.setdefault("sysctl_files", {"dirs": list(SYSCTL_DIRS), "files": {}})
        probe["files"][path] = content
        return self

    def build(self) -> dict[str, Any]:
        return copy.deepcopy(self.data)


def finding(
    control_id: str = "ssh.permit-root-login",
    status: Status = Status.PASS,
    severity: Severity = Severity.HIGH,
    **extra: object,
) -> Finding:
    fields: dict[str, Any] = {
        "title": f"title of {control_id}",
        "section": "5.1 SSH Server",
        "reason": f"reason for {control_id}",
        "expected": "no",
        "observed": "no" if status is Status.PASS else "yes",
        "evidence": f"sshd -T: {control_id}",
        "rationale": "because",
        "remediation": "Apply role harden_ssh with tag x.",
        "refs": {"cis_debian12": "5.1.20", "nist_800_53": ["AC-6(2)", "IA-2"]},
    }
    fields.update(extra)
    return Finding(control_id=control_id, severity=severity, status=status, **fields)


def run_of(*hosts: HostResult) -> RunResult:
    return RunResult(
        run_id="20260101T000000Z",
        started="2026-01-01T00:00:00+00:00",
        finished="2026-01-01T00:01:00+00:00",
        tool_version="0.1.0",
        catalogue_version="2026.11.0",
        profile="server-l1",
        inventory="inventories/example/hosts.yml",
        hosts=list(hosts),
    )
