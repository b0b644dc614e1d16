"""Helpers for integration tests: run the real `assessor` CLI and read what it wrote."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

ASSESSOR = str(Path(sys.executable).parent / "assessor")


@dataclass(frozen=True)
class Run:
    code: int
    stdout: str
    stderr: str
    out: Path

    @property
    def run_dir(self) -> Path:
        dirs = sorted(p for p in self.out.iterdir() if p.is_dir())
        assert len(dirs) == 1, f"expected one run directory in {self.out}: {dirs}"
        return dirs[0]

    @property
    def results(self) -> dict[str, object]:
        return json.loads((self.run_dir / "results.json").read_text())  # type: ignore[no-any-return]

    def host(self, name: str) -> dict[str, object]:
        hosts = self.results["hosts"]
        assert isinstance(hosts, list)
        return next(h for h in hosts if h["name"] == name)


def run_cli(*args: str, timeout: int = 300) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [ASSESSOR, *args], capture_output=True, text=True, timeout=timeout, check=False,
        env=os.environ | {"COLUMNS": "200"},
    )


def assess(inventory: Path, out: Path, *extra: str) -> Run:
    proc = run_cli("assess", "-i", str(inventory), "--out", str(out), *extra)
    return Run(proc.returncode, proc.stdout, proc.stderr, out)


