"""Pull a MISP feed over HTTP, taking only what it gained since the last pull.

A feed is manifest.json (event uuid -> its info and `timestamp`, the event's last change)
beside one <uuid>.json per event. As MISP's own feed fetcher does, an event is fetched
when its uuid is new or its timestamp is newer than the one pulled before; the manifest
itself is asked for conditionally (If-None-Match / If-Modified-Since), so an unchanged
feed costs one 304. The cursor advances only over events fetched and parsed (misp.py),
so a pull that fails half-way is simply taken again; each pull is bounded in events and
in time (every request times out at the pull's deadline).

A feed a MISP instance serves to its partners wants the caller's automation key in the
`Authorization` header, as MISP's API does: `key` sends it with every request (requests
drops it on a redirect to another host) and it is never part of an error message.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any

import requests

from assessor import rundir
from assessor.errors import ConfigError
from assessor.intel.jsondoc import check, compile_schema
from assessor.intel.misp import MANIFEST_SCHEMA, parse_event

MAX_EVENTS = 5000  # per pull: the rest comes with the next one
TIMEOUT = 300.0  # seconds for the whole pull


@dataclass(frozen=True)
class FeedCursor:
    """What a feed gave so far: per event the timestamp pulled, and the manifest's
    validators for a conditional request."""

    seen: dict[str, int] = field(default_factory=dict)
    etag: str = ""
    last_modified: str = ""

    def dumps(self) -> str:
        return json.dumps({"seen": self.seen, "etag": self.etag,
                           "last_modified": self.last_modified}, sort_keys=True)

    @classmethod
    def loads(cls, text: str | None) -> FeedCursor:
        if not text:
            return cls()
        data = json.loads(text)
        return cls({str(k): int(v) for k, v in data.get("seen", {}).items()},
                   str(data.get("etag", "")), str(data.get("last_modified", "")))


@dataclass(frozen=True)
class FeedPull:
    events: tuple[dict[str, Any], ...]  # {"Event": ...} documents, parsed once already
    cursor: FeedCursor
    requests_made: int
    unchanged: bool = False  # the manifest answered 304


def stamp(entry: Any) -> int:
    """The manifest's timestamp of an event (MISP writes a string of epoch seconds)."""
    try:
        return int(entry.get("timestamp", 0)) if isinstance(entry, dict) else 0
    except (TypeError, ValueError):
        return 0


def validators(headers: Any) -> tuple[str, str]:
    """The manifest's ETag and Last-Modified for the next conditional request. A
    Last-Modified in the very second the answer was sent is dropped: HTTP dates have whole
    seconds, so a change later in that second would look unchanged."""
    modified = str(headers.get("Last-Modified", ""))
    try:
        if modified and (parsedate_to_datetime(str(headers.get("Date", "")))
                         - parsedate_to_datetime(modified)).total_seconds() < 1:
            modified = ""
    except (TypeError, ValueError):
        modified = ""
    return str(headers.get("ETag", "")), modified


def pull_feed(url: str, cursor: FeedCursor, session: requests.Session | None = None,
              timeout: float = TIMEOUT, max_events: int = MAX_EVENTS,
              key: str | None = None) -> FeedPull:
    """The events of the feed at `url` (its directory, ending in /) new since `cursor`."""
    base = url if url.endswith("/") else url + "/"
    deadline = time.monotonic() + timeout
    http = session or requests.Session()
    count = 0
    auth = {"Authorization": key} if key else {}

    def get(name: str, headers: dict[str, str] | None = None) -> requests.Response:
        nonlocal count
        left = deadline - time.monotonic()
        if left <= 0:
            raise ConfigError(f"{base}: MISP feed pull took over {timeout:g} s ({count} requests)")
        count += 1
        try:
            response = http.get(base + name, headers={**auth, **(headers or {})}, timeout=left)
        except requests.RequestException as exc:
            raise ConfigError(f"{base}{name}: MISP feed pull failed: {exc}") from exc
        if response.status_code in (401, 403):
            raise ConfigError(f"{base}{name}: MISP feed refused the request (HTTP "
                              f"{response.status_code}): "
                              + ("its key was not accepted" if key else
                                 "it wants an automation key (key_file)"))
        if response.status_code not in (200, 304):
            raise ConfigError(f"{base}{name}: MISP feed answered HTTP {response.status_code}")
        return response

    def document(response: requests.Response, name: str) -> Any:
        try:
            return response.json()
        except ValueError as exc:
            raise ConfigError(f"{base}{name}: not JSON: {exc}") from exc

    try:
        conditional = {k: v for k, v in (("If-None-Match", cursor.etag),
                                         ("If-Modified-Since", cursor.last_modified)) if v}
        answer = get("manifest.json", conditional)
        if answer.status_code == 304:
            return FeedPull((), cursor, count, unchanged=True)
        manifest = document(answer, "manifest.json")
        check(manifest, compile_schema(MANIFEST_SCHEMA), base + "manifest.json")
        wanted = sorted((stamp(entry), uuid) for uuid, entry in manifest.items()
                        if stamp(entry) > cursor.seen.get(uuid, -1))
        events, seen = [], dict(cursor.seen)
        for when, uuid in wanted[:max_events]:
            name = f"{uuid}.json"
            event = document(get(name), name)
            parse_event(event, base + name)  # a broken event fails the pull, not a hunt
            events.append(event)
            seen[uuid] = when
        etag, modified = validators(answer.headers)
        if len(wanted) > max_events:  # the validators would hide the rest from the next pull
            etag, modified = "", ""
        return FeedPull(tuple(events), FeedCursor(seen, etag, modified), count)
    finally:
        if session is None:
            http.close()


def write_events(events: tuple[dict[str, Any], ...], out: Path) -> None:
    """The pulled events as one file of MISP events (a list, as restSearch gives),
    written atomically; the intel loader reads it like any MISP export."""
    rundir.write_text(out, json.dumps(list(events), indent=1, sort_keys=True) + "\n")
