"""A patch run's evidence per host: package lists before and after, changes, apt's plan
and output, kept beside the host's reports so the fix can be shown later."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from assessor.advisories.patchrun import PatchEvidence
from assessor.rundir import evidence_dir, write_text


def listing(packages: Mapping[str, str]) -> str:
    return "".join(f"{name}\t{version}\n" for name, version in sorted(packages.items()))


def lines(items: list[str]) -> str:
    return "\n".join(items) + "\n" if items else ""


def write(evidence: list[PatchEvidence], out_dir: Path) -> list[Path]:
    written = []
    for host in evidence:
        where = evidence_dir(out_dir, host.host)
        files = {
            "packages-before.txt": listing(host.before),
            "packages-after.txt": listing(host.after),
            "packages-changed.txt": lines(host.changes),
            "apt-plan.txt": lines(host.planned),
            "apt-output.txt": host.apt_output,
        }
        for name, text in files.items():
            write_text(where / name, text)
            written.append(where / name)
    return written
