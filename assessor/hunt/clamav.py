"""ClamAV for the hunt: a signature database built from the indicators, and its verdicts.

The controller writes the CERT's hashes as ClamAV hash signatures (`.hsb` for SHA-256 and
SHA-1, `.hdb` for MD5) plus the content rules found in `--rules` (`.ndb`, `.ldb`, `.yar`),
proves the set loads by a test scan with the controller's own `clamscan`, and ships the
files with the run; roles/hunt's clamscan module scans the sweep's paths with them (and the
host's official database when it has one). A clamscan error is an `error` finding: never a
clean verdict, never a quarantine.
"""

from __future__ import annotations

import base64
import hashlib
import re
import shutil
import subprocess
import tempfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from assessor.errors import ConfigError
from assessor.intel import HuntTables, IndicatorType
from assessor.results import Finding, Severity, Status

# Hash signatures whose file size is unknown say `*` and need functionality level 73
# (ClamAV 0.98, docs.clamav.net "File hash signatures").
UNKNOWN_SIZE_FLEVEL = 73
HASH_FILES = {IndicatorType.SHA256: "assessor.hsb", IndicatorType.SHA1: "assessor.hsb",
              IndicatorType.MD5: "assessor.hdb"}
CONTENT_RULE_SUFFIXES = (".ndb", ".ldb", ".yar", ".yara", ".hdb", ".hsb")
PREFIX = "Assessor"
_NAME = re.compile(rf"^{PREFIX}\.(sha256|sha1|md5)\.([0-9a-f]+)(?:\.UNOFFICIAL)?$")
_LOADED = re.compile(r"^Known viruses:\s*(\d+)", re.MULTILINE)
VERIFY_TIMEOUT = 120


@dataclass(frozen=True)
class SignatureDb:
    """The files to ship (name -> text), how many signatures they hold, and a version."""

    files: Mapping[str, str]
    signatures: int
    verified: str  # how the controller proved the set loads ("" when it could not)

    @property
    def version(self) -> str:
        digest = hashlib.sha256()
        for name in sorted(self.files):
            digest.update(name.encode() + b"\0" + self.files[name].encode() + b"\0")
        return f"assessor-{digest.hexdigest()[:16]} ({self.signatures} signatures)"


def signature_name(kind: IndicatorType, value: str) -> str:
    """A detection name that leads back to its indicator."""
    return f"{PREFIX}.{kind.value}.{value}"


def indicator_of(detection: str) -> tuple[IndicatorType, str] | None:
    """The hash indicator behind one of our detection names, or None for any other."""
    match = _NAME.match(detection)
    return (IndicatorType(match.group(1)), match.group(2)) if match else None


def hash_signatures(tables: HuntTables) -> dict[str, str]:
    """`hash:*:name:73` lines per database file: the indicators carry no file size."""
    lines: dict[str, list[str]] = {}
    for kind, name in HASH_FILES.items():
        for value in sorted(tables.hashes.get(kind, ())):
            lines.setdefault(name, []).append(
                f"{value}:*:{signature_name(kind, value)}:{UNKNOWN_SIZE_FLEVEL}"
            )
    return {name: "\n".join(body) + "\n" for name, body in lines.items()}


def content_rule_files(dirs: Iterable[Path]) -> list[Path]:
    """ClamAV rule files (.ndb, .ldb, .yar, ...) in the `--rules` directories, sorted."""
    found: list[Path] = []
    for directory in dirs:
        if directory.is_file() and directory.suffix in CONTENT_RULE_SUFFIXES:
            found.append(directory)
        elif directory.is_dir():
            found.extend(p for p in sorted(directory.rglob("*"))
                         if p.is_file() and p.suffix in CONTENT_RULE_SUFFIXES)
    return found


def build_database(tables: HuntTables, rule_files: Iterable[Path] = ()) -> SignatureDb:
    """The run's database, proven to load by the controller's clamscan when it has one."""
    files = hash_signatures(tables)
    for index, path in enumerate(rule_files):
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise ConfigError(f"{path}: cannot read ClamAV rule file: {exc}") from exc
        safe = re.sub(r"[^A-Za-z0-9._-]", "_", path.name)
        files[f"rules{index:03d}-{safe}"] = text
    signatures, verified = verify(files)
    return SignatureDb(files=files, signatures=signatures, verified=verified)


def verify(files: Mapping[str, str]) -> tuple[int, str]:
    """Load the set with the controller's clamscan over an empty file; a bad rule is exit 2.

    Without clamscan on the controller the set ships unverified (the host's own clamscan
    still refuses a bad database, which is then an `error` finding on that host).
    """
    expected = sum(1 for text in files.values() for line in text.splitlines()
                   if line.strip() and not line.startswith("#"))
    clamscan = shutil.which("clamscan")
    if clamscan is None:
        return expected, ""
    with tempfile.TemporaryDirectory(prefix="asr-clamdb-") as tmp:
        db = Path(tmp) / "db"
        db.mkdir()
        for name, text in files.items():
            (db / name).write_text(text, encoding="utf-8")
        probe = Path(tmp) / "empty"
        probe.write_bytes(b"")
        proc = subprocess.run(
            [clamscan, f"--database={db}", "--stdout", str(probe)],
            capture_output=True, text=True, timeout=VERIFY_TIMEOUT, check=False,
        )
    loaded = _LOADED.search(proc.stdout)
    if proc.returncode != 0 or loaded is None:
        why = "; ".join(line.strip() for line in (proc.stderr + proc.stdout).splitlines()
                        if "rror" in line or "Malformed" in line)
        raise ConfigError(
            f"ClamAV signature database from the indicators and --rules does not load "
            f"(clamscan exit {proc.returncode}): {why or 'no signature count'}"
        )
    count = int(loaded.group(1))
    return count, f"clamscan test scan on the controller loaded {count} signatures"


