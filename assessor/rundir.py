"""The run directory: one per run, named by its id, re-renderable without a host.

Every command writes here and only through these functions, so the layout (what lives
where) and the guarantee that a reader never sees half a file are kept in one place.
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
from datetime import UTC, datetime
from pathlib import Path

# The layout: what each command keeps beside the reports.
ANSIBLE = "ansible"
ANSIBLE_BEFORE = "ansible-before"  # patch reads package state before,
ANSIBLE_PATCH = "ansible-patch"  # upgrades,
ANSIBLE_AFTER = "ansible-after"  # and reads it again
ASSESS_BEFORE = "assess-before"
ASSESS_AFTER = "assess-after"
MANIFESTS = "manifests"
ROLLBACK_ANSIBLE = "rollback-ansible"
EVIDENCE = "evidence"
QUARANTINE = "quarantine"  # hunt --quarantine: manifest.json of every item, restore logs

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]")


def now() -> str:
    """The timestamp every record uses: UTC, to the second."""
    return datetime.now(UTC).isoformat(timespec="seconds")


def new_run_dir(out: Path) -> Path:
    """A fresh directory under `out` named by the run id (a UTC stamp, suffixed if taken)."""
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    for attempt in range(100):
        candidate = out / (stamp if attempt == 0 else f"{stamp}-{attempt}")
        try:
            candidate.mkdir(parents=True)
            return candidate
        except FileExistsError:
            continue
    raise RuntimeError(f"could not create a run directory under {out}")


def host_slug(host: str) -> str:
    """A directory name for a host; names that had to be altered get a hash, so never collide."""
    slug = _UNSAFE.sub("_", host).lstrip(".") or "_"
    if slug == host and len(slug) <= 100:
        return slug
    return f"{slug[:80]}-{hashlib.sha256(host.encode()).hexdigest()[:10]}"


def host_dir(out_dir: Path, host: str) -> Path:
    """Where one host's reports live; host names never escape the run directory."""
    return out_dir / "hosts" / host_slug(host)


def evidence_dir(out_dir: Path, host: str) -> Path:
    return host_dir(out_dir, host) / EVIDENCE


def manifest_path(run_dir: Path, host: str) -> Path:
    """A host's backup manifest, kept for the record and for rollback."""
    return run_dir / MANIFESTS / f"{host}.json"


def hosts_with_manifests(run_dir: Path) -> list[str]:
    return sorted(p.stem for p in (run_dir / MANIFESTS).glob("*.json"))


def write_text(path: Path, text: str) -> None:
    """Atomically: a reader sees the old file or the new one, never half of one."""
    write_bytes(path, text.encode("utf-8"))


def write_many(files: dict[Path, bytes]) -> None:
    """Atomically each, and durably all with two flushes of the file system however many
    files there are: every temporary file written, one syncfs (their data on disk), every
    rename, one more (the renames on disk). A crash leaves each file old or whole."""
    written: list[tuple[str, Path]] = []
    try:
        for path, data in files.items():
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
            written.append((tmp, path))
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
            os.chmod(tmp, 0o644)
        if not written:
            return
        flush_file_system(written[0][1].parent, [tmp for tmp, _ in written])
        for tmp, path in written:
            os.replace(tmp, path)
    except BaseException:
        for tmp, _ in written:
            Path(tmp).unlink(missing_ok=True)
        raise
    flush_file_system(written[0][1].parent, sorted({str(p.parent) for _, p in written}))


def flush_file_system(anchor: Path, fallback: list[str]) -> None:
    """syncfs(2) of the file system holding `anchor`: one call for a whole batch; where it
    is missing (not Linux), fsync of each of `fallback` (files or directories)."""
    import ctypes

    fd = os.open(anchor, os.O_RDONLY | os.O_DIRECTORY)
    try:
        syncfs = getattr(ctypes.CDLL(None, use_errno=True), "syncfs", None)
        if syncfs is not None and syncfs(fd) == 0:
            return
    finally:
        os.close(fd)
    for name in fallback:
        fd = os.open(name, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def write_bytes(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
