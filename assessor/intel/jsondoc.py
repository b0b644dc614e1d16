"""Reading a JSON indicator source and checking its shape against a schema declared as data.

The first problem becomes one IntelError naming the file, the JSON path inside it
(`objects[12].pattern`) and what is wrong. Schemas are compiled once with fastjsonschema:
a CERT bundle can hold tens of thousands of objects.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from functools import cache
from pathlib import Path
from typing import Any

import fastjsonschema

from assessor.intel.model import IntelError

Validator = Callable[[Any], Any]


def read_json(path: Path) -> Any:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise IntelError(path, "", "no such file") from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise IntelError(path, "", f"cannot read: {exc}") from exc
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise IntelError(f"{path}:{exc.lineno}", f"column {exc.colno}",
                         f"invalid JSON: {exc.msg}") from exc


def compile_schema(schema: Mapping[str, Any]) -> Validator:
    return _compiled(json.dumps(schema, sort_keys=True))


@cache
def _compiled(schema_text: str) -> Validator:
    validator: Validator = fastjsonschema.compile(json.loads(schema_text))
    return validator


def check(document: Any, validator: Validator, source: Path | str, prefix: str = "") -> None:
    """Raise IntelError at the first place `document` does not fit the schema."""
    try:
        validator(document)
    except fastjsonschema.JsonSchemaValueException as exc:
        full = exc.name or "data"
        where = join(prefix, full.removeprefix("data").lstrip(".")) or "(top level)"
        what = exc.message.removeprefix(full).strip()
        if exc.rule == "required" and isinstance(exc.value, dict):
            missing = [k for k in exc.rule_definition or () if k not in exc.value]
            what = f"{', '.join(missing)} required but missing"
        raise IntelError(source, where, what) from exc


def join(prefix: str, name: str) -> str:
    if not prefix or not name:
        return prefix or name
    return prefix + name if name.startswith("[") else f"{prefix}.{name}"
