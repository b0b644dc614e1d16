"""`assessor watch install`: a systemd service (the loop) and a timer variant (--once)."""

from __future__ import annotations

import shlex
from pathlib import Path

from assessor.rundir import write_text


def units(assessor: str, inventory: Path, config: Path, out: Path, interval: int,
          user: str) -> dict[str, str]:
    args = " ".join(shlex.quote(str(a)) for a in (
        "-i", inventory.resolve(), "--config", config.resolve(), "--out", out.resolve()))
    common = (f"User={user}\nWorkingDirectory={out.resolve()}\n"
              "NoNewPrivileges=yes\nPrivateTmp=yes\nProtectSystem=full\n")
    service = ("[Unit]\nDescription=assessor watch: the fleet around the clock\n"
               "After=network-online.target\nWants=network-online.target\n\n"
               f"[Service]\nType=simple\nExecStart={assessor} watch {args}\n{common}"
               "KillSignal=SIGTERM\nTimeoutStopSec=600\nRestart=on-failure\nRestartSec=30\n\n"
               "[Install]\nWantedBy=multi-user.target\n")
    oneshot = ("[Unit]\nDescription=assessor watch: one cycle\n"
               "After=network-online.target\nWants=network-online.target\n\n"
               f"[Service]\nType=oneshot\nExecStart={assessor} watch {args} --once\n{common}")
    timer = ("[Unit]\nDescription=assessor watch: one cycle on a schedule\n\n"
             f"[Timer]\nOnBootSec=60\nOnUnitInactiveSec={interval}\nPersistent=yes\n\n"
             "[Install]\nWantedBy=timers.target\n")
    return {"assessor-watch.service": service, "assessor-watch-once.service": oneshot,
            "assessor-watch-once.timer": timer.replace("[Timer]\n",
                                                       "[Timer]\nUnit=assessor-watch-once.service\n")}


def write_units(directory: Path, contents: dict[str, str]) -> list[Path]:
    written = []
    for name, text in contents.items():
        write_text(directory / name, text)
        written.append(directory / name)
    return written
