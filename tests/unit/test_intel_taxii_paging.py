"""TAXII servers that page by time only, or misbehave: a small stdlib server on 127.0.0.1.

medallion always answers with `next`; the spec also lets a server page by date added
alone (`more` plus the X-TAXII-Date-Added-Last header), and a broken one may do neither
or hang. Each case must end, bounded, with every object or one clear error.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, ClassVar
from urllib.parse import parse_qs, urlsplit

import pytest

from assessor.errors import ConfigError
from assessor.intel.taxii import pull

TAXII = "application/taxii+json;version=2.1"
COLLECTION = "c0ffee00-0000-4000-8000-000000000001"
OBJECTS = [
    {"type": "indicator", "id": f"indicator--{n:08d}-0000-4000-8000-000000000000",
     "modified": "2026-11-20T08:00:00.000Z", "added": f"2026-11-20T09:{n // 60:02d}:{n % 60:02d}Z"}
    for n in range(95)
]


class TimePagedTaxii(BaseHTTPRequestHandler):
    """Pages of 20 by added_after only; `mode` makes it misbehave."""

    mode: ClassVar[str] = "time"
    requests: ClassVar[list[str]] = []

    def do_GET(self) -> None:
        url = urlsplit(self.path)
        type(self).requests.append(self.path)
        if url.path == f"/api/collections/{COLLECTION}/":
            self.send(200, {"id": COLLECTION, "title": "t", "can_read": True,
                            "can_write": False, "media_types": []})
            return
        if self.mode == "hang":
            time.sleep(3)
        after = parse_qs(url.query).get("added_after", [""])[0]
        rest = [o for o in OBJECTS if o["added"] > after]
        page, more = rest[:20], len(rest) > 20
        headers = {} if self.mode == "no-cursor" or not page else {
            "X-TAXII-Date-Added-First": page[0]["added"],
            "X-TAXII-Date-Added-Last": page[-1]["added"]}
        self.send(200, {"more": more, "objects": page}, headers)

    def send(self, status: int, body: dict[str, Any],
             headers: dict[str, str] | None = None) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", TAXII)
        self.send_header("Content-Length", str(len(data)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def server() -> Iterator[str]:
    TimePagedTaxii.mode, TimePagedTaxii.requests = "time", []
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), TimePagedTaxii)
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}/api/"
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=10)


def test_paging_by_date_added_alone(server: str) -> None:
    result = pull(server, COLLECTION)
    assert [o["id"] for o in result.objects] == [o["id"] for o in OBJECTS]
    assert result.pages == 5 and result.added_last == OBJECTS[-1]["added"]
    objects_requests = [r for r in TimePagedTaxii.requests if "/objects/" in r]
    assert "added_after" not in objects_requests[0]
    assert "added_after=2026-11-20T09%3A00%3A19Z" in objects_requests[1]


def test_more_without_a_way_to_ask_for_it(server: str) -> None:
    TimePagedTaxii.mode = "no-cursor"
    with pytest.raises(ConfigError, match="neither 'next' nor X-TAXII-Date-Added-Last"):
        pull(server, COLLECTION)


def test_a_hanging_server_is_cut_off_by_the_timeout(server: str) -> None:
    TimePagedTaxii.mode = "hang"
    started = time.monotonic()
    with pytest.raises(ConfigError, match="timed out"):
        pull(server, COLLECTION, timeout=1.0)
    assert time.monotonic() - started < 3
