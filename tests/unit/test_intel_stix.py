"""STIX 2.1 bundles: which patterns become indicators, what is reported unsupported, and
that a bad bundle is one error naming the file and the JSON path."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from assessor.intel import IndicatorType, IntelError, SkipKind, load_intel
from assessor.intel.patterns import read_pattern
from assessor.intel.stix import parse_bundle

DATA = Path(__file__).parents[1] / "data" / "intel"
NOW = datetime(2026, 12, 1, tzinfo=UTC)
T = IndicatorType


def bundle(*patterns: str, **extra: Any) -> dict[str, Any]:
    return {
        "type": "bundle",
        "id": "bundle--00000000-0000-4000-8000-000000000000",
        "objects": [
            {"type": "indicator", "id": f"indicator--{i:08d}-0000-4000-8000-000000000000",
             "pattern": p, "pattern_type": "stix", "valid_from": "2026-11-20T08:00:00Z", **extra}
            for i, p in enumerate(patterns)
        ],
    }


SUPPORTED = [
    ("[file:hashes.'SHA-256' = 'AA" + "0" * 62 + "']", T.SHA256, "aa" + "0" * 62),
    ("[file:hashes.SHA256 = '" + "b" * 64 + "']", T.SHA256, "b" * 64),
    ("[file:hashes.'SHA-1' = '" + "C" * 40 + "']", T.SHA1, "c" * 40),
    ("[file:hashes.MD5 = '" + "d" * 32 + "']", T.MD5, "d" * 32),
    ("[file:name = 'kworkerd']", T.FILENAME, "kworkerd"),
    ("[directory:path = '/tmp/.X11-unix/']", T.PATH, "/tmp/.X11-unix"),
    ("[ipv4-addr:value = '198.51.100.7']", T.IPV4, "198.51.100.7"),
    ("[ipv4-addr:value = '198.51.100.0/24']", T.IPV4, "198.51.100.0/24"),
    ("[ipv6-addr:value = '2001:DB8:0::1']", T.IPV6, "2001:db8::1"),
    ("[domain-name:value = 'C2.Example.NET.']", T.DOMAIN, "c2.example.net"),
    ("[url:value = 'HTTPS://C2.example.net/Path?q=1']", T.URL, "https://c2.example.net/Path?q=1"),
    ("[process:name = 'kdevtmpfsi']", T.PROCESS_NAME, "kdevtmpfsi"),
    ("[file:name = 'it\\'s']", T.FILENAME, "it's"),
]


@pytest.mark.parametrize(("pattern", "kind", "value"), SUPPORTED)
def test_supported_comparison(pattern: str, kind: IndicatorType, value: str) -> None:
    intake = parse_bundle(bundle(pattern), "b.json")
    assert [(i.type, i.value) for i in intake.indicators] == [(kind, value)]
    assert not intake.skipped


def test_or_inside_and_between_observations_gives_every_value() -> None:
    reading = read_pattern("[file:hashes.MD5 = '" + "a" * 32 + "' OR file:name = 'x']"
                           " OR [domain-name:value = 'a.example']")
    assert {(c.type, c.value) for c in reading.comparisons} == {
        (T.MD5, "a" * 32), (T.FILENAME, "x"), (T.DOMAIN, "a.example")}
    assert reading.unsupported == ()


UNSUPPORTED = [
    ("[file:hashes.MD5 = '" + "a" * 32 + "' AND file:name = 'sshd']", "AND"),
    ("[ipv4-addr:value = '1.2.3.4'] AND [domain-name:value = 'a.example']", "AND"),
    ("[ipv4-addr:value = '1.2.3.4'] FOLLOWEDBY [domain-name:value = 'a.example']", "FOLLOWEDBY"),
    ("[process:name = 'x'] REPEATS 3 TIMES", "REPEATS 3 TIMES"),
    ("[process:name = 'x'] WITHIN 60 SECONDS", "WITHIN 60 SECONDS"),
    ("[file:name != 'x']", "only '='"),
    ("[file:name MATCHES '^kworker']", "only '='"),
    ("[file:name LIKE 'kwork%']", "only '='"),
    ("[ipv4-addr:value ISSUBSET '198.51.100.0/24']", "only '='"),
    ("[file:name IN ('a', 'b')]", "only '='"),
    ("[file:size > 1000]", "no hunt looks at file:size"),
    ("[file:hashes.'SHA-512' = 'ab']", "no hunt looks at file:hashes.SHA-512"),
    ("[email-addr:value = 'a@b.example']", "no hunt looks at email-addr:value"),
    ("[windows-registry-key:key = 'HKLM\\\\Run']", "no hunt looks at windows-registry-key:key"),
    ("[network-traffic:dst_port = 443]", "no hunt looks at network-traffic:dst_port"),
]


@pytest.mark.parametrize(("pattern", "reason"), UNSUPPORTED)
def test_unsupported_is_listed_with_id_and_reason(pattern: str, reason: str) -> None:
    intake = parse_bundle(bundle(pattern), "b.json")
    assert intake.indicators == ()
    [skipped] = intake.skipped
    assert skipped.kind is SkipKind.UNSUPPORTED
    assert skipped.origin.object_id == "indicator--00000000-0000-4000-8000-000000000000"
    assert reason in skipped.reason


def test_or_with_an_unsupported_part_keeps_the_supported_part() -> None:
    intake = parse_bundle(bundle("[file:size > 10 OR file:name = 'x']"), "b.json")
    assert [i.value for i in intake.indicators] == ["x"]
    assert "file:size" in intake.skipped[0].reason


def test_bad_value_in_a_supported_path_is_unsupported_not_fatal() -> None:
    intake = parse_bundle(bundle("[file:hashes.MD5 = 'not-hex']"), "b.json")
    assert intake.indicators == ()
    assert "is not a md5" in intake.skipped[0].reason


def test_sample_bundle_validity_revocation_and_confidence() -> None:
    intake = load_intel([DATA / "cert-bundle.json"], now=NOW)
    kinds = [s.kind for s in intake.skipped]
    assert kinds.count(SkipKind.EXPIRED) == 1
    assert kinds.count(SkipKind.REVOKED) == 1
    assert kinds.count(SkipKind.UNSUPPORTED) == 4
    values = {i.value for i in intake.indicators}
    assert "203.0.113.5" not in values  # expired
    assert "cdn.example.org" not in values  # revoked
    assert "update.example-cdn.net" in values
    sshd = next(i for i in intake.indicators if i.type is T.SHA256)
    assert sshd.confidence == 85 and sshd.labels == ("malicious-activity", "sshbackdoor")
    assert sshd.description == "Trojanised sshd"
    assert sshd.origins[0].object_id == "indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f"
    assert sshd.origins[0].source.startswith("bundle--5d0092c5")


def test_not_yet_valid_and_minimum_confidence() -> None:
    from assessor.intel.merge import select

    late = bundle("[file:name = 'x']")
    late["objects"][0]["valid_from"] = "2027-01-01T00:00:00Z"
    path = DATA / "cert-bundle.json"
    intake = load_intel([path], now=NOW, min_confidence=65)
    low = [s for s in intake.skipped if s.kind is SkipKind.LOW_CONFIDENCE]
    assert {s.value for s in low} == {
        "kworkerd", ".kworkerd", "2fd4e1c67a2d28fced849ee1bb76e7391b93eb12",
        "http://update.example-cdn.net/x/kworkerd", "2001:db8::17"}
    assert select(parse_bundle(late, "l.json"), NOW).skipped[0].kind is SkipKind.NOT_YET_VALID


def test_expired_exactly_at_valid_until() -> None:
    from assessor.intel.merge import select

    doc = bundle("[file:name = 'x']", valid_until="2026-12-01T00:00:00Z")
    assert select(parse_bundle(doc, "b.json"), NOW).skipped[0].kind is SkipKind.EXPIRED


def break_at(document: dict[str, Any], index: int, key: str, value: Any) -> dict[str, Any]:
    broken = copy.deepcopy(document)
    if value is None:
        del broken["objects"][index][key]
    else:
        broken["objects"][index][key] = value
    return broken


BAD = [
    (lambda d: break_at(d, 1, "pattern", 12), "objects[1].pattern", "must be string"),
    (lambda d: break_at(d, 1, "pattern", "[file:name = "), "objects[1].pattern",
     "not a STIX 2.1 pattern"),
    (lambda d: break_at(d, 0, "valid_from", None), "objects[0]", "valid_from"),
    (lambda d: break_at(d, 1, "valid_until", "next tuesday"), "objects[1].valid_until",
     "not a timestamp"),
    (lambda d: break_at(d, 0, "confidence", 150), "objects[0].confidence", "100"),
    (lambda d: break_at(d, 1, "valid_until", "2026-11-20T08:00:00Z"), "objects[1].valid_until",
     "must be later than valid_from"),
    (lambda d: {**d, "id": "report--1"}, "id", "must match pattern ^bundle--"),
    (lambda d: break_at(d, 1, "id", "malware--1"), "objects[1].id", "^indicator--"),
    (lambda d: {k: v for k, v in d.items() if k != "objects"}, "(top level)", "objects"),
]


@pytest.mark.parametrize(("breaker", "where", "what"), BAD)
def test_bad_bundle_names_file_and_json_path(tmp_path: Path, breaker: Any, where: str,
                                             what: str) -> None:
    path = tmp_path / "cert.json"
    path.write_text(json.dumps(breaker(bundle("[file:name = 'a']", "[file:name = 'b']"))))
    with pytest.raises(IntelError) as caught:
        load_intel([path], now=NOW)
    assert caught.value.exit_code == 2
    assert caught.value.message.startswith(f"{path}: {where}: ")
    assert what in caught.value.message


def test_malformed_json_names_file_line_and_column(tmp_path: Path) -> None:
    path = tmp_path / "cert.json"
    path.write_text('{"type": "bundle",\n "objects": [\n  {"type": "indicator",]\n}')
    with pytest.raises(IntelError) as caught:
        load_intel([path], now=NOW)
    assert caught.value.message.startswith(f"{path}:3: column ")
    assert "invalid JSON" in caught.value.message


def test_json_that_is_no_known_format(tmp_path: Path) -> None:
    path = tmp_path / "x.json"
    path.write_text('{"hello": 1}')
    with pytest.raises(IntelError, match=r"neither a STIX 2\.1 bundle"):
        load_intel([path], now=NOW)


def test_large_bundles_are_parsed_in_a_pool_with_the_same_result(
        monkeypatch: pytest.MonkeyPatch) -> None:
    from assessor.intel import patterns

    texts = [p for p, _, _ in SUPPORTED] + [p for p, _ in UNSUPPORTED] + ["[bad"]
    serial = patterns.read_patterns(texts)
    monkeypatch.setattr(patterns, "PARALLEL_FROM", 2)
    monkeypatch.setattr(patterns.os, "cpu_count", lambda: 2)
    pooled = patterns.read_patterns(texts)
    assert [r for r in pooled if not isinstance(r, Exception)] == \
        [r for r in serial if not isinstance(r, Exception)]
    assert isinstance(pooled[-1], patterns.PatternSyntaxError)
    assert str(pooled[-1]) == str(serial[-1])


def test_without_a_process_pool_patterns_are_read_here(monkeypatch: pytest.MonkeyPatch) -> None:
    from assessor.intel import patterns

    def no_pool(*args: object, **kwargs: object) -> None:
        raise OSError("no /dev/shm")

    monkeypatch.setattr(patterns, "PARALLEL_FROM", 2)
    monkeypatch.setattr(patterns.os, "cpu_count", lambda: 2)
    monkeypatch.setattr(patterns, "ProcessPoolExecutor", no_pool)
    texts = [p for p, _, _ in SUPPORTED]
    assert patterns.read_patterns(texts) == [patterns.read_pattern(t) for t in texts]
