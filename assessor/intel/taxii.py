"""Pull a TAXII 2.1 collection into a STIX bundle file, through taxii2-client.

Pagination follows the server: `more` with `next`, or, from servers that page by time
only, `added_after` set to the X-TAXII-Date-Added-Last header of the page before. Every
pull is bounded in pages and in total time (each request times out at the pull's
deadline), so a misbehaving server cannot keep the controller waiting.
"""

from __future__ import annotations

import json
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import requests
from taxii2client.common import TokenAuth, _HTTPConnection
from taxii2client.exceptions import TAXIIServiceException
from taxii2client.v21 import Collection

from assessor import rundir
from assessor.errors import ConfigError
from assessor.intel.stix import PULLED_FROM

MAX_PAGES = 1000
TIMEOUT = 300.0  # seconds for the whole pull
ADDED_LAST = "X-TAXII-Date-Added-Last"


@dataclass(frozen=True)
class Pull:
    objects: tuple[dict[str, Any], ...]
    pages: int
    added_last: str | None  # the newest date_added seen: --added-after for the next pull


@dataclass(frozen=True)
class Credentials:
    user: str | None = None
    password: str | None = None
    token: str | None = None


def collection_url(api_root: str, collection_id: str) -> str:
    return f"{api_root.rstrip('/')}/collections/{collection_id}/"


def pull(
    api_root: str,
    collection_id: str,
    credentials: Credentials = Credentials(),
    added_after: str | None = None,
    page_size: int | None = None,
    max_pages: int = MAX_PAGES,
    timeout: float = TIMEOUT,
) -> Pull:
    """Every object of the collection (added after `added_after`), page by page."""
    url = collection_url(api_root, collection_id)
    deadline = time.monotonic() + timeout
    last_headers: dict[str, str] = {}
    conn = connection(credentials, deadline, last_headers)
    try:
        collection = Collection(url, conn=conn)
        objects: dict[tuple[str, str], dict[str, Any]] = {}
        cursor: dict[str, str] = {}
        added_last: str | None = None
        for page in range(1, max_pages + 1):
            if time.monotonic() > deadline:
                raise ConfigError(f"{url}: TAXII pull took over {timeout:g} s ({page - 1} pages)")
            envelope = collection.get_objects(
                limit=page_size, added_after=added_after, next=cursor.get("next"))
            page_objects = envelope.get("objects", [])
            for obj in page_objects:
                objects[(obj.get("id", ""), obj.get("modified", ""))] = obj
            # like taxii2-client's as_pages: later pages ask for the size the server gave
            # (medallion, for one, wants a limit with every `next`)
            page_size = page_size or len(page_objects) or None
            added_last = last_headers.get(ADDED_LAST) or added_last
            if not envelope.get("more"):
                return Pull(tuple(objects.values()), page, added_last)
            if envelope.get("next"):
                cursor = {"next": str(envelope["next"])}
            elif added_last and added_last != added_after:
                added_after, cursor = added_last, {}
            else:
                raise ConfigError(f"{url}: the server says there is more but gives neither "
                                  f"'next' nor {ADDED_LAST} to ask for it")
        raise ConfigError(f"{url}: still more after {max_pages} pages; raise --max-pages")
    except requests.HTTPError as exc:
        status = exc.response.status_code if exc.response is not None else "?"
        raise ConfigError(f"{url}: TAXII server answered HTTP {status}") from exc
    except (requests.RequestException, TAXIIServiceException, ValueError) as exc:
        raise ConfigError(f"{url}: TAXII pull failed: {exc}") from exc
    finally:
        conn.close()


def connection(credentials: Credentials, deadline: float, last_headers: dict[str, str]) -> Any:
    """taxii2-client's connection; each request times out at the pull's deadline.

    taxii2-client sets no timeout and returns only the parsed body, so the timeout and a
    hook keeping the last response's headers are added on its requests session.
    """
    auth = TokenAuth(credentials.token) if credentials.token else None
    conn = _HTTPConnection(credentials.user, credentials.password, version="2.1", auth=auth)
    send = conn.session.request

    def request_until_deadline(*args: Any, **kwargs: Any) -> requests.Response:
        kwargs["timeout"] = max(0.1, deadline - time.monotonic())
        response: requests.Response = send(*args, **kwargs)
        return response

    def keep_headers(response: requests.Response, *args: Any, **kwargs: Any) -> None:
        last_headers.clear()
        last_headers.update(response.headers)

    conn.session.request = request_until_deadline
    conn.session.hooks["response"].append(keep_headers)
    return conn


def write_bundle(objects: tuple[dict[str, Any], ...], out: Path, source: str = "") -> None:
    """The pulled objects as one bundle, written atomically; `source` names the collection."""
    bundle: dict[str, Any] = {"type": "bundle", "id": f"bundle--{uuid.uuid4()}"}
    if source:
        bundle[PULLED_FROM] = source  # a STIX custom property, read back by stix.py
    bundle["objects"] = list(objects)
    rundir.write_text(out, json.dumps(bundle, indent=1, sort_keys=True) + "\n")
