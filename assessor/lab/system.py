"""Running the few system commands the lab needs: argv lists only, bounded in time."""

from __future__ import annotations

import os
import subprocess

from assessor.errors import ConfigError

COMMAND_TIMEOUT = 120


def require_root() -> None:
    if os.geteuid() != 0:
        raise ConfigError(
            "the lab needs root (namespaces, veth links and overlay mounts): run it as root"
        )


def run(*argv: str, timeout: int = COMMAND_TIMEOUT, check: bool = True) -> str:
    """Run a command and return its stdout; a failure becomes one ConfigError line."""
    try:
        proc = subprocess.run(
            list(argv), capture_output=True, text=True, timeout=timeout, check=False
        )
    except FileNotFoundError as exc:
        raise ConfigError(f"{argv[0]} is not installed (run `make deps`)") from exc
    except subprocess.TimeoutExpired as exc:
        raise ConfigError(f"{' '.join(argv)} took over {timeout}s") from exc
    if check and proc.returncode != 0:
        said = proc.stderr.strip() or proc.stdout.strip()  # some tools complain on stdout
        raise ConfigError(f"{' '.join(argv)} failed (exit {proc.returncode}): {said}")
    return proc.stdout
