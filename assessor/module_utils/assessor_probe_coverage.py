"""The coverage probe: are the monitoring and anti-malware parts a host relies on there,
running and current? Runs on the host (collect and watch_state both offer it).

The request is a list of strings, so the controller can merge what several controls ask:
`package:NAME`, `unit:NAME`, `process:NAME`, `newest:GLOB` and `forwarding`.
"""

from __future__ import annotations

import glob
import os
import re
import time
from typing import Any

from ansible.module_utils.assessor_dpkg import STATUS_FILE, is_installed, stanzas
from ansible.module_utils.assessor_probe_io import run_command

RSYSLOG_FILES = ("/etc/rsyslog.conf", "/etc/rsyslog.d/*.conf")
UPLOAD_FILES = ("/etc/systemd/journal-upload.conf", "/etc/systemd/journal-upload.conf.d/*.conf")
# legacy selector lines: `*.* @@collector:514` (TCP) or `@collector` (UDP)
_LEGACY = re.compile(r"^\s*\S+\s+(@@?)(?:\(\S*\))?(\[[^\]]+\]|[^\s:;]+)(?::(\d+))?")
_ACTION = re.compile(r"action\s*\(([^)]*)\)", re.S)
_ARG = re.compile(r'(\w+)\s*=\s*"([^"]*)"')


def _packages(names: list[str]) -> dict[str, Any]:
    wanted = set(names)
    found: dict[str, Any] = {n: {"installed": False, "version": ""} for n in names}
    with open(STATUS_FILE, encoding="utf-8", errors="replace") as handle:
        text = handle.read()
    for fields in stanzas(text):
        name = fields["Package"]
        if name in wanted and is_installed(fields.get("Status", "")):
            found[name] = {"installed": True, "version": fields.get("Version", "")}
    return found


UNIT_PROPERTIES = ("LoadState", "ActiveState", "SubState", "UnitFileState")


def _units(names: list[str]) -> dict[str, dict[str, str]]:
    """Every unit's state from one `systemctl show` (its blocks come in the order asked,
    separated by blank lines), not one process per unit."""
    argv = ["systemctl", "show", *names]
    for prop in UNIT_PROPERTIES:
        argv += ["-p", prop]
    out = run_command(argv, timeout=15)
    if out["rc"] != 0 and len(names) > 1:  # one bad name fails them all: ask one by one
        return {k: v for name in names for k, v in _units([name]).items()}
    blocks = str(out["stdout"]).strip("\n").split("\n\n") if out["stdout"] else []
    found: dict[str, dict[str, str]] = {}
    for index, name in enumerate(names):
        state = dict.fromkeys(UNIT_PROPERTIES, "")
        for line in (blocks[index] if index < len(blocks) else "").splitlines():
            key, _, value = line.partition("=")
            if key in state:
                state[key] = value
        if out["rc"] != 0 or index >= len(blocks):
            state["error"] = str(out["stderr"]).strip()[:200] or "no state reported"
        found[name] = state
    return found


def _processes(names: list[str]) -> dict[str, list[int]]:
    """Pids by process name, matched on /proc/PID/comm (15 characters, as the kernel keeps)."""
    found: dict[str, list[int]] = {n: [] for n in names}
    short = {n[:15]: n for n in names}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open("/proc/%s/comm" % entry, encoding="utf-8", errors="replace") as handle:
                comm = handle.read().strip()
        except OSError:
            continue
        if comm in short:
            found[short[comm]].append(int(entry))
    return found


def _newest(pattern: str) -> dict[str, Any]:
    best: dict[str, Any] = {"path": "", "mtime": 0.0, "size": 0, "matched": 0}
    for path in glob.glob(pattern):
        try:
            info = os.stat(path)
        except OSError:
            continue
        best["matched"] += 1
        if info.st_mtime > best["mtime"]:
            best.update(path=path, mtime=info.st_mtime, size=info.st_size)
    return best


def _strip_comments(text: str) -> str:
    return "\n".join(line.split("#", 1)[0] for line in text.splitlines())


def _conf_files(patterns: tuple[str, ...]) -> list[str]:
    return [p for pattern in patterns for p in sorted(glob.glob(pattern)) if os.path.isfile(p)]


def parse_rsyslog(path: str, text: str) -> list[dict[str, str]]:
    """Forwarding actions in one rsyslog file: legacy @/@@ lines and action(type="omfwd")."""
    text = _strip_comments(text)
    found = []
    for number, row in enumerate(text.splitlines(), 1):
        match = _LEGACY.match(row)
        if match:
            found.append({"file": path, "line": str(number), "target": match.group(2).strip("[]"),
                          "port": match.group(3) or "514",
                          "protocol": "tcp" if match.group(1) == "@@" else "udp"})
    for match in _ACTION.finditer(text):
        args = {k.lower(): v for k, v in _ARG.findall(match.group(1))}
        if args.get("type", "").lower() == "omfwd" and args.get("target"):
            line = str(text.count("\n", 0, match.start()) + 1)
            found.append({"file": path, "line": line, "target": args["target"],
                          "port": args.get("port", "514"),
                          "protocol": args.get("protocol", "udp").lower()})
    return found


def parse_journal_upload(path: str, text: str) -> list[dict[str, str]]:
    found = []
    for number, line in enumerate(_strip_comments(text).splitlines(), 1):
        key, _, value = line.partition("=")
        if key.strip() == "URL" and value.strip():
            found.append({"file": path, "line": str(number), "url": value.strip()})
    return found


def _forwarding() -> dict[str, Any]:
    result: dict[str, Any] = {"rsyslog": [], "journal_upload": [], "unreadable": []}
    for kind, patterns, parse in (("rsyslog", RSYSLOG_FILES, parse_rsyslog),
                                  ("journal_upload", UPLOAD_FILES, parse_journal_upload)):
        for path in _conf_files(patterns):
            try:
                with open(path, encoding="utf-8", errors="replace") as handle:
                    result[kind].extend(parse(path, handle.read()))
            except OSError as exc:
                result["unreadable"].append("%s: %s" % (path, exc.strerror))
    return result


def probe_coverage(requests: Any) -> dict[str, Any]:
    items = [str(r) for r in requests] if isinstance(requests, list) else []
    by_kind: dict[str, list[str]] = {}
    for item in items:
        kind, _, value = item.partition(":")
        by_kind.setdefault(kind, []).append(value)
    result: dict[str, Any] = {"now": time.time()}
    if by_kind.get("package"):
        result["packages"] = _packages(by_kind["package"])
    if by_kind.get("unit"):
        result["units"] = _units(list(dict.fromkeys(by_kind["unit"])))
    if by_kind.get("process"):
        result["processes"] = _processes(by_kind["process"])
    if by_kind.get("newest"):
        result["newest"] = {pattern: _newest(pattern) for pattern in by_kind["newest"]}
    if "forwarding" in by_kind:
        result["forwarding"] = _forwarding()
    return result
