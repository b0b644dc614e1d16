"""Load and validate the control catalogue.

A typo in a control must fail at load time naming the file, line, control id and field,
never at evaluation time on a host.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

from assessor import schemacheck
from assessor.checks import params_problem
from assessor.errors import ConfigError
from assessor.results import Severity
from assessor.yamlfile import load_with_lines, strip_lines

if TYPE_CHECKING:
    from jsonschema import ValidationError


@dataclass(frozen=True)
class Control:
    id: str
    title: str
    severity: Severity
    section: str
    rationale: str
    check: dict[str, Any]
    profiles: tuple[str, ...]
    description: str = ""
    refs: dict[str, Any] = field(default_factory=dict)
    platforms: tuple[str, ...] = ()
    remediate: dict[str, str] = field(default_factory=dict)

    @property
    def kind(self) -> str:
        return str(self.check["kind"])

    @property
    def params(self) -> dict[str, Any]:
        return {k: v for k, v in self.check.items() if k != "kind"}

    def remediation_text(self) -> str:
        if "manual" in self.remediate:
            return self.remediate["manual"]
        if self.remediate:
            return f"Apply role {self.remediate['role']} with tag {self.remediate['tag']}."
        return ""


@dataclass(frozen=True)
class Catalogue:
    version: str
    controls: tuple[Control, ...]
    source: str

    def profile(self, name: str) -> list[Control]:
        chosen = [c for c in self.controls if name in c.profiles]
        if not chosen:
            known = sorted({p for c in self.controls for p in c.profiles})
            raise ConfigError(f"unknown profile {name!r} (known: {', '.join(known)})")
        return chosen


def default_catalogue_path() -> Path:
    """The shipped catalogue: every *.yaml in the package's catalogue directory."""
    return Path(str(resources.files("assessor.catalogue")))


def _schema() -> dict[str, Any]:
    text = resources.files("assessor.schemas").joinpath("catalogue.schema.json").read_text()
    schema: dict[str, Any] = json.loads(text)
    return schema


def load_catalogue(path: Path | None = None) -> Catalogue:
    """Load one catalogue file, or every *.yaml of a directory (one file per area)."""
    path = path or default_catalogue_path()
    files = sorted(path.glob("*.yaml")) if path.is_dir() else [path]
    if not files:
        raise ConfigError(f"{path}: no *.yaml catalogue files in this directory")
    parts = [load_catalogue_file(f) for f in files]
    versions = {part.version for part in parts}
    if len(versions) > 1:
        found = ", ".join(f"{part.source}: {part.version}" for part in parts)
        raise ConfigError(f"{path}: catalogue files disagree on the version ({found})")
    seen: dict[str, str] = {}
    for part in parts:
        for control in part.controls:
            if control.id in seen:
                first = seen[control.id]
                raise ConfigError(
                    f"{part.source}: control {control.id}: duplicate id (also in {first})"
                )
            seen[control.id] = part.source
    controls = tuple(c for part in parts for c in part.controls)
    return Catalogue(version=parts[0].version, controls=controls, source=str(path))


def load_catalogue_file(path: Path) -> Catalogue:
    raw = load_with_lines(path, "catalogue")
    if not isinstance(raw, dict):
        raise ConfigError(f"{path}: catalogue must be a mapping with 'version' and 'controls'")
    _validate(path, raw)
    controls = tuple(_control(entry) for entry in raw["controls"])
    return Catalogue(version=str(raw["version"]), controls=controls, source=str(path))


def _validate(path: Path, raw: dict[str, Any]) -> None:
    clean = strip_lines(raw)
    errors = sorted(schemacheck.errors(_schema(), clean), key=lambda e: list(e.absolute_path))
    if errors:
        raise ConfigError(_describe(path, raw, errors[0]))
    seen: dict[str, int] = {}
    for entry in raw["controls"]:
        line = entry["__line__"]
        if entry["id"] in seen:
            raise ConfigError(
                f"{path}:{line}: control {entry['id']}: duplicate id (first at line "
                f"{seen[entry['id']]})"
            )
        seen[entry["id"]] = line
        problem = params_problem(entry["check"]["kind"], strip_lines(entry["check"]))
        if problem:
            raise ConfigError(f"{path}:{entry['check']['__line__']}: control {entry['id']}: "
                              f"field 'check': {problem}")


def _describe(path: Path, raw: dict[str, Any], error: ValidationError) -> str:
    where: Any = raw
    line = 1
    control_id = ""
    for depth, step in enumerate(error.absolute_path):
        where = where[step]
        if isinstance(where, dict):
            line = where.get("__line__", line)
            if depth == 1:  # controls[i]: the control itself, whatever field it lacks
                control_id = str(where.get("id", ""))
    field_path = ".".join(str(p) for p in list(error.absolute_path)[2:]) or "(entry)"
    subject = f"control {control_id}: " if control_id else ""
    return f"{path}:{line}: {subject}field {field_path!r}: {error.message}"


def _control(entry: dict[str, Any]) -> Control:
    data = strip_lines(entry)
    return Control(
        id=data["id"],
        title=data["title"],
        severity=Severity(data["severity"]),
        section=data["section"],
        rationale=data["rationale"].strip(),
        check=data["check"],
        profiles=tuple(data["profiles"]),
        description=data.get("description", "").strip(),
        refs=data.get("refs", {}),
        platforms=tuple(data.get("platforms", ())),
        remediate=data.get("remediate", {}),
    )
