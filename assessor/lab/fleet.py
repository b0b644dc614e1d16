"""`assessor lab up|status|down`: start, list and remove the lab's Debian hosts.

Each host is an overlay of the cached root booting systemd as PID 1 under systemd-nspawn,
in a network namespace of its own on the lab's bridge; a supervisor process per host
starts it again when it reboots (see supervisor.py). State lives in a run directory
(tmpfs by default, like the mounts and namespaces it describes, so a reboot of this
machine forgets both together). `down` works from names, not from the state file alone,
so it also cleans up after an `up` that was interrupted.
"""

from __future__ import annotations

import ipaddress
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from assessor.catalogue import load_catalogue
from assessor.errors import ConfigError
from assessor.lab import aptrepo, network
from assessor.lab.access import authorize, write_inventory, write_known_hosts
from assessor.lab.flavours import apply_steps, load_flavours, parse_flavours
from assessor.lab.machine import MachineProfile, machine_keys, module_names, read_machine
from assessor.lab.rootfs import RootExtras, ensure_rootfs, needs_unified_cgroup

# re-exported: callers (the lab command, the tests) know a lab by this module
from assessor.lab.state import LabHost as LabHost
from assessor.lab.state import LabState as LabState
from assessor.lab.state import default_inventory, save_state
from assessor.lab.state import host_paths as host_paths
from assessor.lab.state import lab_dir as lab_dir
from assessor.lab.state import read_state as read_state
from assessor.lab.supervisor import REBOOT_STATUS, read_boots
from assessor.lab.system import require_root, run

Say = Callable[[str], None]
BOOT_TIMEOUT = 180  # a 2-core machine booting several hosts while other labs work (test workers)
STOP_TIMEOUT = 20
MAX_HOSTS = 200
SUPERVISOR = "assessor.lab.supervisor"
# /proc/sys stays read-only in a host but for net.*, the one part its namespace owns (so a
# boot's systemd-sysctl applies the host's net.* values, and nothing can change the
# machine's kernel.* or fs.*); /tmp is left to the host's fstab and units.
NSPAWN_ENV = {"SYSTEMD_NSPAWN_API_VFS_WRITABLE": "network", "SYSTEMD_NSPAWN_TMPFS_TMP": "0"}


def up(
    name: str,
    count: int,
    release: str = "bookworm",
    flavours: str | None = None,
    inventory: Path | None = None,
    say: Say = print,
) -> LabState:
    require_root()
    network.check_name(name)
    if not 1 <= count <= MAX_HOSTS:
        raise ConfigError(f"--hosts must be between 1 and {MAX_HOSTS}")
    if read_state(name) or network.lab_namespaces(name):
        raise ConfigError(f"lab {name!r} is already up: run `assessor lab down --name {name}`")
    known = load_flavours()
    cycle = parse_flavours(flavours, known)
    roots = {f: ensure_rootfs(release, say, RootExtras.of(known[f])) for f in dict.fromkeys(cycle)}

    directory = lab_dir(name)
    directory.mkdir(parents=True, exist_ok=True)
    key = directory / "id_ed25519"
    key.unlink(missing_ok=True)
    run("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", f"assessor-lab-{name}", "-f", str(key))
    state = LabState(
        name=name, release=release, subnet="",
        inventory=str((inventory or default_inventory(name)).resolve()),
        key=str(key), known_hosts=str(directory / "known_hosts"),
        machine=shared_kernel().to_dict(),
    )
    try:
        with network.allocation_lock(directory.parent):
            subnet = network.pick_subnet(name)
            state.subnet = str(subnet)
            save_state(state)
            network.create_bridge(name, subnet)
        for index in range(1, count + 1):
            flavour = cycle[(index - 1) % len(cycle)]
            host = LabHost(
                name=f"{flavour}-{index:02d}", flavour=flavour, index=index,
                address=network.host_address(subnet, index),
                netns=network.netns_name(name, index),
            )
            state.hosts.append(host)
            save_state(state)
            start_host(state, host, roots[flavour], known[flavour].get("steps") or [])
            save_state(state)
            say(f"  {host.name} ({flavour}) at {host.address}")
        for host in state.hosts:
            wait_booted(state, host, boot=1)
        write_known_hosts(state)
        write_inventory(state)
    except BaseException:
        keep_logs(state)
        down(name, say=lambda _: None)
        raise
    say(f"lab {name!r}: {count} hosts up; inventory {state.inventory}")
    return state


def shared_kernel() -> MachineProfile:
    """The values of this machine's kernel that the catalogue judges and hosts share."""
    controls = load_catalogue().controls
    return read_machine(machine_keys(controls), module_names(controls))


