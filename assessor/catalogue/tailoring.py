"""Tailoring: a user's YAML that adapts a profile, like an XCCDF Tailoring document.

    extends: server-l1            # the profile it starts from
    title: Web servers            # optional
    select: [ssh.max-sessions]    # controls added (from the whole catalogue)
    deselect: [net.ip-forward]    # controls removed
    set:                          # parameter overrides, checked like the catalogue's own
      ssh.max-auth-tries: 3       # a bare value replaces the control's single comparison
      login.pass-max-days: {max: 90}

Every mistake names the file, the line and the control id, and exits 2.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from assessor.catalogue.loader import Catalogue, Control
from assessor.checks import COMPARISONS, params_problem
from assessor.errors import ConfigError
from assessor.yamlfile import LINE, key_line, load_with_lines, strip_lines

VALUE = "__value__"  # a bare `id: value` override, applied to the single comparison
KEYS = {"extends", "title", "description", "select", "deselect", "set"}


@dataclass(frozen=True)
class Tailoring:
    source: str
    extends: str
    title: str
    select: tuple[str, ...]
    deselect: tuple[str, ...]
    overrides: dict[str, dict[str, Any]]


def load_tailoring(path: Path) -> Tailoring:
    raw = load_with_lines(path, "tailoring file")
    if not isinstance(raw, dict):
        raise ConfigError(f"{path}:1: tailoring must be a mapping with 'extends'")
    unknown = set(strip_lines(raw)) - KEYS
    if unknown:
        key = sorted(unknown)[0]
        raise ConfigError(f"{path}:{key_line(raw, key)}: unknown tailoring key {key!r} "
                          f"(known: {', '.join(sorted(KEYS))})")
    if not isinstance(raw.get("extends"), str):
        raise ConfigError(f"{path}:{key_line(raw, 'extends')}: 'extends' must name a profile")
    for key in ("select", "deselect"):
        value = raw.get(key, [])
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise ConfigError(f"{path}:{key_line(raw, key)}: {key!r} must be a list of control ids")
    overrides = raw.get("set") or {}
    if not isinstance(overrides, dict):
        raise ConfigError(f"{path}:{key_line(raw, 'set')}: 'set' must map control ids to values")
    cleaned: dict[str, dict[str, Any]] = {}
    for control_id, value in strip_lines(overrides).items():
        line = key_line(overrides, control_id)
        change = value if isinstance(value, dict) else {VALUE: value}
        cleaned[control_id] = {LINE: line, **change}
    return Tailoring(
        source=str(path),
        extends=raw["extends"],
        title=str(raw.get("title", "")),
        select=tuple(raw.get("select", [])),
        deselect=tuple(raw.get("deselect", [])),
        overrides=cleaned,
    )


def apply_tailoring(catalogue: Catalogue, tailoring: Tailoring) -> list[Control]:
    """The profile's controls, selected, deselected and re-parameterised as the file says."""
    by_id = {c.id: c for c in catalogue.controls}
    chosen = {c.id: c for c in catalogue.profile(tailoring.extends)}
    for key, ids in (("select", tailoring.select), ("deselect", tailoring.deselect)):
        for control_id in ids:
            if control_id not in by_id:
                raise ConfigError(f"{tailoring.source}: {key}: unknown control {control_id!r}")
    for control_id in tailoring.select:
        chosen.setdefault(control_id, by_id[control_id])
    for control_id in tailoring.deselect:
        chosen.pop(control_id, None)
    for control_id, change in tailoring.overrides.items():
        line = change[LINE]
        where = f"{tailoring.source}:{line}: control {control_id}"
        if control_id not in by_id:
            raise ConfigError(f"{where}: unknown control")
        control = chosen.get(control_id)
        if control is None:
            raise ConfigError(f"{where}: not selected, so it cannot be set (add it to 'select')")
        chosen[control_id] = override(control, change, where)
    order = [c.id for c in catalogue.controls]
    return sorted(chosen.values(), key=lambda c: order.index(c.id))


def override(control: Control, change: dict[str, Any], where: str) -> Control:
    params = dict(control.params)
    if VALUE in change:
        present = [k for k in COMPARISONS if k in params]
        if len(present) != 1:
            raise ConfigError(f"{where}: give the parameter by name (e.g. {{max: 3}})")
        value = change[VALUE]
        params[present[0]] = str(value) if present[0] == "expect" else value
    else:
        updates = {k: v for k, v in change.items() if k not in (LINE, VALUE)}
        if "kind" in updates:
            raise ConfigError(f"{where}: the check kind cannot be tailored")
        if set(updates) & set(COMPARISONS):
            for key in COMPARISONS:
                params.pop(key, None)
        params.update(updates)
    problem = params_problem(control.kind, params)
    if problem:
        raise ConfigError(f"{where}: {problem}")
    return replace(control, check={"kind": control.kind, **params})
