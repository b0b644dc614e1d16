"""Indicator intake benchmark: read 25,000 indicators as a STIX bundle and as a CSV.

    .venv/bin/python bench/intel.py [--count 25000] [--keep DIR]

Generates (seeded, so every run is the same) a STIX 2.1 bundle of COUNT indicators — a
realistic mix: single hashes, OR of hashes, IPs, domains, URLs, process names, 5%
expired, 2% revoked, 3% unsupported (AND / FOLLOWEDBY) — and a `type,value,source` CSV of
COUNT rows of the same kinds, then times `load_intel` (read, validate, parse every pattern
with stix2-patterns, normalise, select, de-duplicate) and `hunt_tables` on each, and on
both together. Prints wall and CPU times and peak RSS against the target: under 10 s.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import resource
import sys
import tempfile
import time
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from assessor.intel import hunt_tables, load_intel

TARGET_SECONDS = 10.0
NOW = datetime(2026, 12, 1, tzinfo=UTC)


def hexdigits(rng: random.Random, length: int) -> str:
    return f"{rng.getrandbits(length * 4):0{length}x}"


def pattern_for(rng: random.Random, n: int) -> str:
    roll = rng.random()
    if roll < 0.30:
        return f"[file:hashes.'SHA-256' = '{hexdigits(rng, 64)}']"
    if roll < 0.45:
        return (f"[file:hashes.'SHA-256' = '{hexdigits(rng, 64)}' OR file:hashes.MD5 = "
                f"'{hexdigits(rng, 32)}' OR file:name = 'implant{n}.bin']")
    if roll < 0.60:
        return f"[ipv4-addr:value = '{rng.randrange(1, 223)}.{rng.randrange(256)}.{n % 256}.7']"
    if roll < 0.75:
        return f"[domain-name:value = 'c2-{n}.example.net']"
    if roll < 0.85:
        return f"[url:value = 'http://drop-{n}.example.org/p/{hexdigits(rng, 8)}']"
    if roll < 0.97:
        return f"[process:name = 'kworker{n}'] OR [file:hashes.'SHA-1' = '{hexdigits(rng, 40)}']"
    return f"[file:hashes.MD5 = '{hexdigits(rng, 32)}' AND file:name = 'sshd']"


def bundle(count: int, seed: int = 14) -> dict[str, Any]:
    rng = random.Random(seed)
    objects = []
    for n in range(count):
        obj: dict[str, Any] = {
            "type": "indicator", "spec_version": "2.1",
            "id": f"indicator--{n:08x}-{rng.getrandbits(16):04x}-4000-8000-{n:012x}",
            "created": "2026-11-20T08:00:00.000Z", "modified": "2026-11-20T08:00:00.000Z",
            "name": f"indicator {n}", "indicator_types": ["malicious-activity"],
            "pattern": pattern_for(rng, n), "pattern_type": "stix", "pattern_version": "2.1",
            "valid_from": "2026-11-20T08:00:00Z", "confidence": rng.randrange(20, 100),
        }
        if rng.random() < 0.05:
            obj["valid_until"] = "2026-11-25T00:00:00Z"
        if rng.random() < 0.02:
            obj["revoked"] = True
        objects.append(obj)
    return {"type": "bundle", "id": "bundle--00000000-0000-4000-8000-000000000014",
            "objects": objects}


def csv_text(count: int, seed: int = 15) -> str:
    rng = random.Random(seed)
    rows = ["type,value,source"]
    makers = [
        lambda n: ("sha256", hexdigits(rng, 64)), lambda n: ("md5", hexdigits(rng, 32).upper()),
        lambda n: ("sha1", hexdigits(rng, 40)),
        lambda n: ("ip", f"198.51.{n // 256 % 256}.{n % 256}"),
        lambda n: ("domain", f"Bad-{n}.Example.COM."), lambda n: ("url", f"http://x{n}.example/a"),
        lambda n: ("filename", f"payload{n}.so"), lambda n: ("path", f"/tmp/.cache/{n}/x"),
        lambda n: ("process-name", f"miner{n}"),
    ]
    for n in range(count):
        kind, value = rng.choice(makers)(n)
        rows.append(f"{kind},{value},CERT annex {n % 7}")
    return "\n".join(rows) + "\n"


def cpu_seconds() -> float:
    """This process and its finished children: patterns are parsed in a process pool."""
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return time.process_time() + children.ru_utime + children.ru_stime


def timed(label: str, paths: list[Path]) -> tuple[float, float]:
    wall, cpu = time.perf_counter(), cpu_seconds()
    intake = load_intel(paths, now=NOW)
    tables = hunt_tables(intake.indicators)
    wall, cpu = time.perf_counter() - wall, cpu_seconds() - cpu
    hashes = sum(len(s) for s in tables.hashes.values())
    print(f"{label:<18} {wall:6.2f} s wall {cpu:6.2f} s CPU  {len(intake.indicators):6d} "
          f"indicators ({hashes} hashes), {len(intake.skipped)} not used  "
          f"{'OK' if wall < TARGET_SECONDS else 'OVER TARGET'}")
    return wall, cpu


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=25_000)
    parser.add_argument("--keep", type=Path, help="write the generated files here")
    args = parser.parse_args()
    work = args.keep or Path(tempfile.mkdtemp(prefix="intel-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    stix_path, csv_path = work / "bench-bundle.json", work / "bench.csv"
    stix_path.write_text(json.dumps(bundle(args.count)))
    csv_path.write_text(csv_text(args.count))
    load = os.getloadavg()[0]
    print(f"{date.today()} · {platform.machine()} · {os.cpu_count()} cores · Python "
          f"{platform.python_version()} · load {load:.1f} · {args.count} indicators each")
    worst = max(timed("STIX bundle", [stix_path])[0], timed("CSV", [csv_path])[0],
                timed("both together", [stix_path, csv_path])[0])
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak RSS {peak:.0f} MiB · files in {work}")
    return 0 if worst < TARGET_SECONDS else 1


if __name__ == "__main__":
    sys.exit(main())
