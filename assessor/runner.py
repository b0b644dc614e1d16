"""The only caller of ansible_runner: run a playbook, get typed outcomes per host and task.

Like ansible_runner.run() itself, the outside sees one function and one result object;
Ansible's event vocabulary (`runner_on_*`, `event_data`) stays in here and leaves as
`HostOutcome` (what a host ended with) and `TaskResult` (each task's result, in our words).
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import subprocess
import tempfile
import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import ansible_runner
import yaml

from assessor.errors import ConfigError
from assessor.nodes import Shard, worker_command
from assessor.outcomes import HostOutcome, PlaybookRun, RecordedHost, TaskResult
from assessor.tools import module_utils_path, roles_path, tool_env

__all__ = ["HostOutcome", "PlaybookRun", "TaskResult", "recorded_outcomes", "run_playbook"]

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


# Ansible's result events, named in our words: a task started, ended ok, failed, was
# skipped, or the host could not be reached.
TASK_EVENTS = {
    "runner_on_start": ("started", False),
    "runner_on_ok": ("ok", False),
    "runner_on_failed": ("failed", False),
    "runner_on_skipped": ("skipped", False),
    "runner_on_unreachable": ("unreachable", False),
    "runner_item_on_ok": ("ok", True),
    "runner_item_on_failed": ("failed", True),
    "runner_item_on_skipped": ("skipped", True),
}


HostCallback = Callable[[str, HostOutcome], None]
TaskCallback = Callable[[TaskResult], None]


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
    on_task: TaskCallback | None = None,
    shards: Sequence[Shard] = (),
) -> PlaybookRun:
    """Run `playbook`; `on_host` is called as each host finishes, for live progress.

    `tags` limits the run to tasks with those tags (and `always`); `on_task` sees every
    task result as it comes, for callers that read more than the last result per host
    (the run's `tasks` holds them all afterwards). With `shards`, each node runs its hosts
    (`run_on_nodes`) and the outcomes merge as if they had run here.
    """
    outcomes: dict[str, HostOutcome] = {}
    tasks: list[TaskResult] = []
    ended: list[str] = []
    stats: list[bool] = []
    lock = threading.Lock()  # nodes' events arrive on several threads

    def handle(event: dict[str, Any]) -> bool:
        with lock:
            if event.get("event") == "playbook_on_stats":
                stats.append(True)
                ended.extend((event.get("event_data") or {}).get("processed") or {})
            task = task_from_event(event)
            if task is not None:
                tasks.append(task)
                if on_task:
                    on_task(task)
            outcome = outcome_from_event(event)
            if outcome is not None:
                host = str(event["event_data"].get("host", ""))
                outcomes[host] = outcome
                if on_host:
                    on_host(host, outcome)
        return True

    work_dir.mkdir(parents=True, exist_ok=True)
    if shards:
        return run_sharded(shards, playbook, work_dir, handle, outcomes, tasks,
                           extravars=extravars, forks=forks, tags=tags)
    env = tool_env()
    # SSH master connections belong to this run only: a connection left by an earlier run
    # would let a host be reached without the key the inventory names. The directory is
    # short because socket paths are limited to 108 bytes.
    ident = secrets.token_hex(8)
    events_dir = work_dir / "artifacts" / ident / "job_events"

    def kept(event: dict[str, Any]) -> bool:
        handle(event)
        write_event(events_dir, event)
        return False  # written: the runner need not write it again

    with tempfile.TemporaryDirectory(prefix="asr-cp-") as control_dir:
        envvars = {
            **ANSIBLE_SETTINGS,
            "ANSIBLE_ROLES_PATH": str(roles_path()),
            "ANSIBLE_MODULE_UTILS": str(module_utils_path()),
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
            ident=ident,
            event_handler=kept,
            quiet=True,
            timeout=JOB_TIMEOUT,
        )
        stop_masters(control_dir)
    return PlaybookRun(
        status=str(runner.status),
        rc=int(runner.rc if runner.rc is not None else -1),
        hosts=outcomes,
        artifact_dir=str(runner.config.artifact_dir),
        tasks=tasks,
        ended=tuple(ended) if stats else None,
    )


def write_event(events_dir: Path, event: Mapping[str, Any]) -> None:
    """The event as ansible-runner writes it (job_events/<counter>-<uuid>.json, mode 0600,
    through a temporary name), but encoded in one go: the runner's `json.dump` to a file
    runs Python's pure-Python encoder, which on a host's snapshot was the controller's
    largest cost per assessed host."""
    if "uuid" not in event:
        return
    events_dir.mkdir(parents=True, exist_ok=True)
    target = events_dir / f"{event.get('counter')}-{event['uuid']}.json"
    temporary = target.with_name(target.name + ".tmp")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as out:
        out.write(json.dumps(event))
    os.replace(temporary, target)


def run_sharded(
    shards: Sequence[Shard], playbook: Path, work_dir: Path,
    handle: Callable[[dict[str, Any]], bool], outcomes: Mapping[str, HostOutcome],
    tasks: list[TaskResult], *, extravars: Mapping[str, Any] | None, forks: int,
    tags: str | None,
) -> PlaybookRun:
    """The shards' events merged as if the play had run here. A host whose node failed
    before the play ended there is `unreachable` with the node's reason, whatever it had
    reported before (a harden cut short mid-run is not a host that is done); a host a
    healthy node never reported on is too."""
    finished: set[str] = set()

    def record(event: dict[str, Any]) -> bool:
        if event.get("event") == "playbook_on_stats":
            finished.update((event.get("event_data") or {}).get("processed") or {})
        return handle(event)

    failures = run_on_nodes(shards, playbook, work_dir, record, extravars=extravars,
                            forks=forks, tags=tags)
    for shard in shards:
        failure = failures.get(shard.node)
        for host in shard.hosts:
            if host in finished or (not failure and host in outcomes):
                continue
            why = (f"{failure} (before the play ended on this host)" if failure
                   else "gave no result for this host")
            handle({"event": "runner_on_unreachable", "event_data": {
                "host": host, "res": {"msg": f"execution node {shard.node}: {why}"}}})
    return PlaybookRun(
        status="failed" if failures else "successful", rc=1 if failures else 0,
        hosts=dict(outcomes), artifact_dir=str(work_dir), tasks=tasks,
    )


def run_on_nodes(
    shards: Sequence[Shard], playbook: Path, work_dir: Path,
    handle: Callable[[dict[str, Any]], bool], *, extravars: Mapping[str, Any] | None,
    forks: int, tags: str | None,
) -> dict[str, str]:
    """Every shard at once, each through ansible-runner's streaming protocol: `transmit`
    here, `ansible-runner worker` on the node over SSH, `process` here again. Returns why
    each failed node failed; its hosts are then the caller's to mark. The project (roles,
    module_utils, playbook) is copied once per run; each job links to that copy."""
    failures: dict[str, str] = {}
    with tempfile.TemporaryDirectory(prefix="assessor-project-") as shared:
        project = build_project(playbook, Path(shared) / "project")

        def one(shard: Shard) -> None:
            try:
                failure = run_shard(shard, project, playbook, work_dir / f"node-{shard.node}",
                                    handle, extravars=extravars, forks=forks, tags=tags)
            except Exception as exc:  # a node's failure is its hosts' error, never the run's
                failure = f"{type(exc).__name__}: {exc}"
            if failure:
                failures[shard.node] = failure

        threads = [threading.Thread(target=one, args=(s,), daemon=True) for s in shards]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(JOB_TIMEOUT + 60)
        for shard, thread in zip(shards, threads, strict=True):
            if thread.is_alive():
                failures[shard.node] = f"no end after {JOB_TIMEOUT} s"
    return failures


def build_project(playbook: Path, project: Path) -> Path:
    """What every node's job runs: the roles, the shared module_utils and the playbook,
    with an ansible.cfg that finds them (the worker runs ansible-playbook in project/)."""
    skipped = shutil.ignore_patterns("__pycache__", "*.pyc")
    shutil.copytree(roles_path(), project / "roles", ignore=skipped)
    shutil.copytree(module_utils_path(), project / "module_utils", ignore=skipped)
    shutil.copy2(playbook, project / playbook.name)
    (project / "ansible.cfg").write_text(
        "[defaults]\nroles_path = roles\nmodule_utils = module_utils\n")
    return project


def run_shard(
    shard: Shard, project: Path, playbook: Path, node_dir: Path,
    handle: Callable[[dict[str, Any]], bool], *, extravars: Mapping[str, Any] | None,
    forks: int, tags: str | None,
) -> str:
    """One node's job; returns "" when the worker ran it to the end, else why not.

    The job (credentials included) is put together and streamed from a private temporary
    directory, never the run directory; the run directory keeps what came back. Task paths
    come back as the node's; they are given the local roles' paths, as a run here has."""
    node_dir.mkdir(parents=True, exist_ok=True)
    here = {f"{shard.worker_dir}/project/roles/": f"{roles_path().resolve()}/",
            f"{shard.worker_dir}/project/{playbook.name}": str(playbook.resolve())}

    def localised(event: dict[str, Any]) -> bool:
        data = event.get("event_data")
        if isinstance(data, dict) and isinstance(data.get("task_path"), str):
            data["task_path"] = local_path(data["task_path"], here)
        return handle(event)

    with tempfile.TemporaryDirectory(prefix="assessor-job-") as private:
        stream = Path(private) / "job.stream"
        transmit(shard, project, playbook.name, Path(private) / "job", stream,
                 extravars=extravars, forks=forks, tags=tags)
        return stream_to_node(shard, stream, node_dir, localised)


def local_path(path: str, prefixes: Mapping[str, str]) -> str:
    for theirs, ours in prefixes.items():
        if path.startswith(theirs):
            return ours + path[len(theirs):]
    return path


def transmit(shard: Shard, project: Path, playbook: str, job_dir: Path, stream: Path, *,
             extravars: Mapping[str, Any] | None, forks: int, tags: str | None) -> None:
    # hard links to the run's one copy: the stream reads them as the files they are
    shutil.copytree(project, job_dir / "project", copy_function=os.link)
    (job_dir / "inventory").mkdir()
    (job_dir / "inventory" / "hosts.yml").write_text(yaml.safe_dump(shard.inventory))
    creds = job_dir / "creds"
    creds.mkdir(mode=0o700)
    for name, source in shard.files.items():
        target = creds / name
        target.write_bytes(source.read_bytes())
        target.chmod(0o600)
    with open(stream, "wb") as out:
        ansible_runner.run(
            streamer="transmit", _output=out, private_data_dir=str(job_dir),
            playbook=playbook, extravars=dict(extravars or {}), forks=forks, tags=tags,
            envvars={**ANSIBLE_SETTINGS,
                     "ANSIBLE_SSH_CONTROL_PATH_DIR": f"{shard.worker_dir}/cp"},
            quiet=True,
        )


def stream_to_node(shard: Shard, stream: Path, node_dir: Path,
                   handle: Callable[[dict[str, Any]], bool]) -> str:
    stderr_path = node_dir / "worker.stderr"
    with open(stream, "rb") as job, open(stderr_path, "wb") as stderr:
        worker = subprocess.Popen([*shard.ssh, worker_command(shard)], stdin=job,
                                  stdout=subprocess.PIPE, stderr=stderr)
        timer = threading.Timer(JOB_TIMEOUT, worker.kill)
        timer.start()
        try:
            result = ansible_runner.run(
                streamer="process", _input=worker.stdout, private_data_dir=str(node_dir),
                event_handler=handle, quiet=True,
            )
            status = str(result.status)
        except Exception as exc:  # a stream cut short: the node or its connection went away
            status = f"stream cut short ({type(exc).__name__})"
            worker.kill()
        finally:
            worker.wait(timeout=60)
            timer.cancel()
    if worker.returncode == 0 and status in ("successful", "failed"):
        return ""
    said = stderr_path.read_text(errors="replace").strip().splitlines()
    return f"worker exited {worker.returncode}, {status}" + (f": {said[-1]}" if said else "")


def stop_masters(control_dir: str) -> None:
    """Close the run's persistent SSH connections instead of leaving them for 60 s."""
    for socket_path in Path(control_dir).iterdir():
        subprocess.run(
            ["ssh", "-o", f"ControlPath={socket_path}", "-O", "exit", "placeholder"],
            capture_output=True, timeout=10, check=False,
        )


