"""MISP events and feeds: to_ids only, types mapped, composites split, unmapped reported."""

from __future__ import annotations

import json
import shutil
from datetime import UTC, datetime
from pathlib import Path

import pytest

from assessor.intel import IndicatorType, IntelError, SkipKind, load_intel, read_source
from assessor.intel.misp import parse_event

DATA = Path(__file__).parents[1] / "data" / "intel"
NOW = datetime(2026, 12, 1, tzinfo=UTC)
T = IndicatorType


def test_event_export() -> None:
    intake = read_source(DATA / "misp-event.json")
    got = {(i.type, i.value) for i in intake.indicators}
    assert got == {
        (T.SHA256, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
        (T.IPV4, "198.51.100.23"),
        (T.IPV4, "192.0.2.44"),  # ip-dst|port: the port is not hunted for
        (T.DOMAIN, "mirror.update-check.example"),  # to_ids "1"
        (T.DOMAIN, "www.google.com"),
        (T.PATH, "/usr/lib/x86_64-linux-gnu/libkeyutils.so.1.9"),  # filename|sha256, with a /
        (T.SHA256, "5a3b4d0e6f4e2c1b0a9f8e7d6c5b4a39281706f5e4d3c2b1a09f8e7d6c5b4a39"),
        (T.IPV6, "2001:db8::bad:1"),
        (T.FILENAME, "kworkerd"),  # from the file object
        (T.SHA1, "2fd4e1c67a2d28fced849ee1bb76e7391b93eb12"),
    }
    by_kind = {k: [s for s in intake.skipped if s.kind is k] for k in SkipKind}
    assert [s.value for s in by_kind[SkipKind.UNSUPPORTED]] == ["ops@phish.example"]
    assert "email-src" in by_kind[SkipKind.UNSUPPORTED][0].reason
    assert len(by_kind[SkipKind.NOT_IDS]) == 2  # url to_ids false, size-in-bytes
    assert [s.value for s in by_kind[SkipKind.REVOKED]] == ["9e107d9d372bb6826bd81d3542a419d6"]
    sshd = intake.indicators[0]
    assert sshd.origins[0].source == ("misp event 5f1c2b9e-8d1a-4c7e-9a51-6b2e4c7d9f10 "
                                      "(CERT warning 2026-117: SSH backdoor campaign)")
    assert sshd.origins[0].object_id == "b8e1a0f2-0001-4b3c-8d2e-6f7a8b9c0d01"
    assert "tlp:amber" in sshd.labels and sshd.description == "trojanised sshd"


def test_feed_directory_and_dedupe_with_event() -> None:
    intake = load_intel([DATA / "misp-event.json", DATA / "misp-feed"], now=NOW)
    c2 = next(i for i in intake.indicators if i.value == "198.51.100.23")
    assert [o.source.split(" (")[0] for o in c2.origins] == [
        "misp event 5f1c2b9e-8d1a-4c7e-9a51-6b2e4c7d9f10",
        "misp event 4a8e1c2d-3b4f-4e5a-8c6d-7e8f9a0b1c2d"]
    values = {(i.type, i.value) for i in intake.indicators}
    assert (T.DOMAIN, "pool.minexmr.example") in values and (T.IPV4, "203.0.113.77") in values
    assert (T.PATH, "/var/www/html/wp-content/uploads/cache.php") in values
    assert (T.MD5, "0cc175b9c0f1b6a831c399e269772661") in values
    assert (T.FILENAME, "kdevtmpfsi") in values
    assert any("user-agent" in s.reason for s in intake.skipped)


def test_feed_event_file_missing(tmp_path: Path) -> None:
    feed = tmp_path / "feed"
    shutil.copytree(DATA / "misp-feed", feed)
    (feed / "9b0c1d2e-3f4a-4b5c-8d6e-7f8091a2b3c4.json").unlink()
    with pytest.raises(IntelError) as caught:
        read_source(feed)
    assert caught.value.message == (
        f"{feed / 'manifest.json'}: 9b0c1d2e-3f4a-4b5c-8d6e-7f8091a2b3c4: event file "
        "9b0c1d2e-3f4a-4b5c-8d6e-7f8091a2b3c4.json is missing")


def event(*attributes: dict[str, object]) -> dict[str, object]:
    return {"Event": {"uuid": "e-1", "info": "test", "Attribute": list(attributes)}}


@pytest.mark.parametrize(("document", "where", "what"), [
    (event({"type": "md5"}), "Event.Attribute[0]", "value"),
    (event({"type": "md5", "value": 5}), "Event.Attribute[0].value", "must be string"),
    ({"Event": {"info": "x"}}, "Event", "uuid"),
    (event({"type": "ip-dst|port", "value": "1.2.3.4", "to_ids": True}),
     "Event.Attribute[0].value", "2 '|'-separated parts"),
    ({"Event": {"uuid": "e", "info": "i", "Object": [{"Attribute": [{"type": 1, "value": ""}]}]}},
     "Event.Object[0].Attribute[0].type", "must be string"),
])
def test_bad_event_names_file_and_path(document: object, where: str, what: str) -> None:
    with pytest.raises(IntelError) as caught:
        parse_event(document, "ev.json")
    assert caught.value.message.startswith(f"ev.json: {where}: ")
    assert what in caught.value.message


def test_bad_value_of_a_mapped_type_is_unsupported_with_reason(tmp_path: Path) -> None:
    path = tmp_path / "ev.json"
    path.write_text(json.dumps(event({"uuid": "a-1", "type": "sha256", "value": "abc",
                                      "to_ids": True})))
    intake = read_source(path)
    assert intake.indicators == ()
    assert intake.skipped[0].kind is SkipKind.UNSUPPORTED
    assert "is not a sha256" in intake.skipped[0].reason


def test_rest_search_response_and_list_of_events(tmp_path: Path) -> None:
    one = json.loads((DATA / "misp-event.json").read_text())
    feed_event = json.loads(
        (DATA / "misp-feed" / "4a8e1c2d-3b4f-4e5a-8c6d-7e8f9a0b1c2d.json").read_text())
    for name, document in (("search.json", {"response": [one, feed_event]}),
                           ("list.json", [one, feed_event])):
        path = tmp_path / name
        path.write_text(json.dumps(document))
        intake = read_source(path)
        assert len(intake.sources) == 2 and len(intake.indicators) == 10 + 5


def test_bad_event_in_a_list_names_its_index(tmp_path: Path) -> None:
    path = tmp_path / "search.json"
    path.write_text(json.dumps({"response": [event(), {"Event": {"info": "no uuid"}}]}))
    with pytest.raises(IntelError) as caught:
        read_source(path)
    assert caught.value.message.startswith(f"{path}: [1]: Event: ")
