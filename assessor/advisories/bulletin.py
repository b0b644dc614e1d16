"""A CERT warning that came as prose, written down as a small YAML bulletin.

    id: CERT-XX-2026-0042
    title: Remote code execution in assessor-demo
    published: 2026-11-20
    severity: high
    cves: [CVE-2026-0001]
    references: [https://cert.example/advisories/2026-0042]
    summary: |
      The CERT's own words.
    affected:
      - release: debian-12          # or bookworm, debian:12
        source: assessor-demo       # the source package (binary: NAME for one binary)
        fixed: 1.0-1+deb12u1        # leave out while no fix is published
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from assessor.advisories.model import (
    SEVERITY_WORDS,
    Advisory,
    AdvisoryError,
    PackageFix,
    parse_release,
)
from assessor.advisories.validate import validate, version

_STRINGS = {"type": "array", "items": {"type": "string", "minLength": 1}}
SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["id", "title", "published", "severity", "affected"],
    "additionalProperties": False,
    "properties": {
        "id": {"type": "string", "minLength": 1},
        "title": {"type": "string", "minLength": 1},
        "published": {"type": "string", "minLength": 1},
        "severity": {"enum": sorted(SEVERITY_WORDS)},
        "cves": {"type": "array", "items": {"type": "string", "pattern": r"^CVE-\d{4}-\d{4,}$"}},
        "references": _STRINGS,
        "summary": {"type": "string"},
        "source": {"type": "string"},
        "affected": {
            "type": "array",
            "minItems": 1,
            "items": {
                "type": "object",
                "required": ["release"],
                "additionalProperties": False,
                "oneOf": [{"required": ["source"]}, {"required": ["binary"]}],
                "properties": {
                    "release": {"type": "string", "minLength": 1},
                    "source": {"type": "string", "minLength": 1},
                    "binary": {"type": "string", "minLength": 1},
                    "fixed": {"type": "string"},
                    "introduced": {"type": "string"},
                },
            },
        },
    },
}


def parse(document: Any, source: Path | str) -> Advisory:
    if isinstance(document, dict) and "published" in document:
        document = {**document, "published": str(document["published"])}  # YAML dates
    validate(document, SCHEMA, source)
    fixes = []
    for index, entry in enumerate(document["affected"]):
        where = f"/affected/{index}"
        release = parse_release(entry["release"])
        if release is None:
            raise AdvisoryError(source, f"{where}/release", f"{entry['release']!r} is not a "
                                "release (write debian-12, debian:12 or bookworm)")
        fixed = version(entry["fixed"], source, f"{where}/fixed") if "fixed" in entry else ""
        introduced = (
            version(entry["introduced"], source, f"{where}/introduced")
            if "introduced" in entry else ""
        )
        kind = "source" if "source" in entry else "binary"
        fixes.append(PackageFix(release, entry[kind], fixed=fixed, introduced=introduced,
                                kind=kind))
    return Advisory(
        id=document["id"],
        title=document["title"],
        severity=SEVERITY_WORDS[document["severity"]],
        source=str(source),
        format="bulletin",
        fixes=tuple(fixes),
        cves=tuple(document.get("cves", [])),
        references=tuple(document.get("references", [])),
        published=document["published"],
    )
