"""`assessor watch --once` on a lab host, cycle by cycle, into a real HMAC-checking webhook:
a control that starts failing is one alert, the next cycle is silent, the fix is one
resolved notice."""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from labrun import root_of, running_lab

from assessor.lab import fleet

LAB = os.environ.get("ASSESSOR_WATCH_LAB", "wa")
VENV_BIN = Path(sys.executable).parent
SECRET = b"lab-hook-key"

pytestmark = pytest.mark.lab


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[fleet.LabState, Path]]:
    inventory = tmp_path_factory.mktemp("watch-lab") / "inventory.yml"
    with running_lab(LAB, 1, "weak", inventory) as state:
        yield state, inventory


@pytest.fixture(scope="module")
def hook() -> Iterator[tuple[str, list[dict[str, Any]]]]:
    received: list[dict[str, Any]] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            want = "sha256=" + hmac.new(SECRET, body, hashlib.sha256).hexdigest()
            ok = hmac.compare_digest(self.headers.get("X-Assessor-Signature", ""), want)
            if ok:
                received.append(json.loads(body))
            self.send_response(204 if ok else 401)
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{port}/hook", received
    server.shutdown()
    server.server_close()


def cycle(inventory: Path, config: Path, out: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PATH": f"{VENV_BIN}:{os.environ['PATH']}"}
    return subprocess.run(
        [str(VENV_BIN / "assessor"), "watch", "-i", str(inventory), "--config", str(config),
         "--out", str(out), "--once", "--metrics-textfile", str(out / "watch.prom")],
        capture_output=True, text=True, timeout=600, env=env, check=False)


def events_for(received: list[dict[str, Any]], subject: str) -> list[str]:
    return [m["event"] for m in received if m["alert"]["subject"] == subject]


def test_failing_control_alerts_once_and_resolves_once(
    lab: tuple[fleet.LabState, Path], hook: tuple[str, list[dict[str, Any]]], tmp_path: Path
) -> None:
    state, inventory = lab
    url, received = hook
    host = state.hosts[0].name
    (tmp_path / "hook.key").write_bytes(SECRET)
    config = tmp_path / "watch.yml"
    config.write_text(f"interval: 600\nsinks:\n  - type: webhook\n    url: {url}\n"
                      "    secret_file: hook.key\n    min_severity: low\n")
    passwd = root_of(state, host) / "etc" / "passwd"
    out = tmp_path / "out"

    # the first cycle runs as the freshly booted host settles: what it finds is the baseline
    first = cycle(inventory, config, out)
    assert first.returncode == 0, first.stderr
    settled = cycle(inventory, config, out)
    assert settled.returncode == 0, settled.stderr
    assert events_for(received, "files.passwd") == []
    baseline = len(received)

    passwd.chmod(0o664)  # group-writable: too loose for files.passwd, not world-writable
    try:
        second = cycle(inventory, config, out)
        assert second.returncode == 0, second.stderr
        assert events_for(received, "files.passwd") == ["open"]
        new = [(m["event"], m["alert"]["subject"]) for m in received[baseline:]]
        assert new == [("open", "files.passwd")]  # nothing else changed, nothing else sent

        third = cycle(inventory, config, out)
        assert third.returncode == 0, third.stderr
        assert len(received) == baseline + 1  # still failing: deduplicated, silent
    finally:
        passwd.chmod(0o644)
    fourth = cycle(inventory, config, out)
    assert fourth.returncode == 0, fourth.stderr
    assert events_for(received, "files.passwd") == ["open", "resolved"]
    assert received[-1]["alert"]["host"] == host and len(received) == baseline + 2
    prom = (out / "watch.prom").read_text()
    assert "assessor_watch_hosts_up 1\n" in prom
