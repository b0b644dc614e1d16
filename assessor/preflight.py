"""`assessor doctor`'s judge: what a host must offer before any run, and the fix for each gap.

Pure: it reads what the controller saw (name resolution, the port, ssh's own complaint)
and the `key=value` lines SCRIPT printed on the host, and returns one `Check` per item with
what was observed and, when it failed, the exact command or setting that fixes it. The
probing itself (sockets, one ssh round trip) is in assessor.pipeline.doctor.
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass, field
from importlib import resources

# The host side (POSIX sh, key=value lines), data beside this module.
SCRIPT = resources.files("assessor").joinpath("preflight.sh").read_text()

MIN_PYTHON = (3, 9)  # the host modules are Python 3.9 (Debian 11)
READY, FAILED, SKIPPED = "ok", "FAIL", "skipped"
CHECKS = ("resolve", "port", "host-key", "auth", "python3", "sudo", "tmp-space", "var-space",
          "apt-lock", "clock")


@dataclass(frozen=True)
class Target:
    """How Ansible would reach one host, from its inventory variables."""

    name: str
    address: str
    port: int = 22
    user: str = ""
    key: str = ""
    ssh_args: tuple[str, ...] = ()
    become_user: str = "root"
    python: str = "python3"
    local: bool = False

    @property
    def known_hosts(self) -> str:
        """The known_hosts file ssh consults: the inventory's UserKnownHostsFile, or the
        user's own."""
        for arg in self.ssh_args:
            match = re.match(r"(?i)UserKnownHostsFile=(\S+)", arg)
            if match:
                return match.group(1)
        return "~/.ssh/known_hosts"

    @property
    def login(self) -> str:
        return f"{self.user}@{self.address}" if self.user else self.address


def target(name: str, hostvars: dict[str, object]) -> Target:
    def text(key: str, default: str = "") -> str:
        value = hostvars.get(key)
        return default if value is None else str(value)

    args: list[str] = []
    for key in ("ansible_ssh_common_args", "ansible_ssh_extra_args"):
        args += shlex.split(text(key))
    python = text("ansible_python_interpreter", "python3")
    port = text("ansible_port", text("ansible_ssh_port", "22"))
    return Target(
        name=name, address=text("ansible_host", name),
        port=int(port) if port.isdigit() else 22,
        user=text("ansible_user", text("ansible_ssh_user")),
        key=text("ansible_ssh_private_key_file", text("ansible_private_key_file")),
        ssh_args=tuple(args), become_user=text("ansible_become_user", "root"),
        python="python3" if python.startswith("auto") else python,
        local=text("ansible_connection") == "local",
    )


@dataclass(frozen=True)
class Check:
    name: str
    status: str
    observed: str
    fix: str = ""


@dataclass
class HostReport:
    target: Target
    checks: list[Check] = field(default_factory=list)

    @property
    def ready(self) -> bool:
        return all(c.status == READY for c in self.checks)

    def add(self, name: str, ok: bool, observed: str, fix: str = "") -> bool:
        self.checks.append(Check(name, READY if ok else FAILED, observed, "" if ok else fix))
        return ok

    def skip_rest(self, why: str) -> None:
        done = {c.name for c in self.checks}
        for name in CHECKS:
            if name not in done:
                self.checks.append(Check(name, SKIPPED, why))


def ssh_failure(report: HostReport, rc: int, stderr: str) -> None:
    """Which of host key, authentication or connection made ssh fail, and its fix."""
    t = report.target
    last = " ".join(line.strip() for line in stderr.strip().splitlines()[-2:])[:300]
    keyfile = f" -f {t.known_hosts}"
    port = f"-p {t.port} " if t.port != 22 else ""
    if "REMOTE HOST IDENTIFICATION HAS CHANGED" in stderr:
        report.add("host-key", False, f"the host key of {t.address} does not match "
                   f"{t.known_hosts}",
                   f"verify the new key out of band, then: ssh-keygen -R '{host_entry(t)}'"
                   f"{keyfile} && ssh-keyscan {port}{t.address} >> {t.known_hosts}")
    elif "Host key verification failed" in stderr or "host key is known" in stderr:
        report.add("host-key", False, f"no host key for {t.address} in {t.known_hosts}",
                   f"ssh-keyscan {port}{t.address} >> {t.known_hosts} (compare its "
                   "fingerprint, ssh-keygen -lf, with the host's console first)")
    elif "Permission denied" in stderr or "Too many authentication failures" in stderr:
        report.add("host-key", True, f"{t.address} known in {t.known_hosts}")
        key = f"-i {t.key}.pub " if t.key else ""
        report.add("auth", False, f"key refused for {t.login}: {last}",
                   f"ssh-copy-id {key}{port}{t.login}, or set ansible_user / "
                   "ansible_ssh_private_key_file in the inventory")
    else:
        report.add("host-key", False, f"ssh exited {rc}: {last or 'no message'}",
                   "run the same ssh by hand (ssh -v) to see what it needs")
    report.skip_rest("ssh did not get in")


