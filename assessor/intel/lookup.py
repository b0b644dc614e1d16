"""The lookup tables a hunt judge matches host observations against.

Sets answer "is this hash / name / address an indicator?" in constant time, whatever the
size of the CERT's list; `origins` tells the judge which sources to cite for a hit.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from assessor.intel.model import HASH_TYPES, Indicator, IndicatorType, Origin

IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


@dataclass(frozen=True)
class HuntTables:
    hashes: Mapping[IndicatorType, frozenset[str]]  # sha256 / sha1 / md5 -> lowercase hex
    file_names: frozenset[str] = frozenset()
    paths: frozenset[str] = frozenset()
    process_names: frozenset[str] = frozenset()
    ip_addresses: frozenset[str] = frozenset()  # IPv4 and IPv6, canonical text
    ip_networks: tuple[IPNetwork, ...] = ()
    domains: frozenset[str] = frozenset()
    urls: frozenset[str] = frozenset()
    origins: Mapping[tuple[IndicatorType, str], tuple[Origin, ...]] = field(default_factory=dict)

    def domain_hit(self, name: str) -> str | None:
        """The listed domain that `name` is, or is a subdomain of."""
        labels = name.lower().rstrip(".").split(".")
        for start in range(len(labels) - 1):
            candidate = ".".join(labels[start:])
            if candidate in self.domains:
                return candidate
        return None

    def ip_hit(self, address: str) -> str | None:
        """The listed address or network that `address` is inside."""
        ip = ipaddress.ip_address(address)
        if str(ip) in self.ip_addresses:
            return str(ip)
        return next((str(n) for n in self.ip_networks if ip in n), None)


def hunt_tables(indicators: Iterable[Indicator]) -> HuntTables:
    by_type: dict[IndicatorType, set[str]] = {kind: set() for kind in IndicatorType}
    origins: dict[tuple[IndicatorType, str], tuple[Origin, ...]] = {}
    for indicator in indicators:
        by_type[indicator.type].add(indicator.value)
        origins[indicator.key] = origins.get(indicator.key, ()) + indicator.origins
    addresses: set[str] = set()
    networks: list[IPNetwork] = []
    for value in by_type[IndicatorType.IPV4] | by_type[IndicatorType.IPV6]:
        if "/" in value:
            networks.append(ipaddress.ip_network(value))
        else:
            addresses.add(value)
    return HuntTables(
        hashes={kind: frozenset(by_type[kind]) for kind in HASH_TYPES},
        file_names=frozenset(by_type[IndicatorType.FILENAME]),
        paths=frozenset(by_type[IndicatorType.PATH]),
        process_names=frozenset(by_type[IndicatorType.PROCESS_NAME]),
        ip_addresses=frozenset(addresses),
        ip_networks=tuple(sorted(networks, key=lambda n: (n.version, str(n)))),
        domains=frozenset(by_type[IndicatorType.DOMAIN]),
        urls=frozenset(by_type[IndicatorType.URL]),
        origins=origins,
    )
