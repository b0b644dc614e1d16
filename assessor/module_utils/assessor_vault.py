"""The quarantine vault: a root-only directory per run, each item a verified copy (mode 000)
beside a JSON sidecar of what it was; nothing opened through a symlink. Shared by the
quarantine module's whole-file moves and its other removals (assessor_removals)."""

from __future__ import annotations

import base64
import contextlib
import hashlib
import json
import os
import re
import stat
from typing import Any

from ansible.module_utils.assessor_filehash import file_digests

ITEM_ID = re.compile(r"^[A-Za-z0-9._-]{1,80}$")
CHUNK = 1 << 20


def sha256_fd(fd: int) -> str:
    digest = hashlib.sha256()
    os.lseek(fd, 0, os.SEEK_SET)
    while True:
        block = os.read(fd, CHUNK)
        if not block:
            return digest.hexdigest()
        digest.update(block)


def sha256_path(path: str) -> str:
    return str(file_digests(path)[0])


def xattrs_of(path: str) -> dict[str, str]:
    found: dict[str, str] = {}
    try:
        names = os.listxattr(path, follow_symlinks=False)
    except OSError:
        return found
    for name in names:
        try:
            found[name] = base64.b64encode(os.getxattr(path, name, follow_symlinks=False)).decode()
        except OSError:
            continue
    return found


def safe_dir(path: str) -> bool:
    """A path whose parent directories are real directories, not symlinks."""
    parent = os.path.dirname(path)
    return os.path.isabs(path) and os.path.normpath(path) == path and \
        os.path.realpath(parent) == parent


def vault_dir(vault: str, run_id: str) -> str:
    for directory in (os.path.dirname(vault), vault, os.path.join(vault, run_id)):
        with contextlib.suppress(FileExistsError):
            os.mkdir(directory, 0o700)
        info = os.lstat(directory)
        if not stat.S_ISDIR(info.st_mode) or info.st_uid != 0:
            raise OSError("vault directory %s is not a root-owned directory" % directory)
    os.chmod(vault, 0o700)
    os.chmod(os.path.join(vault, run_id), 0o700)
    return os.path.join(vault, run_id)


def write_json(path: str, data: Any, mode: int = 0o400) -> None:
    tmp = path + ".tmp"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        json.dump(data, handle, indent=1, sort_keys=True)
        handle.flush()
        os.fsync(handle.fileno())
    os.chmod(tmp, mode)
    os.replace(tmp, path)


def copy_fd(source: int, target: int) -> None:
    os.lseek(source, 0, os.SEEK_SET)
    while True:
        block = os.read(source, CHUNK)
        if not block:
            break
        view = memoryview(block)
        while view:
            view = view[os.write(target, view):]
    os.fsync(target)


def move_into(path: str, info: os.stat_result, item_path: str) -> str:
    """Rename when the vault shares the filesystem; else copy, verify, then unlink."""
    if os.lstat(os.path.dirname(item_path)).st_dev == info.st_dev:
        os.rename(path, item_path)
        return "rename"
    src = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
    tmp = item_path + ".part"
    try:
        dst = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o000)
        try:
            copy_fd(src, dst)
        finally:
            os.close(dst)
        if sha256_path(tmp) != sha256_fd(src):
            raise OSError("the vault copy of %s does not hash like the original" % path)
        now = os.lstat(path)
        if (now.st_dev, now.st_ino) != (info.st_dev, info.st_ino):
            raise OSError("%s was replaced while it was being quarantined" % path)
        os.rename(tmp, item_path)
        os.unlink(path)
    finally:
        os.close(src)
        if os.path.lexists(tmp):
            os.unlink(tmp)
    return "copy, verified, original unlinked"


def keep_copy(fd: int, item_path: str, sidecar: dict[str, Any]) -> str:
    """A verified copy of an open file into the vault (mode 000) beside its sidecar."""
    tmp = item_path + ".part"
    dst = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o000)
    try:
        copy_fd(fd, dst)
    finally:
        os.close(dst)
    digest = sha256_path(tmp)
    if digest != sha256_fd(fd):
        os.unlink(tmp)
        raise OSError("the vault copy does not hash like the original")
    os.rename(tmp, item_path)
    sidecar["vault_sha256"] = digest
    write_json(item_path + ".json", sidecar)
    return digest
