"""`evidence verify`: the same two checks a CERT runs with stock tools.

`minisign -Vm MANIFEST.sha256 -p evidence.pub` and `sha256sum -c MANIFEST.sha256`; here
in Python so the assessor can say which file broke.
"""

from __future__ import annotations

from pathlib import Path

from assessor.evidence.manifest import MANIFEST, check_manifest
from assessor.evidence.signing import verify_file


def bundle_dirs(path: Path) -> list[Path]:
    """A host bundle itself, or every host bundle under a case directory."""
    if (path / MANIFEST).is_file():
        return [path]
    return sorted(p.parent for p in path.glob(f"*/{MANIFEST}"))


def verify_bundle(root: Path, public_key: Path) -> list[str]:
    """Every problem found in one bundle; empty means signature and hashes are good."""
    problems = []
    why = verify_file(root / MANIFEST, public_key)
    if why:
        problems.append(why)
    problems += [f"{root}/{p}" for p in check_manifest(root)]
    return problems
