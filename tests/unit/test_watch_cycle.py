"""A cycle without hosts to reach (heartbeats only), and the systemd units the install writes."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from assessor.cli import main
from assessor.results import HostResult
from assessor.watch.config import load_config
from assessor.watch.cycle import run_cycle
from assessor.watch.install import units, write_units
from assessor.watch.store import open_store


def test_a_host_down_for_n_cycles_raises_one_heartbeat_alert(tmp_path: Path) -> None:
    path = tmp_path / "watch.yml"
    path.write_text("steps: []\nheartbeat_misses: 2\ninterval: 60\n")
    config = load_config(path)
    store = open_store(config.store)
    first = store.begin_cycle("2026-12-01T10:00:00+00:00")
    store.record_hosts(first, [HostResult("db1", error="unreachable: timeout")])
    report = run_cycle(config, tmp_path / "inv", tmp_path / "out", store)
    assert report.notified == []  # one miss so far
    second = store.begin_cycle("2026-12-01T10:02:00+00:00")
    store.record_hosts(second, [HostResult("db1", error="unreachable: timeout")])
    report = run_cycle(config, tmp_path / "inv", tmp_path / "out", store)
    assert len(report.notified) == 1 and store.open_alerts()[0].kind == "heartbeat"
    report = run_cycle(config, tmp_path / "inv", tmp_path / "out", store, 61.0)
    kinds = sorted(a.kind for a in store.open_alerts())
    assert kinds == ["heartbeat", "stall"] and len(report.notified) == 1  # stall only
    store.close()


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="no systemd-analyze")
def test_install_writes_units_systemd_analyze_accepts(tmp_path: Path) -> None:
    exe = shutil.which("true") or "/bin/true"
    (tmp_path / "inv").write_text("[all]\n")
    (tmp_path / "watch.yml").write_text("{}\n")
    (tmp_path / "out").mkdir()
    written = write_units(tmp_path / "units", units(
        exe, tmp_path / "inv", tmp_path / "watch.yml", tmp_path / "out", 300, "root"))
    result = subprocess.run(["systemd-analyze", "verify", *map(str, written)],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert "OnUnitInactiveSec=300" in (tmp_path / "units" / "assessor-watch-once.timer").read_text()


def test_watch_install_cli(tmp_path: Path) -> None:
    (tmp_path / "watch.yml").write_text("interval: 120\n")
    code = main(["watch", "install", "-i", str(tmp_path / "inv"), "--config",
                 str(tmp_path / "watch.yml"), "--units-dir", str(tmp_path / "u")])
    assert code == 0
    assert "--once" in (tmp_path / "u" / "assessor-watch-once.service").read_text()
    assert main(["watch", "-i", "x", "--config", str(tmp_path / "missing.yml")]) == 2


def test_loop_runs_cycles_and_exits_cleanly_on_sigterm(tmp_path: Path) -> None:
    import signal
    import sys
    import time

    (tmp_path / "watch.yml").write_text("steps: []\ninterval: 1\n")
    exe = str(Path(sys.executable).parent / "assessor")
    proc = subprocess.Popen([exe, "watch", "-i", str(tmp_path / "inv"), "--config",
                             str(tmp_path / "watch.yml"), "--out", str(tmp_path / "out"),
                             "--metrics-textfile", str(tmp_path / "w.prom")],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and not (tmp_path / "w.prom").exists():
        time.sleep(0.1)
    time.sleep(1.5)
    proc.send_signal(signal.SIGTERM)
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err
    assert "cycle 1:" in out and "cycle 2:" in out
    store = open_store(str(tmp_path / "watch.db"))
    assert all(c["finished"] for c in store.cycles())  # no cycle left half-written
    store.close()
    assert (tmp_path / "out" / "watch" / "index.html").exists()
