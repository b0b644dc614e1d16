"""The check kinds hunt rules name: pure functions over one host's collected state.

Each takes the probes' observations, the rule's params and the run's context (indicator
tables, the previous hunt's state) and returns the hits, or why the rule cannot apply
on this host. Adding a rule is YAML; adding a kind is one function here.
"""

from __future__ import annotations

import base64
import hashlib
import ipaddress
import re
import shlex
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from assessor.hunt.shell import risks, strip_schedule, unit_command
from assessor.intel import HuntTables, IndicatorType

KEY_TYPES = ("ssh-rsa", "ssh-ed25519", "ssh-dss", "ecdsa-sha2-", "sk-ssh-ed25519",
             "sk-ecdsa-sha2-")
NO_LOGIN = ("nologin", "false", "sync", "halt", "shutdown")


@dataclass(frozen=True)
class Hit:
    """One thing a rule found: what (a path, a pid, an account), why, and its facts."""

    subject: str
    why: str
    facts: Mapping[str, Any] = field(default_factory=dict)
    sources: tuple[str, ...] = ()


@dataclass(frozen=True)
class NotApplicable:
    reason: str


@dataclass(frozen=True)
class Context:
    tables: HuntTables
    baseline: Mapping[str, Any] | None = None  # the previous hunt's state of this host


Verdict = list[Hit] | NotApplicable
Kind = Callable[[Mapping[str, Any], Mapping[str, Any], Context], Verdict]


def lines_of(entries: Iterable[Mapping[str, Any]]) -> Iterable[tuple[Mapping[str, Any], int, str]]:
    for entry in entries:
        for line in entry.get("lines", []):
            yield entry, int(line.get("line", 0)), str(line.get("text", ""))


def line_facts(entry: Mapping[str, Any], number: int, text: str) -> dict[str, Any]:
    """Where a hit's line is, as removing it needs: file, line number, text, file kind."""
    facts = {"path": entry["path"], "line": number, "text": text}
    if entry.get("kind"):
        facts["kind"] = entry["kind"]
    if entry.get("scope"):
        facts["scope"] = entry["scope"]
    return facts


def hosts_lines(state: Mapping[str, Any], address: str) -> list[dict[str, Any]]:
    """The /etc/hosts lines giving an indicator address its names (removed with the socket)."""
    return [{"path": "/etc/hosts", "line": e["line"], "text": e["text"]}
            for e in state.get("hosts_file", [])
            if str(e.get("address")) == address and e.get("line") and e.get("text")]


def any_line(state: Mapping[str, Any], params: Mapping[str, Any], _: Context) -> Verdict:
    return [Hit(f"{e['path']}:{n}", f"{e['path']} line {n}: {text}", line_facts(e, n, text))
            for e, n, text in lines_of(state[params["probe"]])]


def suspicious_command(state: Mapping[str, Any], params: Mapping[str, Any], _: Context) -> Verdict:
    writable = tuple(params.get("writable", ("/tmp", "/var/tmp", "/dev/shm")))
    hits = []
    for entry, number, text in lines_of(state[params["probe"]]):
        kind = str(entry.get("kind", ""))
        systemd = params["probe"] == "systemd"
        command = unit_command(text) if systemd else strip_schedule(text, kind)
        why = risks(command, writable) if command else []
        if why:
            scope = f" ({entry['scope']} unit)" if entry.get("scope") else ""
            hits.append(Hit(f"{entry['path']}:{number}",
                            f"{entry['path']}{scope} line {number} {'; '.join(why)}: {text}",
                            line_facts(entry, number, text)))
    return hits


def split_key_line(text: str) -> tuple[list[str], str, str]:
    """(options, key type, base64 key) of an authorized_keys line."""
    lexer = shlex.shlex(text, posix=True)
    lexer.whitespace_split = True
    lexer.commenters = ""
    try:
        parts = list(lexer)
    except ValueError:
        parts = text.split()
    if parts and not parts[0].startswith(KEY_TYPES):
        options, parts = [o for o in parts[0].split(",") if o], parts[1:]
    else:
        options = []
    if len(parts) < 2:
        return options, parts[0] if parts else "", ""
    return options, parts[0], parts[1]


def fingerprint(blob: str) -> str:
    """OpenSSH's SHA256 fingerprint of a base64 key (`ssh-keygen -lf`)."""
    try:
        raw = base64.b64decode(blob, validate=True)
    except ValueError:
        return ""
    return "SHA256:" + base64.b64encode(hashlib.sha256(raw).digest()).decode().rstrip("=")


def key_options(state: Mapping[str, Any], params: Mapping[str, Any], _: Context) -> Verdict:
    flagged = tuple(o + "=" for o in params.get("options", ("command", "from")))
    hits = []
    for entry, number, text in lines_of(state["authorized_keys"]):
        options, _kind, blob = split_key_line(text)
        bad = [o for o in options if o.startswith(flagged)]
        if bad:
            hits.append(Hit(f"{entry['path']}:{number}",
                            f"{entry['user']}'s key {fingerprint(blob)} carries "
                            + ", ".join(bad), line_facts(entry, number, text)))
    return hits