def nspawn_command(host: LabHost, merged: Path) -> list[str]:
    """systemd-nspawn booting the host's systemd as PID 1 in the host's own namespace.

    No machined or system bus on this machine: --register=no --keep-unit. nspawn's own
    changes to the host's files are off (resolv.conf, timezone, journal link), so the
    host's /etc is what its flavour made; /tmp is left to the host's fstab and units.
    """
    return [
        "systemd-nspawn", "--quiet", "--boot", "--register=no", "--keep-unit",
        "--notify-ready=yes", "--settings=no", "--console=pipe",
        # the machine name is machine-wide (/run/systemd/nspawn/propagate/NAME): two labs
        # may both have a weak-01, so it is the lab's own namespace name; the host keeps
        # its short name as its hostname
        f"--machine={host.netns}", f"--hostname={host.name}", f"--directory={merged}",
        f"--network-namespace-path=/run/netns/{host.netns}",
        "--resolv-conf=off", "--timezone=off", "--link-journal=no",
        # the host's own firewall (nftables.service): CAP_NET_ADMIN over its own namespace
        "--capability=CAP_NET_ADMIN",
    ]


def start_host(state: LabState, host: LabHost, root: Path, steps: list[dict[str, Any]]) -> None:
    paths = host_paths(state, host)
    for key in ("upper", "work", "merged"):
        paths[key].mkdir(parents=True, exist_ok=True)
    merged = paths["merged"]
    run("mount", "-t", "overlay", "overlay", "-o",
        f"lowerdir={root},upperdir={paths['upper']},workdir={paths['work']}", str(merged))
    (merged / "etc/hostname").write_text(host.name + "\n")
    (merged / "etc/hosts").write_text(
        f"127.0.0.1\tlocalhost\n127.0.1.1\t{host.name}\n{host.address}\t{host.name}\n"
    )
    (merged / "etc/machine-id").write_text(uuid.uuid4().hex + "\n")
    run("chroot", str(merged), "ssh-keygen", "-A")
    public_key = Path(state.key + ".pub").read_text()
    for user in ("ops", "guest"):
        authorize(merged, user, public_key)
    apply_steps(merged, steps)

    network.create_host_network(state.name, host.index, ipaddress.IPv4Network(state.subnet))
    with open(paths["log"], "ab") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", SUPERVISOR, str(paths["dir"]), "--",
             *nspawn_command(host, merged)],
            stdin=subprocess.DEVNULL, stdout=log, stderr=log, start_new_session=True,
            env=os.environ | NSPAWN_ENV | (
                {"SYSTEMD_NSPAWN_UNIFIED_HIERARCHY": "1"} if needs_unified_cgroup(state.release)
                else {}),
        )
    host.pid = proc.pid


def kept_log(lab: str, host: str) -> Path:
    """Where a host's boot log is kept when `up` fails (the lab's own directory is removed)."""
    return Path(tempfile.gettempdir()) / f"assessor-lab-{lab}-logs" / f"{host}.log"


