"""The loop: cycles never overlap (a lock file), an overrun is recorded and alerted next
cycle, and SIGTERM lets the current cycle finish its writes before a clean exit."""

from __future__ import annotations

import fcntl
import signal
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from types import FrameType

from assessor.errors import ConfigError
from assessor.watch.board import write_board
from assessor.watch.config import WatchConfig
from assessor.watch.cycle import CycleReport, run_cycle, write_metrics
from assessor.watch.store import open_store


@contextmanager
def cycle_lock(path: Path) -> Iterator[None]:
    """One cycle at a time, even across a timer and a service on the same controller."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as exc:
            raise ConfigError(f"{path}: another watch cycle is running") from exc
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def watch(config: WatchConfig, inventory: Path, out: Path, *, once: bool,
          metrics: Path | None, on_cycle: Callable[[CycleReport], None],
          max_cycles: int | None = None) -> int:
    stop = threading.Event()

    def on_term(signum: int, frame: FrameType | None) -> None:
        stop.set()

    previous = signal.signal(signal.SIGTERM, on_term)
    store = open_store(config.store)
    last_duration: float | None = None
    cycles = 0
    try:
        while not stop.is_set():
            started = time.monotonic()
            with cycle_lock(out / "watch.lock"), ThreadPoolExecutor(1) as worker:
                # off the main thread, ansible-runner leaves our SIGTERM handler alone
                # (it installs its own, for good, only from the main thread)
                report = worker.submit(run_cycle, config, inventory, out, store,
                                       last_duration).result()
            write_board(out, store)
            if metrics is not None:
                write_metrics(metrics, report, store)
            on_cycle(report)
            last_duration, cycles = report.duration, cycles + 1
            if once or (max_cycles is not None and cycles >= max_cycles):
                break
            stop.wait(max(0.0, config.interval - (time.monotonic() - started)))
    finally:
        store.close()
        signal.signal(signal.SIGTERM, previous)
    return 0
