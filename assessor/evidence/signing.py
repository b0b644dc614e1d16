"""Minisign keys and detached signatures (py-minisign), verifiable by Debian's `minisign -V`.

The secret key is written unencrypted (like `minisign -G -W`) with mode 0600 from its
creation, never through an existing file or a symlink; protect the key directory.
"""

from __future__ import annotations

import os
from pathlib import Path

import minisign

from assessor.errors import ConfigError

SECRET = "evidence.key"
PUBLIC = "evidence.pub"


def default_key_dir() -> Path:
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "assessor" / "keys"


def _create(path: Path, data: bytes, mode: int) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, mode)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
    os.chmod(path, mode)


def init_keys(key_dir: Path, *, force: bool = False) -> tuple[Path, Path]:
    """A new key pair in `key_dir`; refuses to replace one unless `force`."""
    key_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    secret, public = key_dir / SECRET, key_dir / PUBLIC
    if (secret.exists() or public.exists()) and not force:
        raise ConfigError(f"{secret}: a key already exists (use --force to replace it)")
    for path in (secret, public):
        if path.is_symlink():
            raise ConfigError(f"{path}: is a symlink; refusing to write through it")
        path.unlink(missing_ok=True)
    pair = minisign.KeyPair.generate()
    _create(secret, bytes(pair.secret_key) + b"\n", 0o600)
    _create(public, bytes(pair.public_key) + b"\n", 0o644)
    return secret, public


def sign_file(path: Path, key_dir: Path, trusted_comment: str) -> Path:
    """Write `<path>.minisig`, prehashed (minisign's default since 0.8)."""
    secret = key_dir / SECRET
    try:
        key = minisign.SecretKey.from_file(secret)
    except FileNotFoundError as exc:
        raise ConfigError(f"{secret}: no signing key (run `assessor keys init`)") from exc
    except (minisign.Error, ValueError) as exc:
        raise ConfigError(f"{secret}: not a minisign secret key: {exc}") from exc
    if key.is_encrypted():
        password = os.environ.get("ASSESSOR_KEY_PASSWORD")
        if not password:
            raise ConfigError(f"{secret}: encrypted; set ASSESSOR_KEY_PASSWORD")
        key.decrypt(password)
    comment = " ".join(trusted_comment.split())[:200]
    with path.open("rb") as handle:
        signature = key.sign(handle, prehash=True, trusted_comment=comment)
    out = path.with_name(path.name + ".minisig")
    out.write_bytes(bytes(signature) + b"\n")
    return out


def verify_file(path: Path, public_key: Path) -> str:
    """'' when `path.minisig` is a good signature by `public_key`, else why not."""
    sig_path = path.with_name(path.name + ".minisig")
    try:
        key = minisign.PublicKey.from_file(public_key)
    except (OSError, minisign.Error, ValueError) as exc:
        return f"{public_key}: cannot read public key: {exc}"
    try:
        signature = minisign.Signature.from_file(sig_path)
        with path.open("rb") as handle:
            key.verify(handle, signature)
    except FileNotFoundError as exc:
        return f"{exc.filename}: missing"
    except (minisign.Error, ValueError) as exc:
        return f"{sig_path}: signature does not verify: {exc}"
    return ""
