"""Normalisation, de-duplication across sources, allowlists and the hunt lookup tables."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from assessor.intel import (
    Indicator,
    IndicatorType,
    IntelError,
    Origin,
    SkipKind,
    dedupe,
    hunt_tables,
    load_intel,
    load_warninglists,
)
from assessor.intel.normalise import infer_type, normalise

DATA = Path(__file__).parents[1] / "data" / "intel"
NOW = datetime(2026, 12, 1, tzinfo=UTC)
T = IndicatorType


@pytest.mark.parametrize(("kind", "raw", "canonical"), [
    (T.SHA256, " " + "AB" * 32 + " ", "ab" * 32),
    (T.DOMAIN, "Evil.Example.COM.", "evil.example.com"),
    (T.DOMAIN, "bücher.example", "xn--bcher-kva.example"),
    (T.IPV4, "198.51.100.1/32", "198.51.100.1"),
    (T.IPV4, "198.51.100.9/24", "198.51.100.0/24"),
    (T.IPV6, "2001:0DB8:0000::0001", "2001:db8::1"),
    (T.URL, "HTTP://Host.Example:8080/A/b", "http://host.example:8080/A/b"),
    (T.PATH, "/tmp//x/../.hidden/", "/tmp/.hidden"),
    (T.FILENAME, " Invoice.PDF.exe ", "Invoice.PDF.exe"),
])
def test_normalise(kind: IndicatorType, raw: str, canonical: str) -> None:
    assert normalise(kind, raw) == canonical


@pytest.mark.parametrize(("kind", "raw"), [
    (T.MD5, "xyz"), (T.SHA1, "a" * 41), (T.IPV4, "2001:db8::1"), (T.IPV6, "1.2.3.4"),
    (T.DOMAIN, "localhost"), (T.DOMAIN, "1.2.3.4"), (T.DOMAIN, "-bad.example"),
    (T.URL, "no-scheme.example/x"), (T.PATH, "relative/x"), (T.FILENAME, "a/b"),
    (T.PROCESS_NAME, "  "),
])
def test_normalise_rejects(kind: IndicatorType, raw: str) -> None:
    with pytest.raises(ValueError):
        normalise(kind, raw)


@pytest.mark.parametrize(("raw", "kind"), [
    ("a" * 32, T.MD5), ("a" * 40, T.SHA1), ("a" * 64, T.SHA256), ("10.0.0.1", T.IPV4),
    ("fe80::1", T.IPV6), ("https://x.example", T.URL), ("/etc/x", T.PATH),
    ("x.example", T.DOMAIN), ("kworkerd", None), ("a" * 33, None),
])
def test_infer_type(raw: str, kind: IndicatorType | None) -> None:
    assert infer_type(raw) is kind


def sighting(value: str, source: str, **extra: object) -> Indicator:
    return Indicator(T.DOMAIN, value, (Origin(source, f"id-{source}"),), **extra)  # type: ignore[arg-type]


def test_dedupe_keeps_every_origin_and_the_widest_validity() -> None:
    early, late = datetime(2026, 1, 1, tzinfo=UTC), datetime(2026, 6, 1, tzinfo=UTC)
    merged = dedupe([
        sighting("c2.example", "stix", valid_from=late, valid_until=late, confidence=40,
                 labels=("apt",), description="C2"),
        sighting("other.example", "stix"),
        sighting("c2.example", "misp", valid_from=early, valid_until=None, confidence=80,
                 labels=("tlp:amber",)),
        sighting("c2.example", "stix", valid_from=late),  # same origin again: kept once
    ])
    assert [i.value for i in merged] == ["c2.example", "other.example"]
    c2 = merged[0]
    assert [o.source for o in c2.origins] == ["stix", "misp"]
    assert c2.valid_from == early and c2.valid_until is None and c2.confidence == 80
    assert c2.labels == ("apt", "tlp:amber") and c2.description == "C2"


def test_all_sources_together() -> None:
    sources = [DATA / "cert-bundle.json", DATA / "misp-event.json", DATA / "misp-feed",
               DATA / "indicators.csv", DATA / "blocklist.txt"]
    intake = load_intel(sources, now=NOW)
    empty = next(i for i in intake.indicators if i.value.startswith("e3b0c442"))
    assert len(empty.origins) == 3  # STIX bundle, MISP event, CSV
    keys = [i.key for i in intake.indicators]
    assert len(keys) == len(set(keys))


def test_warninglists_drop_benign_values_and_count_them() -> None:
    lists = load_warninglists([DATA / "allowlist-hostnames.json", DATA / "allowlist-cidr.json"])
    intake = load_intel([DATA / "misp-event.json"], now=NOW, allowlists=lists)
    allowlisted = {s.value: s.reason for s in intake.skipped if s.kind is SkipKind.ALLOWLISTED}
    assert set(allowlisted) == {"www.google.com", "192.0.2.44"}  # subdomain; inside the cidr
    assert "Well-known benign hostnames" in allowlisted["www.google.com"]
    assert all(i.value not in allowlisted for i in intake.indicators)


@pytest.mark.parametrize(("kind", "entries", "value_type", "value", "covered"), [
    ("string", ["KWORKERD"], T.FILENAME, "kworkerd", True),
    ("string", ["kworkerd"], T.FILENAME, "kworkerd2", False),
    ("substring", ["update"], T.URL, "http://a.example/update/x", True),
    ("hostname", ["example.org"], T.URL, "https://cdn.example.org/x", True),
    ("hostname", ["example.org"], T.DOMAIN, "badexample.org", False),
    ("cidr", ["2001:db8::/32"], T.IPV6, "2001:db8::1", True),
    ("cidr", ["10.0.0.0/8"], T.IPV6, "2001:db8::1", False),
    ("cidr", ["10.0.0.0/8"], T.IPV4, "10.1.0.0/16", True),
    ("regex", ["^/usr/share/"], T.PATH, "/usr/share/doc/x", True),
])
def test_warninglist_kinds(tmp_path: Path, kind: str, entries: list[str],
                           value_type: IndicatorType, value: str, covered: bool) -> None:
    path = tmp_path / "wl.json"
    path.write_text(json.dumps({"name": "wl", "type": kind, "list": entries}))
    [warninglist] = load_warninglists([path])
    assert warninglist.covers(Indicator(value_type, value, ())) is covered


@pytest.mark.parametrize(("document", "where"), [
    ({"name": "x", "type": "bloom", "list": []}, "type"),
    ({"name": "x", "type": "cidr", "list": ["10.0.0.0/33"]}, "list"),
    ({"name": "x", "type": "string"}, "(top level)"),
])
def test_bad_warninglist(tmp_path: Path, document: object, where: str) -> None:
    path = tmp_path / "wl.json"
    path.write_text(json.dumps(document))
    with pytest.raises(IntelError) as caught:
        load_warninglists([path])
    assert caught.value.message.startswith(f"{path}: {where}: ")


def test_hunt_tables() -> None:
    intake = load_intel([DATA / "cert-bundle.json", DATA / "misp-feed", DATA / "blocklist.txt"],
                        now=NOW)
    tables = hunt_tables(intake.indicators)
    assert "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855" in \
        tables.hashes[T.SHA256]
    assert "0cc175b9c0f1b6a831c399e269772661" in tables.hashes[T.MD5]
    assert "2fd4e1c67a2d28fced849ee1bb76e7391b93eb12" in tables.hashes[T.SHA1]
    assert ".kworkerd" in tables.file_names and "kdevtmpfsi" in tables.file_names
    assert "kworkerd" in tables.process_names
    assert "/var/www/html/wp-content/uploads/cache.php" in tables.paths
    assert "203.0.113.77" in tables.ip_addresses
    assert [str(n) for n in tables.ip_networks] == ["198.51.100.0/24"]
    assert tables.ip_hit("198.51.100.200") == "198.51.100.0/24"
    assert tables.ip_hit("2001:db8::bad:1") == "2001:db8::bad:1"
    assert tables.ip_hit("192.0.2.1") is None
    assert tables.domain_hit("a.b.Pool.Minexmr.Example.") == "pool.minexmr.example"
    assert tables.domain_hit("minexmr.example") is None
    assert "https://paste.example.net/raw/x1" in tables.urls
    origins = tables.origins[(T.IPV4, "203.0.113.77")]
    assert origins[0].source.startswith("misp event 4a8e1c2d")


def test_hunt_tables_of_nothing() -> None:
    tables = hunt_tables([])
    assert tables.hashes == {T.SHA256: frozenset(), T.SHA1: frozenset(), T.MD5: frozenset()}
    assert tables.domain_hit("x.example") is None