def keep_logs(state: LabState) -> None:
    for host in state.hosts:
        log = host_paths(state, host)["log"]
        if log.exists():
            kept_log(state.name, host.name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(log, kept_log(state.name, host.name))


def boots(state: LabState, host: LabHost) -> list[dict[str, Any]]:
    """Every boot of the host so far (see supervisor.py), oldest first."""
    return read_boots(host_paths(state, host)["dir"])


def wait_booted(state: LabState, host: LabHost, boot: int, timeout: float = BOOT_TIMEOUT) -> None:
    """Wait until boot number `boot` has finished starting its units and sshd answers."""
    deadline = time.monotonic() + timeout
    # the lab's own copy of the log is gone once `up` gives up and takes the lab down
    log = f"{host_paths(state, host)['log']} (kept as {kept_log(state.name, host.name)})"
    while time.monotonic() < deadline:
        seen = boots(state, host)
        current = seen[-1] if seen else {}
        if current.get("boot", 0) >= boot and current.get("ended") is not None \
                and current.get("status") != REBOOT_STATUS:
            raise ConfigError(f"lab host {host.name}: its boot ended with status "
                              f"{current['status']}; see {log}")
        if current.get("boot", 0) >= boot and current.get("ready"):
            left = max(1.0, deadline - time.monotonic())
            if network.wait_for_port(host.address, 22, left) and logins_open(host):
                return
        time.sleep(0.2)
    raise ConfigError(f"lab host {host.name}: boot {boot} did not finish with sshd answering on "
                      f"{host.address}:22 within {timeout:.0f}s; see {log}")


def logins_open(host: LabHost) -> bool:
    """Whether systemd-user-sessions has removed the host's /run/nologin: until it has,
    pam_nologin turns the operator away ("System is booting up") although sshd answers,
    and a test's first ssh after `up` failed so under load. Read through the host's init
    in /proc; nothing is written."""
    try:
        pid = network.host_init(host.netns)
    except (ConfigError, subprocess.SubprocessError, OSError):
        return False
    return not Path(f"/proc/{pid}/root/run/nologin").exists()


def lab_mounts(name: str) -> list[str]:
    base = str(lab_dir(name)) + "/"
    mounts = [line.split()[1] for line in Path("/proc/mounts").read_text().splitlines()]
    return [m for m in mounts if m.startswith(base)]


def stop_processes(name: str, state: LabState | None) -> None:
    """Power the hosts off, then kill whatever the lab left running.

    Only the supervisors get SIGTERM: each asks its host's systemd to power off (SIGTERM to
    a systemd PID 1 would make it re-execute, not stop). What still runs after the timeout,
    or was found without a supervisor (an interrupted `up`), is killed.
    """
    # a recorded pid counts only while it is still our supervisor: pids get reused
    supervisors = {h.pid for h in state.hosts if h.pid and is_launcher(h.pid)} if state else set()
    wait_ended([p for p in supervisors if signal_process(p, signal.SIGTERM)], STOP_TIMEOUT)
    leftover = set(lab_processes(name))
    for ns in network.lab_namespaces(name):
        leftover.update(network.namespace_pids(ns))
    for pid in leftover:
        signal_process(pid, signal.SIGKILL)
    wait_ended(list(leftover), STOP_TIMEOUT)


def wait_ended(pids: list[int], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    alive = pids
    while alive and time.monotonic() < deadline:
        time.sleep(0.1)
        alive = [p for p in alive if is_running(p)]


def lab_processes(name: str) -> list[int]:
    """Supervisors and nspawn processes of this lab, found by the lab directory they name."""
    marker = (str(lab_dir(name)) + "/").encode()
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if marker in (entry / "cmdline").read_bytes():
                    found.append(int(entry.name))
            except OSError:
                continue
    return found


def is_launcher(pid: int) -> bool:
    try:
        return SUPERVISOR.encode() in Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return False


def is_running(pid: int) -> bool:
    """Alive and not a zombie (a zombie still answers signal 0 until its parent reaps it)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rpartition(")")[2].split()[0] != "Z"


def signal_process(pid: int, sig: int) -> bool:
    try:
        os.kill(pid, sig)
        return True
    except ProcessLookupError:
        return False


def down(name: str, say: Say = print) -> None:
    require_root()
    network.check_name(name)
    state = read_state(name)
    stop_processes(name, state)
    for mount in sorted(lab_mounts(name), key=len, reverse=True):
        run("umount", "--lazy", mount, check=False)
    network.remove_network(name)
    if state and Path(state.inventory).exists():
        Path(state.inventory).unlink()
    shutil.rmtree(lab_dir(name), ignore_errors=True)
    say(f"lab {name!r} is down")


@dataclass(frozen=True)
class HostStatus:
    name: str
    flavour: str
    address: str
    running: bool
    ssh: bool
    boots: int
    booted_at: float | None


def status(name: str) -> tuple[LabState | None, list[HostStatus]]:
    require_root()
    network.check_name(name)
    state = read_state(name)
    if state is None:
        return None, []
    rows = []
    for host in state.hosts:
        seen = boots(state, host)
        rows.append(HostStatus(
            host.name, host.flavour, host.address,
            running=is_launcher(host.pid),
            ssh=network.wait_for_port(host.address, 22, 1),
            boots=len(seen), booted_at=seen[-1]["started"] if seen else None,
        ))
    return state, rows


def serve_demo_repo(name: str, say: Say = print, own_packages: bool = False) -> None:
    """Give every host of a running lab the demo repository and the vulnerable package;
    with `own_packages`, the repository also offers the hosts' own packages at their
    installed versions (the .debs kept when their root was built), as a mirror would."""
    require_root()
    network.check_name(name)
    state = read_state(name)
    if state is None:
        raise ConfigError(f"lab {name!r} is not up: run `assessor lab up --name {name}` first")
    roots = {h.name: host_paths(state, h)["merged"] for h in state.hosts}
    work = lab_dir(name) / "repo"
    shutil.rmtree(work, ignore_errors=True)
    own: tuple[Path, ...] = ()
    if own_packages:
        known = load_flavours()
        built = {ensure_rootfs(state.release, say, RootExtras.of(known[h.flavour]))
                 for h in state.hosts}
        own = tuple(aptrepo.fetch_own_debs(root, state.release) for root in sorted(built))
    aptrepo.serve_demo(roots, work, own)
    say(f"lab {name!r}: {len(roots)} hosts use the signed repository {work} and run "
        "assessor-demo 1.0-1, which inventories/example/cert-demo-bulletin.yaml says is "
        "vulnerable")
