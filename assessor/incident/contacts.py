"""Whom to call: the organisation's own responders and the national CERT, from YAML.

The file is checked against contacts.schema.json; an error names the file and line.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from importlib.resources import files
from pathlib import Path
from typing import Any

from assessor import schemacheck
from assessor.errors import ConfigError
from assessor.yamlfile import LINE, load_with_lines, strip_lines


@dataclass(frozen=True)
class Contact:
    name: str
    role: str = ""
    phone: str = ""
    hotline: str = ""
    email: str = ""
    report: bool = False  # the incident e-mail goes to this contact


@dataclass(frozen=True)
class Contacts:
    organisation: str
    domain: str
    responders: list[Contact] = field(default_factory=list)
    national: list[Contact] = field(default_factory=list)

    @property
    def report_to(self) -> list[Contact]:
        return [c for c in [*self.national, *self.responders] if c.report and c.email]


NONE = Contacts(organisation="", domain="")


def _contact(entry: dict[str, Any]) -> Contact:
    return Contact(**{k: entry[k] for k in Contact.__dataclass_fields__ if k in entry})


def load_contacts(path: Path) -> Contacts:
    raw = load_with_lines(path, "contacts")
    schema = json.loads(files("assessor.incident").joinpath("contacts.schema.json").read_text())
    error = next(iter(schemacheck.errors(schema, strip_lines(raw))),
                 None)
    if error is not None:
        line = 1
        node: Any = raw
        for part in error.absolute_path:
            try:
                node = node[part]
            except (KeyError, IndexError, TypeError):
                break
            if isinstance(node, dict):
                line = node.get(LINE, line)
        where = "/".join(str(p) for p in error.absolute_path) or "file"
        raise ConfigError(f"{path}:{line}: {where}: {error.message}")
    data = strip_lines(raw)
    org = data["organisation"]
    return Contacts(
        organisation=org["name"], domain=org.get("domain", ""),
        responders=[_contact(c) for c in org.get("responders", [])],
        national=[_contact(c) for c in data.get("national", [])],
    )
