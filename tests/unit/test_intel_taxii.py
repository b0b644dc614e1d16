"""`assessor intel pull` against a real TAXII 2.1 server: OASIS medallion, memory backend,
on 127.0.0.1 with a small page size, so every indicator has to come through pagination
(the same server the watch tests use: receivers.Taxii, here seeded and read-only)."""

from __future__ import annotations

import math
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from receivers import Taxii, free_port

from assessor.cli import main
from assessor.errors import ConfigError
from assessor.intel import read_source
from assessor.intel.taxii import Credentials, pull

PAGE = 40
OLDER, NEWER = 230, 90  # indicators added on two days
COLLECTION, USER, PASSWORD = Taxii.COLLECTION, Taxii.USER, Taxii.PASSWORD
MEDIA = "application/stix+json;version=2.1"


def indicator(n: int, day: int) -> dict[str, Any]:
    stamp = f"2026-11-{day:02d}T08:{n // 60 % 60:02d}:{n % 60:02d}.000Z"
    return {
        "type": "indicator", "spec_version": "2.1",
        "id": f"indicator--{n:08d}-0000-4000-8000-000000000000",
        "created": stamp, "modified": stamp, "valid_from": stamp,
        "pattern": f"[file:hashes.'SHA-256' = '{n:064x}']",
        "pattern_type": "stix",
    }


def seeded() -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The collection's objects and manifest: OLDER added on the 20th, NEWER on the 25th."""
    objects = [indicator(n, 20) for n in range(OLDER)]
    objects += [indicator(n, 25) for n in range(OLDER, OLDER + NEWER)]
    manifest = [{"id": o["id"], "date_added": o["created"].replace(".000Z", ".000000Z"),
                 "version": o["modified"], "media_type": MEDIA} for o in objects]
    return objects, manifest


@pytest.fixture(scope="module")
def taxii(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The API root URL of a medallion server that this module starts and stops."""
    objects, manifest = seeded()
    server = Taxii(tmp_path_factory.mktemp("medallion"), objects, manifest, page_size=PAGE)
    try:
        yield server.api_root
    finally:
        server.close()


CREDENTIALS = Credentials(USER, PASSWORD)


def test_every_indicator_arrives_over_pages(taxii: str) -> None:
    result = pull(taxii, COLLECTION, CREDENTIALS)
    ids = {o["id"] for o in result.objects}
    assert len(ids) == len(result.objects) == OLDER + NEWER
    assert result.pages == math.ceil((OLDER + NEWER) / PAGE)
    assert result.added_last is not None and result.added_last.startswith("2026-11-25")


def test_added_after_gets_only_the_newer(taxii: str) -> None:
    result = pull(taxii, COLLECTION, CREDENTIALS, added_after="2026-11-24T00:00:00Z")
    assert len(result.objects) == NEWER
    assert all(o["created"].startswith("2026-11-25") for o in result.objects)
    assert result.pages == math.ceil(NEWER / PAGE)


def test_a_smaller_page_size_than_the_server_allows(taxii: str) -> None:
    result = pull(taxii, COLLECTION, CREDENTIALS, added_after="2026-11-24T00:00:00Z",
                  page_size=25)
    assert len(result.objects) == NEWER and result.pages == math.ceil(NEWER / 25)


def test_page_bound_stops_the_pull(taxii: str) -> None:
    with pytest.raises(ConfigError, match="still more after 2 pages"):
        pull(taxii, COLLECTION, CREDENTIALS, max_pages=2)


def test_wrong_password_is_a_config_error(taxii: str) -> None:
    with pytest.raises(ConfigError, match="HTTP 401"):
        pull(taxii, COLLECTION, Credentials(USER, "wrong"))


def test_unknown_collection(taxii: str) -> None:
    with pytest.raises(ConfigError, match="HTTP 404"):
        pull(taxii, "00000000-0000-4000-8000-000000000000", CREDENTIALS)


def test_cli_pull_writes_a_bundle_that_show_reads(
    taxii: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    out = tmp_path / "pulled" / "cert.json"
    monkeypatch.setenv("ASSESSOR_TAXII_PASSWORD", PASSWORD)
    assert main(["intel", "pull", "--taxii", taxii, "--collection", COLLECTION,
                 "--user", USER, "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert f"{OLDER + NEWER} objects ({OLDER + NEWER} indicators) in 8 pages" in printed
    assert "--added-after 2026-11-25" in printed
    intake = read_source(out)
    assert len(intake.indicators) == OLDER + NEWER
    assert intake.sources == (f"taxii collection {COLLECTION} at {taxii} ({out})",)
    assert not list(out.parent.glob(".*.tmp"))  # written atomically, nothing left behind


def test_cli_pull_unreachable_is_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    url = f"http://127.0.0.1:{free_port()}/cert/"
    assert main(["intel", "pull", "--taxii", url, "--collection", COLLECTION,
                 "--timeout", "5"]) == 2
    assert "TAXII pull failed" in capsys.readouterr().err
