"""MISP feeds pulled incrementally from a feed directory served on 127.0.0.1 by the
standard library's file server (Last-Modified and 304, as a web server serves a feed)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from receivers import MispFeed

from assessor.errors import ConfigError
from assessor.intel.loader import load_intel
from assessor.intel.mispfeed import FeedCursor, pull_feed, write_events

A = "5d1e0a4c-1111-4e5a-8c6d-7e8f9a0b0001"
B = "5d1e0a4c-2222-4e5a-8c6d-7e8f9a0b0002"
C = "5d1e0a4c-3333-4e5a-8c6d-7e8f9a0b0003"


@pytest.fixture
def feed(tmp_path: Path) -> Iterator[MispFeed]:
    served = MispFeed(tmp_path / "feed")
    try:
        yield served
    finally:
        served.close()


def test_each_pull_takes_only_what_the_feed_gained(feed: MispFeed, tmp_path: Path) -> None:
    feed.add_sha256(A, "first", "a" * 64)
    first = pull_feed(feed.url, FeedCursor())
    assert [e["Event"]["uuid"] for e in first.events] == [A]
    assert feed.requests == [("/manifest.json", 200), (f"/{A}.json", 200)]

    del feed.requests[:]
    unchanged = pull_feed(feed.url, FeedCursor.loads(first.cursor.dumps()))
    assert unchanged.unchanged and unchanged.events == ()
    assert feed.requests == [("/manifest.json", 304)]  # nothing re-fetched

    feed.add_sha256(B, "second", "b" * 64)
    del feed.requests[:]
    second = pull_feed(feed.url, unchanged.cursor)
    assert [e["Event"]["uuid"] for e in second.events] == [B]
    assert feed.requests == [("/manifest.json", 200), (f"/{B}.json", 200)]

    write_events(second.events, tmp_path / "intel" / "misp-1.json")
    intake = load_intel([tmp_path / "intel" / "misp-1.json"])
    assert [(i.type.value, i.value) for i in intake.indicators] == [("sha256", "b" * 64)]


def test_an_event_changed_in_the_feed_is_taken_again(feed: MispFeed) -> None:
    feed.add_sha256(A, "first", "a" * 64)
    cursor = pull_feed(feed.url, FeedCursor()).cursor
    feed.manifest[A]["timestamp"] = str(int(feed.manifest[A]["timestamp"]) + 60)
    feed.add_sha256(B, "second", "b" * 64)
    feed.manifest[A]["timestamp"] = str(int(feed.manifest[A]["timestamp"]) + 60)
    feed._write_manifest()
    assert sorted(e["Event"]["uuid"] for e in pull_feed(feed.url, cursor).events) == [A, B]


def test_a_bounded_pull_leaves_the_rest_for_the_next(feed: MispFeed) -> None:
    for uuid in (A, B, C):
        feed.add_sha256(uuid, uuid, uuid[-1] * 64)
    first = pull_feed(feed.url, FeedCursor(), max_events=2)
    assert len(first.events) == 2 and first.cursor.etag == first.cursor.last_modified == ""
    rest = pull_feed(feed.url, first.cursor, max_events=2)
    assert {e["Event"]["uuid"] for e in first.events + rest.events} == {A, B, C}
    assert len(rest.events) == 1


def test_a_broken_event_fails_the_pull_and_keeps_the_cursor(feed: MispFeed) -> None:
    feed.add_sha256(A, "first", "a" * 64)
    (feed.root / f"{A}.json").write_text(json.dumps({"Event": {"info": "no uuid"}}))
    with pytest.raises(ConfigError, match=A):
        pull_feed(feed.url, FeedCursor())
    (feed.root / f"{A}.json").unlink()
    with pytest.raises(ConfigError, match="HTTP 404"):
        pull_feed(feed.url, FeedCursor())


def test_an_unreachable_feed_is_one_config_error() -> None:
    with pytest.raises(ConfigError, match="MISP feed pull failed"):
        pull_feed("http://127.0.0.1:9/feed/", FeedCursor(), timeout=5)


def test_a_feed_that_wants_a_key_gets_it_and_refuses_without(tmp_path: Path) -> None:
    """A partner feed of a MISP instance wants the automation key in Authorization; the
    key is sent with every request and never appears in the error."""
    key = "mK3yAutomationKey0123456789abcdefABCDEF01"
    served = MispFeed(tmp_path / "feed", key=key)
    try:
        served.add_sha256(A, "first", "a" * 64)
        with pytest.raises(ConfigError, match=r"refused the request \(HTTP 403\): it wants"
                           ) as no_key:
            pull_feed(served.url, FeedCursor())
        with pytest.raises(ConfigError, match="its key was not accepted") as wrong:
            pull_feed(served.url, FeedCursor(), key="not-the-key")
        assert "not-the-key" not in str(wrong.value) and key not in str(no_key.value)
        del served.requests[:]
        pulled = pull_feed(served.url, FeedCursor(), key=key)
        assert [e["Event"]["uuid"] for e in pulled.events] == [A]
        assert served.requests == [("/manifest.json", 200), (f"/{A}.json", 200)]
    finally:
        served.close()
