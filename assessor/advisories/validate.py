"""Validate an advisory document against a schema declared as data, with a JSON path.

Each format module declares its schema as a dict; the first problem becomes an
AdvisoryError naming the file, the path inside the document and what is wrong.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from assessor import schemacheck
from assessor.advisories import versions
from assessor.advisories.model import AdvisoryError

if TYPE_CHECKING:
    from jsonschema.exceptions import ValidationError


def pointer(path: Iterable[Any]) -> str:
    return "/" + "/".join(str(p) for p in path)


def validate(document: Any, schema: Mapping[str, Any], source: Path | str) -> None:
    errors = schemacheck.errors(schema, document)
    if not errors:
        return
    from jsonschema.exceptions import best_match  # imported only for a failing document

    error = best_match(errors)
    raise AdvisoryError(source, pointer(error.absolute_path), describe(error))


def describe(error: ValidationError) -> str:
    if error.validator == "required":
        return error.message.replace("is a required property", "is required but missing")
    if error.validator == "type":
        return f"must be {error.validator_value}, got {type(error.instance).__name__}"
    if error.validator == "minItems":
        return f"must have at least {error.validator_value} item(s)"
    if error.validator == "enum":
        return f"{error.instance!r} is not one of {error.validator_value}"
    return error.message


def version(text: Any, source: Path | str, where: str) -> str:
    try:
        return versions.check(text)
    except ValueError as exc:
        raise AdvisoryError(source, where, str(exc)) from exc
