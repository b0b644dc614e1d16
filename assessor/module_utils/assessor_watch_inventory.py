"""What the watch compares between cycles, read on the host: each inventory is a mapping
subject -> detail, so the controller's drift is set arithmetic on the subjects.

SUID/SGID files, listening sockets, users, SSH authorized keys, cron entries, systemd unit
files and links, loaded kernel modules and installed packages. Reads only.
"""

from __future__ import annotations

import base64
import glob
import hashlib
import os
import stat

from ansible.module_utils.assessor_dpkg import STATUS_FILE, is_installed, stanzas
from ansible.module_utils.assessor_proc_sockets import socket_owners
from ansible.module_utils.assessor_tree import regular_files

# not walked for SUID files: virtual or volatile, never the home of an installed binary
SKIP_ROOTS = ("/proc", "/sys", "/dev", "/run")
TCP_LISTEN, UDP_UNCONNECTED = "0A", "07"
UNIT_ROOTS = ("/etc/systemd/system", "/usr/lib/systemd/system", "/lib/systemd/system",
              "/usr/local/lib/systemd/system")
CRON_FILES = ("/etc/crontab", "/etc/cron.d/*", "/var/spool/cron/crontabs/*",
              "/etc/anacrontab")
CRON_DIRS = ("/etc/cron.hourly", "/etc/cron.daily", "/etc/cron.weekly", "/etc/cron.monthly")


def _owner_of(uid: int, names: dict[int, str]) -> str:
    return names.get(uid, str(uid))


def suid_files(roots: list[str], uid_names: dict[int, str]) -> dict[str, str]:
    """SUID or SGID regular files under `roots`, on each root's own filesystem only."""
    found: dict[str, str] = {}
    for root in roots:
        try:
            device = os.lstat(root).st_dev
        except OSError:
            continue

        def enter(path: str, info: os.stat_result, device: int = device) -> bool:
            return info.st_dev == device and path not in SKIP_ROOTS

        for path, info in regular_files(root, enter, lambda _: True):
            if info.st_mode & (stat.S_ISUID | stat.S_ISGID):
                found[path] = "mode %04o owner %s" % (
                    stat.S_IMODE(info.st_mode), _owner_of(info.st_uid, uid_names))
    return found


def _read_lines(path: str) -> list[str] | None:
    """The file's lines, or None where it cannot be read (gone, or not a file)."""
    try:
        with open(path, encoding="utf-8", errors="replace") as handle:
            return handle.read().splitlines()
    except OSError:
        return None


def _process(pid: int) -> str:
    """`comm[pid]`, as the listening inventory names a socket's owner."""
    comm = (_read_lines("/proc/%d/comm" % pid) or ["?"])[0].strip() or "?"
    return "%s[%d]" % (comm, pid)


def _address(hex_address: str, six: bool) -> str:
    host, port = hex_address.split(":")
    raw = bytes.fromhex(host)
    if six:
        words = [raw[i:i + 4][::-1] for i in range(0, 16, 4)]
        packed = b"".join(words)
        text = ":".join("%x" % int.from_bytes(packed[i:i + 2], "big") for i in range(0, 16, 2))
        return "[%s]:%d" % (text, int(port, 16))
    return "%s:%d" % (".".join(str(b) for b in raw[::-1]), int(port, 16))


def listening() -> dict[str, str]:
    """`tcp 0.0.0.0:22` -> `sshd[81]`: TCP sockets in LISTEN, UDP sockets bound unconnected."""
    owners = socket_owners()
    found: dict[str, str] = {}
    for proto, wanted in (("tcp", TCP_LISTEN), ("tcp6", TCP_LISTEN), ("udp", UDP_UNCONNECTED),
                          ("udp6", UDP_UNCONNECTED)):
        try:
            with open("/proc/net/%s" % proto, encoding="ascii", errors="replace") as handle:
                lines = handle.read().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            if len(fields) < 10 or fields[3] != wanted:
                continue
            subject = "%s %s" % (proto.rstrip("6"), _address(fields[1], proto.endswith("6")))
            pid = owners.get(fields[9])
            found[subject] = _process(pid) if pid else "unknown process"
    return found


