"""One spelling per value, so that the same hash or domain from two sources is one indicator.

Hashes are lowercase hex of the right length, domains lowercase IDNA without the trailing
dot, IP addresses in Python's canonical form (a network keeps its prefix), URLs with a
lowercase scheme and host. File names, paths and process names keep their case: Linux
file systems are case-sensitive.
"""

from __future__ import annotations

import ipaddress
import posixpath
import string
from collections.abc import Callable
from datetime import UTC, datetime
from urllib.parse import urlsplit, urlunsplit

from assessor.intel.model import IndicatorType

HASH_LENGTHS = {IndicatorType.MD5: 32, IndicatorType.SHA1: 40, IndicatorType.SHA256: 64}
_HEX = frozenset(string.hexdigits)
_LABEL_CHARS = frozenset(string.ascii_lowercase + string.digits + "-_")


def normalise(kind: IndicatorType, value: str) -> str:
    """The canonical spelling of `value` as a `kind`; ValueError says why it is not one."""
    text = value.strip()
    if not text:
        raise ValueError(f"empty {kind} value")
    return _NORMALISERS[kind](kind, text)


def infer_type(value: str) -> IndicatorType | None:
    """What a bare value in a plain list is: hash by length, IP, URL, absolute path, domain.

    File and process names cannot be told from domains ("evil.sh"), so lists of those need
    a typed CSV column.
    """
    text = value.strip()
    if set(text) <= _HEX:
        for kind, length in HASH_LENGTHS.items():
            if len(text) == length:
                return kind
    try:
        network = ipaddress.ip_network(text, strict=False)
    except ValueError:
        pass
    else:
        return IndicatorType.IPV4 if network.version == 4 else IndicatorType.IPV6
    if "://" in text:
        return IndicatorType.URL
    if text.startswith("/"):
        return IndicatorType.PATH
    try:
        _domain(IndicatorType.DOMAIN, text)
    except ValueError:
        return None
    return IndicatorType.DOMAIN


def parse_timestamp(text: str) -> datetime:
    """An RFC 3339 timestamp (STIX, TAXII, MISP) as an aware UTC datetime."""
    stamp = datetime.fromisoformat(text.replace("z", "Z"))
    if stamp.tzinfo is None:
        stamp = stamp.replace(tzinfo=UTC)
    return stamp.astimezone(UTC)


def _hash(kind: IndicatorType, text: str) -> str:
    lowered = text.lower()
    if len(lowered) != HASH_LENGTHS[kind] or not set(lowered) <= _HEX:
        raise ValueError(f"{text!r} is not a {kind} ({HASH_LENGTHS[kind]} hex digits)")
    return lowered


def _ip(kind: IndicatorType, text: str) -> str:
    try:
        network = ipaddress.ip_network(text, strict=False)
    except ValueError as exc:
        raise ValueError(f"{text!r} is not an IP address or network") from exc
    wanted = 4 if kind is IndicatorType.IPV4 else 6
    if network.version != wanted:
        raise ValueError(f"{text!r} is not an IPv{wanted} address")
    if network.num_addresses == 1:
        return str(network.network_address)
    return str(network)


def _domain(kind: IndicatorType, text: str) -> str:
    name = text.lower().rstrip(".")
    try:
        name = name.encode("idna").decode("ascii")
    except UnicodeError as exc:
        raise ValueError(f"{text!r} is not a domain name: {exc}") from exc
    labels = name.split(".")
    if len(labels) < 2 or len(name) > 253:
        raise ValueError(f"{text!r} is not a domain name")
    for label in labels:
        if not 0 < len(label) <= 63 or not set(label) <= _LABEL_CHARS or label[0] == "-":
            raise ValueError(f"{text!r} is not a domain name (label {label!r})")
    if labels[-1].isdigit():
        raise ValueError(f"{text!r} is not a domain name (numeric top-level label)")
    return name


def _url(kind: IndicatorType, text: str) -> str:
    parts = urlsplit(text)
    if not parts.scheme or not parts.netloc:
        raise ValueError(f"{text!r} is not a URL (scheme and host needed)")
    return urlunsplit(parts._replace(scheme=parts.scheme.lower(), netloc=parts.netloc.lower()))


def _filename(kind: IndicatorType, text: str) -> str:
    if "/" in text or "\x00" in text:
        raise ValueError(f"{text!r} is not a file name (no '/' allowed)")
    return text


def _path(kind: IndicatorType, text: str) -> str:
    if not text.startswith("/") or "\x00" in text:
        raise ValueError(f"{text!r} is not an absolute path")
    return posixpath.normpath(text).replace("//", "/")


def _name(kind: IndicatorType, text: str) -> str:
    if "\x00" in text:
        raise ValueError(f"{text!r} is not a process name")
    return text


_NORMALISERS: dict[IndicatorType, Callable[[IndicatorType, str], str]] = {
    IndicatorType.SHA256: _hash,
    IndicatorType.SHA1: _hash,
    IndicatorType.MD5: _hash,
    IndicatorType.FILENAME: _filename,
    IndicatorType.PATH: _path,
    IndicatorType.IPV4: _ip,
    IndicatorType.IPV6: _ip,
    IndicatorType.DOMAIN: _domain,
    IndicatorType.URL: _url,
    IndicatorType.PROCESS_NAME: _name,
}
