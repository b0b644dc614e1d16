"""CSAF 2.0 security advisories (OASIS), as national CERTs and vendors publish them.

A fixed version is read from the products listed under `product_status.fixed` (or
`first_fixed`): each product must say which Debian package, version and release it is,
either by a purl (`pkg:deb/debian/NAME@VERSION?distro=debian-12`, `arch=source` for a
source package) or by its branch path (product_name -> product_version) tied to an OS
product (name or CPE naming the release) by a `default_component_of` relationship.
Products that are no dpkg package at all (applications, firmware) are noted and skipped.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from assessor.advisories import versions
from assessor.advisories.model import (
    Advisory,
    AdvisoryError,
    PackageFix,
    Release,
    parse_release,
    severity_from_score,
    severity_word,
)
from assessor.advisories.validate import validate, version
from assessor.results import Severity

_IDS = {"type": "array", "items": {"type": "string"}}
_PRODUCT = {
    "type": "object",
    "required": ["name", "product_id"],
    "properties": {"name": {"type": "string"}, "product_id": {"type": "string"}},
}
SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["document"],
    "properties": {
        "document": {
            "type": "object",
            "required": ["category", "csaf_version", "publisher", "title", "tracking"],
            "properties": {
                "csaf_version": {"const": "2.0"},
                "category": {"type": "string"},
                "title": {"type": "string"},
                "publisher": {"type": "object", "required": ["name"]},
                "tracking": {
                    "type": "object",
                    "required": ["id", "initial_release_date"],
                    "properties": {"id": {"type": "string", "minLength": 1}},
                },
                "aggregate_severity": {"type": "object", "required": ["text"]},
            },
        },
        "product_tree": {
            "type": "object",
            "properties": {
                "branches": {"type": "array"},
                "full_product_names": {"type": "array", "items": _PRODUCT},
                "relationships": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "required": ["category", "full_product_name", "product_reference",
                                     "relates_to_product_reference"],
                        "properties": {"full_product_name": _PRODUCT},
                    },
                },
            },
        },
        "vulnerabilities": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "cve": {"type": "string"},
                    "product_status": {
                        "type": "object",
                        "properties": {k: _IDS for k in (
                            "fixed", "first_fixed", "known_affected", "first_affected",
                            "last_affected", "known_not_affected", "recommended",
                            "under_investigation")},
                    },
                    "remediations": {
                        "type": "array",
                        "items": {"type": "object", "required": ["category"]},
                    },
                },
            },
        },
    },
}
DPKG_VENDORS = ("debian", "ubuntu")
_DEBIAN_CPE = re.compile(r"^cpe:(?:/o|2\.3:o):(debian):debian_linux:(\d+)")


@dataclass(frozen=True)
class Product:
    """What a CSAF product id means for a dpkg host, when it means anything."""

    where: str
    name: str
    package: str = ""
    version: str = ""
    release: Release | None = None
    kind: str = "source"


def looks_like(document: Any) -> bool:
    return isinstance(document, dict) and "document" in document


def parse(document: Any, source: Path | str) -> Advisory:
    validate(document, SCHEMA, source)
    doc = document["document"]
    products = resolve_products(document.get("product_tree", {}), source)
    fixes: dict[tuple[Release, str, str], PackageFix] = {}
    notes: list[str] = []
    cves: set[str] = set()
    references = [r["url"] for r in doc.get("references", []) if "url" in r]
    for v_index, vuln in enumerate(document.get("vulnerabilities", [])):
        if vuln.get("cve"):
            cves.add(vuln["cve"])
        references += [r["url"] for r in vuln.get("references", []) if "url" in r]
        status = vuln.get("product_status", {})
        for key in ("fixed", "first_fixed", "known_affected", "first_affected"):
            for p_index, product_id in enumerate(status.get(key, [])):
                where = f"/vulnerabilities/{v_index}/product_status/{key}/{p_index}"
                product = products.get(product_id)
                if product is None:
                    raise AdvisoryError(source, where, f"product id {product_id!r} is not "
                                        "defined in /product_tree")
                if not product.package:
                    notes.append(f"{product_id} ({product.name}) is not a dpkg package: skipped")
                    continue
                if product.release is None:
                    notes.append(f"{product_id} ({product.name}) names no release: skipped")
                    continue
                merge(fixes, product, fixed=key in ("fixed", "first_fixed"), source=source)
    severity, stated = csaf_severity(document)
    return Advisory(
        id=doc["tracking"]["id"],
        title=doc["title"],
        severity=severity,
        severity_stated=stated,
        source=str(source),
        format="csaf",
        fixes=tuple(fixes.values()),
        cves=tuple(sorted(cves)),
        references=tuple(dict.fromkeys(references)),
        published=doc["tracking"]["initial_release_date"],
        notes=tuple(dict.fromkeys(notes)),
    )


def merge(
    fixes: dict[tuple[Release, str, str], PackageFix], product: Product, *, fixed: bool,
    source: Path | str,
) -> None:
    """Keep the highest fixed version per (release, package): every listed CVE is fixed there."""
    assert product.release is not None
    key = (product.release, product.package, product.kind)
    known = fixes.get(key)
    if not fixed:
        if known is None:
            fixes[key] = PackageFix(product.release, product.package, kind=product.kind)
        return
    if not product.version:
        raise AdvisoryError(source, product.where, f"fixed product {product.name!r} has no "
                            "version: give a purl with @VERSION or a product_version branch")
    if known is None or not known.fixed or versions.compare(product.version, known.fixed) > 0:
        fixes[key] = PackageFix(product.release, product.package, fixed=product.version,
                                kind=product.kind)


def resolve_products(tree: dict[str, Any], source: Path | str) -> dict[str, Product]:
    products: dict[str, Product] = {}
    for where, chain, product in walk_branches(tree.get("branches", []), "/product_tree/branches"):
        products[product["product_id"]] = describe(product, chain, where, source)
    for index, product in enumerate(tree.get("full_product_names", [])):
        where = f"/product_tree/full_product_names/{index}"
        products[product["product_id"]] = describe(product, [], where, source)
    for index, rel in enumerate(tree.get("relationships", [])):
        where = f"/product_tree/relationships/{index}"
        component = products.get(rel["product_reference"])
        platform = products.get(rel["relates_to_product_reference"])
        if component is None or platform is None:
            missing = rel["product_reference"] if component is None else rel[
                "relates_to_product_reference"]
            raise AdvisoryError(source, where, f"product id {missing!r} is not defined")
        full = rel["full_product_name"]
        release = component.release or platform_release(platform)
        products[full["product_id"]] = Product(
            where=where, name=full["name"], package=component.package,
            version=component.version, release=release, kind=component.kind,
        )
    return products


def walk_branches(
    branches: list[Any], where: str, chain: list[tuple[str, str]] | None = None
) -> Iterator[tuple[str, list[tuple[str, str]], dict[str, Any]]]:
    for index, branch in enumerate(branches):
        here = f"{where}/{index}"
        if not isinstance(branch, dict) or "category" not in branch or "name" not in branch:
            continue
        trail = [*(chain or []), (branch["category"], str(branch["name"]))]
        if isinstance(branch.get("product"), dict) and "product_id" in branch["product"]:
            yield f"{here}/product", trail, branch["product"]
        yield from walk_branches(branch.get("branches", []), f"{here}/branches", trail)


def describe(
    product: dict[str, Any], chain: list[tuple[str, str]], where: str, source: Path | str
) -> Product:
    helper = product.get("product_identification_helper", {})
    purl = helper.get("purl", "") if isinstance(helper, dict) else ""
    if purl.startswith("pkg:deb/"):
        return from_purl(purl, product["name"], f"{where}/product_identification_helper/purl",
                         source)
    cpe = helper.get("cpe", "") if isinstance(helper, dict) else ""
    by_category = dict(chain)
    package = by_category.get("product_name", "")
    found = by_category.get("product_version", "")
    release = release_in_chain(chain) or cpe_release(cpe)
    dpkg_vendor = any(c == "vendor" and n.strip().lower() in DPKG_VENDORS for c, n in chain)
    if package and found and (dpkg_vendor or release):  # release may come from a relationship
        return Product(where, product["name"], package, version(found, source, where), release)
    return Product(where, product["name"], release=cpe_release(cpe) or release_in_chain(chain))


def from_purl(purl: str, name: str, where: str, source: Path | str) -> Product:
    parts = urlsplit(purl)
    path = unquote(parts.path)  # "deb/debian/NAME@VERSION"
    _, _, rest = path.partition("/")
    namespace, _, name_version = rest.partition("/")
    package, _, found = name_version.partition("@")
    qualifiers = {k: v[0] for k, v in parse_qs(parts.query).items()}
    distro = qualifiers.get("distro", "")
    release = parse_release(distro) if distro else None
    if release is None:
        raise AdvisoryError(source, where, f"purl {purl!r} has no usable distro qualifier "
                            "(e.g. distro=debian-12): cannot tell which release it is for")
    if not package:
        raise AdvisoryError(source, where, f"purl {purl!r} names no package")
    kind = "source" if qualifiers.get("arch") == "source" else "binary"
    return Product(where, name, package, version(found, source, where) if found else "",
                   Release(namespace.lower() or release.distro, release.version), kind)


def release_in_chain(chain: list[tuple[str, str]]) -> Release | None:
    for category, name in chain:
        if category in ("product_family", "product_name", "vendor"):
            release = parse_release(name)
            if release and release.distro in ("debian", "ubuntu") and release.version[:1].isdigit():
                return release
    return None


def platform_release(platform: Product) -> Release | None:
    if platform.release:
        return platform.release
    release = parse_release(platform.name)
    if release and release.distro in ("debian", "ubuntu") and release.version[:1].isdigit():
        return release
    return None


def cpe_release(cpe: str) -> Release | None:
    match = _DEBIAN_CPE.match(cpe)
    return Release(match.group(1), match.group(2)) if match else None


def csaf_severity(document: dict[str, Any]) -> tuple[Severity, bool]:
    text = document["document"].get("aggregate_severity", {}).get("text", "")
    if text and (word := severity_word(text)):
        return word, True
    scores: list[Severity] = []
    for vuln in document.get("vulnerabilities", []):
        for score in vuln.get("scores", []):
            cvss = score.get("cvss_v3") or score.get("cvss_v2") or {}
            if isinstance(cvss.get("baseScore"), int | float):
                scores.append(severity_from_score(float(cvss["baseScore"])))
    if scores:
        return max(scores, key=lambda s: s.rank), True
    return Severity.MEDIUM, False
