"""STIX 2.1 bundles: `indicator` objects with `pattern_type: stix` become Indicators.

Other object types (malware, relationships, identities…) are context a hunt does not need
and are passed over. Revoked indicators are dropped and counted here; validity and
confidence are judged later, in `assessor.intel.merge`, the same way for every format.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from assessor.intel.jsondoc import check, compile_schema
from assessor.intel.model import (
    Indicator,
    Intake,
    IntelError,
    Origin,
    SkipKind,
    Skipped,
)
from assessor.intel.normalise import normalise, parse_timestamp
from assessor.intel.patterns import PatternSyntaxError, Reading, read_patterns

PULLED_FROM = "x_assessor_source"
_STRING = {"type": "string"}
_STRINGS = {"type": "array", "items": _STRING}
_TIMESTAMP = {"type": "string", "minLength": 10}
INDICATOR_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["id", "pattern", "pattern_type", "valid_from"],
    "properties": {
        "id": {"type": "string", "pattern": "^indicator--"},
        "pattern": {"type": "string", "minLength": 1},
        "pattern_type": _STRING,
        "valid_from": _TIMESTAMP,
        "valid_until": _TIMESTAMP,
        "revoked": {"type": "boolean"},
        "confidence": {"type": "integer", "minimum": 0, "maximum": 100},
        "labels": _STRINGS,
        "indicator_types": _STRINGS,
        "name": _STRING,
        "description": _STRING,
    },
}
BUNDLE_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["type", "id", "objects"],
    "properties": {
        "type": {"const": "bundle"},
        "id": {"type": "string", "pattern": "^bundle--"},
        PULLED_FROM: _STRING,
        "objects": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["type", "id"],
                "properties": {"type": _STRING, "id": _STRING},
                "if": {"properties": {"type": {"const": "indicator"}}},
                "then": INDICATOR_SCHEMA,
            },
        },
    },
}


def looks_like(document: Any) -> bool:
    return isinstance(document, dict) and document.get("type") == "bundle"


def parse_bundle(document: Any, file: Path | str, source: str = "") -> Intake:
    """Every indicator of a bundle; `source` names it (default: the bundle id and file)."""
    check(document, compile_schema(BUNDLE_SCHEMA), file)
    # a bundle `assessor intel pull` wrote names its TAXII collection
    source = source or f"{document.get(PULLED_FROM) or document['id']} ({file})"
    indicators: list[Indicator] = []
    skipped: list[Skipped] = []
    wanted: list[tuple[int, dict[str, Any]]] = []
    for index, obj in enumerate(document["objects"]):
        if obj["type"] != "indicator":
            continue
        origin = Origin(source, obj["id"])
        if obj.get("revoked"):
            skipped.append(Skipped(SkipKind.REVOKED, origin, "revoked by its publisher"))
        elif obj["pattern_type"] != "stix":
            reason = f"pattern_type {obj['pattern_type']!r}: only 'stix' patterns are read"
            skipped.append(Skipped(SkipKind.UNSUPPORTED, origin, reason, obj["pattern"]))
        else:
            wanted.append((index, obj))
    readings = read_patterns([obj["pattern"] for _, obj in wanted])
    for (index, obj), reading in zip(wanted, readings, strict=True):
        where = f"objects[{index}]"
        if isinstance(reading, PatternSyntaxError):
            raise IntelError(file, f"{where}.pattern", f"not a STIX 2.1 pattern: {reading}")
        found, dropped = indicator_values(obj, reading, Origin(source, obj["id"]), file, where)
        indicators += found
        skipped += dropped
    return Intake(tuple(indicators), tuple(skipped), (source,))


def indicator_values(
    obj: dict[str, Any], reading: Reading, origin: Origin, file: Path | str, where: str
) -> tuple[list[Indicator], list[Skipped]]:
    valid_from = timestamp(obj, "valid_from", file, where)
    valid_until = timestamp(obj, "valid_until", file, where) if "valid_until" in obj else None
    if valid_until is not None and valid_until <= valid_from:
        raise IntelError(file, f"{where}.valid_until", "must be later than valid_from")
    skipped = [Skipped(SkipKind.UNSUPPORTED, origin, why, obj["pattern"])
               for why in reading.unsupported]
    labels = tuple(sorted({*obj.get("labels", ()), *obj.get("indicator_types", ())}))
    indicators = []
    for comparison in reading.comparisons:
        try:
            value = normalise(comparison.type, comparison.value)
        except ValueError as exc:
            skipped.append(Skipped(SkipKind.UNSUPPORTED, origin, str(exc), comparison.value))
            continue
        indicators.append(Indicator(
            type=comparison.type,
            value=value,
            origins=(origin,),
            valid_from=valid_from,
            valid_until=valid_until,
            confidence=obj.get("confidence"),
            labels=labels,
            description=obj.get("name") or obj.get("description", ""),
        ))
    return indicators, skipped


def timestamp(obj: dict[str, Any], key: str, file: Path | str, where: str) -> Any:
    try:
        return parse_timestamp(obj[key])
    except ValueError as exc:
        raise IntelError(file, f"{where}.{key}", f"not a timestamp: {obj[key]!r}") from exc
