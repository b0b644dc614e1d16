"""MISP events (the JSON export `{"Event": {...}}`) and feed directories (manifest.json).

Only attributes flagged `to_ids` are indicators: MISP's own rule for what is fit for
detection. Composite types (`filename|sha256`, `ip-dst|port`) give each part we hunt for.
Types we have no hunt for are listed as unsupported; deleted attributes count as revoked.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from assessor.intel.jsondoc import check, compile_schema, read_json
from assessor.intel.model import Indicator, IndicatorType, Intake, IntelError, Origin, Skipped
from assessor.intel.model import SkipKind as Skip
from assessor.intel.normalise import normalise

T = IndicatorType
IP = "ip"  # ip-src / ip-dst: IPv4 or IPv6, told by the value
IGNORED = ""  # a part of a composite type we do not hunt for (a port)
# MISP attribute type -> what each "|"-separated part of the value is
TYPES: dict[str, tuple[T | str, ...]] = {
    "md5": (T.MD5,), "sha1": (T.SHA1,), "sha256": (T.SHA256,),
    "filename": (T.FILENAME,),
    "filename|md5": (T.FILENAME, T.MD5),
    "filename|sha1": (T.FILENAME, T.SHA1),
    "filename|sha256": (T.FILENAME, T.SHA256),
    "ip-src": (IP,), "ip-dst": (IP,),
    "ip-src|port": (IP, IGNORED), "ip-dst|port": (IP, IGNORED),
    "domain": (T.DOMAIN,), "hostname": (T.DOMAIN,),
    "domain|ip": (T.DOMAIN, IP), "hostname|port": (T.DOMAIN, IGNORED),
    "url": (T.URL,), "uri": (T.URL,),
    "process-name": (T.PROCESS_NAME,),
}

_ATTRIBUTE = {
    "type": "object",
    "required": ["type", "value"],
    "properties": {
        "uuid": {"type": "string"},
        "type": {"type": "string", "minLength": 1},
        "value": {"type": "string"},
        "to_ids": {"type": ["boolean", "string", "integer"]},
        "deleted": {"type": ["boolean", "string", "integer"]},
        "comment": {"type": "string"},
        "Tag": {"type": "array", "items": {"type": "object", "required": ["name"]}},
    },
}
EVENT_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["Event"],
    "properties": {"Event": {
        "type": "object",
        "required": ["uuid", "info"],
        "properties": {
            "uuid": {"type": "string", "minLength": 1},
            "info": {"type": "string"},
            "Attribute": {"type": "array", "items": _ATTRIBUTE},
            "Object": {"type": "array", "items": {
                "type": "object",
                "properties": {"Attribute": {"type": "array", "items": _ATTRIBUTE}},
            }},
            "Tag": {"type": "array", "items": {"type": "object", "required": ["name"]}},
        },
    }},
}
MANIFEST_SCHEMA: dict[str, Any] = {
    "type": "object",
    "additionalProperties": {"type": "object", "properties": {"info": {"type": "string"}}},
}


def looks_like(document: Any) -> bool:
    """An event export, or a list of them as MISP's restSearch returns ({"response": [...]})."""
    if isinstance(document, dict) and isinstance(document.get("response"), list):
        document = document["response"]
    if isinstance(document, list):
        return bool(document) and all(isinstance(e, dict) and "Event" in e for e in document)
    return isinstance(document, dict) and "Event" in document


def parse_document(document: Any, file: Path | str) -> Intake:
    if isinstance(document, dict) and "Event" in document:
        return parse_event(document, file)
    events = document["response"] if isinstance(document, dict) else document
    return Intake.joined(parse_event(event, f"{file}: [{index}]")
                         for index, event in enumerate(events))


def parse_event(document: Any, file: Path | str) -> Intake:
    check(document, compile_schema(EVENT_SCHEMA), file)
    event = document["Event"]
    source = f"misp event {event['uuid']} ({event['info']})"
    event_tags = tags(event)
    indicators: list[Indicator] = []
    skipped: list[Skipped] = []
    placed = [(f"Event.Attribute[{i}]", a) for i, a in enumerate(event.get("Attribute", []))]
    for o_index, obj in enumerate(event.get("Object", [])):
        placed += [(f"Event.Object[{o_index}].Attribute[{i}]", a)
                   for i, a in enumerate(obj.get("Attribute", []))]
    for where, attribute in placed:
        found, dropped = parse_attribute(attribute, source, event_tags, file, where)
        indicators += found
        skipped += dropped
    return Intake(tuple(indicators), tuple(skipped), (source,))


def parse_attribute(
    attribute: dict[str, Any], source: str, event_tags: tuple[str, ...], file: Path | str,
    where: str,
) -> tuple[list[Indicator], list[Skipped]]:
    origin = Origin(source, attribute.get("uuid") or f"{file}: {where}")
    kind, value = attribute["type"], attribute["value"]
    if flag(attribute.get("deleted")):
        return [], [Skipped(Skip.REVOKED, origin, "deleted in MISP", value)]
    if not flag(attribute.get("to_ids")):
        return [], [Skipped(Skip.NOT_IDS, origin, f"{kind} not flagged to_ids", value)]
    parts_of = TYPES.get(kind)
    if parts_of is None:
        return [], [Skipped(Skip.UNSUPPORTED, origin, f"MISP type {kind!r}: no hunt for it", value)]
    parts = value.split("|")
    if len(parts) != len(parts_of):
        raise IntelError(file, f"{where}.value", f"a {kind} value has {len(parts_of)} "
                         f"'|'-separated parts, got {value!r}")
    labels = tuple(sorted({*event_tags, *tags(attribute)}))
    found, skipped = [], []
    for part_type, part in zip(parts_of, parts, strict=True):
        if part_type == IGNORED:
            continue
        try:
            indicator_type, text = part_kind(part_type, part)
            found.append(Indicator(
                type=indicator_type, value=normalise(indicator_type, text), origins=(origin,),
                labels=labels, description=attribute.get("comment", ""),
            ))
        except ValueError as exc:
            skipped.append(Skipped(Skip.UNSUPPORTED, origin, f"{kind}: {exc}", part))
    return found, skipped


def part_kind(part_type: T | str, text: str) -> tuple[T, str]:
    """The indicator type of one value part: IPs by version, file names with '/' as paths."""
    if part_type == IP:
        return (T.IPV6 if ":" in text else T.IPV4), text
    if part_type is T.FILENAME and text.strip().startswith("/"):
        return T.PATH, text
    return T(part_type), text


def flag(value: Any) -> bool:
    """MISP exports booleans as true/false, "1"/"0" or 1/0 depending on version."""
    if isinstance(value, str):
        return value.strip().lower() in ("1", "true")
    return bool(value)


def tags(item: dict[str, Any]) -> tuple[str, ...]:
    return tuple(str(tag["name"]) for tag in item.get("Tag", []))


def parse_feed(directory: Path) -> Intake:
    """A MISP feed: manifest.json lists the events, each in <uuid>.json beside it."""
    manifest_path = directory / "manifest.json"
    manifest = read_json(manifest_path)
    check(manifest, compile_schema(MANIFEST_SCHEMA), manifest_path)
    events = []
    for uuid in manifest:
        event_path = directory / f"{uuid}.json"
        if not event_path.is_file():
            raise IntelError(manifest_path, uuid, f"event file {event_path.name} is missing")
        events.append(parse_event(read_json(event_path), event_path))
    return Intake.joined(events)
