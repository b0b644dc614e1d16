"""Valid documents pass without importing jsonschema; failing ones get its errors."""

from __future__ import annotations

import subprocess
import sys

from assessor import schemacheck

SCHEMA = {"$schema": "https://json-schema.org/draft/2020-12/schema", "type": "object",
          "required": ["id"], "properties": {"id": {"type": "string"},
                                             "n": {"$ref": "#/$defs/count"}},
          "$defs": {"count": {"type": "integer", "minimum": 0}}}


def test_a_valid_document_has_no_errors_and_a_failing_one_has_jsonschemas() -> None:
    assert schemacheck.errors(SCHEMA, {"id": "a", "n": 3}) == []
    found = schemacheck.errors(SCHEMA, {"n": -1})
    assert sorted(e.validator for e in found) == ["minimum", "required"]
    assert any(list(e.absolute_path) == ["n"] for e in found)


def test_commands_start_without_importing_jsonschema() -> None:
    """The catalogue loads and validates on every run: that must not import jsonschema."""
    code = ("import sys; from assessor.cli import build_parser; build_parser();"
            "from assessor.catalogue import load_catalogue; load_catalogue();"
            "print('jsonschema' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, timeout=120).stdout.strip()
    assert out == "False"
