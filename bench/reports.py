"""Report benchmark: render every report of a synthetic fleet, then re-render from JSON.

    .venv/bin/python bench/reports.py [--hosts 1000] [--controls 200] [--keep DIR]

Builds a RunResult of HOSTS x CONTROLS findings (seeded, so every run is the same; 2% of
hosts unreachable, evidence of realistic length), writes every report (results.json,
JUnit per host and merged, HTML per host and the index) and then does what `assessor
report RUN_DIR` does (read and schema-check results.json, render JUnit and HTML again).
Prints wall times and peak RSS against the targets: under 30 s and 1 GiB.
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import resource
import shutil
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

from assessor.reports import json_report, write_all
from assessor.results import Finding, HostResult, RunResult, Severity, Status

TARGET_SECONDS = 30.0
TARGET_BYTES = 1 << 30
STATUS_WEIGHTS = {
    Status.PASS: 60, Status.FAIL: 28, Status.ERROR: 2, Status.NOTAPPLICABLE: 6,
    Status.WAIVED: 3, Status.MANUAL: 1,
}
SECTIONS = [f"{n}.{m} Section {n}.{m}" for n in range(1, 8) for m in range(1, 4)]


def synthetic_run(hosts: int, controls: int, seed: int = 4) -> RunResult:
    rng = random.Random(seed)
    catalogue = [
        (f"area{i % 12}.control-{i:03d}", f"Control {i} keeps something safe",
         SECTIONS[i % len(SECTIONS)], list(Severity)[1 + i % 4])
        for i in range(controls)
    ]
    statuses = list(STATUS_WEIGHTS)
    weights = list(STATUS_WEIGHTS.values())
    results = []
    for h in range(hosts):
        name = f"host-{h:04d}.example.org"
        if rng.random() < 0.02:
            results.append(HostResult(name, f"10.1.{h // 250}.{h % 250}",
                                      error="unreachable: ssh: connect timed out"))
            continue
        findings = []
        for cid, title, section, severity in catalogue:
            status = rng.choices(statuses, weights)[0]
            observed = "yes" if status is Status.FAIL else "no"
            findings.append(Finding(
                control_id=cid, title=title, section=section, severity=severity,
                status=status, reason=f"{cid} is {observed}, expected no",
                expected="no", observed=observed,
                evidence=f"/etc/ssh/sshd_config.d/50-site.conf:12: {cid} {observed} "
                         f"(sshd -T: {cid.replace('.', '')} {observed})",
                rationale="Keeps an attacker from something; see the benchmark for why.",
                remediation=f"Apply role harden_area with tag {cid}.",
                refs={"cis_debian12": "5.1.1", "nist_800_53": ["AC-6", "CM-6(b)"],
                      "ssg": "some_rule_id"},
            ))
        results.append(HostResult(
            name, f"10.1.{h // 250}.{h % 250}",
            {"os": "Debian GNU/Linux 12 (bookworm)", "kernel": "6.1.0-28-amd64",
             "hostname": name},
            findings,
        ))
    return RunResult(
        run_id="20261125T000000Z", started="2026-11-25T00:00:00+00:00",
        finished="2026-11-25T00:20:00+00:00", tool_version="bench",
        catalogue_version="bench", profile="server-l2", inventory="bench", hosts=results,
    )


def peak_rss_bytes() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hosts", type=int, default=1000)
    parser.add_argument("--controls", type=int, default=200)
    parser.add_argument("--keep", type=Path, help="render here and keep the files")
    args = parser.parse_args()

    start = time.perf_counter()
    run = synthetic_run(args.hosts, args.controls)
    built = time.perf_counter() - start
    base = args.keep or Path(tempfile.mkdtemp(prefix="assessor-bench-"))
    out = base / run.run_id
    try:
        start, cpu = time.perf_counter(), time.process_time()
        written = write_all(run, out)
        render, render_cpu = time.perf_counter() - start, time.process_time() - cpu
        size = sum(p.stat().st_size for p in written)
        del run
        start, cpu = time.perf_counter(), time.process_time()
        again = json_report.read(out)
        write_all(again, out, skip=("json",))
        rerender, rerender_cpu = time.perf_counter() - start, time.process_time() - cpu
    finally:
        if not args.keep:
            shutil.rmtree(base, ignore_errors=True)
    peak = peak_rss_bytes()
    findings = args.hosts * args.controls
    print(f"reports bench {date.today()} on {platform.node()} ({platform.machine()}, "
          f"{platform.processor() or 'cpu ?'}, python {platform.python_version()})")
    print(f"fleet: {args.hosts} hosts x {args.controls} controls (~{findings:,} findings)")
    print(f"build synthetic run:          {built:6.1f} s")
    print(f"write all reports:            {render:6.1f} s  (cpu {render_cpu:.1f} s; "
          f"{len(written)} files, {size / 2**20:.0f} MiB)")
    print(f"report RUN_DIR (read+render): {rerender:6.1f} s  (cpu {rerender_cpu:.1f} s)")
    print(f"load average at the end:      {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print(f"peak RSS:                     {peak / 2**20:6.0f} MiB")
    ok = render < TARGET_SECONDS and rerender < TARGET_SECONDS and peak < TARGET_BYTES
    print(f"targets (< {TARGET_SECONDS:.0f} s each, < 1 GiB): {'met' if ok else 'MISSED'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
