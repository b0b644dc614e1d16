"""Turn one host's sweep into findings: every hit cites the indicator and its source.

A host with no hit gets one passing `hunt.files` finding; a sweep cut short or a missing
sweep is an `error`, never a clean verdict.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from importlib.resources import files
from typing import Any

import yaml

from assessor.intel import HuntTables, Indicator, IndicatorType, Origin, hunt_tables
from assessor.results import Finding, HostResult, Severity, Status

DEFAULT_PATHS = (
    "/tmp", "/var/tmp", "/dev/shm", "/home", "/root", "/etc", "/usr/local", "/opt",
    "/var/www", "/srv/www", "/usr/share/nginx/html",
)
HASH_KINDS = (IndicatorType.SHA256, IndicatorType.SHA1, IndicatorType.MD5)


def builtin_indicators() -> list[Indicator]:
    """The indicators every hunt carries (the EICAR test file), from builtin.yaml."""
    data = yaml.safe_load(files("assessor.hunt").joinpath("builtin.yaml").read_text())
    return [
        Indicator(IndicatorType(e["type"]), e["value"], (Origin(e["source"], "builtin"),))
        for e in data
    ]


def sweep_vars(tables: HuntTables, paths: Iterable[str]) -> dict[str, Any]:
    """The extra vars the hunt role needs: what to match, where to look."""
    hashes = sorted(v for kind in HASH_KINDS for v in tables.hashes.get(kind, ()))
    return {
        "hunt_paths": list(paths),
        "hunt_hashes": hashes,
        "hunt_names": sorted(tables.file_names),
        "hunt_full_paths": sorted(tables.paths),
    }


def cite(tables: HuntTables, kind: IndicatorType, value: str) -> str:
    origins = tables.origins.get((kind, value), ())
    return "; ".join(f"{o.source} {o.object_id}" for o in origins) or "unknown source"


def hit_finding(tables: HuntTables, hit: Mapping[str, Any]) -> Finding:
    path = str(hit.get("path", ""))
    matched = hit.get("matched", {})
    reasons: list[str] = []
    for digest in matched.get("hash", []):
        kind = next((k for k in HASH_KINDS if digest in tables.hashes.get(k, ())), None)
        if kind is not None:
            reasons.append(f"{kind.value} {digest} ({cite(tables, kind, digest)})")
    if matched.get("name"):
        name = path.rsplit("/", 1)[-1]
        reasons.append(f"file name {name} ({cite(tables, IndicatorType.FILENAME, name)})")
    if matched.get("path"):
        reasons.append(f"path {path} ({cite(tables, IndicatorType.PATH, path)})")
    evidence = {k: hit.get(k) for k in ("path", "sha256", "sha1", "md5", "size", "mode",
                                        "owner", "mtime")}
    return Finding(
        control_id=f"hunt.ioc:{path}", title="File matches an indicator of compromise",
        section="Threats", severity=Severity.CRITICAL, status=Status.FAIL,
        reason="matched " + "; ".join(reasons), expected="no file matching an indicator",
        observed=f"{path} sha256={hit.get('sha256')} size={hit.get('size')} "
        f"owner={hit.get('owner')} mtime={hit.get('mtime')}",
        evidence=yaml.safe_dump(evidence, sort_keys=True, allow_unicode=False),
        refs={"indicator_sources": reasons},
    )


def sweep_finding(sweep: Mapping[str, Any], hits: int) -> Finding:
    stats = sweep.get("stats", {})
    cut = str(sweep.get("cut_short", ""))
    status = Status.ERROR if cut else (Status.FAIL if hits else Status.PASS)
    reason = cut or (f"{hits} file(s) matched indicators" if hits else "no file matched")
    return Finding(
        control_id="hunt.files", title="File sweep against indicators", section="Threats",
        severity=Severity.CRITICAL, status=status, reason=reason,
        expected="complete sweep, no match",
        observed=f"{stats.get('files', 0)} files, {stats.get('hashed', 0)} hashed, "
        f"{stats.get('cached', 0)} from cache, {stats.get('too_big', 0)} over the size cap",
        evidence="paths: " + ", ".join(str(p) for p in sweep.get("paths", [])),
    )


def hunt_result(
    name: str, address: str, sweep: Mapping[str, Any] | None, tables: HuntTables,
    error: str = "",
) -> HostResult:
    """The host's findings from its sweep, or the reason there is none."""
    if error or sweep is None:
        return HostResult(name, address, error=error or "the hunt module returned no sweep")
    hits = [h for h in sweep.get("hits", []) if isinstance(h, Mapping)]
    findings = [sweep_finding(sweep, len(hits))] + [hit_finding(tables, h) for h in hits]
    return HostResult(name, address, findings=findings)


def tables_for(indicators: Iterable[Indicator]) -> HuntTables:
    """Lookup tables over the given indicators plus the builtin ones."""
    return hunt_tables([*builtin_indicators(), *indicators])
