"""Watch benchmark: change on a host -> alert delivered, with the loop at a fixed cadence.

    sudo .venv/bin/python bench/watch.py [--hosts 10] [--cadence 60]

Boots a lab, starts an HMAC-checking webhook on 127.0.0.1 and `assessor watch` (the loop),
waits for the first cycle, then at a random moment of the cadence makes /etc/passwd
group-writable (a failing control) and plants a SUID file (drift) on one host over SSH, and
times until the webhook holds each alert (target: one cadence + 15 s). Every cycle runs
assess, drift (with the content baseline) and coverage. Prints both latencies and the
controller's CPU seconds per cycle (the watch and the Ansible it waited for). Needs root.
"""

from __future__ import annotations

import argparse
import os
import random
import re
import resource
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

sys.path.insert(0, str(ROOT / "tests" / "integration"))

from receivers import Webhook  # noqa: E402

from assessor.lab import fleet  # noqa: E402

LAB = "wa2"
BIN = Path(sys.executable).parent
SECRET = b"bench-hook-key"
SUBJECTS = ("files.passwd", "/usr/local/bin/bench-suid")  # a failing control, a SUID file


def on_host(state: fleet.LabState, host: fleet.LabHost, command: str) -> None:
    """Change a lab host over SSH, never through its root on this machine."""
    subprocess.run(["ssh", "-i", state.key, "-o", f"UserKnownHostsFile={state.known_hosts}",
                    "-o", "StrictHostKeyChecking=yes", "-o", "BatchMode=yes",
                    f"ops@{host.address}", command], check=True, timeout=60,
                   capture_output=True)


def wait_for(predicate: Any, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.2)
    return bool(predicate())


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--hosts", type=int, default=10)
    parser.add_argument("--cadence", type=int, default=60)
    args = parser.parse_args()
    base = Path(tempfile.mkdtemp(prefix="bench-watch-"))
    fleet.down(LAB, say=lambda _: None)
    state = fleet.up(LAB, args.hosts, flavours="weak", inventory=base / "inventory.yml",
                     say=lambda _: None)
    hook = Webhook(SECRET)
    (base / "hook.key").write_bytes(SECRET)
    (base / "watch.yml").write_text(
        f"interval: {args.cadence}\nsinks:\n  - type: webhook\n"
        f"    url: {hook.url}\n"
        "    secret_file: hook.key\n    min_severity: low\n"
        "coverage: {agents: [{name: logs, package: rsyslog, unit: rsyslog.service}]}\n")
    env = {**os.environ, "PATH": f"{BIN}:{os.environ['PATH']}"}
    prom = base / "watch.prom"
    before = resource.getrusage(resource.RUSAGE_CHILDREN)  # the lab's own set-up excluded
    proc = subprocess.Popen(
        [str(BIN / "assessor"), "watch", "-i", str(base / "inventory.yml"), "--config",
         str(base / "watch.yml"), "--out", str(base / "out"), "--metrics-textfile", str(prom)],
        env=env, stdout=subprocess.PIPE, text=True)
    host = state.hosts[0]
    try:
        if not wait_for(prom.exists, 10 * args.cadence):
            raise SystemExit("the first cycle did not finish")
        time.sleep(random.uniform(0, args.cadence))
        changed = time.monotonic()
        on_host(state, host, "sudo sh -c 'chmod 0664 /etc/passwd && "
                "install -m 4755 /bin/true /usr/local/bin/bench-suid'")

        def arrived(subject: str) -> float | None:
            return next((t for t, m in zip(hook.arrived, hook.received, strict=False)
                         if m["alert"]["subject"] == subject
                         and m["alert"]["host"] == host.name), None)

        wait_for(lambda: all(arrived(s) for s in SUBJECTS), 3 * args.cadence + 60)
        latencies = {s: (at - changed) if (at := arrived(s)) else float("nan")
                     for s in SUBJECTS}
    finally:
        on_host(state, host, "sudo sh -c 'chmod 0644 /etc/passwd; "
                "rm -f /usr/local/bin/bench-suid'")
        proc.send_signal(signal.SIGTERM)
        out, _ = proc.communicate(timeout=20 * args.cadence)
        usage = resource.getrusage(resource.RUSAGE_CHILDREN)
        hook.close()
        fleet.down(LAB, say=lambda _: None)
    walls = [float(w) for w in re.findall(r"^cycle \d+: .*, ([0-9.]+)s;", out, re.M)]
    cycles = max(1, len(walls))
    cpu = (usage.ru_utime + usage.ru_stime - before.ru_utime - before.ru_stime) / cycles
    target = args.cadence + 15
    print(f"hosts {args.hosts}, cadence {args.cadence}s, cycles {cycles}")
    for subject, latency in latencies.items():
        print(f"change -> delivered alert ({subject}): {latency:.1f}s (target <= {target}s: "
              f"{'met' if latency <= target else 'MISSED'})")
    print(f"controller CPU per cycle: {cpu:.1f}s (watch + ansible, user+system)")
    print("cycle wall times: " + ", ".join(f"{w:.1f}s" for w in walls))
    return 0 if all(v <= target for v in latencies.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
