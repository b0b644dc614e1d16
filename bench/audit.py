"""Audit benchmark: `assessor assess` against the slow way and the floor, in one run.

    sudo .venv/bin/python bench/audit.py [--sizes 1,10,50] [--profile server-l2] [--keep-lab]

(a) `assessor assess`: one module run per host (pipelining, persistent connections).
(b) the usual way: a generated playbook with one Ansible task per control, run by
    `ansible-playbook` with default settings (fact gathering, no pipelining, 5 forks).
(c) the floor: one plain `ssh` per host piping the same snapshot code to python3, all
    hosts in parallel; nothing can collect the same data with fewer round trips.
(d) Ansible's own floor: `ansible all -m ansible.builtin.ping` with the assessor's
    settings (pipelining, ControlPersist), the cost of Ansible reaching each host at all.

One lab of the largest size; each size runs on the first N of its hosts (--limit for
Ansible, the same hosts for the floor). Per size it prints wall times, controller CPU
(user + system of the whole process tree) per host for (a) and (d) side by side with
their ratio, the assessor's peak RSS, and a/c; b/a at the largest size unless
--skip-slow-way. Needs root (lab).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import resource
import shlex
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from assessor import module_utils  # noqa: E402
from assessor.catalogue import Control, load_catalogue  # noqa: E402
from assessor.checks import probes_for  # noqa: E402
from assessor.evaluate import plan_probes  # noqa: E402
from assessor.lab import fleet  # noqa: E402
from assessor.runner import ANSIBLE_SETTINGS  # noqa: E402

LAB = "bench"  # --lab: a name of your own on a shared machine
MODULE = ROOT / "roles/collect/library/assessor_snapshot.py"
BIN = Path(sys.executable).parent
RUN_TIMEOUT = 3600


def timed(argv: list[str], env: dict[str, str] | None = None) -> tuple[float, str]:
    start = time.perf_counter()
    proc = subprocess.run(argv, capture_output=True, text=True, env=env, timeout=RUN_TIMEOUT,
                          check=False)
    elapsed = time.perf_counter() - start
    if proc.returncode not in (0, 1):  # 1 = controls failed, which is expected
        raise SystemExit(f"{argv[0]} failed ({proc.returncode}):\n{proc.stderr[-3000:]}")
    return elapsed, proc.stderr


def children_cpu() -> float:
    """CPU seconds (user + system) of every finished child process tree so far."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run_ping(inventory: Path, limit: str) -> tuple[float, float]:
    """(d): wall time and controller CPU of Ansible's ping with the assessor's settings."""
    env = dict(os.environ) | ANSIBLE_SETTINGS | {"PATH": f"{BIN}:{os.environ['PATH']}"}
    with tempfile.TemporaryDirectory(prefix="asr-cp-") as control_dir:  # as the assessor's
        env["ANSIBLE_SSH_CONTROL_PATH_DIR"] = control_dir
        before = children_cpu()
        elapsed, _ = timed([str(BIN / "ansible"), "all", "-i", str(inventory), "-m",
                            "ansible.builtin.ping", "--forks", "20", "--limit", limit], env=env)
        return elapsed, children_cpu() - before


def run_assessor(inventory: Path, profile: str, out: Path, limit: str) -> tuple[float, int, int]:
    """(a), measured around a Python that reports its own peak RSS at exit."""
    wrapper = (
        "import resource, sys\n"
        "from assessor.cli import main\n"
        "rc = main(sys.argv[1:])\n"
        "own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss\n"
        "kids = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss\n"
        "print('MAXRSS_KB', own, kids, file=sys.stderr)\n"
        "sys.exit(rc)\n"
    )
    elapsed, stderr = timed([sys.executable, "-c", wrapper, "assess", "-i", str(inventory),
                             "--profile", profile, "--out", str(out), "--limit", limit])
    own, kids = next(map(int, line.split()[1:3]) for line in stderr.splitlines()
                     if line.startswith("MAXRSS_KB"))
    return elapsed, own, kids


