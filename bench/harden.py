"""What one `assessor harden --check` costs the controller, task by task, against ping.

    sudo .venv/bin/python bench/harden.py --lab NAME [--limit HOST] [--profile server-l1]
        [--roles-from DIR ...]

Runs on a lab that is up (`assessor lab up --flavours weak`). For the roles of this
checkout, and of every other checkout named with --roles-from (an older commit's worktree,
so a change is measured side by side in one run), it previews the profile on the host
(`harden --check`: every role's tasks run, nothing changes) and prints the wall and CPU of
the whole process tree, the playbook's own span, and from the runner's job events how many
tasks started, how many of them every host skipped, and the changes previewed (which must
be the same in every column). `ansible -m ping` with the assessor's settings, in the same
run, is the floor.
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from assessor.lab import fleet  # noqa: E402
from assessor.runner import ANSIBLE_SETTINGS  # noqa: E402

BIN = Path(sys.executable).parent
TIMEOUT = 1800


def run(argv: list[str], env: dict[str, str]) -> tuple[float, float]:
    """Wall and CPU (user + system of the whole process tree) of one command."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    before, start = usage.ru_utime + usage.ru_stime, time.perf_counter()
    proc = subprocess.run(argv, capture_output=True, text=True, env=env, timeout=TIMEOUT,
                          check=False)
    if proc.returncode not in (0, 1):
        raise SystemExit(f"{argv[0]} failed ({proc.returncode}): {proc.stderr[-2000:]}")
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return time.perf_counter() - start, usage.ru_utime + usage.ru_stime - before


def events(out: Path) -> dict[str, float]:
    """Task starts, tasks every host skipped, and the playbook's span, from job_events."""
    found = [json.loads(p.read_text()) for p in out.glob("*/ansible/artifacts/*/job_events/*.json")]
    found.sort(key=lambda e: e.get("counter", 0))
    outcome: dict[str, set[str]] = collections.defaultdict(set)
    for event in found:
        if event["event"] in ("runner_on_ok", "runner_on_skipped", "runner_on_failed"):
            outcome[str(event.get("parent_uuid"))].add(event["event"])
    starts = [e["event_data"]["task_uuid"] for e in found if e["event"] == "playbook_on_task_start"]
    span = (datetime.fromisoformat(found[-1]["created"])
            - datetime.fromisoformat(found[0]["created"])).total_seconds()
    skipped = sum(1 for uuid in starts if outcome[uuid] == {"runner_on_skipped"})
    return {"tasks": len(starts), "skipped": skipped, "span": span}


def preview(assessor: Path, checkout: Path, inventory: str, limit: str, profile: str,
            env: dict[str, str]) -> dict[str, float]:
    out = Path(tempfile.mkdtemp(prefix="asr-bh-"))
    wall, cpu = run([str(assessor), "harden", "-i", inventory, "--limit", limit, "--profile",
                     profile, "--check", "--out", str(out)],
                    env | {"ASSESSOR_HOME": str(checkout), "PYTHONPATH": str(checkout)})
    record = json.loads(next(out.glob("*/harden.json")).read_text())
    changes = sum(1 for h in record["hosts"] for c in h["changes"] if c["status"] == "changed")
    return {"wall": wall, "cpu": cpu, "changes": changes} | events(out)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lab", required=True)
    parser.add_argument("--limit", help="the host to preview (default: the lab's first)")
    parser.add_argument("--profile", default="server-l1")
    parser.add_argument("--roles-from", action="append", default=[], type=Path,
                        help="another checkout (e.g. `git worktree add /tmp/old COMMIT`)")
    args = parser.parse_args()
    state = fleet.read_state(args.lab)
    if state is None:
        raise SystemExit(f"lab {args.lab!r} is not up")
    limit = args.limit or state.hosts[0].name
    env = dict(os.environ) | {"PATH": f"{BIN}:{os.environ['PATH']}"}
    with tempfile.TemporaryDirectory(prefix="asr-bh-cp-") as control_dir:
        ping_wall, ping_cpu = run(
            [str(BIN / "ansible"), limit, "-i", state.inventory, "-m", "ansible.builtin.ping"],
            env | ANSIBLE_SETTINGS | {"ANSIBLE_SSH_CONTROL_PATH_DIR": control_dir})
    rows = {str(c): preview(BIN / "assessor", c.resolve(), state.inventory, limit,
                            args.profile, env) for c in [ROOT, *args.roles_from]}
    print(f"harden --check --profile {args.profile} on {limit}; ansible -m ping: "
          f"{ping_wall:.2f} s wall, {ping_cpu:.2f} s CPU")
    print("| checkout | wall | CPU | CPU / ping | playbook span | tasks | skipped by all "
          "| changes previewed |")
    print("|---|---|---|---|---|---|---|---|")
    for checkout, r in rows.items():
        print(f"| {checkout} | {r['wall']:.1f} s | {r['cpu']:.1f} s | {r['cpu'] / ping_cpu:.1f} "
              f"| {r['span']:.1f} s | {r['tasks']:.0f} | {r['skipped']:.0f} "
              f"| {r['changes']:.0f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
