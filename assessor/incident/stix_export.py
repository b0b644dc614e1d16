"""A STIX 2.1 bundle of what was seen: the indicators, the files observed, the sightings.

Per indicator an `indicator` (pattern on the file's SHA-256, or its name when no hash was
seen); per sighting an `observed-data` of the `file` and a `sighting` of the indicator
where it was seen (an `identity` of class system per host). Identifiers are derived from
the case and the values (version-4 UUIDs drawn from a hash), so reporting twice gives the
same objects; SCOs get UUIDv5 in STIX's namespace over their id-contributing properties, as
the specification says.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from datetime import UTC, datetime
from typing import Any

from assessor.incident.summary import Indicator, Report

STIX_NAMESPACE = uuid.UUID("00abedb4-aa42-466c-9c01-fed23315a9b7")  # STIX 2.1 section 2.9
OURS = uuid.UUID("5b9c5a8e-2f0e-4d55-9a52-6d7c1c1e0f15")  # assessor's own, for SDOs


def sdo_id(kind: str, *parts: str) -> str:
    """A version-4 UUID (as STIX asks of SDOs) drawn from a hash, so it is stable."""
    digest = hashlib.sha256("|".join([str(OURS), kind, *parts]).encode()).digest()
    return f"{kind}--{uuid.UUID(bytes=digest[:16], version=4)}"


def sco_id(kind: str, contributing: dict[str, Any]) -> str:
    canonical = json.dumps(contributing, sort_keys=True, separators=(",", ":"),
                           ensure_ascii=False)
    return f"{kind}--{uuid.uuid5(STIX_NAMESPACE, canonical)}"


def stix_time(value: str) -> str:
    """STIX's timestamp: UTC, to the millisecond (created and modified must be)."""
    try:
        when = datetime.fromisoformat(value)
    except ValueError:
        when = datetime.now(UTC)
    when = when.astimezone(UTC) if when.tzinfo else when.replace(tzinfo=UTC)
    return when.strftime("%Y-%m-%dT%H:%M:%S.") + f"{when.microsecond // 1000:03d}Z"


def quoted(value: str) -> str:
    return value.replace("\\", "\\\\").replace("'", "\\'")


def file_object(path: str, sha256: str) -> dict[str, Any]:
    name = path.rsplit("/", 1)[-1] or path
    contributing: dict[str, Any] = {"hashes": {"SHA-256": sha256}} if sha256 else {"name": name}
    obj: dict[str, Any] = {"type": "file", "spec_version": "2.1",
                           "id": sco_id("file", contributing), "name": name}
    if sha256:
        obj["hashes"] = {"SHA-256": sha256}
    return obj


def pattern(seen: Indicator) -> str:
    if seen.sha256:
        return f"[file:hashes.'SHA-256' = '{seen.sha256}']"
    return f"[file:name = '{quoted(seen.path.rsplit('/', 1)[-1] or seen.path)}']"


def bundle(report: Report) -> dict[str, Any]:
    case = report.case.case
    created = stix_time(report.case.opened)
    org = report.contacts.organisation or "assessor"
    author = {"type": "identity", "spec_version": "2.1", "id": sdo_id("identity", org),
              "created": created, "modified": created, "name": org,
              "identity_class": "organization"}

    def sdo(kind: str, parts: tuple[str, ...], **props: Any) -> dict[str, Any]:
        return {"type": kind, "spec_version": "2.1", "id": sdo_id(kind, case, *parts),
                "created": created, "modified": created, "created_by_ref": author["id"],
                **props}

    objects: list[dict[str, Any]] = [author]
    systems: dict[str, str] = {}
    for host in report.hosts:
        system = sdo("identity", (host.name,), name=host.name, identity_class="system")
        systems[host.name] = system["id"]
        objects.append(system)
    by_key: dict[str, str] = {}
    for seen in report.indicators:
        made = sdo("indicator", (seen.key,), name=f"{case}: {seen.path}",
                   description="; ".join(seen.reasons), indicator_types=["malicious-activity"],
                   pattern=pattern(seen), pattern_type="stix", pattern_version="2.1",
                   valid_from=stix_time(seen.first_seen))
        by_key[seen.key] = made["id"]
        objects.append(made)
    for hit in report.sightings:
        key = f"sha256:{hit.sha256}" if hit.sha256 else f"path:{hit.path}"
        when = stix_time(hit.time)
        parts = (hit.host, hit.path, hit.source)
        observed_file = file_object(hit.path, hit.sha256)
        observed = sdo("observed-data", parts, first_observed=when, last_observed=when,
                       number_observed=1, object_refs=[observed_file["id"]])
        sighting = sdo("sighting", parts, first_seen=when, last_seen=when, count=1,
                       sighting_of_ref=by_key[key], observed_data_refs=[observed["id"]],
                       where_sighted_refs=[systems[hit.host]],
                       description=f"{hit.path} on {hit.host}: {hit.reason}")
        if observed_file["id"] not in {o["id"] for o in objects}:
            objects.append(observed_file)
        objects += [observed, sighting]
    return {"type": "bundle", "id": sdo_id("bundle", case, report.generated), "objects": objects}