def task_for(control: Control) -> dict[str, Any]:
    """How a typical role checks one control: a builtin module where one fits, else ours."""
    probes = probes_for(control.kind, control.params)
    name = f"{control.id}: {control.title}"
    base: dict[str, Any] = {"name": name, "changed_when": False, "check_mode": False}
    if list(probes) == ["sshd"]:
        return base | {"ansible.builtin.command": "/usr/sbin/sshd -T"}
    if list(probes) == ["sysctl"]:
        key = probes["sysctl"][0]
        return base | {"ansible.builtin.command": f"cat /proc/sys/{key.replace('.', '/')}"}
    if list(probes) == ["stat"] and len(probes["stat"]) == 1 and "*" not in probes["stat"][0]:
        return {"name": name, "ansible.builtin.stat": {"path": probes["stat"][0]}}
    if list(probes) == ["packages"]:
        return base | {"ansible.builtin.command": "dpkg-query -W -f '${Package} ${Status}\\n'"}
    if list(probes) == ["files"] and len(probes["files"]) == 1 and "*" not in probes["files"][0]:
        return {"name": name, "ansible.builtin.slurp": {"src": probes["files"][0]},
                "failed_when": False}
    return {"name": name, "assessor_snapshot": {"probes": probes}}


def run_per_task(inventory: Path, controls: list[Control], work: Path) -> float:
    """(b): one task per control, ansible-playbook with its defaults."""
    playbook = work / "per-control.yml"
    play = {"name": "One task per control", "hosts": "all", "become": True,
            "tasks": [task_for(c) for c in controls]}
    playbook.write_text(yaml.safe_dump([play], sort_keys=False))
    env = {k: v for k, v in os.environ.items() if not k.startswith("ANSIBLE_")}
    env |= {"PATH": f"{BIN}:{env.get('PATH', '')}",
            "ANSIBLE_LIBRARY": str(MODULE.parent),  # only so the fallback tasks can run
            "ANSIBLE_MODULE_UTILS": str(module_utils.HERE),
            "ANSIBLE_PYTHON_INTERPRETER": "/usr/bin/python3"}
    elapsed, _ = timed([str(BIN / "ansible-playbook"), "-i", str(inventory), str(playbook)],
                       env=env)
    return elapsed


UTIL_IMPORT = re.compile(r"^from ansible\.module_utils\.(assessor_\w+) import (\([^)]*\)|.*)\n",
                         re.M)
FUTURE = "from __future__ import annotations\n"


