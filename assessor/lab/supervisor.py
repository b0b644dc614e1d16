"""One lab host's power supply: boots it with systemd-nspawn, and boots it again on reboot.

Run as `python -m assessor.lab.supervisor HOST_DIR -- systemd-nspawn ...` by `lab up`, in a
session of its own. A reboot inside the host (`systemctl reboot`, Ansible's reboot
module) ends nspawn with status 133, as a reset ends a machine's boot; the supervisor then
starts it again, so the host comes back with a new boot id. Any other end is a power-off.
SIGTERM asks the host to power off (nspawn passes it on to the host's systemd) and ends
the supervisor once it has.

Every boot is recorded in HOST_DIR/boots.json: when it started, when systemd reported the
boot finished (nspawn's --notify-ready, relayed through our NOTIFY_SOCKET), when it ended
and with which status; `lab up` waits on it and `lab status` shows it.
"""

from __future__ import annotations

import json
import os
import select
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from types import FrameType
from typing import Any

REBOOT_STATUS = 133
MAX_BOOTS = 200
POLL_SECONDS = 0.5
BOOTS_FILE = "boots.json"
NOTIFY_FILE = "notify.sock"


def read_boots(host_dir: Path) -> list[dict[str, Any]]:
    """The boots recorded so far, oldest first; none before the first start."""
    try:
        data = json.loads((host_dir / BOOTS_FILE).read_text())
    except (OSError, ValueError):
        return []
    return data if isinstance(data, list) else []


def write_boots(host_dir: Path, boots: list[dict[str, Any]]) -> None:
    # stdlib only, so the supervisor starts fast: temp file then rename, like assessor.rundir
    path = host_dir / BOOTS_FILE
    temp = path.with_name(path.name + ".tmp")
    temp.write_text(json.dumps(boots, indent=1))
    os.replace(temp, path)


def notify_messages(sock: socket.socket) -> list[str]:
    """Every sd_notify line waiting on the socket (READY=1, STATUS=..., X_NSPAWN_...)."""
    lines: list[str] = []
    while select.select([sock], [], [], 0)[0]:
        lines += sock.recv(4096).decode(errors="replace").splitlines()
    return lines


class Supervisor:
    def __init__(self, host_dir: Path, command: list[str]) -> None:
        self.host_dir = host_dir
        self.command = command
        self.stopping = False
        self.child: subprocess.Popen[bytes] | None = None

    def stop(self, _signum: int, _frame: FrameType | None) -> None:
        self.stopping = True
        if self.child is not None and self.child.poll() is None:
            self.child.send_signal(signal.SIGTERM)

    def run(self) -> int:
        signal.signal(signal.SIGTERM, self.stop)
        signal.signal(signal.SIGINT, self.stop)
        notify_path = self.host_dir / NOTIFY_FILE
        notify_path.unlink(missing_ok=True)
        boots = read_boots(self.host_dir)
        with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
            sock.bind(str(notify_path))
            env = os.environ | {"NOTIFY_SOCKET": str(notify_path)}
            status = 0
            for _ in range(MAX_BOOTS):
                if self.stopping:
                    break
                boot: dict[str, Any] = {"boot": len(boots) + 1, "started": time.time(),
                                        "ready": None, "ended": None, "status": None}
                boots.append(boot)
                write_boots(self.host_dir, boots)
                status = self.boot_once(sock, env, boot, boots)
                if status != REBOOT_STATUS:
                    break
        return 0 if self.stopping else status

    def boot_once(self, sock: socket.socket, env: dict[str, str], boot: dict[str, Any],
                  boots: list[dict[str, Any]]) -> int:
        with open(self.host_dir / "log", "ab") as log:
            self.child = subprocess.Popen(
                self.command, stdin=subprocess.DEVNULL, stdout=log, stderr=log, env=env
            )
            while self.child.poll() is None:
                select.select([sock], [], [], POLL_SECONDS)
                if "READY=1" in notify_messages(sock) and boot["ready"] is None:
                    boot["ready"] = time.time()
                    write_boots(self.host_dir, boots)
            status = self.child.returncode
        boot["ended"], boot["status"] = time.time(), status
        write_boots(self.host_dir, boots)
        return status


def main(argv: list[str]) -> int:
    if len(argv) < 3 or argv[1] != "--":
        print("usage: python -m assessor.lab.supervisor HOST_DIR -- COMMAND...", file=sys.stderr)
        return 2
    return Supervisor(Path(argv[0]), argv[2:]).run()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
