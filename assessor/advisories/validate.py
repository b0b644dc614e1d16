"""Validate an advisory document against a schema declared as data, with a JSON path.

Each format module declares its schema as a dict; the first problem becomes an
AdvisoryError naming the file, the path inside the document and what is wrong.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError, best_match

from assessor.advisories import versions
from assessor.advisories.model import AdvisoryError


def pointer(path: Iterable[Any]) -> str:
    return "/" + "/".join(str(p) for p in path)


def validate(document: Any, schema: Mapping[str, Any], source: Path | str) -> None:
    errors = list(Draft202012Validator(schema).iter_errors(document))
    if not errors:
        return
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
