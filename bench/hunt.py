"""Hunt benchmark: first sweep, re-sweep of unchanged files, and `clamscan -r`, in one run.

    sudo .venv/bin/python bench/hunt.py [--hosts 1] [--mb 64]

On the same lab hosts and tree (the default hunt paths plus a planted tree of --mb MiB
of random files under /opt/bench): (a) `assessor hunt` first sweep, (b) its re-sweep of
unchanged files (target <= 10 % of a), (c) `clamscan -r` over the same paths on every
host (in parallel). Prints wall times, MB/s per host and the ratios b/a and c/a.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests/integration")]

from labrun import root_of, run_cli, running_lab, ssh_ops  # noqa: E402

from assessor.hunt import DEFAULT_PATHS  # noqa: E402


def timed(action: object) -> float:
    started = time.monotonic()
    action()  # type: ignore[operator]
    return time.monotonic() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--hosts", type=int, default=1)
    parser.add_argument("--mb", type=int, default=64)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp, running_lab(
        "hbench", args.hosts, "weak", Path(tmp) / "inventory.yml"
    ) as lab:
        for host in lab.hosts:
            tree = root_of(lab, host.name) / "opt/bench"
            tree.mkdir(parents=True, exist_ok=True)
            for index in range(args.mb):
                (tree / f"f{index:04d}.bin").write_bytes(os.urandom(1 << 20))
        inv = lab.inventory

        def hunt(out: str) -> None:
            proc = run_cli("hunt", "-i", inv, "--out", str(Path(tmp) / out), timeout=1800)
            assert proc.returncode in (0, 1), proc.stderr

        first = timed(lambda: hunt("r1"))
        again = timed(lambda: hunt("r2"))
        paths = " ".join(p for p in DEFAULT_PATHS)
        command = f"sudo clamscan -r --no-summary --infected {paths} >/dev/null 2>&1; echo rc=$?"
        with ThreadPoolExecutor(len(lab.hosts)) as pool:
            procs: list[str] = []
            clam = timed(lambda: procs.extend(p.stdout.strip() for p in pool.map(
                lambda h: ssh_ops(lab, h.name, command, timeout=1800), lab.hosts)))
    print(f"hosts={args.hosts} planted={args.mb} MiB/host machine cores={os.cpu_count()}")
    print(f"(a) hunt first sweep  {first:8.2f} s  {args.mb / first:7.1f} MB/s per host")
    print(f"(b) hunt re-sweep     {again:8.2f} s  b/a = {again / first:.2f} (target <= 0.10)")
    print(f"(c) clamscan -r       {clam:8.2f} s  c/a = {clam / first:.2f}  exit: {procs}")
    print("(clamscan exit 2 means it had no usable database: then (c) is not a scan)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
