"""Reading for the collect probes: bounded file reads and commands with a timeout.

Moved verbatim from roles/collect/library/assessor_snapshot.py; runs on the host.
"""

from __future__ import annotations

import subprocess
from typing import Any

MAX_FILE_BYTES = 512 * 1024
COMMAND_TIMEOUT = 30


def read_text(path: str) -> tuple[str, bool]:
    with open(path, "rb") as handle:
        data = handle.read(MAX_FILE_BYTES + 1)
    truncated = len(data) > MAX_FILE_BYTES
    return data[:MAX_FILE_BYTES].decode("utf-8", "backslashreplace"), truncated


def run_command(
    argv: list[str], timeout: float = COMMAND_TIMEOUT, env: dict[str, str] | None = None,
    cwd: str | None = None,
) -> dict[str, Any]:
    try:
        proc = subprocess.run(
            argv, capture_output=True, stdin=subprocess.DEVNULL,
            timeout=timeout, check=False, env=env, cwd=cwd,
        )
    except FileNotFoundError:
        return {"rc": 127, "stdout": "", "stderr": "%s not found" % argv[0]}
    except subprocess.TimeoutExpired:
        return {"rc": 124, "stdout": "", "stderr": "%s took over %ss" % (argv[0], timeout)}
    return {
        "rc": proc.returncode,
        "stdout": proc.stdout[:MAX_FILE_BYTES].decode("utf-8", "backslashreplace"),
        "stderr": proc.stderr.decode("utf-8", "backslashreplace")[-2000:],
    }
