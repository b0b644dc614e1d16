"""Sinks against real receivers on 127.0.0.1 started here: rsyslogd, aiosmtpd, an HMAC-checking
HTTP server; and the spool when a receiver is down for three cycles."""

from __future__ import annotations

import hmac
import json
import os
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email import message_from_bytes
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from assessor.results import Severity
from assessor.watch.alerts.model import Condition, Notification, reconcile
from assessor.watch.alerts.sinks import (
    SIGNATURE_HEADER,
    EmailSink,
    SyslogSink,
    WebhookSink,
    sign,
)
from assessor.watch.alerts.spool import Sink, Spool
from assessor.watch.store import open_store

SECRET = b"s3cret-hook-key"
RSYSLOGD = Path("/usr/sbin/rsyslogd")


def free_port(kind: int = socket.SOCK_STREAM) -> int:
    with socket.socket(socket.AF_INET, kind) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_until(predicate: Any, seconds: float = 10.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return bool(predicate())


class Rsyslog:
    """Debian's rsyslogd with a test config: udp + tcp inputs on loopback, into one file."""

    def __init__(self, root: Path) -> None:
        self.root, self.udp, self.tcp = root, free_port(socket.SOCK_DGRAM), free_port()
        self.out = root / "messages.log"
        (root / "work").mkdir()
        self.conf = root / "rsyslog.conf"
        self.conf.write_text(f"""
global(workDirectory="{root / 'work'}")
module(load="imudp")
module(load="imtcp")
input(type="imudp" address="127.0.0.1" port="{self.udp}")
input(type="imtcp" address="127.0.0.1" port="{self.tcp}")
action(type="omfile" file="{self.out}" template="RSYSLOG_SyslogProtocol23Format")
""")
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.proc = subprocess.Popen(
            [str(RSYSLOGD), "-n", "-f", str(self.conf), "-i", str(self.root / "pid")],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        assert wait_until(lambda: _listening(self.tcp)), "rsyslogd did not listen"

    def stop(self) -> None:
        if self.proc:
            self.proc.terminate()
            self.proc.wait(timeout=10)
            self.proc = None

    def lines(self) -> list[str]:
        return self.out.read_text().splitlines() if self.out.exists() else []


def _listening(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False


@pytest.fixture(scope="module")
def rsyslog(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Rsyslog]:
    if not RSYSLOGD.exists():
        pytest.skip("rsyslog is not installed")
    daemon = Rsyslog(tmp_path_factory.mktemp("rsyslog"))
    daemon.start()
    yield daemon
    daemon.stop()


class Hook:
    """An HTTP receiver that accepts only bodies whose HMAC-SHA256 header is right."""

    def __init__(self, port: int) -> None:
        self.port, self.received, self.rejected = port, [], 0
        self.server: ThreadingHTTPServer | None = None
        hook = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                good = hmac.compare_digest(self.headers.get(SIGNATURE_HEADER, ""),
                                           sign(SECRET, body))
                if good:
                    hook.received.append(json.loads(body))
                else:
                    hook.rejected += 1
                self.send_response(204 if good else 401)
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.handler = Handler

    def start(self) -> None:
        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), self.handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        if self.server:
            self.server.shutdown()
            self.server.server_close()
            self.server = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hook"


class Mailbox:
    def __init__(self) -> None:
        self.messages: list[Any] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append(message_from_bytes(envelope.content))
        return "250 OK"


class Smtp:
    def __init__(self, port: int) -> None:
        self.port, self.box = port, Mailbox()
        self.controller: Controller | None = None

    def start(self) -> None:
        self.controller = Controller(self.box, hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def stop(self) -> None:
        if self.controller:
            self.controller.stop()
            self.controller = None


@pytest.fixture
def hook() -> Iterator[Hook]:
    receiver = Hook(free_port())
    receiver.start()
    yield receiver
    receiver.stop()


@pytest.fixture
def smtp() -> Iterator[Smtp]:
    server = Smtp(free_port())
    server.start()
    yield server
    server.stop()


def notes_for(subjects: list[str], now: datetime) -> list[Notification]:
    conds = [Condition("web1", "control", s, Severity.HIGH, f"{s} fails <b>\x1b[31m") for s in
             subjects]
    return reconcile([], conds, now, 3600, lambda a: True)[1]


def message(subject: str = "ssh.permit-root-login") -> dict[str, Any]:
    note = notes_for([subject], datetime(2026, 12, 1, tzinfo=UTC))[0]
    return {"key": note.key, "event": note.event, "alert": note.alert.as_dict()}


@pytest.mark.parametrize("scheme", ["udp", "tcp"])
def test_syslog_reaches_rsyslog_as_rfc5424(rsyslog: Rsyslog, scheme: str) -> None:
    port = rsyslog.udp if scheme == "udp" else rsyslog.tcp
    subject = f"ctl-{scheme}"
    SyslogSink("s", f"{scheme}://127.0.0.1:{port}", Severity.LOW).send(message(subject))
    assert wait_until(lambda: any(subject in line for line in rsyslog.lines()))
    line = next(line for line in rsyslog.lines() if subject in line)
    # local0.err = 16*8+3 = 131; RFC 5424 version 1; our structured data survived parsing
    assert line.startswith("<131>1 ")
    assert "[assessor@32473 " in line and 'kind="control"' in line
    assert "\x1b" not in line


def test_webhook_is_signed_and_a_wrong_key_is_refused(hook: Hook) -> None:
    WebhookSink("h", hook.url, Severity.LOW, SECRET).send(message())
    assert hook.received[0]["alert"]["subject"] == "ssh.permit-root-login"
    with pytest.raises(Exception, match="401"):
        WebhookSink("h", hook.url, Severity.LOW, b"wrong").send(message())
    assert hook.rejected == 1 and len(hook.received) == 1


def test_email_reaches_smtp(smtp: Smtp) -> None:
    sink = EmailSink("m", f"smtp://127.0.0.1:{smtp.port}", Severity.LOW, "watch@example.org",
                     ["soc@example.org"], starttls=False)
    sink.send(message())
    mail = smtp.box.messages[0]
    assert mail["To"] == "soc@example.org"
    assert "ssh.permit-root-login" in mail["Subject"] and "\x1b" not in mail["Subject"]
    assert json.loads(mail.get_payload())["event"] == "open"


def test_receivers_down_three_cycles_get_every_alert_exactly_once(
    tmp_path: Path, hook: Hook, smtp: Smtp
) -> None:
    clock = [1000.0]
    store = open_store(str(tmp_path / "w.db"))
    spool = Spool(tmp_path / "spool", base_backoff=5, max_backoff=60, clock=lambda: clock[0])
    sinks: list[Sink] = [
        WebhookSink("hook", hook.url, Severity.LOW, SECRET),
        EmailSink("mail", f"smtp://127.0.0.1:{smtp.port}", Severity.LOW, "w@example.org",
                  ["soc@example.org"], starttls=False),
    ]
    hook.stop()
    smtp.stop()
    sent_keys: list[str] = []
    start = datetime(2026, 12, 1, tzinfo=UTC)
    for cycle in range(3):  # three cycles with both receivers down, a new alert each cycle
        notes = notes_for([f"c{cycle}"], start + timedelta(minutes=cycle))
        sent_keys += [n.key for n in notes]
        spool.enqueue(notes, sinks)
        spool.enqueue(notes, sinks)  # enqueueing twice never duplicates
        report = spool.flush(sinks, store)
        assert report.sent == {"hook": 0, "mail": 0}
        assert report.pending == {"hook": cycle + 1, "mail": cycle + 1}
        clock[0] += 60
    hook.start()
    smtp.start()
    report = spool.flush(sinks, store)
    assert report.sent == {"hook": 3, "mail": 3} and report.pending == {"hook": 0, "mail": 0}
    assert spool.flush(sinks, store).sent == {"hook": 0, "mail": 0}
    assert sorted(m["key"] for m in hook.received) == sorted(sent_keys)
    assert sorted(m["Message-ID"] for m in smtp.box.messages) == sorted(
        f"<{k}@assessor>" for k in sent_keys)
    store.close()


def test_backoff_is_bounded_and_gives_up_into_dead(tmp_path: Path) -> None:
    clock = [0.0]
    store = open_store(str(tmp_path / "w.db"))
    spool = Spool(tmp_path / "spool", max_attempts=3, base_backoff=5, max_backoff=20,
                  clock=lambda: clock[0])
    down: list[Sink] = [WebhookSink("hook", f"http://127.0.0.1:{free_port()}/", Severity.LOW,
                                    SECRET)]
    spool.enqueue(notes_for(["x"], datetime(2026, 12, 1, tzinfo=UTC)), down)
    assert spool.flush(down, store).pending == {"hook": 1}
    clock[0] += 1  # inside the 5 s backoff: not even tried
    assert spool.flush(down, store).errors["hook"] == "backing off after failures"
    for _ in range(2):
        clock[0] += 30
        report = spool.flush(down, store)
    assert report.pending == {"hook": 0} and report.dead == {"hook": 1}
    store.close()


def test_min_severity_per_sink(tmp_path: Path) -> None:
    spool = Spool(tmp_path / "spool")
    loud: list[Sink] = [WebhookSink("crit-only", "http://127.0.0.1:1/", Severity.CRITICAL, SECRET)]
    spool.enqueue(notes_for(["x"], datetime(2026, 12, 1, tzinfo=UTC)), loud)
    assert spool.pending("crit-only") == []


def test_a_cycles_notifications_are_one_batch_flushed_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Twenty notifications for two sinks: forty files, two file-system flushes (data, then
    renames), no fsync per file; a new Spool (the watch restarted) finds every one."""
    from assessor import rundir

    flushes: list[Path] = []
    real_flush = rundir.flush_file_system
    monkeypatch.setattr(rundir, "flush_file_system",
                        lambda anchor, fallback: (flushes.append(anchor),
                                                  real_flush(anchor, fallback))[-1])
    monkeypatch.setattr(os, "fsync", lambda fd: pytest.fail("an fsync per file"))
    sinks: list[Sink] = [WebhookSink(n, "http://127.0.0.1:1/", Severity.LOW, SECRET)
                         for n in ("a", "b")]
    notes = notes_for([f"s{i}" for i in range(20)], datetime(2026, 12, 1, tzinfo=UTC))
    Spool(tmp_path / "spool").enqueue(notes, sinks)
    assert len(flushes) == 2
    again = Spool(tmp_path / "spool")
    for name in ("a", "b"):
        assert sorted(json.loads(p.read_text())["message"]["key"] for p in again.pending(name)
                      ) == sorted(n.key for n in notes)
    assert not list((tmp_path / "spool").rglob("*.tmp"))


def test_a_batch_that_fails_before_it_is_on_disk_leaves_no_trace_and_keeps_the_last(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from assessor import rundir

    sinks: list[Sink] = [WebhookSink("a", "http://127.0.0.1:1/", Severity.LOW, SECRET)]
    first = notes_for(["kept"], datetime(2026, 12, 1, tzinfo=UTC))
    Spool(tmp_path / "spool").enqueue(first, sinks)

    def disk_gone(anchor: Path, fallback: list[str]) -> None:
        raise OSError(5, "Input/output error")

    monkeypatch.setattr(rundir, "flush_file_system", disk_gone)
    with pytest.raises(OSError):
        Spool(tmp_path / "spool").enqueue(
            notes_for(["lost1", "lost2"], datetime(2026, 12, 1, 1, tzinfo=UTC)), sinks)
    pending = Spool(tmp_path / "spool").pending("a")
    assert [json.loads(p.read_text())["message"]["key"] for p in pending] == [first[0].key]
    assert not list((tmp_path / "spool").rglob("*.tmp"))


def test_syncfs_is_what_flushes_on_linux(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from assessor.rundir import flush_file_system

    monkeypatch.setattr(os, "fsync", lambda fd: pytest.fail("fell back to fsync"))
    flush_file_system(tmp_path, [str(tmp_path)])
