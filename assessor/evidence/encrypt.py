"""Encrypt a bundle for its recipient with Debian's `age`: `<bundle>.tar.age` beside it.

The archive is a tar of the whole host bundle (files, collection.json, MANIFEST.sha256 and
its signature), streamed into `age -r RECIPIENT`; the recipient decrypts it with stock
`age -d -i KEY` and verifies the bundle inside as usual. The clear bundle is kept: the
responder decides whether to remove it once the archive is handed over.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tarfile
import tempfile
from pathlib import Path

from assessor.errors import ConfigError

RECIPIENT = re.compile(r"^age1[02-9ac-hj-np-z]{58}$")  # an X25519 recipient, bech32
TIMEOUT = 600


def check_recipient(recipient: str) -> str:
    if not RECIPIENT.match(recipient):
        raise ConfigError(f"{recipient!r}: not an age public key (age1 followed by 58 "
                          "bech32 characters, as age-keygen prints)")
    return recipient


def encrypt_bundle(root: Path, recipients: list[str]) -> Path:
    """Write `<root>.tar.age` atomically (a temporary name, then renamed)."""
    age = shutil.which("age")
    if age is None:
        raise ConfigError("age is not installed (`make deps` installs Debian's age)")
    out = root.with_name(root.name + ".tar.age")
    temp = out.with_name(f".{out.name}.{os.getpid()}.tmp")
    argv = [age, "-o", str(temp)] + [a for r in recipients for a in ("-r", check_recipient(r))]
    with tempfile.TemporaryFile() as errors:
        proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stderr=errors)
        try:
            assert proc.stdin is not None
            with proc.stdin, tarfile.open(fileobj=proc.stdin, mode="w|") as archive:
                for path in sorted(root.rglob("*")):
                    if path.is_symlink() or not (path.is_file() or path.is_dir()):
                        continue
                    archive.add(path, arcname=f"{root.name}/{path.relative_to(root)}",
                                recursive=False)
            proc.wait(timeout=TIMEOUT)
        except BaseException:
            proc.kill()
            proc.wait(timeout=30)
            temp.unlink(missing_ok=True)
            raise
        errors.seek(0)
        why = errors.read(2000).decode(errors="replace")
    if proc.returncode != 0:
        temp.unlink(missing_ok=True)
        raise ConfigError(f"age failed ({proc.returncode}): {why}")
    os.replace(temp, out)
    return out
