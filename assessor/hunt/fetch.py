"""`--iocs URL`: the controller fetches an indicator file over http(s), bounded in time and
size, into the run directory, so the run keeps exactly what it hunted with.

Only http:// and https:// are accepted; anything else, a timeout, an HTTP error or a body
over the size cap is one ConfigError naming the URL (exit 2), before any host is reached.
"""

from __future__ import annotations

import hashlib
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

from assessor.errors import ConfigError
from assessor.rundir import write_bytes

TIMEOUT = 30  # seconds, for the connection and each read
MAX_BYTES = 64 << 20
SUFFIXES = {"application/json": ".json", "application/stix+json": ".json",
            "application/taxii+json": ".json", "text/csv": ".csv"}


def is_url(text: str) -> bool:
    return text.startswith(("http://", "https://"))


def suffix_for(url: str, content_type: str) -> str:
    name = urllib.parse.urlsplit(url).path.rsplit("/", 1)[-1]
    for known in (".json", ".csv", ".txt"):
        if name.endswith(known):
            return known
    return SUFFIXES.get(content_type.split(";")[0].strip().lower(), ".txt")


def fetch_iocs(url: str, into: Path, timeout: float = TIMEOUT, max_bytes: int = MAX_BYTES) -> Path:
    """Download `url` into `into` and return the file's path (named by the URL's hash)."""
    if not is_url(url):
        raise ConfigError(f"{url}: --iocs URLs must be http:// or https://")
    request = urllib.request.Request(url, headers={"Accept": "application/json, text/csv, */*"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            body = response.read(max_bytes + 1)
            content_type = response.headers.get("Content-Type", "")
    except urllib.error.HTTPError as exc:
        raise ConfigError(f"{url}: indicators not fetched: HTTP {exc.code} {exc.reason}") from exc
    except (urllib.error.URLError, OSError, ValueError) as exc:
        reason = getattr(exc, "reason", exc)
        raise ConfigError(f"{url}: indicators not fetched: {reason}") from exc
    if len(body) > max_bytes:
        raise ConfigError(f"{url}: indicators not fetched: larger than {max_bytes} bytes")
    digest = hashlib.sha256(url.encode()).hexdigest()[:12]
    name = urllib.parse.urlsplit(url).path.rsplit("/", 1)[-1] or "iocs"
    stem = "".join(c if c.isalnum() or c in "-_" else "_" for c in name.rsplit(".", 1)[0])
    target = into / f"{stem[:40]}-{digest}{suffix_for(url, content_type)}"
    write_bytes(target, body)
    return target
