"""Which controls a harden run applies, through which roles, to which values.

Pure: from the selected (tailored) controls and the roles' own defaults to the extra vars
and tags of one playbook run. A control's `remediate: {role, tag}` names its role; the
value applied is the role's safe default when that satisfies the control's check as
tailored, else the check's own bound, so a tailoring `set` is honoured without the role
knowing about tailoring.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import yaml

from assessor.catalogue import Control
from assessor.checks import COMPARISONS
from assessor.checks.core import compare, names_of
from assessor.errors import ConfigError
from assessor.remediation.kinds import (
    CONTENT_KINDS,
    FILES,
    SHARED_KINDS,
    file_settings,
    perms_spec,
)


@dataclass(frozen=True)
class Item:
    """One control to apply: the role and tag that implement it and the value to set."""

    id: str
    role: str
    tag: str
    kind: str
    params: dict[str, Any]
    target: str | None
    file: dict[str, Any] | None = None  # the file a setting goes to (see kinds.py)
    settings: tuple[dict[str, str], ...] = ()
    content: dict[str, str] | None = None  # whole-file content from the role's defaults
    perms: dict[str, Any] | None = None  # for assessor_perms

    def as_var(self) -> dict[str, Any]:
        return {"id": self.id, "role": self.role, "tag": self.tag, "kind": self.kind,
                "params": self.params, "target": self.target, "file": self.file,
                "settings": list(self.settings), "content": self.content,
                "perms": self.perms}


@dataclass(frozen=True)
class Plan:
    items: tuple[Item, ...]
    manual: tuple[Control, ...] = ()
    skipped: tuple[str, ...] = ()
    unavailable: tuple[str, ...] = ()  # automated in the catalogue, no role task tagged yet
    roles: tuple[str, ...] = field(default=())

    @property
    def ids(self) -> list[str]:
        return [i.id for i in self.items]

    @property
    def tags(self) -> str:
        """--tags for ansible-playbook: each control's tag; `always` tasks run anyway."""
        return ",".join(dict.fromkeys(i.tag for i in self.items))


def role_defaults(roles_dir: Path, role: str) -> dict[str, Any]:
    """The role's defaults/main.yml: `<role>_values` (safe value per control),
    `<role>_kinds` (kinds it implements itself), `<role>_content` (file text per control)."""
    path = roles_dir / role / "defaults" / "main.yml"
    if not path.is_file():
        return {}
    data = yaml.safe_load(path.read_text()) or {}
    return dict(data) if isinstance(data, dict) else {}


def role_values(roles_dir: Path, role: str) -> dict[str, Any]:
    values = role_defaults(roles_dir, role).get(f"{role}_values", {})
    return dict(values) if isinstance(values, dict) else {}


def make_item(control: Control, role: str, tag: str, defaults: Mapping[str, Any]) -> Item | None:
    """The control as the roles read it, or None when nothing can apply it automatically."""
    values = defaults.get(f"{role}_values") or {}
    target = target_value(control.params, values.get(control.id))
    item = Item(id=control.id, role=role, tag=tag, kind=control.kind,
                params=dict(control.params), target=target)
    content = (defaults.get(f"{role}_content") or {}).get(control.id)
    if isinstance(content, dict):  # a file the check wants to exist: {path, text, mode}
        return replace(item, content={k: str(v) for k, v in content.items()})
    perms = perms_spec(control.id, control.kind, control.params)
    if perms is not None:
        return replace(item, perms=perms)
    placed = file_settings(control.id, control.kind, control.params, target)
    if placed is not None:
        return replace(item, file=placed[0], settings=tuple(placed[1]))
    if control.kind in CONTENT_KINDS and content is not None:
        path = names_of(control.params.get("files"))[:1] or [""]
        return replace(item, content={"path": path[0], "text": str(content)})
    own = defaults.get(f"{role}_kinds") or []
    if control.kind in own or (control.kind in SHARED_KINDS
                               and control.kind not in FILES and control.kind != "config_value"):
        return item
    return None


def target_value(params: Mapping[str, Any], default: Any) -> str | None:
    """The value to set: the role's default if the check accepts it, else the bound."""
    comparison = [k for k in COMPARISONS if k in params]
    if default is not None:
        if not comparison:
            return str(default)
        try:
            if compare(str(default), params, fold_case=True)[0]:
                return str(default)
        except ValueError:
            pass
    if not comparison:
        return None
    bound = params[comparison[0]]
    return str(bound[0]) if comparison[0] == "one_of" else str(bound)


def split_ids(text: str | None) -> list[str]:
    return [part.strip() for part in (text or "").split(",") if part.strip()]


def make_plan(
    controls: Sequence[Control],
    roles_dir: Path,
    *,
    only: Iterable[str] = (),
    skip: Iterable[str] = (),
    role_tags: Mapping[str, set[str]] | None = None,
) -> Plan:
    """The run's items, in catalogue order; unknown ids in --controls/--skip are errors.

    A control whose role, or whose tag in that role, does not exist (`role_tags`: the tags
    each role's tasks carry) is `unavailable`: reported, never silently run as a no-op.
    """
    by_id = {c.id: c for c in controls}
    only_ids, skip_ids = list(only), list(skip)
    for flag, ids in (("--controls", only_ids), ("--skip", skip_ids)):
        unknown = [i for i in ids if i not in by_id]
        if unknown:
            raise ConfigError(f"{flag}: not in the selected profile: {', '.join(unknown)}")
    chosen = [c for c in controls if (not only_ids or c.id in only_ids) and c.id not in skip_ids]
    items: list[Item] = []
    manual: list[Control] = []
    unavailable: list[str] = []
    cache: dict[str, dict[str, Any]] = {}
    for control in chosen:
        role = control.remediate.get("role")
        if not role:
            manual.append(control)
            continue
        tag = control.remediate.get("tag", control.id)
        known = role_tags.get(role, set()) if role_tags is not None else {tag}
        if not (roles_dir / role / "tasks").is_dir() or tag not in known:
            unavailable.append(control.id)
            continue
        item = make_item(control, role, tag, cache.setdefault(role, role_defaults(roles_dir, role)))
        if item is None:
            unavailable.append(control.id)
            continue
        items.append(item)
    roles = tuple(dict.fromkeys(i.role for i in items))
    return Plan(tuple(items), tuple(manual), tuple(skip_ids), tuple(unavailable), roles)


def extravars(
    plan: Plan, run_id: str, *, check: bool, serial: str, max_fail_percentage: int,
    failing: Mapping[str, list[str]] | None = None,
) -> dict[str, Any]:
    """What playbooks/harden.yml reads. `failing`: per host, the selected controls that
    fail there; hosts it does not name get every selected control."""
    return {
        "harden_common_run_id": run_id,
        "harden_common_failing": dict(failing or {}),
        "harden_common_remediation": [i.as_var() for i in plan.items],
        "assessor_roles": list(plan.roles),
        "assessor_check": check,
        "assessor_serial": serial,
        "assessor_max_fail_percentage": max_fail_percentage,
    }