def users(passwd_text: str) -> dict[str, str]:
    found = {}
    for line in passwd_text.splitlines():
        fields = line.split(":")
        if len(fields) >= 7 and fields[0]:
            found[fields[0]] = "uid %s gid %s home %s shell %s" % (
                fields[2], fields[3], fields[5], fields[6])
    return found


def key_fingerprint(blob: str) -> str:
    """ssh-keygen -l's SHA256 fingerprint of a base64 key blob."""
    digest = hashlib.sha256(base64.b64decode(blob.encode("ascii"), validate=True)).digest()
    return "SHA256:" + base64.b64encode(digest).decode("ascii").rstrip("=")


def authorized_keys(passwd_text: str) -> dict[str, str]:
    """`user keytype SHA256:fp` -> `file:line comment` for every key a user would accept."""
    found = {}
    for line in passwd_text.splitlines():
        fields = line.split(":")
        if len(fields) < 7 or not fields[5].startswith("/"):
            continue
        for name in ("authorized_keys", "authorized_keys2"):
            path = os.path.join(fields[5], ".ssh", name)
            for number, entry in enumerate(_read_lines(path) or [], 1):
                words = entry.split()
                for index, word in enumerate(words[:-1]):
                    if word.startswith(("ssh-", "ecdsa-", "sk-")):
                        try:
                            fp = key_fingerprint(words[index + 1])
                        except (ValueError, UnicodeEncodeError):
                            break
                        comment = " ".join(words[index + 2:])
                        found["%s %s %s" % (fields[0], word, fp)] = "%s:%d %s" % (
                            path, number, comment)
                        break
    return found


def cron_entries() -> dict[str, str]:
    """Every active cron line (`file: line`) and every script run-parts would start."""
    found = {}
    for pattern in CRON_FILES:
        for path in sorted(glob.glob(pattern)):
            for number, line in enumerate(_read_lines(path) or [], 1):
                text = line.strip()
                if text and not text.startswith("#"):
                    found["%s: %s" % (path, text)] = "line %d" % number
    for directory in CRON_DIRS:
        for path in sorted(glob.glob(directory + "/*")):
            if os.path.isfile(path) and not os.path.basename(path).startswith("."):
                found[path] = "run by run-parts"
    return found


def units() -> dict[str, str]:
    """Unit files and links (enablement, masks, drop-ins), as `path` -> its target or `file`."""
    found = {}
    for root in UNIT_ROOTS:
        for current, dirs, files in os.walk(root):
            for name in files + [d for d in dirs if os.path.islink(os.path.join(current, d))]:
                path = os.path.join(current, name)
                try:
                    found[path] = "-> " + os.readlink(path) if os.path.islink(path) else "file"
                except OSError:
                    continue
    return found


def kernel_modules() -> dict[str, str]:
    found = {}
    try:
        with open("/proc/modules", encoding="ascii", errors="replace") as handle:
            for line in handle:
                fields = line.split()
                if fields:
                    found[fields[0]] = "size %s" % fields[1] if len(fields) > 1 else ""
    except OSError:
        pass
    return found


def packages() -> dict[str, str]:
    with open(STATUS_FILE, encoding="utf-8", errors="replace") as handle:
        text = handle.read()
    return {"%s:%s" % (f["Package"], f.get("Architecture", "")): f.get("Version", "")
            for f in stanzas(text) if is_installed(f.get("Status", ""))}


def inventories(suid_roots: list[str]) -> dict[str, dict[str, str]]:
    with open("/etc/passwd", encoding="utf-8", errors="replace") as handle:
        passwd_text = handle.read()
    uid_names: dict[int, str] = {}
    for line in passwd_text.splitlines():
        fields = line.split(":")
        if len(fields) > 2 and fields[2].isdigit():
            uid_names.setdefault(int(fields[2]), fields[0])
    return {
        "suid": suid_files(suid_roots, uid_names), "ports": listening(),
        "users": users(passwd_text), "keys": authorized_keys(passwd_text),
        "cron": cron_entries(), "units": units(), "modules": kernel_modules(),
        "packages": packages(),
    }