def key_allowlist(state: Mapping[str, Any], params: Mapping[str, Any], _: Context) -> Verdict:
    allowed = set(params.get("allowed", []))
    if not allowed:
        return NotApplicable("no allowlist of SSH keys given (params.allowed in --rules)")
    hits = []
    for entry, number, text in lines_of(state["authorized_keys"]):
        _options, kind, blob = split_key_line(text)
        fp = fingerprint(blob)
        if fp not in allowed and blob not in allowed:
            hits.append(Hit(f"{entry['path']}:{number}",
                            f"{entry['user']}'s {kind} key {fp} is not in the allowlist",
                            line_facts(entry, number, text)))
    return hits


def unowned_setid(state: Mapping[str, Any], params: Mapping[str, Any], _: Context) -> Verdict:
    suid = state["suid"]
    if not suid.get("complete", True):
        raise ProbeError(f"SUID/SGID walk incomplete: {suid.get('reason')}")
    return [Hit(f["path"], f"{f['bit'].upper()} file {f['path']} (mode {f.get('mode')}) "
                "belongs to no package", f)
            for f in suid.get("files", []) if not f.get("package")]


def package_changed(state: Mapping[str, Any], params: Mapping[str, Any], _: Context) -> Verdict:
    sums = state["dpkg_md5"]
    if not sums.get("complete", True):
        raise ProbeError(f"package checksum pass incomplete: {sums.get('reason')}")
    return [Hit(f["path"], f"{f['path']} of package {f.get('package')} has MD5 {f.get('md5')}, "
                f"dpkg recorded {f.get('expected_md5')}", f)
            for f in sums.get("changed", [])]


def process_exe(state: Mapping[str, Any], params: Mapping[str, Any], _: Context) -> Verdict:
    writable = tuple(d.rstrip("/") + "/" for d in params.get("writable", ()))
    hits = []
    for proc in state["processes"]:
        exe = str(proc.get("exe", ""))
        why = ""
        if exe.startswith(writable):
            why = f"runs from {exe}, a world-writable directory"
        elif exe.startswith("/memfd:"):
            why = f"runs from memory only ({exe})"
        elif proc.get("deleted") and not proc.get("exists"):
            why = f"runs a deleted executable {exe} that is no longer on disk"
        if why:
            why += " (deleted)" if proc.get("deleted") and "deleted" not in why else ""
            hits.append(Hit(f"pid {proc['pid']}",
                            f"process {proc['pid']} ({proc.get('comm')}) {why}; "
                            f"command line: {redacted(str(proc.get('cmdline', '')))}",
                            {"path": exe, "pid": proc["pid"]}))
    return hits


SECRET = re.compile(r"(?i)((?:pass(?:word|wd)?|token|secret|api[_-]?key)[=:]"
                    r"|--(?:pass(?:word)?|token|secret)[= ])\S+")


def redacted(cmdline: str) -> str:
    """A command line with the values of password-like options hidden."""
    return SECRET.sub(lambda m: m.group(1) + "<redacted>", cmdline)


def indicator_process(state: Mapping[str, Any], params: Mapping[str, Any], ctx: Context) -> Verdict:
    hits = []
    for proc in state["processes"]:
        names = {str(proc.get("comm", "")), str(proc.get("exe", "")).rsplit("/", 1)[-1]}
        for name in sorted(n for n in names if n and n in ctx.tables.process_names):
            sources = cite(ctx.tables, IndicatorType.PROCESS_NAME, name) or (f"name {name}",)
            hits.append(Hit(f"pid {proc['pid']}",
                            f"process {proc['pid']} is named {name}, an indicator; "
                            f"executable {proc.get('exe')}; command line: "
                            f"{redacted(str(proc.get('cmdline', '')))}",
                            {"path": proc.get("exe", ""), "pid": proc["pid"]}, sources))
            break
    return hits


def hidden_process(state: Mapping[str, Any], params: Mapping[str, Any], _: Context) -> Verdict:
    seen = state["hidden_processes"]
    if "error" in seen:
        raise ProbeError(str(seen["error"]))
    hits = [Hit(f"pid {p['pid']}", f"process {p['pid']} is in /proc but not in ps's output"
                + ("" if p.get("stat_readable") else " (its /proc entry is masked)"),
                {"path": p.get("exe", ""), "pid": p["pid"], "kind": "process"})
            for p in seen.get("hidden", [])]
    hits += [Hit(m, f"something is mounted over {m}, which hides a process from ps",
                 {"path": m, "kind": "mount"})
             for m in seen.get("proc_mounts", [])]
    return hits


def cite(tables: HuntTables, kind: IndicatorType, value: str) -> tuple[str, ...]:
    return tuple(f"{o.source} {o.object_id}" for o in tables.origins.get((kind, value), ()))


def indicator_addresses(state: Mapping[str, Any], tables: HuntTables) -> dict[str, tuple[str, ...]]:
    """Addresses the host's /etc/hosts gives to indicator domains, with their sources."""
    found: dict[str, tuple[str, ...]] = {}
    for entry in state.get("hosts_file", []):
        for name in entry.get("names", []):
            domain = tables.domain_hit(str(name))
            if domain:
                found[str(entry["address"])] = cite(tables, IndicatorType.DOMAIN, domain) or (
                    f"domain {domain}",)
    return found


