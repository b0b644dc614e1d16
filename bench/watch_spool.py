"""Spool benchmark: one cycle's notifications into the on-disk spool, batched (one
syncfs for the data and one for the renames, rundir.write_many) against one fsync per
notification and sink (rundir.write_text per file, as the spool did before).

    .venv/bin/python bench/watch_spool.py [--alerts 200] [--sinks 4] [--dir DIR]

DIR should be on the file system the watch's spool lives on (default: a temporary
directory under the current one). Prints both times and the ratio.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from assessor import rundir  # noqa: E402
from assessor.results import Severity  # noqa: E402
from assessor.watch.alerts.model import Condition, reconcile  # noqa: E402
from assessor.watch.alerts.sinks import WebhookSink  # noqa: E402
from assessor.watch.alerts.spool import Spool, message  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--alerts", type=int, default=200)
    parser.add_argument("--sinks", type=int, default=4)
    parser.add_argument("--dir", type=Path, default=Path.cwd())
    args = parser.parse_args()
    conditions = [Condition(f"host{i % 50:02d}", "control", f"rule.{i}", Severity.HIGH,
                            f"rule {i} fails") for i in range(args.alerts)]
    notes = reconcile([], conditions, datetime.now(UTC), 3600, lambda _: True)[1]
    sinks = [WebhookSink(f"sink{i}", "http://127.0.0.1:1/", Severity.LOW, b"k")
             for i in range(args.sinks)]
    work = Path(tempfile.mkdtemp(prefix="spool-bench-", dir=args.dir))
    try:
        began = time.perf_counter()
        spool = Spool(work / "per-file")
        for note in notes:  # the spool before: one atomic, fsynced write per file
            for sink in sinks:
                rundir.write_text(spool._dir(sink.name) / f"{note.key}.json",
                                  str({"created": 0, "message": message(note)}))
        per_file = time.perf_counter() - began
        began = time.perf_counter()
        Spool(work / "batch").enqueue(notes, sinks)
        batch = time.perf_counter() - began
    finally:
        shutil.rmtree(work)
    files = len(notes) * len(sinks)
    print(f"{files} spool files ({len(notes)} notifications x {len(sinks)} sinks) on {args.dir}")
    print(f"  one fsync per file : {per_file:7.3f} s")
    print(f"  one batch (syncfs) : {batch:7.3f} s   ({per_file / batch:.1f}x faster)")


if __name__ == "__main__":
    main()