def host_entry(t: Target) -> str:
    return t.address if t.port == 22 else f"[{t.address}]:{t.port}"


def parse(stdout: str) -> tuple[dict[str, str], list[str]]:
    """The script's key=value lines; repeated `lock` lines in a list."""
    values: dict[str, str] = {}
    locks: list[str] = []
    for line in stdout.splitlines():
        key, sep, value = line.partition("=")
        if not sep:
            continue
        if key == "lock":
            locks.append(value.strip())
        else:
            values[key.strip()] = value.strip()
    return values, locks


def judge(report: HostReport, stdout: str, controller_time: float, *,
          min_free_mb: int, max_skew: float) -> None:
    """Every check after the login, from the script's reply."""
    t = report.target
    values, locks = parse(stdout)
    if values.get("done") != "1":
        report.add("python3", False, "the preflight script's reply was cut short",
                   "run the same ssh by hand; a login banner or shell rc file may abort it")
        report.skip_rest("no complete reply")
        return
    python, version = values.get("python", ""), values.get("python_version", "")
    found = tuple(int(p) for p in re.findall(r"\d+", version)[:2])
    if not python:
        report.add("python3", False, f"no {t.python} on the host",
                   "apt-get install python3 (or set ansible_python_interpreter to "
                   "the host's interpreter)")
    else:
        report.add("python3", len(found) == 2 and found >= MIN_PYTHON,
                   f"{python} {version}", f"install Python >= {MIN_PYTHON[0]}.{MIN_PYTHON[1]} "
                   "(apt-get install python3) or point ansible_python_interpreter at it")
    sudo, sudo_msg = values.get("sudo", ""), values.get("sudo_msg", "")
    user = values.get("user", t.user or "?")
    if sudo == "root":
        report.add("sudo", True, "connected as root")
    elif sudo == "missing":
        report.add("sudo", False, "sudo is not installed",
                   f"apt-get install sudo and allow {user}: "
                   f"'{user} ALL=({t.become_user}) NOPASSWD: ALL' in /etc/sudoers.d/")
    else:
        report.add("sudo", sudo == "0",
                   f"sudo -n -u {t.become_user} as {user}: "
                   + ("no password needed" if sudo == "0" else sudo_msg or f"exit {sudo}"),
                   f"add '{user} ALL=({t.become_user}) NOPASSWD: ALL' to a file in "
                   "/etc/sudoers.d/ (check it with visudo -cf FILE first): runs never "
                   "prompt, so sudo must not ask for a password")
    for path in ("/tmp", "/var"):
        raw = values.get(f"free_kb{path.replace('/', '_')}", "")
        name = f"{path.strip('/')}-space"
        if not raw.isdigit():
            report.add(name, False, f"df could not read {path}", f"check that {path} exists")
            continue
        free_mb = int(raw) // 1024
        report.add(name, free_mb >= min_free_mb, f"{free_mb} MiB free in {path}",
                   f"free at least {min_free_mb} MiB in {path} (du -xsh {path}/* | sort -h; "
                   "apt-get clean; journalctl --vacuum-size=100M)")
    report.add("apt-lock", not locks, "; ".join(f"{lk.split()[0]} held by pid "
                                                f"{' '.join(lk.split()[1:])}" for lk in locks)
               or "dpkg and apt locks free",
               "wait for that apt/dpkg run (unattended-upgrades?) to end; never delete the "
               "lock file")
    now = values.get("now", "")
    if not now.isdigit():
        report.add("clock", False, "the host did not say its time", "check `date` on the host")
        return
    skew = int(now) - controller_time
    report.add("clock", abs(skew) <= max_skew,
               f"host clock {skew:+.0f} s against this controller",
               "enable time sync on the host: apt-get install systemd-timesyncd (or chrony) "
               "and timedatectl set-ntp true")