def task_from_event(event: Mapping[str, Any]) -> TaskResult | None:
    """A runner event as a task result; None for events that are not about a task."""
    kind = TASK_EVENTS.get(str(event.get("event", "")))
    data = event.get("event_data") or {}
    host = str(data.get("host", ""))
    if kind is None or not host:
        return None
    status, item = kind
    return TaskResult(
        host=host, task=str(data.get("task", "")), status=status,
        result=dict(data.get("res") or {}), path=str(data.get("task_path", "")), item=item,
        ignored=bool(data.get("ignore_errors")),
    )


def outcome_from_event(event: Mapping[str, Any]) -> HostOutcome | None:
    """Map a runner event to a host outcome; None for events that end nothing."""
    kind = event.get("event")
    data = event.get("event_data", {})
    res = data.get("res", {}) or {}
    address = str(data.get("remote_addr") or "")
    if kind == "runner_on_ok":
        return HostOutcome(ok=True, result=res, address=address)
    if kind == "runner_on_unreachable":
        return HostOutcome(ok=False, message=failure_message(res), unreachable=True,
                           address=address)
    if kind == "runner_on_failed" and not data.get("ignore_errors"):
        return HostOutcome(ok=False, result=res, message=failure_message(res), address=address)
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


def recorded_outcomes(path: Path) -> dict[str, RecordedHost]:
    """Each host's outcome from events recorded elsewhere, in Ansible's order.

    `path` is an ansible-runner artifact directory (its `job_events/*.json`, or a private
    data directory holding `artifacts/<ident>/job_events`), or a JSON export of an AWX
    job's events: one page of `/api/v2/jobs/N/job_events/` ({"results": [...]}), a list of
    such pages, or a list of events. The events are the same either way: AWX runs
    ansible-runner and stores its event_data.
    """
    outcomes: dict[str, RecordedHost] = {}
    for event in sorted(recorded_events(path), key=lambda e: int(e.get("counter") or 0)):
        outcome = outcome_from_event(event)
        if outcome is None:
            continue
        data = event.get("event_data") or {}
        host = str(data.get("host") or event.get("host_name") or "")
        if host:
            outcomes[host] = RecordedHost(outcome, str(data.get("remote_addr") or ""))
    return outcomes


