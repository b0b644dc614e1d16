"""The only caller of ansible_runner: run a playbook, get one outcome per host.

Like ansible_runner.run() itself, the outside sees one function and one result object;
how events are read stays in here.
"""

from __future__ import annotations

import subprocess
import tempfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import ansible_runner

from assessor.tools import roles_path, tool_env

JOB_TIMEOUT = 3600

# What makes one module run one SSH round trip: pipelining, a persistent master
# connection, no fact gathering, no interpreter discovery. Host key checking stays on.
ANSIBLE_SETTINGS = {
    "ANSIBLE_PIPELINING": "True",
    "ANSIBLE_SSH_ARGS": "-o ControlMaster=auto -o ControlPersist=60s",
    "ANSIBLE_HOST_KEY_CHECKING": "True",
    "ANSIBLE_GATHERING": "explicit",
    "ANSIBLE_PYTHON_INTERPRETER": "/usr/bin/python3",
    "ANSIBLE_RETRY_FILES_ENABLED": "False",
    "ANSIBLE_NOCOLOR": "1",
    "ANSIBLE_TIMEOUT": "15",
    "ANSIBLE_DEPRECATION_WARNINGS": "False",
}


@dataclass(frozen=True)
class HostOutcome:
    """What happened on one host: its module result, or why there is none."""

    ok: bool
    result: Mapping[str, Any] = field(default_factory=dict)
    message: str = ""
    unreachable: bool = False


@dataclass(frozen=True)
class PlaybookRun:
    status: str
    rc: int
    hosts: dict[str, HostOutcome]
    artifact_dir: str


HostCallback = Callable[[str, HostOutcome], None]
EventCallback = Callable[[Mapping[str, Any]], None]


def run_playbook(
    playbook: Path,
    inventory: Path,
    work_dir: Path,
    *,
    extravars: Mapping[str, Any] | None = None,
    limit: str | None = None,
    forks: int = 10,
    on_host: HostCallback | None = None,
    tags: str | None = None,
    on_event: EventCallback | None = None,
) -> PlaybookRun:
    """Run `playbook`; `on_host` is called as each host finishes, for live progress.

    `tags` limits the run to tasks with those tags (and `always`); `on_event` sees every
    runner event, for callers that read more than the last result per host.
    """
    outcomes: dict[str, HostOutcome] = {}

    def handle(event: dict[str, Any]) -> bool:
        if on_event:
            on_event(event)
        outcome = outcome_from_event(event)
        if outcome is not None:
            host = str(event["event_data"].get("host", ""))
            outcomes[host] = outcome
            if on_host:
                on_host(host, outcome)
        return True

    work_dir.mkdir(parents=True, exist_ok=True)
    env = tool_env()
    # SSH master connections belong to this run only: a connection left by an earlier run
    # would let a host be reached without the key the inventory names. The directory is
    # short because socket paths are limited to 108 bytes.
    with tempfile.TemporaryDirectory(prefix="asr-cp-") as control_dir:
        envvars = {
            **ANSIBLE_SETTINGS,
            "ANSIBLE_ROLES_PATH": str(roles_path()),
            "ANSIBLE_SSH_CONTROL_PATH_DIR": control_dir,
            "PATH": env["PATH"],
        }
        runner = ansible_runner.run(
            private_data_dir=str(work_dir),
            playbook=str(playbook.resolve()),
            inventory=str(inventory.resolve()),
            extravars=dict(extravars or {}),
            limit=limit,
            tags=tags,
            forks=forks,
            envvars=envvars,
            event_handler=handle,
            quiet=True,
            timeout=JOB_TIMEOUT,
        )
        stop_masters(control_dir)
    return PlaybookRun(
        status=str(runner.status),
        rc=int(runner.rc if runner.rc is not None else -1),
        hosts=outcomes,
        artifact_dir=str(runner.config.artifact_dir),
    )


def stop_masters(control_dir: str) -> None:
    """Close the run's persistent SSH connections instead of leaving them for 60 s."""
    for socket_path in Path(control_dir).iterdir():
        subprocess.run(
            ["ssh", "-o", f"ControlPath={socket_path}", "-O", "exit", "placeholder"],
            capture_output=True, timeout=10, check=False,
        )


def outcome_from_event(event: Mapping[str, Any]) -> HostOutcome | None:
    """Map a runner event to a host outcome; None for events that end nothing."""
    kind = event.get("event")
    data = event.get("event_data", {})
    res = data.get("res", {}) or {}
    if kind == "runner_on_ok":
        return HostOutcome(ok=True, result=res)
    if kind == "runner_on_unreachable":
        return HostOutcome(ok=False, message=failure_message(res), unreachable=True)
    if kind == "runner_on_failed" and not data.get("ignore_errors"):
        return HostOutcome(ok=False, result=res, message=failure_message(res))
    return None


def failure_message(res: Mapping[str, Any]) -> str:
    """The most useful line Ansible gave: msg, then what the module printed to stderr."""
    parts = [str(res.get("msg", "")).strip()]
    for key in ("module_stderr", "stderr"):
        text = str(res.get(key, "")).strip()
        if text:
            parts.append(text.splitlines()[-1])
            break
    return ": ".join(p for p in parts if p) or "failed without a message"
