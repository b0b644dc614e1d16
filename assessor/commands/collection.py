"""`assessor collection build`: the roles and playbooks as the `assessor.baseline` collection."""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path
from typing import Any

from rich.console import Console

from assessor.collection import build


def add_parser(commands: Any) -> None:
    parser = commands.add_parser(
        "collection", help="build the Ansible collection AWX and ansible-playbook run",
        description="Assemble roles/, playbooks/ and the modules into the assessor.baseline "
        "collection and build its tarball with ansible-galaxy (offline).",
    )
    actions = parser.add_subparsers(dest="action", required=True)
    build_parser = actions.add_parser("build", help="build the collection tarball")
    build_parser.add_argument("--out", type=Path, default=Path("dist"),
                              help="where the tarball goes (default dist/)")


def run(args: argparse.Namespace, console: Console) -> int:
    with tempfile.TemporaryDirectory(prefix="assessor-collection-") as work:
        tarball = build(args.out, Path(work))
    console.print(f"Collection: {tarball.resolve()}", markup=False, soft_wrap=True)
    console.print("  install: ansible-galaxy collection install TARBALL -p COLLECTIONS_DIR",
                  markup=False)
    return 0
