"""MANIFEST.sha256 in `sha256sum -c` format, written and checked without any assessor tool."""

from __future__ import annotations

import hashlib
from pathlib import Path

from assessor import rundir

MANIFEST = "MANIFEST.sha256"
SIGNATURE = MANIFEST + ".minisig"
NOT_LISTED = {MANIFEST, SIGNATURE}


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 16), b""):
            digest.update(chunk)
    return digest.hexdigest()


def bundle_files(root: Path) -> list[Path]:
    """Every regular file of the bundle except the manifest and its signature."""
    return sorted(p for p in root.rglob("*")
                  if p.is_file() and not p.is_symlink() and p.name not in NOT_LISTED)


def write_manifest(root: Path) -> Path:
    lines = [f"{file_sha256(p)}  {p.relative_to(root).as_posix()}\n" for p in bundle_files(root)]
    path = root / MANIFEST
    rundir.write_text(path, "".join(lines))
    return path


def check_manifest(root: Path) -> list[str]:
    """Problems: a file changed, missing, or present but not listed. Empty means intact."""
    path = root / MANIFEST
    if not path.is_file():
        return [f"{path}: no manifest"]
    problems, listed = [], set()
    for number, line in enumerate(path.read_text(errors="replace").splitlines(), 1):
        digest, sep, name = line.partition("  ")
        if not sep or len(digest) != 64 or name.startswith("/") or ".." in name.split("/"):
            problems.append(f"{path}:{number}: not a sha256sum line")
            continue
        listed.add(name)
        target = root / name
        if not target.is_file() or target.is_symlink():
            problems.append(f"{name}: listed but missing")
        elif file_sha256(target) != digest:
            problems.append(f"{name}: SHA-256 differs from the manifest")
    for extra in bundle_files(root):
        if extra.relative_to(root).as_posix() not in listed:
            problems.append(f"{extra.relative_to(root).as_posix()}: not in the manifest")
    return problems
