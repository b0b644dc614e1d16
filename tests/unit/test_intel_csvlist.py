"""CSV with a type column and plain one-value lists; a bad line is file:line."""

from __future__ import annotations

from pathlib import Path

import pytest

from assessor.intel import IndicatorType, IntelError, read_source

DATA = Path(__file__).parents[1] / "data" / "intel"
T = IndicatorType


def test_typed_csv() -> None:
    intake = read_source(DATA / "indicators.csv")
    assert [(i.type, i.value) for i in intake.indicators] == [
        (T.SHA256, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
        (T.FILENAME, "kworkerd"),
        (T.PROCESS_NAME, "kdevtmpfsi"),
        (T.PATH, "/etc/cron.d/.kswapd"),
        (T.IPV4, "203.0.113.77"),
        (T.DOMAIN, "pool.minexmr.example"),
    ]
    first = intake.indicators[0].origins[0]
    assert first.source.endswith("indicators.csv (CERT 2026-117 annex)")
    assert first.object_id == "indicators.csv:2"
    assert intake.indicators[4].origins[0].source.endswith("indicators.csv")


def test_plain_list_infers_types() -> None:
    intake = read_source(DATA / "blocklist.txt")
    assert [(i.type, i.value) for i in intake.indicators] == [
        (T.MD5, "0cc175b9c0f1b6a831c399e269772661"),
        (T.SHA1, "2fd4e1c67a2d28fced849ee1bb76e7391b93eb12"),
        (T.IPV4, "198.51.100.0/24"),
        (T.IPV6, "2001:db8::bad:1"),
        (T.DOMAIN, "evil-updates.example"),
        (T.URL, "http://paste.example.net/raw/x2"),
        (T.PATH, "/tmp/.X11-unix/.rsync/a"),
    ]
    assert intake.indicators[0].origins[0].object_id == "blocklist.txt:2"


@pytest.mark.parametrize(("text", "line", "what"), [
    ("type,value\nsha256,abc\n", 2, "is not a sha256 (64 hex digits)"),
    ("type,value\nmd5,0cc175b9c0f1b6a831c399e269772661\n\nregistry,HKLM\n", 4,
     "unknown indicator type 'registry'"),
    ("type,value,source\nmd5,a,b,c\n", 2, "expected type,value[,source], got 4 columns"),
    ("# list\n0cc175b9c0f1b6a831c399e269772661\nnot a value at all\n", 3,
     "cannot tell what kind of indicator 'not a value at all' is"),
    ("type,value\nfilename,/etc/passwd\n", 2, "is not a file name"),
    ("type,value\nip,999.1.1.1\n", 2, "is not an IP address"),
])
def test_bad_line_is_file_and_line(tmp_path: Path, text: str, line: int, what: str) -> None:
    path = tmp_path / "list.csv"
    path.write_text(text)
    with pytest.raises(IntelError) as caught:
        read_source(path)
    assert caught.value.exit_code == 2
    assert caught.value.message.startswith(f"{path}:{line}: ")
    assert what in caught.value.message


def test_ip_column_tells_ipv6_by_value(tmp_path: Path) -> None:
    path = tmp_path / "l.csv"
    path.write_text("type,value\nip,2001:DB8::1\n")
    assert read_source(path).indicators[0].type is T.IPV6
