"""Where the controller's CPU goes in one `assessor assess`, against `ansible -m ping`.

    sudo .venv/bin/python bench/controller.py --lab NAME [--limit PATTERN] [--profile server-l2]

Runs on a lab that is up (`assessor lab up`): Ansible's ping with the assessor's settings,
`ansible-inventory --list` alone, then `assessor assess` in this process under cProfile.
Prints the CPU (user + system) of each: the assessor's own process, its children
(ansible-playbook with its forks and ssh; ansible-inventory when waivers or execution
nodes need it), and the functions that
cost the assessor's process the most (cumulative), so a cut is aimed at what costs most.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import os
import pstats
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from assessor.lab import fleet  # noqa: E402
from assessor.runner import ANSIBLE_SETTINGS  # noqa: E402

BIN = Path(sys.executable).parent
TIMEOUT = 1800


def cpu(who: int) -> float:
    usage = resource.getrusage(who)
    return usage.ru_utime + usage.ru_stime


def child_cpu(argv: list[str], env: dict[str, str]) -> tuple[float, float]:
    """Wall and CPU of one command (its whole process tree)."""
    before, start = cpu(resource.RUSAGE_CHILDREN), time.perf_counter()
    proc = subprocess.run(argv, capture_output=True, text=True, env=env, timeout=TIMEOUT,
                          check=False)
    if proc.returncode != 0:
        raise SystemExit(f"{argv[0]} failed: {proc.stderr[-2000:]}")
    return time.perf_counter() - start, cpu(resource.RUSAGE_CHILDREN) - before


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lab", required=True)
    parser.add_argument("--limit", default="all")
    parser.add_argument("--profile", default="server-l2")
    parser.add_argument("--top", type=int, default=30)
    parser.add_argument("--no-profiler", action="store_true",
                        help="CPU as it is (cProfile adds to every Python call)")
    args = parser.parse_args()
    state = fleet.read_state(args.lab)
    if state is None:
        raise SystemExit(f"lab {args.lab!r} is not up")
    inventory = state.inventory
    env = dict(os.environ) | {"PATH": f"{BIN}:{os.environ['PATH']}"}
    with tempfile.TemporaryDirectory(prefix="asr-cp-") as control_dir:
        ping_wall, ping_cpu = child_cpu(
            [str(BIN / "ansible"), args.limit, "-i", inventory, "-m", "ansible.builtin.ping",
             "--forks", "20"],
            env | ANSIBLE_SETTINGS | {"ANSIBLE_SSH_CONTROL_PATH_DIR": control_dir})
    inv_wall, inv_cpu = child_cpu([str(BIN / "ansible-inventory"), "-i", inventory, "--list",
                                   "--limit", args.limit], env)
    hosts = len(state.hosts) if args.limit == "all" else len(args.limit.split(","))

    from assessor.cli import main as assessor_main  # imports counted in the profile too

    out = tempfile.mkdtemp(prefix="assessor-prof-")
    profiler = cProfile.Profile(time.process_time)  # CPU: a loaded machine inflates wall
    self_before, kids_before = cpu(resource.RUSAGE_SELF), cpu(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    if not args.no_profiler:
        profiler.enable()
    code = assessor_main(["assess", "-i", inventory, "--profile", args.profile, "--limit",
                          args.limit, "--out", out])
    profiler.disable()
    wall = time.perf_counter() - start
    own = cpu(resource.RUSAGE_SELF) - self_before
    kids = cpu(resource.RUSAGE_CHILDREN) - kids_before
    if not args.no_profiler:
        text = io.StringIO()
        pstats.Stats(profiler, stream=text).sort_stats("cumulative").print_stats(args.top)
        print(text.getvalue())
    print(f"hosts {hosts}; assess exit {code}, {wall:.2f} s wall; reports in {out}")
    print(f"assessor process   {own:6.2f} s CPU"
          + ("" if args.no_profiler else " (profiled: the profiler adds to every call)"))
    print(f"its children       {kids:6.2f} s CPU (ansible-playbook, its forks and ssh; "
          f"ansible-inventory, when read, {inv_cpu:.2f} s alone, {inv_wall:.2f} s wall)")
    print(f"ansible -m ping    {ping_cpu:6.2f} s CPU, {ping_wall:.2f} s wall")
    print(f"per host: assess {1000 * (own + kids) / hosts:.0f} ms, "
          f"ping {1000 * ping_cpu / hosts:.0f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
