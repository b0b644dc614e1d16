"""From task results to what happened per host and per control.

A harden run's record is its stream of task results: each says whether it changed
something and, with diff mode on, exactly what. This module folds the stream into
per-host change lists attributed to control ids (the loop item's id, else the task's
tags) and per-host states (changed, failed, unreachable, untouched), and keeps the
backup manifest each host reported.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from assessor.outcomes import TaskResult

SETUP = "(setup)"


@dataclass(frozen=True)
class Change:
    """One task (or loop item) that changed, would change, or failed on one host."""

    host: str
    control: str
    task: str
    status: str  # changed | failed (in check mode, "changed" means "would change")
    diff: str = ""
    message: str = ""


@dataclass
class HostLog:
    name: str
    touched: bool = False
    failed: bool = False
    unreachable: bool = False
    message: str = ""
    changes: list[Change] = field(default_factory=list)
    manifest: dict[str, Any] = field(default_factory=dict)

    @property
    def state(self) -> str:
        if self.unreachable:
            return "unreachable"
        if self.failed:
            return "failed"
        if not self.touched:
            return "untouched"
        return "changed" if any(c.status != "failed" for c in self.changes) else "unchanged"


def diff_text(diff: Any) -> str:
    """Ansible's diff (a dict, a list of dicts, or `prepared` text) as unified text."""
    parts = diff if isinstance(diff, list) else [diff] if diff else []
    out: list[str] = []
    for part in parts:
        if not isinstance(part, Mapping):
            continue
        if part.get("prepared"):
            out.append(str(part["prepared"]))
            continue
        before, after = part.get("before", ""), part.get("after", "")
        if isinstance(before, Mapping) or isinstance(after, Mapping):
            before = "\n".join(f"{k}: {v}" for k, v in dict(before or {}).items()) + "\n"
            after = "\n".join(f"{k}: {v}" for k, v in dict(after or {}).items()) + "\n"
        if before == after:
            continue
        out.extend(difflib.unified_diff(
            str(before).splitlines(keepends=True), str(after).splitlines(keepends=True),
            fromfile=str(part.get("before_header", "before")),
            tofile=str(part.get("after_header", "after")),
        ))
    return "".join(out)


def message_of(res: Mapping[str, Any]) -> str:
    parts = [str(res.get("stdout", "")).strip(), str(res.get("msg", "")).strip()]
    stderr = str(res.get("stderr", "")).strip()
    if stderr:
        parts.append(stderr.splitlines()[-1])
    return " | ".join(p for p in parts if p)


class EventLog:
    """Feed it every task result of the run; read `hosts` afterwards."""

    def __init__(self, selected: list[str], task_tags: Mapping[str, tuple[str, ...]]) -> None:
        self.selected = selected
        self.task_tags = task_tags
        self.hosts: dict[str, HostLog] = {}

    def host(self, name: str) -> HostLog:
        return self.hosts.setdefault(name, HostLog(name))

    def control_of(self, task: TaskResult) -> str:
        res = task.result
        item = res.get("item")
        if isinstance(item, Mapping) and item.get("id") in self.selected:
            return str(item["id"])
        label = str(res.get("_ansible_item_label", "")).split(" ")[0]
        if label in self.selected:
            return label
        tags = [t for t in self.task_tags.get(task.path, ()) if t in self.selected]
        return ",".join(tags) if tags else SETUP

    def feed(self, result: TaskResult) -> None:
        log = self.host(result.host)
        log.touched = True
        if result.status == "started":
            return
        res = result.result
        if isinstance(res.get("manifest"), Mapping):
            log.manifest = dict(res["manifest"])
        if result.summary:
            # the loop's summary; its items came as their own results
            if result.status == "failed" and not result.ignored:
                log.failed = True
                log.message = log.message or message_of(res) or "a loop item failed"
            return
        task, name = result.task, result.host
        control = self.control_of(result)
        if result.status == "unreachable":
            log.unreachable = True
            log.message = message_of(res)
        elif result.status == "failed":
            if result.ignored:
                return
            message = message_of(res) or "failed without a message"
            log.failed = True
            log.message = log.message or f"{task}: {message}"
            log.changes.append(Change(name, control, task, "failed", diff_text(result.diff),
                                      message))
        elif result.status == "skipped":
            return  # in check mode, roles preview commands with a changed debug task
        elif result.changed:
            log.changes.extend(self.split(name, control, task, res))

    def split(self, host: str, control: str, task: str, res: Mapping[str, Any]) -> list[Change]:
        """One change per control when the module says which line is whose (assessor_settings
        and assessor_perms do); else the task's whole diff under its control."""
        parts = res.get("changes")
        if isinstance(parts, list) and parts and all(isinstance(p, Mapping) for p in parts):
            out = []
            for part in parts:
                owner = str(part.get("control") or control)
                where = f"{part['path']}: " if part.get("path") else ""
                old = part.get("before")
                lines = [f"-{where}{old}"] if old else []
                lines.append(f"+{where}{part.get('after')}")
                out.append(Change(host, owner, task, "changed", "\n".join(lines)))
            return out
        return [Change(host, control, task, "changed", diff_text(res.get("diff")),
                       message_of(res))]