def clamav_vars(tables: HuntTables, enabled: bool, rules: Iterable[Path] = ()) -> dict[str, Any]:
    """Extra vars for roles/hunt's clamscan task: the run's database, built and verified."""
    if not enabled:
        return {"hunt_clamav": False}
    db = build_database(tables, content_rule_files(rules))
    return {
        "hunt_clamav": True,
        "hunt_clamav_databases": {
            name: base64.b64encode(text.encode()).decode() for name, text in db.files.items()
        },
        "hunt_clamav_version": db.version,
    }


def source_of(tables: HuntTables, detection: str) -> str:
    """Which indicator (and its source) a detection stands for."""
    hit = indicator_of(detection)
    if hit is None:
        return "ClamAV signature " + detection
    origins = tables.origins.get(hit, ())
    cited = "; ".join(f"{o.source} {o.object_id}" for o in origins) or "unknown source"
    return f"{hit[0].value} {hit[1]} ({cited})"


def versions(scan: Mapping[str, Any]) -> str:
    engine = scan.get("engine", "") or "unknown engine"
    dbs = ", ".join(str(d) for d in scan.get("databases", [])) or "no database"
    return f"ClamAV {engine}; databases: {dbs}"


def detection_finding(tables: HuntTables, scan: Mapping[str, Any],
                      hit: Mapping[str, Any]) -> Finding:
    path = str(hit.get("path", ""))
    names = [str(n) for n in hit.get("detections", [])]
    sources = [source_of(tables, n) for n in names]
    evidence = {k: hit.get(k) for k in ("path", "sha256", "size", "mode", "owner", "mtime")}
    evidence.update(detections=names, engine=scan.get("engine", ""),
                    databases=list(scan.get("databases", [])))
    return Finding(
        control_id=f"hunt.clamav:{path}", title="ClamAV detects malware", section="Threats",
        severity=Severity.CRITICAL, status=Status.FAIL,
        reason="ClamAV: " + ", ".join(names) + " — " + "; ".join(sources),
        expected="no ClamAV detection",
        observed=f"{path} sha256={hit.get('sha256')} size={hit.get('size')} "
        f"owner={hit.get('owner')} mtime={hit.get('mtime')}",
        evidence=yaml.safe_dump(evidence, sort_keys=True, allow_unicode=False),
        refs={"indicator_sources": sources, "clamav": versions(scan)},
    )


def clamav_findings(scan: Mapping[str, Any] | None, tables: HuntTables) -> list[Finding]:
    """One `hunt.clamav` summary (pass, fail, error or not applicable) plus one per file."""
    if scan is None:
        return []

    def summary(status: Status, reason: str) -> Finding:
        return Finding(
            control_id="hunt.clamav", title="ClamAV scan with the run's signatures",
            section="Threats", severity=Severity.CRITICAL, status=status, reason=reason,
            expected="clamscan exit 0 (clean) over the swept paths",
            observed=f"exit {scan.get('rc')}; {scan.get('scanned', 0)} files; "
            f"{len(hits)} detected; {scan.get('seconds', 0)} s",
            evidence=yaml.safe_dump({"command": scan.get("command", []),
                                     "engine": scan.get("engine", ""),
                                     "databases": list(scan.get("databases", [])),
                                     "errors": list(scan.get("errors", []))[:50],
                                     "detected": [h.get("path") for h in hits]},
                                    sort_keys=True, allow_unicode=False),
            refs={"clamav": versions(scan)},
        )
    hits = [h for h in scan.get("hits", []) if isinstance(h, Mapping)]
    if not scan.get("installed"):
        return [summary(Status.NOTAPPLICABLE, "clamscan is not installed on the host")]
    errors = [str(e) for e in scan.get("errors", [])]
    if scan.get("rc") not in (0, 1) or scan.get("cut_short"):
        why = scan.get("cut_short") or "; ".join(errors[:3]) or "no reason given"
        # Detections of a failed scan stay in the evidence, never in a finding a quarantine
        # would act on.
        return [summary(Status.ERROR, f"clamscan failed (exit {scan.get('rc')}): {why}; "
                        f"{len(hits)} detection(s) kept in the evidence only")]
    if not hits:
        return [summary(Status.PASS, f"clean: {versions(scan)}")]
    return [summary(Status.FAIL, f"{len(hits)} file(s) detected: {versions(scan)}")] + [
        detection_finding(tables, scan, h) for h in hits
    ]
