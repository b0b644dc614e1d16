"""The root_env probe: root's login PATH and umask, and who owns each PATH entry.

Moved verbatim from roles/collect/library/assessor_snapshot.py; runs on the host.
"""

from __future__ import annotations

import os
import pwd
import stat
from typing import Any

from ansible.module_utils.assessor_names import name_of
from ansible.module_utils.assessor_probe_io import run_command

# --- root's login environment -----------------------------------------------------------------

ROOT_ENV_TIMEOUT = 10
ROOT_ENV_SCRIPT = 'printf "\\nASSESSOR_PATH=%s\\nASSESSOR_UMASK=%s\\n" "$PATH" "$(umask)"'


def probe_root_env(_wanted: object) -> dict[str, Any]:
    """PATH and umask as a login shell of root ends up with, and who owns each PATH entry."""
    try:
        entry = pwd.getpwuid(0)
        shell, home = entry.pw_shell, entry.pw_dir
    except KeyError:
        shell, home = "/bin/sh", "/root"
    if not shell or os.path.basename(shell) in ("nologin", "false") or not os.path.exists(shell):
        shell = "/bin/sh"
    env = {
        "HOME": home, "USER": "root", "LOGNAME": "root", "SHELL": shell, "TERM": "dumb",
        "PATH": "/usr/sbin:/usr/bin:/sbin:/bin",
    }
    cwd = home if os.path.isdir(home) else "/"
    proc = run_command([shell, "-l", "-c", ROOT_ENV_SCRIPT], ROOT_ENV_TIMEOUT, env, cwd)
    values: dict[str, str] = {}
    for line in proc["stdout"].splitlines():
        for key in ("ASSESSOR_PATH", "ASSESSOR_UMASK"):
            if line.startswith(key + "="):
                values[key] = line[len(key) + 1:]
    path = values.get("ASSESSOR_PATH")
    dirs: dict[str, dict[str, Any]] = {}
    for item in (path or "").split(":"):
        if item and item.startswith("/") and item not in dirs:
            dirs[item] = stat_entry(item)
    return {
        "shell": shell, "rc": proc["rc"], "stderr": proc["stderr"][-500:],
        "path": path, "umask": values.get("ASSESSOR_UMASK"), "dirs": dirs,
    }


def stat_entry(path: str) -> dict[str, Any]:
    try:
        st = os.stat(path)
    except OSError:
        return {"exists": False}
    return {
        "exists": True, "dir": stat.S_ISDIR(st.st_mode), "uid": st.st_uid,
        "owner": name_of(pwd.getpwuid, st.st_uid), "mode": "%04o" % (st.st_mode & 0o7777),
    }
