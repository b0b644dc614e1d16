"""JSON Schema validation that costs nothing when the document is valid.

Valid documents are the rule (the catalogue, advisories and results on every run), so
they are checked by fastjsonschema, compiled once per schema. jsonschema, whose messages
and error paths the callers report, is imported only when a document fails: where its
format extras are installed (stix2-validator pulls them in), importing it builds dozens of
grammars and costs seconds on every command.

fastjsonschema may reject a document jsonschema accepts (then jsonschema has the last
word and finds no error); both implement the same core keywords the project's schemas use.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

import fastjsonschema

if TYPE_CHECKING:
    from jsonschema import ValidationError

_compiled: dict[str, Callable[[Any], Any]] = {}


def errors(schema: Mapping[str, Any], document: Any) -> list[ValidationError]:
    """Every way `document` departs from `schema`, as jsonschema reports them; [] if valid."""
    key = json.dumps(schema, sort_keys=True)
    validate = _compiled.get(key)
    if validate is None:
        validate = _compiled[key] = fastjsonschema.compile(dict(schema))
    try:
        validate(document)
    except fastjsonschema.JsonSchemaException:
        pass
    else:
        return []
    import jsonschema  # only now: see the module's docstring

    validator_class = jsonschema.validators.validator_for(schema)
    return list(validator_class(schema).iter_errors(document))
