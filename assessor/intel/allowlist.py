"""Known-benign values, in MISP's warninglist format, that must never raise a hunt alarm.

A warninglist is `{"name": …, "type": "string" | "substring" | "hostname" | "cidr" |
"regex", "list": [...]}` (https://github.com/MISP/misp-warninglists). Hostname entries also
cover their subdomains and the host of a URL; cidr entries cover addresses and networks
inside them.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from assessor.intel.jsondoc import check, compile_schema, read_json
from assessor.intel.model import Indicator, IndicatorType, IntelError

SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["name", "type", "list"],
    "properties": {
        "name": {"type": "string", "minLength": 1},
        "type": {"enum": ["string", "substring", "hostname", "cidr", "regex"]},
        "list": {"type": "array", "items": {"type": "string"}},
        "matching_attributes": {"type": "array", "items": {"type": "string"}},
    },
}
IP_TYPES = (IndicatorType.IPV4, IndicatorType.IPV6)
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


@dataclass(frozen=True)
class Warninglist:
    name: str
    strings: frozenset[str] = frozenset()
    substrings: tuple[str, ...] = ()
    hostnames: frozenset[str] = frozenset()
    networks: tuple[IPNetwork, ...] = ()
    patterns: tuple[re.Pattern[str], ...] = ()

    def covers(self, indicator: Indicator) -> bool:
        value = indicator.value.lower()
        if value in self.strings or any(s in value for s in self.substrings):
            return True
        host = _host_of(indicator) if self.hostnames else None
        if host and any(host == h or host.endswith("." + h) for h in self.hostnames):
            return True
        if self.networks and indicator.type in IP_TYPES:
            network = ipaddress.ip_network(indicator.value, strict=False)
            if any(network.version == n.version and network.subnet_of(n)  # type: ignore[arg-type]
                   for n in self.networks):
                return True
        return any(p.search(indicator.value) for p in self.patterns)


def _host_of(indicator: Indicator) -> str | None:
    if indicator.type is IndicatorType.DOMAIN:
        return indicator.value
    if indicator.type is IndicatorType.URL:
        return (urlsplit(indicator.value).hostname or "").rstrip(".")
    return None


def load_warninglists(paths: Iterable[Path]) -> tuple[Warninglist, ...]:
    return tuple(load_warninglist(path) for path in paths)


def load_warninglist(path: Path) -> Warninglist:
    document = read_json(path)
    check(document, compile_schema(SCHEMA), path)
    entries = [e.strip() for e in document["list"] if e.strip()]
    kind = document["type"]
    name = f"{document['name']} ({path.name})"
    if kind == "string":
        return Warninglist(name, strings=frozenset(e.lower() for e in entries))
    if kind == "substring":
        return Warninglist(name, substrings=tuple(e.lower() for e in entries))
    if kind == "hostname":
        return Warninglist(name, hostnames=frozenset(e.lower().strip(".") for e in entries))
    try:
        if kind == "cidr":
            return Warninglist(name, networks=tuple(
                ipaddress.ip_network(e, strict=False) for e in entries))
        return Warninglist(name, patterns=tuple(re.compile(e) for e in entries))
    except (ValueError, re.error) as exc:
        raise IntelError(path, "list", f"bad {kind} entry: {exc}") from exc


def allowlisted_by(indicator: Indicator, lists: Iterable[Warninglist]) -> str | None:
    """The name of the first warninglist that covers `indicator`, if any."""
    for warninglist in lists:
        if warninglist.covers(indicator):
            return warninglist.name
    return None
