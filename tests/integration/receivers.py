"""Real receivers on 127.0.0.1 for the watch's tests, started and stopped by the tests:
rsyslog from Debian (UDP, and TLS with a CA made now with openssl), an SMTP server
(aiosmtpd), an HMAC-checking HTTP receiver, OASIS medallion (TAXII 2.1), a MISP feed (a
directory served as a web server serves one) and a throw-away PostgreSQL cluster
(initdb + pg_ctl)."""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import pwd
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from email import message_from_bytes
from http.server import BaseHTTPRequestHandler, SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import requests

PG_BIN = next(iter(sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True)),
              Path("/usr/lib/postgresql/15/bin"))
RSYSLOGD = "/usr/sbin/rsyslogd"
WAIT = 20.0  # seconds for a receiver to answer or a message to arrive
TAXII_MEDIA = "application/taxii+json;version=2.1"
STIX_MEDIA = "application/stix+json;version=2.1"


def free_port(kind: int = socket.SOCK_STREAM) -> int:
    with socket.socket(socket.AF_INET, kind) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for(predicate: Callable[[], bool], seconds: float = WAIT) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.1)
    return predicate()


def stop(proc: subprocess.Popen[bytes], log: Any) -> None:
    """SIGTERM, then SIGKILL after a bounded wait; the log file closed either way."""
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=10)
    log.close()


@contextmanager
def postgres_cluster() -> Iterator[str]:
    """initdb + pg_ctl on 127.0.0.1 and a random port, as `postgres` (initdb refuses root)."""
    root = Path(tempfile.mkdtemp(prefix="watch-pg-"))
    data, port = root / "data", free_port()
    as_user: list[str] = []
    if os.geteuid() == 0:
        user = pwd.getpwnam("postgres")
        os.chown(root, user.pw_uid, user.pw_gid)
        as_user = ["runuser", "-u", "postgres", "--"]

    def run(*cmd: str) -> None:
        subprocess.run([*as_user, *cmd], check=True, capture_output=True, text=True,
                       timeout=120)

    run(str(PG_BIN / "initdb"), "-D", str(data), "-U", "watch", "--auth=trust", "-E", "UTF8")
    run(str(PG_BIN / "pg_ctl"), "-D", str(data), "-l", str(root / "log"), "-w", "-t", "60",
        "-o", f"-h 127.0.0.1 -p {port} -k {root} -c fsync=off", "start")
    try:
        run(str(PG_BIN / "createdb"), "-h", "127.0.0.1", "-p", str(port), "-U", "watch", "watch")
        yield f"postgresql://watch@127.0.0.1:{port}/watch"
    finally:
        run(str(PG_BIN / "pg_ctl"), "-D", str(data), "-m", "fast", "-w", "-t", "60", "stop")
        shutil.rmtree(root, ignore_errors=True)


class Webhook:
    """Keeps what arrived with a valid HMAC (and when: `arrived`, monotonic seconds);
    answers 401 to anything else."""

    def __init__(self, secret: bytes) -> None:
        self.received: list[dict[str, Any]] = []
        self.arrived: list[float] = []
        received, arrived, key = self.received, self.arrived, secret

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                want = "sha256=" + hmac.new(key, body, hashlib.sha256).hexdigest()
                ok = hmac.compare_digest(self.headers.get("X-Assessor-Signature", ""), want)
                if ok:
                    arrived.append(time.monotonic())
                    received.append(json.loads(body))
                self.send_response(204 if ok else 401)
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def events(self) -> list[tuple[str, str]]:
        return [(m["event"], m["alert"]["subject"]) for m in self.received]

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


class Mailbox:
    """aiosmtpd's SMTP server on 127.0.0.1 keeping every message it accepts."""

    def __init__(self) -> None:
        from aiosmtpd.controller import Controller

        self.messages: list[dict[str, Any]] = []
        messages = self.messages

        class Handler:
            async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
                mail = message_from_bytes(envelope.content)
                messages.append(json.loads(mail.get_payload(decode=True)))
                return "250 OK"

        self.port = free_port()
        self.controller = Controller(Handler(), hostname="127.0.0.1", port=self.port)
        self.controller.start()
        self.url = f"smtp://127.0.0.1:{self.port}"

    def events(self) -> list[tuple[str, str]]:
        return [(m["event"], m["alert"]["subject"]) for m in self.messages]

    def close(self) -> None:
        self.controller.stop()


