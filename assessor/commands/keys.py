"""`assessor keys init`: the minisign key pair evidence bundles are signed with."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from rich.console import Console

from assessor.evidence.signing import default_key_dir, init_keys


def add_parser(commands: Any) -> None:
    parser = commands.add_parser(
        "keys", help="make the minisign key pair that signs evidence bundles",
        description="Write evidence.key (mode 0600, unencrypted like `minisign -G -W`) and "
        "evidence.pub. Give evidence.pub to whoever verifies bundles (`minisign -V`).",
    )
    parser.add_argument("action", choices=["init"])
    parser.add_argument("--dir", type=Path, default=None,
                        help="key directory (default ~/.config/assessor/keys)")
    parser.add_argument("--force", action="store_true", help="replace an existing key pair")


def run(args: argparse.Namespace, console: Console) -> int:
    secret, public = init_keys(args.dir or default_key_dir(), force=args.force)
    console.print(f"secret key {secret} (mode 0600)\npublic key {public}", markup=False)
    return 0
