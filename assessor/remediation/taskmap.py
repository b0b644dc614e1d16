"""The tags of every task in roles/*/tasks/*.yml, by file and line.

Runner events name a task by `task_path` (file:line) but carry no tags; this map turns an
event back into the control ids its task implements. The same map proves, in the unit
tests, that every automated control has a task tagged with its id.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from assessor.yamlfile import LINE, load_with_lines, strip_lines


@dataclass(frozen=True)
class Task:
    role: str
    path: str
    line: int
    name: str
    tags: tuple[str, ...]


def _walk(entries: Any, role: str, path: Path, inherited: tuple[str, ...]) -> list[Task]:
    found: list[Task] = []
    for entry in entries if isinstance(entries, list) else []:
        if not isinstance(entry, dict):
            continue
        raw_tags = strip_lines(entry.get("tags", []))
        tags = inherited + tuple(str(t) for t in ([raw_tags] if isinstance(raw_tags, str)
                                                  else raw_tags or []))
        found.append(Task(role, str(path), int(entry.get(LINE, 0)), str(entry.get("name", "")),
                          tags))
        for key in ("block", "rescue", "always"):
            if key in entry:
                found.extend(_walk(entry[key], role, path, tags))
    return found


def role_tasks(roles_dir: Path, prefix: str = "harden_") -> list[Task]:
    """Every task of every role whose name starts with `prefix`."""
    tasks: list[Task] = []
    for path in sorted(roles_dir.glob(f"{prefix}*/tasks/*.yml")):
        role = path.parent.parent.name
        tasks.extend(_walk(load_with_lines(path, "role tasks"), role, path.resolve(), ()))
    return tasks


def tags_by_role(tasks: list[Task]) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for task in tasks:
        out.setdefault(task.role, set()).update(task.tags)
    return out


def tags_by_location(tasks: list[Task]) -> dict[str, tuple[str, ...]]:
    """`file:line` (as runner events give task_path) -> the task's tags."""
    return {f"{t.path}:{t.line}": t.tags for t in tasks}


def uncovered(controls: list[tuple[str, str, str]], tasks: list[Task]) -> list[str]:
    """Automated controls (id, role, tag) with no task tagged `tag` in `role`."""
    by_role = tags_by_role(tasks)
    return [cid for cid, role, tag in controls if tag not in by_role.get(role, set())]
