"""OSV records (https://ossf.github.io/osv-schema/) for dpkg ecosystems: Debian:N, Ubuntu:N.

osv.dev publishes Debian DSAs/DLAs and DEBIAN-CVE records this way; the package named is
the source package, and `ranges[].events` give introduced/fixed/last_affected versions.
Affected entries of other ecosystems (PyPI, npm...) are skipped: no dpkg host has them.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from assessor.advisories.model import (
    CODENAMES,
    Advisory,
    PackageFix,
    Release,
    severity_word,
)
from assessor.advisories.validate import validate, version
from assessor.results import Severity

DPKG_ECOSYSTEMS = ("debian", "ubuntu")

_STRINGS = {"type": "array", "items": {"type": "string"}}
_EVENT = {
    "type": "object",
    "minProperties": 1,
    "maxProperties": 1,
    "properties": {
        "introduced": {"type": "string"},
        "fixed": {"type": "string"},
        "last_affected": {"type": "string"},
        "limit": {"type": "string"},
    },
    "additionalProperties": False,
}
SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["id", "affected"],
    "properties": {
        "id": {"type": "string", "minLength": 1},
        "summary": {"type": "string"},
        "details": {"type": "string"},
        "aliases": _STRINGS,
        "upstream": _STRINGS,
        "related": _STRINGS,
        "published": {"type": "string"},
        "modified": {"type": "string"},
        "withdrawn": {"type": "string"},
        "references": {
            "type": "array",
            "items": {"type": "object", "required": ["url"], "properties": {
                "url": {"type": "string"}, "type": {"type": "string"}}},
        },
        "severity": {"type": "array", "items": {"type": "object", "required": ["type", "score"]}},
        "database_specific": {"type": "object"},
        "affected": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["package"],
                "properties": {
                    "package": {
                        "type": "object",
                        "required": ["ecosystem", "name"],
                        "properties": {
                            "ecosystem": {"type": "string", "minLength": 1},
                            "name": {"type": "string", "minLength": 1},
                            "purl": {"type": "string"},
                        },
                    },
                    "ranges": {
                        "type": "array",
                        "items": {
                            "type": "object",
                            "required": ["type", "events"],
                            "properties": {
                                "type": {"enum": ["ECOSYSTEM", "SEMVER", "GIT"]},
                                "events": {"type": "array", "minItems": 1, "items": _EVENT},
                            },
                        },
                    },
                    "versions": _STRINGS,
                    "ecosystem_specific": {"type": "object"},
                    "database_specific": {"type": "object"},
                },
            },
        },
    },
}


def looks_like(document: Any) -> bool:
    return isinstance(document, dict) and "affected" in document and "document" not in document


def parse(document: Any, source: Path | str) -> Advisory:
    validate(document, SCHEMA, source)
    fixes: list[PackageFix] = []
    notes: list[str] = []
    if document.get("withdrawn"):
        notes.append(f"withdrawn {document['withdrawn']}: applies to no host")
    else:
        for index, affected in enumerate(document["affected"]):
            fixes += affected_fixes(affected, f"/affected/{index}", source, notes)
    severity, stated = osv_severity(document)
    aliases = [*document.get("aliases", []), *document.get("upstream", [])]
    cves = sorted({a for a in [document["id"], *aliases] if a.startswith("CVE-")})
    details = document.get("details", "").strip()
    return Advisory(
        id=document["id"],
        title=document.get("summary") or (details.splitlines()[0] if details else document["id"]),
        severity=severity,
        severity_stated=stated,
        source=str(source),
        format="osv",
        fixes=tuple(fixes),
        cves=tuple(cves),
        references=tuple(r["url"] for r in document.get("references", [])),
        published=document.get("published", ""),
        notes=tuple(notes),
    )


def ecosystem_release(ecosystem: str) -> Release | None:
    parts = ecosystem.split(":")
    if len(parts) < 2 or parts[0].lower() not in DPKG_ECOSYSTEMS or not parts[1]:
        return None
    return Release(parts[0].lower(), CODENAMES.get(parts[1].lower(), parts[1]))


def affected_fixes(
    affected: dict[str, Any], where: str, source: Path | str, notes: list[str]
) -> list[PackageFix]:
    package = affected["package"]
    release = ecosystem_release(package["ecosystem"])
    if release is None:
        notes.append(f"{where}: ecosystem {package['ecosystem']!r} is not a dpkg release: skipped")
        return []
    fixes = []
    for r_index, span in enumerate(affected.get("ranges", [])):
        if span["type"] != "ECOSYSTEM":
            continue
        introduced = ""
        open_range = False
        for e_index, event in enumerate(span["events"]):
            kind, value = next(iter(event.items()))
            path = f"{where}/ranges/{r_index}/events/{e_index}/{kind}"
            if kind == "limit":
                continue
            if not (kind == "introduced" and value == "0"):
                version(value, source, path)
            if kind == "introduced":
                introduced, open_range = value, True
            elif kind in ("fixed", "last_affected"):
                fixes.append(PackageFix(
                    release, package["name"], introduced=introduced,
                    fixed=value if kind == "fixed" else "",
                    last_affected=value if kind == "last_affected" else "",
                ))
                introduced, open_range = "", False
        if open_range:  # introduced and never fixed: every later version is affected
            fixes.append(PackageFix(release, package["name"], introduced=introduced))
    if not affected.get("ranges"):
        notes.append(f"{where}: no ECOSYSTEM range for {package['name']}: nothing to judge")
    return fixes


def osv_severity(document: dict[str, Any]) -> tuple[Severity, bool]:
    """The severity the record states (database or ecosystem specific); medium if none."""
    candidates = [document.get("database_specific", {}).get("severity", "")]
    for affected in document["affected"]:
        specific = affected.get("ecosystem_specific", {})
        candidates += [specific.get("severity", ""), specific.get("urgency", "")]
        candidates.append(affected.get("database_specific", {}).get("severity", ""))
    found = [s for c in candidates if isinstance(c, str) and (s := severity_word(c))]
    if not found:
        return Severity.MEDIUM, False
    return max(found, key=lambda s: s.rank), True