def make_ca(work: Path) -> tuple[Path, Path, Path]:
    """A test CA and a server certificate for 127.0.0.1 it signed, made with openssl now."""
    def openssl(*args: str) -> None:
        subprocess.run(["openssl", *args], check=True, capture_output=True, timeout=60, cwd=work)

    openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
            "-keyout", "ca.key", "-out", "ca.pem", "-days", "2", "-subj", "/CN=watch test CA")
    openssl("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
            "-keyout", "server.key", "-out", "server.csr", "-subj", "/CN=127.0.0.1")
    (work / "ext.cnf").write_text("subjectAltName=IP:127.0.0.1\n")
    openssl("x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key",
            "-CAcreateserial", "-out", "server.pem", "-days", "2", "-extfile", "ext.cnf")
    return work / "ca.pem", work / "server.pem", work / "server.key"


class Rsyslog:
    """Debian's rsyslogd in the foreground with a test config: RFC 5424 over UDP into one
    file, and over TLS (gtls driver, the test CA) into another."""

    def __init__(self, work: Path) -> None:
        work.mkdir(parents=True, exist_ok=True)
        ca, cert, key = make_ca(work)
        self.udp_port, self.tls_port = free_port(socket.SOCK_DGRAM), free_port()
        self.udp_file, self.tls_file = work / "udp.log", work / "tls.log"
        (work / "spool").mkdir()
        (work / "rsyslog.conf").write_text(f"""
global(workDirectory="{work}/spool"
       defaultNetstreamDriverCAFile="{ca}"
       defaultNetstreamDriverCertFile="{cert}"
       defaultNetstreamDriverKeyFile="{key}")
module(load="imudp")
module(load="imtcp" streamDriver.name="gtls" streamDriver.mode="1"
       streamDriver.authMode="anon")
template(name="raw" type="string" string="%rawmsg%\\n")
ruleset(name="udp") {{ action(type="omfile" file="{self.udp_file}" template="raw") }}
ruleset(name="tls") {{ action(type="omfile" file="{self.tls_file}" template="raw") }}
input(type="imudp" address="127.0.0.1" port="{self.udp_port}" ruleset="udp")
input(type="imtcp" address="127.0.0.1" port="{self.tls_port}" ruleset="tls")
""")
        self.ca = ca
        self.log = (work / "rsyslogd.out").open("w")
        self.proc = subprocess.Popen(
            [RSYSLOGD, "-n", "-f", str(work / "rsyslog.conf"), "-i", str(work / "pid")],
            stdout=self.log, stderr=subprocess.STDOUT)
        if not wait_for(self._listening):
            self.close()
            raise RuntimeError(f"rsyslogd did not listen: {(work / 'rsyslogd.out').read_text()}")

    def _listening(self) -> bool:
        if self.proc.poll() is not None:
            raise RuntimeError(f"rsyslogd exited with {self.proc.returncode}")
        try:
            socket.create_connection(("127.0.0.1", self.tls_port), timeout=1).close()
            return True
        except OSError:
            return False

    @staticmethod
    def lines(path: Path) -> list[str]:
        return path.read_text().splitlines() if path.exists() else []

    def close(self) -> None:
        stop(self.proc, self.log)


