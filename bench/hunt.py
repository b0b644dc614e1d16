"""Hunt benchmark: first sweep, re-sweep of unchanged files, and `clamscan -r`, in one run.

    sudo .venv/bin/python bench/hunt.py [--hosts 1] [--mb 64]

On the same lab hosts and tree (the default hunt paths plus a planted tree of --mb MiB
of random files under /opt/bench, written on the host by the host): (a) `assessor hunt`
first sweep, (b) its re-sweep of unchanged files (target <= 10 % of a), both without
ClamAV, each as wall time and as the module's own `sweep.seconds` (which leaves out
Ansible's fixed cost per run); (c) `clamscan -r` over the same paths on every host (in
parallel) with the signature database a hunt run builds from its indicators, so it is a
real scan; (d) a hunt with ClamAV on, and its clamscan module's own seconds; and the hunt
rules' state module's own seconds, which share the play. Prints wall times, MB/s per host
and the ratios b/a and c/a.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import shlex
import sys
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests/integration")]

from labrun import run_cli, running_lab, ssh_ops  # noqa: E402

from assessor.hunt import DEFAULT_PATHS, tables_for  # noqa: E402
from assessor.hunt.clamav import build_database  # noqa: E402

BENCH_DB = "/var/lib/assessor/bench-clamdb"


def timed(action: Callable[[], object]) -> float:
    started = time.monotonic()
    action()
    return time.monotonic() - started


def module_seconds(run_root: Path, key: str) -> float:
    """The slowest host's own `<key>.seconds`, read from ansible-runner's job events."""
    seconds = [0.0]
    for event in run_root.rglob("job_events/*.json"):
        data = json.loads(event.read_text())
        res = (data.get("event_data") or {}).get("res") or {}
        if data.get("event") == "runner_on_ok" and isinstance(res.get(key), dict):
            seconds.append(float(res[key].get("seconds", 0)))
    return max(seconds)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--hosts", type=int, default=1)
    parser.add_argument("--mb", type=int, default=64)
    parser.add_argument("--lab", default="hbench", help="lab name (default hbench)")
    args = parser.parse_args()
    db = build_database(tables_for(()))
    ship = " && ".join(
        [f"sudo rm -rf {BENCH_DB}", f"sudo mkdir -p -m 0700 {BENCH_DB}"]
        + [f"echo {base64.b64encode(text.encode()).decode()} | base64 -d | "
           f"sudo tee {BENCH_DB}/{shlex.quote(name)} >/dev/null"
           for name, text in db.files.items()]
    )
    plant = (f"sudo mkdir -p /opt/bench && for i in $(seq 1 {args.mb}); do sudo head -c "
             "1048576 /dev/urandom | sudo tee /opt/bench/f$i.bin >/dev/null; done")
    with tempfile.TemporaryDirectory() as tmp, running_lab(
        args.lab, args.hosts, "weak", Path(tmp) / "inventory.yml"
    ) as lab:
        for host in lab.hosts:
            for command in (plant, ship):
                proc = ssh_ops(lab, host.name, command, timeout=1800)
                assert proc.returncode == 0, proc.stderr
        inv = str(lab.inventory)

        def hunt(out: str, *extra: str) -> None:
            proc = run_cli("hunt", "-i", inv, "--out", str(Path(tmp) / out), *extra,
                           timeout=1800)
            assert proc.returncode in (0, 1), proc.stderr

        first = timed(lambda: hunt("r1", "--no-clamav"))
        again = timed(lambda: hunt("r2", "--no-clamav"))
        # The paths that exist (clamscan exits 2 on a missing one), as the hunt's module does.
        paths = " ".join(DEFAULT_PATHS)
        command = (f"sudo clamscan --database={BENCH_DB} -r --infected --max-filesize=64M "
                   f"$(for p in {paths}; do [ -d $p ] && echo $p; done) >/dev/null 2>&1; "
                   "echo rc=$?")
        with ThreadPoolExecutor(len(lab.hosts)) as pool:
            procs: list[str] = []
            clam = timed(lambda: procs.extend(p.stdout.strip() for p in pool.map(
                lambda h: ssh_ops(lab, h.name, command, timeout=1800), lab.hosts)))
        with_clam = timed(lambda: hunt("r3"))
        first_mod = module_seconds(Path(tmp) / "r1", "sweep")
        again_mod = module_seconds(Path(tmp) / "r2", "sweep")
        clam_mod = module_seconds(Path(tmp) / "r3", "clamscan")
        state_mod = module_seconds(Path(tmp) / "r1", "state")
        verdicts = [f["reason"] for r in (Path(tmp) / "r3").glob("*/results.json")
                    for h in json.loads(r.read_text())["hosts"] for f in h["findings"]
                    if f["control_id"] == "hunt.clamav"]
    print(f"hosts={args.hosts} planted={args.mb} MiB/host machine cores={os.cpu_count()} "
          f"database: {db.version}")
    print(f"(a) hunt first sweep  {first:8.2f} s wall  {args.mb / first:7.1f} MB/s per host; "
          f"module {first_mod:.2f} s ({args.mb / max(first_mod, 1e-3):.1f} MB/s)")
    print(f"(b) hunt re-sweep     {again:8.2f} s wall  b/a = {again / first:.2f}; module "
          f"{again_mod:.2f} s  b/a = {again_mod / max(first_mod, 1e-3):.2f} (target <= 0.10)")
    print(f"(c) clamscan -r       {clam:8.2f} s wall  c/a = {clam / first:.2f}  exit: {procs}"
          " (0 clean; 2 would mean it did not scan)")
    print(f"(d) hunt with ClamAV  {with_clam:8.2f} s wall; its clamscan module {clam_mod:.2f} s;"
          f" hunt.clamav: {verdicts}")
    print(f"(the hunt rules' state module, in the same play: {state_mod:.2f} s of (a))")
    return 0


if __name__ == "__main__":
    sys.exit(main())
