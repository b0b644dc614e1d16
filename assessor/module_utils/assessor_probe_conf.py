"""The configuration-directory probes: sysctl.d and modprobe.d files read whole, with what
could not be read recorded, and which init applies the sysctl files at boot.

Moved from roles/collect/library/assessor_snapshot.py; runs on the host (stdlib only).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any

from ansible.module_utils.assessor_probe_io import MAX_FILE_BYTES, read_text

# --- configuration directories (sysctl.d, modprobe.d): every file, judged by the assessor ---

SYSCTL_DIRS = (
    "/etc/sysctl.d", "/run/sysctl.d", "/usr/local/lib/sysctl.d", "/usr/lib/sysctl.d",
    "/lib/sysctl.d",
)
MODPROBE_DIRS = (
    "/etc/modprobe.d", "/run/modprobe.d", "/usr/local/lib/modprobe.d", "/usr/lib/modprobe.d",
    "/lib/modprobe.d",
)
MAX_CONF_FILES = 500


def read_conf_dirs(dirs: Sequence[str], extra: Sequence[str] = ()) -> dict[str, Any]:
    """Every *.conf of the dirs (plus extra files) as {path: content}; the check orders them.

    What could not be read whole is listed in `problems` (unreadable, truncated, or past
    MAX_CONF_FILES), so a verdict built on these files can say what it did not see.
    """
    files: dict[str, str] = {}
    problems: list[dict[str, str]] = []
    paths: list[str] = []
    for directory in dirs:
        try:
            names = sorted(os.listdir(directory))
        except FileNotFoundError:
            continue
        except OSError as exc:
            problems.append({"path": directory,
                             "problem": "unreadable: " + (exc.strerror or str(exc))})
            continue
        paths.extend(os.path.join(directory, n) for n in names if n.endswith(".conf"))
    for path in paths[MAX_CONF_FILES:]:
        problems.append({"path": path, "problem": "not read: over %d files" % MAX_CONF_FILES})
    for path in paths[:MAX_CONF_FILES] + list(extra):
        try:
            files[path], truncated = read_text(path)
        except FileNotFoundError:
            if path not in extra:
                problems.append({"path": path, "problem": "unreadable: a dangling link"})
            continue
        except OSError as exc:
            problems.append({"path": path, "problem": "unreadable: " + (exc.strerror or str(exc))})
            continue
        if truncated:
            problems.append({"path": path,
                             "problem": "truncated: read the first %d bytes" % MAX_FILE_BYTES})
    return {"dirs": list(dirs), "files": files, "problems": problems}


def booted_with_systemd() -> bool:
    """sd_booted(): /run/systemd/system exists only while systemd is PID 1."""
    return os.path.isdir("/run/systemd/system")


def probe_sysctl_files(_wanted: Any) -> dict[str, Any]:
    result = read_conf_dirs(SYSCTL_DIRS, extra=("/etc/sysctl.conf",))
    # which program applies these files at boot decides their order (see checks/kernel.py)
    result["init"] = "systemd" if booted_with_systemd() else "other"
    return result


def probe_modules(names: Sequence[str]) -> dict[str, Any]:
    """Which modules are loaded or built in, and what modprobe's configuration says."""
    try:
        text, _ = read_text("/proc/modules")
        loaded = sorted(line.split()[0] for line in text.splitlines() if line.strip())
    except OSError:
        loaded = None  # a kernel without module support: nothing can be loaded
    try:
        text, _ = read_text("/proc/filesystems")
        filesystems = sorted(line.split()[-1] for line in text.splitlines() if line.strip())
    except OSError:
        filesystems = []
    in_sys = [n for n in names if os.path.isdir("/sys/module/" + n.replace("-", "_"))]
    result = read_conf_dirs(MODPROBE_DIRS)
    result.update({"loaded": loaded, "filesystems": filesystems, "sys_module": in_sys})
    return result