class MispFeed:
    """A MISP feed directory (manifest.json + <uuid>.json), served by the standard library's
    file server (Last-Modified, and 304 to If-Modified-Since), every request logged; with
    `key`, only to requests whose Authorization header is that key."""

    def __init__(self, work: Path, key: str | None = None) -> None:
        self.root = work
        work.mkdir(parents=True, exist_ok=True)
        self.manifest: dict[str, dict[str, Any]] = {}
        self.requests: list[tuple[str, int]] = []  # (path, status) in order
        self._write_manifest()
        log, root = self.requests, str(work)

        class Handler(SimpleHTTPRequestHandler):
            def __init__(self, *args: Any, **kwargs: Any) -> None:
                super().__init__(*args, directory=root, **kwargs)

            def do_GET(self) -> None:
                """With a key, as a MISP instance serves a partner feed: 403 without it."""
                if key is not None and self.headers.get("Authorization") != key:
                    self.send_error(403, "Authorization key required")
                    return
                super().do_GET()

            def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
                log.append((self.path, int(code) if str(code).isdigit() else 0))

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def _write_manifest(self) -> None:
        path = self.root / "manifest.json"
        before = path.stat().st_mtime if path.exists() else 0.0
        path.write_text(json.dumps(self.manifest, indent=1))
        # Last-Modified has whole seconds: each change moves it on by one at least; a few
        # seconds back, so that a client may trust it (not the very second it is sent)
        later = max(int(time.time()) - 5, before + 1)
        os.utime(path, (later, later))

    def add_sha256(self, uuid: str, info: str, digest: str) -> None:
        """One event with one to_ids sha256 attribute, published now."""
        stamp = int(time.time())
        event = {"Event": {"uuid": uuid, "info": info, "date": time.strftime("%Y-%m-%d"),
                           "timestamp": str(stamp),
                           "Attribute": [{"uuid": f"{uuid[:-4]}a001", "type": "sha256",
                                          "value": digest, "to_ids": True}]}}
        (self.root / f"{uuid}.json").write_text(json.dumps(event))
        self.manifest[uuid] = {"info": info, "date": event["Event"]["date"],
                               "timestamp": str(stamp), "analysis": 2, "threat_level_id": 1}
        self._write_manifest()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


class Taxii:
    """OASIS medallion (memory backend) on 127.0.0.1 with one collection: writable and
    empty for the watch tests, which add indicators while the watch runs (the server
    stamps their date_added); or read-only and seeded with `objects` and their manifest,
    with a small page size, for the pull tests."""

    COLLECTION = "2f1d3c4b-5a69-4788-9a0b-c1d2e3f40516"
    USER, PASSWORD = "watch", "taxii-lab-password"

    def __init__(self, work: Path, objects: list[dict[str, Any]] | None = None,
                 manifest: list[dict[str, Any]] | None = None, page_size: int = 100) -> None:
        work.mkdir(parents=True, exist_ok=True)
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        self.api_root = f"{base}/cert/"
        (work / "data.json").write_text(json.dumps({
            "/discovery": {"title": "test CERT", "description": "medallion for assessor tests",
                           "default": self.api_root, "api_roots": [self.api_root]},
            "cert": {"information": {"title": "CERT", "description": "indicators",
                                     "versions": [TAXII_MEDIA],
                                     "max_content_length": 9765625},
                     "status": [],
                     "collections": [{"id": self.COLLECTION, "title": "Indicators",
                                      "description": "", "can_read": True,
                                      "can_write": objects is None,
                                      "media_types": [STIX_MEDIA], "objects": objects or [],
                                      "manifest": manifest or []}]},
        }))
        (work / "config.json").write_text(json.dumps({
            "backend": {"module": "medallion.backends.memory_backend",
                        "module_class": "MemoryBackend", "filename": str(work / "data.json")},
            "users": {self.USER: self.PASSWORD}, "taxii": {"max_page_size": page_size},
        }))
        self.log = (work / "medallion.log").open("w")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "medallion.scripts.run", "--host", "127.0.0.1", "--port",
             str(port), str(work / "config.json")], stdout=self.log, stderr=subprocess.STDOUT)

        def up() -> bool:
            if self.proc.poll() is not None:
                raise RuntimeError(f"medallion exited with {self.proc.returncode}")
            try:
                requests.get(f"{base}/taxii2/", auth=(self.USER, self.PASSWORD), timeout=2)
                return True
            except requests.ConnectionError:
                return False

        if not wait_for(up):
            self.close()
            raise RuntimeError("medallion did not answer")

    def add_sha256(self, digest: str, n: int) -> None:
        stamp = time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime())
        indicator = {"type": "indicator", "spec_version": "2.1",
                     "id": f"indicator--{n:08d}-1111-4000-8000-000000000000",
                     "created": stamp, "modified": stamp, "valid_from": stamp,
                     "name": f"watch test indicator {n}",
                     "pattern": f"[file:hashes.'SHA-256' = '{digest}']", "pattern_type": "stix"}
        response = requests.post(
            f"{self.api_root}collections/{self.COLLECTION}/objects/",
            data=json.dumps({"objects": [indicator]}), auth=(self.USER, self.PASSWORD),
            headers={"Content-Type": TAXII_MEDIA, "Accept": TAXII_MEDIA}, timeout=10)
        response.raise_for_status()

    def close(self) -> None:
        stop(self.proc, self.log)