def address_hit(address: str, tables: HuntTables) -> tuple[str, ...]:
    try:
        hit = tables.ip_hit(address)
    except ValueError:
        return ()
    if hit is None:
        return ()
    kind = IndicatorType.IPV6 if ":" in hit else IndicatorType.IPV4
    return cite(tables, kind, hit) or (f"address {hit}",)


def indicator_socket(state: Mapping[str, Any], params: Mapping[str, Any], ctx: Context) -> Verdict:
    by_name = indicator_addresses(state, ctx.tables)
    hits = []
    for sock in state["sockets"]:
        ends = [("remote", sock.get("remote", ""), sock.get("rport"))]
        if sock.get("state") == "listen":
            ends = [("local", sock.get("local", ""), sock.get("lport"))]
        for side, address, port in ends:
            if not address or ipaddress.ip_address(address).is_unspecified:
                continue
            sources = address_hit(address, ctx.tables) or by_name.get(address, ())
            if sources:
                what = "listens on" if side == "local" else "is connected to"
                subject = (f"{sock['proto']} listen {address}:{port}" if side == "local" else
                           f"{sock['proto']} {sock.get('local')}:{sock.get('lport')}"
                           f"->{address}:{port}")
                hits.append(Hit(subject,
                                f"{sock.get('exe') or 'a process'} (pid {sock.get('pid')}) "
                                f"{what} indicator address {address}:{port}",
                                {"path": sock.get("exe", ""), "pid": sock.get("pid"),
                                 "hosts": hosts_lines(state, address)
                                 if address in by_name else []}, sources))
    return hits


def unpackaged_module(state: Mapping[str, Any], params: Mapping[str, Any], _: Context) -> Verdict:
    modules = state["kernel_modules"]
    if not modules.get("tree"):
        return NotApplicable(f"no module tree for the running kernel {modules.get('release')} "
                             "on this host (a container): its kernel is the machine's")
    return [Hit(m["name"], f"kernel module {m['name']} is loaded but "
                + (f"{m['path']} belongs to no package" if m.get("path")
                   else "no installed package ships it"), {"path": m.get("path", "")})
            for m in modules.get("loaded", []) if not m.get("package")]


def login_shell(shell: str) -> bool:
    return bool(shell) and not shell.rstrip("/").rsplit("/", 1)[-1].startswith(NO_LOGIN)


def uid0_accounts(state: Mapping[str, Any], params: Mapping[str, Any], _: Context) -> Verdict:
    allowed = set(params.get("allowed", ["root"]))
    return [Hit(u["name"], f"account {u['name']} has UID 0 (/etc/passwd line {u.get('line')})",
                {"path": "/etc/passwd", "name": u["name"]})
            for u in state["accounts"] if str(u.get("uid")) == "0" and u["name"] not in allowed]


def shells_added(state: Mapping[str, Any], params: Mapping[str, Any], ctx: Context) -> Verdict:
    """Accounts that got a login shell since the previous hunt; with no previous hunt, the
    hardened default: no system account (UID below uid_min) but root has one."""
    previous = (ctx.baseline or {}).get("accounts")
    if isinstance(previous, list):
        before = {u["name"] for u in previous if login_shell(str(u.get("shell", "")))}
        since = "since the previous hunt"
    else:
        uid_min = int(params.get("uid_min", 1000))
        before = {u["name"] for u in state["accounts"]
                  if u["name"] == "root" or not str(u.get("uid", "")).isdigit()
                  or int(u["uid"]) >= uid_min}
        since = f"a system account (UID below {uid_min})"
    return [Hit(u["name"], f"account {u['name']} (UID {u.get('uid')}) has the login shell "
                f"{u.get('shell')}: {since}", {"path": "/etc/passwd", "name": u["name"]})
            for u in state["accounts"]
            if login_shell(str(u.get("shell", ""))) and u["name"] not in before]


def web_content(state: Mapping[str, Any], params: Mapping[str, Any], _: Context) -> Verdict:
    wanted = set(params.get("patterns", []))
    return [Hit(m["path"], f"{m['path']} contains " + ", ".join(
                f"/{p}/" for p in m.get("patterns", []) if p in wanted), m)
            for m in state["web_content"].get("matches", [])
            if wanted & set(m.get("patterns", []))]


class ProbeError(Exception):
    """A probe's observations cannot support a verdict (incomplete, failed)."""


KINDS: dict[str, Kind] = {
    "any_line": any_line,
    "suspicious_command": suspicious_command,
    "key_options": key_options,
    "key_allowlist": key_allowlist,
    "unowned_setid": unowned_setid,
    "package_changed": package_changed,
    "process_exe": process_exe,
    "indicator_process": indicator_process,
    "hidden_process": hidden_process,
    "indicator_socket": indicator_socket,
    "unpackaged_module": unpackaged_module,
    "uid0_accounts": uid0_accounts,
    "shells_added": shells_added,
    "web_content": web_content,
}
