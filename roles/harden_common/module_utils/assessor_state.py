"""What is at a path now, the run's backup manifest, and replacing a file: shared by the
harden modules.

Stdlib only: it runs on the target's python3.
"""

from __future__ import annotations

import glob
import grp
import json
import os
import pwd
import shutil
import stat
import subprocess
import tempfile
import time

from ansible.module_utils.assessor_filehash import file_digests
from ansible.module_utils.assessor_names import name_of

MANIFEST = "manifest.json"


def read_text(path: str) -> str:
    """A file's whole text, closed at once (a module may read the same file again)."""
    with open(path) as handle:
        return handle.read()


def state_of(path):
    """What is at `path` now, without following a final symlink."""
    try:
        info = os.lstat(path)
    except (FileNotFoundError, NotADirectoryError):
        return {"existed": False, "type": "absent"}
    entry = {
        "existed": True,
        "mode": "%04o" % stat.S_IMODE(info.st_mode),
        "uid": info.st_uid,
        "gid": info.st_gid,
        "owner": name_of(pwd.getpwuid, info.st_uid),
        "group": name_of(grp.getgrgid, info.st_gid),
    }
    if stat.S_ISLNK(info.st_mode):
        entry.update(type="link", link=os.readlink(path))
    elif stat.S_ISDIR(info.st_mode):
        entry.update(type="dir")
    elif stat.S_ISREG(info.st_mode):
        entry.update(type="file", sha256=file_digests(path)[0], size=info.st_size)
    else:
        entry.update(type="other")
    return entry


def load(directory, run_id):
    path = os.path.join(directory, MANIFEST)
    if os.path.exists(path):
        with open(path) as handle:
            return json.load(handle)
    return {
        "run_id": run_id, "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "dir": directory, "entries": [], "packages": [], "sysctl": [], "units": [],
    }


def save(directory, manifest):
    os.makedirs(directory, mode=0o700, exist_ok=True)
    os.chmod(directory, 0o700)
    tmp = os.path.join(directory, MANIFEST + ".tmp")
    with open(tmp, "w") as handle:
        json.dump(manifest, handle, indent=1, sort_keys=True)
    os.replace(tmp, os.path.join(directory, MANIFEST))


def expand(patterns):
    """Globs expand to what exists now; a plain path stays even if absent (it may be made)."""
    out = []
    for pattern in patterns:
        found = sorted(glob.glob(pattern)) if glob.has_magic(pattern) else [pattern]
        out.extend(p for p in found if p not in out)
    return out


def record_path(directory, manifest, path, control, reload):
    known = {e["path"]: e for e in manifest["entries"]}
    if path in known:
        entry = known[path]
        if control and control not in entry["controls"]:
            entry["controls"].append(control)
        if reload and reload not in entry["reloads"]:
            entry["reloads"].append(reload)
        return False
    entry = {"path": path, "controls": [control] if control else [],
             "reloads": [reload] if reload else []}
    entry.update(state_of(path))
    if entry["type"] == "file":
        copy = os.path.join("files", path.lstrip("/"))
        target = os.path.join(directory, copy)
        os.makedirs(os.path.dirname(target), mode=0o700, exist_ok=True)
        shutil.copy2(path, target)
        entry["backup"] = copy
    manifest["entries"].append(entry)
    return True


def backup_paths(directory, run_id, paths, controls, reload=""):
    """Record `paths` (globs allowed) in the run's manifest before they change."""
    manifest = load(directory, run_id)
    recorded = []
    for path in expand(paths):
        for control in controls or [""]:
            if record_path(directory, manifest, path, control, reload):
                recorded.append(path)
    save(directory, manifest)
    return manifest, recorded


def replace_file(path, text, mode=0o644, uid=0, gid=0, check=None):
    """Write `text` beside `path` and rename it over: a reader sees the old file or the new.

    An existing file keeps its mode and owner; a new one gets `mode`, `uid` and `gid`.
    `check(tmp)` may inspect the new file first and return why it must not be used; then
    nothing is replaced and that reason is returned (None when the file was replaced).
    """
    fd, tmp = tempfile.mkstemp(prefix=".assessor-", dir=os.path.dirname(path) or ".")
    try:
        with os.fdopen(fd, "w") as handle:
            handle.write(text)
        if os.path.exists(path):
            info = os.stat(path)
            mode, uid, gid = info.st_mode & 0o7777, info.st_uid, info.st_gid
        os.chown(tmp, uid, gid)
        os.chmod(tmp, mode)
        problem = check(tmp) if check else None
        if problem is None:
            os.replace(tmp, path)
        return problem
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def _systemctl_word(verb, unit):
    proc = subprocess.run(["systemctl", verb, unit], capture_output=True, text=True,
                          check=False)
    return (proc.stdout.strip() or "unknown").splitlines()[0]


def unit_enablement(unit):
    """enabled, disabled, masked...: what a backup records of a unit and rollback restores."""
    return _systemctl_word("is-enabled", unit)


def unit_activity(unit):
    """active, inactive, failed...: rollback stops a unit the run started."""
    return _systemctl_word("is-active", unit)
