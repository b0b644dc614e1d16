"""The three sinks: syslog (RFC 5424 over udp/tcp/tls), webhook (JSON + HMAC), e-mail (SMTP).

Each `send` either delivers or raises; the spool decides about retries. Every network call
has a timeout.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import json
import smtplib
import socket
import ssl
from datetime import UTC, datetime
from email.message import EmailMessage
from typing import Any
from urllib.parse import urlsplit

import requests

from assessor.results import Severity

TIMEOUT = 10.0
SIGNATURE_HEADER = "X-Assessor-Signature"
# RFC 5424 severities: critical 2, error 3, warning 4, notice 5, informational 6
SYSLOG_SEVERITY = {"critical": 2, "high": 3, "medium": 4, "low": 5, "info": 6}
FACILITY_LOCAL0 = 16


def summary(msg: dict[str, Any]) -> str:
    alert = msg["alert"]
    return (f"[{msg['event']}] {alert['severity']} {alert['host']}: {alert['title']}"
            f" ({alert['kind']} {alert['subject']}, id {alert['id']}, seen {alert['count']}x)")


def _clean(text: str) -> str:
    """One line, no control characters: host data may carry anything."""
    return "".join(ch if ch.isprintable() else " " for ch in text)


class SyslogSink:
    def __init__(self, name: str, url: str, min_severity: Severity,
                 ca_file: str | None = None) -> None:
        self.name, self.min_rank = name, min_severity.rank
        parts = urlsplit(url)
        self.scheme, self.host, self.port = parts.scheme, parts.hostname or "", parts.port or 514
        self.ca_file = ca_file

    def format(self, msg: dict[str, Any]) -> bytes:
        alert = msg["alert"]
        pri = FACILITY_LOCAL0 * 8 + SYSLOG_SEVERITY.get(alert["severity"], 5)
        stamp = datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
        sd_values = {k: alert[k] for k in ("id", "host", "kind", "severity")}
        sd_values["event"] = msg["event"]
        sd = "".join(
            f' {k}="{_sd_escape(str(v))}"' for k, v in sd_values.items()
        )
        hostname = _clean(socket.gethostname()) or "-"
        text = _clean(summary(msg))
        return f"<{pri}>1 {stamp} {hostname} assessor - alert [assessor@32473{sd}] {text}".encode()

    def send(self, msg: dict[str, Any]) -> None:
        data = self.format(msg)
        if self.scheme == "udp":
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
                sock.sendto(data, (self.host, self.port))
            return
        framed = str(len(data)).encode() + b" " + data  # RFC 6587 octet counting
        with socket.create_connection((self.host, self.port), timeout=TIMEOUT) as raw:
            if self.scheme == "tls":
                context = ssl.create_default_context(cafile=self.ca_file)
                with context.wrap_socket(raw, server_hostname=self.host) as sock:
                    sock.sendall(framed)
                    # close_notify, so the receiver sees an orderly end; rsyslog closes
                    # without answering it, which is no failure: the message is sent
                    with contextlib.suppress(ssl.SSLError, OSError):
                        sock.unwrap()
            else:
                raw.sendall(framed)


def _sd_escape(value: str) -> str:
    return _clean(value).replace("\\", "\\\\").replace('"', '\\"').replace("]", "\\]")


def sign(secret: bytes, body: bytes) -> str:
    return "sha256=" + hmac.new(secret, body, hashlib.sha256).hexdigest()


class WebhookSink:
    def __init__(self, name: str, url: str, min_severity: Severity, secret: bytes) -> None:
        self.name, self.min_rank, self.url, self.secret = name, min_severity.rank, url, secret

    def send(self, msg: dict[str, Any]) -> None:
        body = json.dumps(msg, sort_keys=True).encode()
        headers = {"Content-Type": "application/json", SIGNATURE_HEADER: sign(self.secret, body),
                   "Idempotency-Key": msg["key"]}
        response = requests.post(self.url, data=body, headers=headers, timeout=TIMEOUT)
        response.raise_for_status()


class EmailSink:
    def __init__(self, name: str, url: str, min_severity: Severity, sender: str,
                 to: list[str], starttls: bool) -> None:
        self.name, self.min_rank = name, min_severity.rank
        parts = urlsplit(url)
        self.host, self.port = parts.hostname or "", parts.port or 25
        self.sender, self.to, self.starttls = sender, to, starttls

    def send(self, msg: dict[str, Any]) -> None:
        mail = EmailMessage()
        mail["From"] = self.sender
        mail["To"] = ", ".join(self.to)
        mail["Subject"] = _clean(summary(msg))[:200]
        mail["Message-ID"] = f"<{msg['key']}@assessor>"
        mail.set_content(json.dumps(msg, indent=2, sort_keys=True))
        with smtplib.SMTP(self.host, self.port, timeout=TIMEOUT) as smtp:
            if self.starttls:
                smtp.starttls(context=ssl.create_default_context())
            smtp.send_message(mail)
