"""The bundle `<out>/<case>/<host>/`: streamed files, collection.json, manifest, signature.

Each blob's SHA-256 was computed on the host while it was read; it is checked again here
before the file is kept, so a corruption in transit is recorded, not silently signed.
"""

from __future__ import annotations

import base64
import binascii
import getpass
import hashlib
import json
import re
import socket
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from assessor import __version__, rundir
from assessor.errors import ConfigError
from assessor.evidence.artifacts import TIERS
from assessor.evidence.manifest import write_manifest
from assessor.evidence.signing import sign_file

COLLECTION = "collection.json"
SAFE = re.compile(r"^[A-Za-z0-9._-]+$")


@dataclass
class HostEvidence:
    """What one host returned, tier by tier, and what went wrong."""

    host: str
    address: str
    tiers: dict[str, Mapping[str, Any]] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)


def safe_component(value: str, what: str) -> str:
    if not SAFE.match(value) or value in (".", ".."):
        raise ConfigError(f"{what} {value!r}: use letters, digits, '.', '_' and '-' only")
    return value


def blob_path(root: Path, name: str) -> Path | None:
    """Where a blob goes inside the bundle; None when its name would leave it."""
    parts = PurePosixPath(name).parts
    if not parts or any(p in ("..", "/", "") for p in parts) or name.startswith("/"):
        return None
    return root.joinpath(*parts)


def write_blobs(root: Path, tier: Mapping[str, Any]) -> tuple[list[dict[str, Any]], list[str]]:
    files, problems = [], []
    for item in tier.get("blobs", []) or []:
        name = str(item.get("name", ""))
        target = blob_path(root, name)
        if target is None:
            problems.append(f"{name!r}: name refused (outside the bundle)")
            continue
        try:
            data = base64.b64decode(str(item.get("content", "")), validate=True)
        except (binascii.Error, ValueError):
            problems.append(f"{name}: content is not base64")
            continue
        digest = hashlib.sha256(data).hexdigest()
        if digest != item.get("sha256"):
            sent = item.get("sha256")
            problems.append(f"{name}: SHA-256 on the host {sent} != received {digest}")
        rundir.write_bytes(target, data)
        files.append({"name": name, "source": item.get("source", ""), "size": len(data),
                      "sha256": digest, "truncated": bool(item.get("truncated"))})
    return files, problems


def collection_record(
    evidence: HostEvidence, case: str, started: str, finished: str, artifact_set: str,
    files: list[dict[str, Any]], problems: list[str], planned: Sequence[str] = (),
) -> dict[str, Any]:
    """collection.json: who, when, from where, with what, and each artifact's outcome;
    `planned` (the artifact ids asked for) gives `not_collected`: what the host never sent."""
    artifacts = [dict(a) for t in TIERS
                 for a in (evidence.tiers.get(t, {}).get("artifacts", []) or [])]
    missing = [t for t in TIERS if t not in evidence.tiers]
    returned = {str(a.get("id")) for a in artifacts}
    return {
        "case": case, "host": evidence.host, "address": evidence.address,
        "collected_by": getpass.getuser(), "controller": socket.gethostname(),
        "tool": "assessor", "tool_version": __version__, "artifact_set": artifact_set,
        "started": started, "finished": finished,
        "complete": not evidence.errors and not problems,
        "tiers_collected": [t for t in TIERS if t in evidence.tiers],
        "tiers_missing": {t: evidence.errors.get(t, "not collected") for t in missing
                          if t in evidence.errors},
        "host_tempdirs": {t: {"path": r.get("workdir", ""),
                              "removed": bool(r.get("workdir_removed"))}
                          for t, r in evidence.tiers.items()},
        "truncated": sorted({a["id"] for a in artifacts if a.get("truncated")}),
        "not_collected": [a for a in planned if a not in returned],
        "artifacts": artifacts, "files": files, "problems": problems,
    }


def write_bundle(
    out: Path, case: str, evidence: HostEvidence, *, started: str, finished: str,
    artifact_set: str, key_dir: Path, planned: Sequence[str] = (),
) -> Path:
    """Write, manifest and sign one host's bundle; returns its directory."""
    root = out / safe_component(case, "case") / safe_component(evidence.host, "host")
    if root.exists() and any(root.iterdir()):
        raise ConfigError(f"{root}: a bundle is already there; evidence is never overwritten")
    root.mkdir(parents=True, exist_ok=True)
    files: list[dict[str, Any]] = []
    problems: list[str] = []
    for tier in TIERS:
        if tier in evidence.tiers:
            got, bad = write_blobs(root, evidence.tiers[tier])
            files += got
            problems += bad
    record = collection_record(evidence, case, started, finished, artifact_set, files, problems,
                               planned)
    rundir.write_text(root / COLLECTION, json.dumps(record, indent=2, sort_keys=True) + "\n")
    manifest = write_manifest(root)
    comment = f"case:{case} host:{evidence.host} finished:{finished} complete:{record['complete']}"
    sign_file(manifest, key_dir, comment)
    return root
