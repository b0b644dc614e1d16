"""`assessor doctor`: is every host ready for a run? One parallel pass, a short timeout each.

Plain `ssh` (BatchMode, the inventory's own connection variables), not an Ansible run:
the things that stop a first run are exactly the ones that happen before Ansible can run
any module (a host key not in known_hosts, a key refused, no python3), and Ansible folds
them into one "unreachable" line, while ssh's own messages tell them apart and name the
fix. One ssh round trip per host sends a small POSIX sh script on stdin (no python needed
on the host) that prints key=value lines; the judge is `assessor.preflight`. Host data
never reaches a shell here: ssh gets an argument list, the script reads its two
parameters as positional arguments, quoted for the remote shell.
"""

from __future__ import annotations

import shlex
import socket
import subprocess
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from assessor.inventory import load_inventory_vars
from assessor.preflight import SCRIPT, HostReport, Target, judge, ssh_failure, target


@dataclass(frozen=True, kw_only=True)
class DoctorOptions:
    inventory: Path
    limit: str | None = None
    forks: int = 20
    timeout: int = 10
    min_free_mb: int = 100
    max_skew: float = 30.0


def doctor(options: DoctorOptions) -> list[HostReport]:
    hosts, hostvars = load_inventory_vars(options.inventory, options.limit)
    targets = [target(h.name, hostvars.get(h.name, {})) for h in hosts]
    with ThreadPoolExecutor(max_workers=max(1, min(options.forks, len(targets)))) as pool:
        return list(pool.map(lambda t: check_host(t, options), targets))


def check_host(t: Target, options: DoctorOptions) -> HostReport:
    report = HostReport(t)
    if t.local:
        for name in ("resolve", "port", "host-key", "auth"):
            report.add(name, True, "ansible_connection=local")
        started = time.time()
        proc = run(["sh", "-s", "--", t.python, t.become_user], options.timeout)
    else:
        address = resolve(report, options.timeout)
        if address is None or not port_open(report, address, options.timeout):
            report.skip_rest("not reachable")
            return report
        started = time.time()
        proc = run(ssh_command(t, options.timeout), options.timeout + 5)
        if proc.returncode in (124, 255) and "done=1" not in proc.stdout:
            ssh_failure(report, proc.returncode, proc.stderr)
            return report
        report.add("host-key", True, f"matches {t.known_hosts}")
        report.add("auth", True, f"key accepted for {t.login}")
    judge(report, proc.stdout, (started + time.time()) / 2,
          min_free_mb=options.min_free_mb, max_skew=options.max_skew)
    return report


def resolve(report: HostReport, timeout: int) -> str | None:
    t = report.target
    try:
        infos = socket.getaddrinfo(t.address, t.port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        report.add("resolve", False, f"{t.address} does not resolve: {exc}",
                   f"add {t.address} to DNS or /etc/hosts, or set ansible_host for {t.name} "
                   "to its address in the inventory")
        return None
    address = str(infos[0][4][0])
    report.add("resolve", True, f"{t.address} is {address}")
    return address


def port_open(report: HostReport, address: str, timeout: int) -> bool:
    t = report.target
    try:
        with socket.create_connection((address, t.port), timeout=timeout):
            pass
    except OSError as exc:
        why = "timed out" if isinstance(exc, TimeoutError) else exc.strerror or str(exc)
        return report.add("port", False, f"{address}:{t.port}: {why}",
                          f"start sshd on {t.name} (systemctl enable --now ssh), open port "
                          f"{t.port} on its firewall, or set ansible_port")
    return report.add("port", True, f"{address}:{t.port} open")


def ssh_command(t: Target, timeout: int) -> list[str]:
    command = ["ssh", "-o", "BatchMode=yes", "-o", f"ConnectTimeout={timeout}",
               "-o", "ServerAliveInterval=5", "-o", "ServerAliveCountMax=1", "-p", str(t.port)]
    if t.user:
        command += ["-l", t.user]
    if t.key:
        command += ["-i", str(Path(t.key).expanduser())]
    remote = shlex.join(["sh", "-s", "--", t.python, t.become_user])
    return [*command, *t.ssh_args, "--", t.address, remote]


def run(command: list[str], timeout: int) -> subprocess.CompletedProcess[str]:
    try:
        return subprocess.run(command, input=SCRIPT, capture_output=True, text=True,
                              timeout=timeout, check=False)
    except subprocess.TimeoutExpired as exc:
        out = exc.stdout.decode() if isinstance(exc.stdout, bytes) else exc.stdout or ""
        return subprocess.CompletedProcess(command, 124, out, f"timed out after {timeout}s")