def inline_module_utils(source: str, seen: set[str]) -> str:
    """`source` with each of our module_utils it imports put before it, as Ansible ships
    them: the host then needs nothing but this one script."""
    parts: list[str] = []

    def inline(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in seen:
            seen.add(name)
            util = (module_utils.HERE / f"{name}.py").read_text().replace(FUTURE, "")
            parts.append(inline_module_utils(util, seen))
        return ""

    body = UTIL_IMPORT.sub(inline, source)
    return "".join(parts) + body


def floor_script(probes: dict[str, Any]) -> str:
    """The collect module's own code as a plain script: same probes, no Ansible."""
    source = MODULE.read_text().replace(FUTURE, "")
    source = source.replace("from ansible.module_utils.basic import AnsibleModule", "")
    source = source.split('if __name__ == "__main__":')[0]
    return (FUTURE + inline_module_utils(source, set())
            + f"\nimport json\nprint(json.dumps(snapshot({probes!r})))\n")


def run_floor(state: fleet.LabState, probes: dict[str, Any], count: int) -> float:
    """(c): one ssh per host, all at once, each piping the snapshot script to python3."""
    script = floor_script(probes)
    start = time.perf_counter()
    procs = []
    for host in state.hosts[:count]:
        argv = ["ssh", "-i", state.key, "-o", f"UserKnownHostsFile={state.known_hosts}",
                "-o", "StrictHostKeyChecking=yes", "-o", "IdentitiesOnly=yes",
                f"ops@{host.address}", "sudo", "/usr/bin/python3", "-"]
        procs.append(subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                      stderr=subprocess.PIPE, text=True))
    for proc in procs:
        out, err = proc.communicate(script, timeout=RUN_TIMEOUT)
        if proc.returncode != 0 or "facts" not in json.loads(out or "{}"):
            raise SystemExit(f"floor ssh failed: {err[-2000:]}")
    return time.perf_counter() - start


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1,10",
                        help="fleet sizes to measure, comma-separated (default 1,10)")
    parser.add_argument("--profile", default="server-l2")
    parser.add_argument("--lab", default=LAB, help=f"lab name (default {LAB})")
    parser.add_argument("--flavours", default="weak,hardened",
                        help="host flavours in turn (lab host names must not be another "
                        "lab's on the same machine: nspawn's machine names are global)")
    parser.add_argument("--keep-lab", action="store_true")
    parser.add_argument("--skip-slow-way", action="store_true",
                        help="measure (a), (c) and (d) only, e.g. to see how a/c scales")
    args = parser.parse_args()
    sizes = sorted({int(n) for n in args.sizes.split(",") if n.strip()})

    controls = load_catalogue().profile(args.profile)
    probes = plan_probes(controls)
    fleet.down(args.lab, say=lambda _: None)
    work = Path(tempfile.mkdtemp(prefix="assessor-bench-"))
    inventory = work / "inventory.yml"
    try:
        state = fleet.up(args.lab, sizes[-1], flavours=args.flavours, inventory=inventory,
                         say=lambda _: None)
    except BaseException:
        fleet.down(args.lab, say=lambda _: None)
        raise
    rows = []
    task_time = 0.0
    try:
        for size in sizes:
            limit = ",".join(h.name for h in state.hosts[:size])
            floor_time = run_floor(state, probes, size)  # also warms the page cache
            ping_time, ping_cpu = run_ping(inventory, limit)
            before = children_cpu()
            assess_time, rss_kb, child_kb = run_assessor(inventory, args.profile,
                                                         work / f"reports-{size}", limit)
            assess_cpu = children_cpu() - before
            floor_time = min(floor_time, run_floor(state, probes, size))
            rows.append((size, assess_time, assess_cpu, ping_time, ping_cpu, floor_time,
                         rss_kb, child_kb))
        if not args.skip_slow_way:
            task_time = run_per_task(inventory, controls, work)
    finally:
        if not args.keep_lab:
            fleet.down(args.lab, say=lambda _: None)

    cpu = next((line.split(":", 1)[1].strip() for line in
                Path("/proc/cpuinfo").read_text().splitlines() if line.startswith("model name")),
               platform.processor())
    print(f"machine: {os.cpu_count()} cores, {cpu}, Python {platform.python_version()}, "
          f"load average {' '.join(f'{x:.1f}' for x in os.getloadavg())}")
    print(f"profile {args.profile}: {len(controls)} controls")
    print(f"{'hosts':>5} {'(a) assess':>11} {'(c) floor':>10} {'a/c':>5} {'(d) ping':>9} "
          f"{'CPU/host assess':>16} {'CPU/host ping':>14} {'a/d CPU':>8} {'peak RSS':>9}")
    for size, a_wall, a_cpu, d_wall, d_cpu, c_wall, rss_kb, child_kb in rows:
        print(f"{size:>5} {a_wall:>9.2f} s {c_wall:>8.2f} s {a_wall / c_wall:>5.1f} "
              f"{d_wall:>7.2f} s {1000 * a_cpu / size:>13.0f} ms {1000 * d_cpu / size:>11.0f} ms "
              f"{a_cpu / d_cpu:>8.2f} {rss_kb / 1024:>5.0f} MiB (child {child_kb / 1024:.0f})")
    print("targets: a/c <= 2 at 10 hosts, one host <= 1.5 s, CPU per host a/d <= 1.5")
    if task_time:
        print(f"(b) one task per control at {sizes[-1]} hosts: {task_time:.2f} s; "
              f"b/a = {task_time / rows[-1][1]:.1f} (target >= 20)")
    print(f"work dir: {work}  (keep the lab with: {shlex.join(sys.argv)} --keep-lab)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