def recorded_events(path: Path) -> list[Mapping[str, Any]]:
    if path.is_dir():
        files = sorted(path.glob("job_events/*.json")) or sorted(
            path.glob("artifacts/*/job_events/*.json"))
        if not files:
            raise ConfigError(f"{path}: no job_events/*.json (not an ansible-runner artifact "
                              "directory)")
        return [event for file in files for event in events_in(file, read_json(file))]
    if not path.is_file():
        raise ConfigError(f"{path}: no such events file or artifact directory")
    return events_in(path, read_json(path))


def read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read: {exc}") from exc
    except json.JSONDecodeError as exc:
        raise ConfigError(f"{path}:{exc.lineno}: not JSON: {exc.msg}") from exc


def events_in(path: Path, document: Any) -> list[Mapping[str, Any]]:
    """The events of one file: an event, a page with `results`, or a list of either."""
    items: Iterable[Any] = document if isinstance(document, list) else [document]
    events: list[Mapping[str, Any]] = []
    for item in items:
        if isinstance(item, Mapping) and isinstance(item.get("results"), list):
            events.extend(events_in(path, item["results"]))
        elif isinstance(item, Mapping) and "event" in item:
            events.append(item)
        else:
            raise ConfigError(f"{path}: expected Ansible job events (objects with `event`), "
                              f"found {type(item).__name__}")
    return events
