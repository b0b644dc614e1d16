"""`assessor controls list|show`: read the catalogue without touching any host."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

import yaml
from rich.console import Console
from rich.table import Table
from rich.text import Text

from assessor.catalogue import Control, apply_tailoring, load_catalogue, load_tailoring
from assessor.errors import ConfigError


def add_parser(commands: Any) -> None:
    parser = commands.add_parser("controls", help="list or show the catalogue's controls")
    actions = parser.add_subparsers(dest="controls_command", required=True, metavar="ACTION")
    listing = actions.add_parser("list", help="one line per control")
    listing.add_argument("--profile", help="only this profile's controls")
    listing.add_argument("--tailoring", type=Path, help="as adapted by this tailoring file")
    show = actions.add_parser("show", help="everything about one control")
    show.add_argument("control_id", metavar="ID")
    for sub in (listing, show):
        sub.add_argument("--catalogue", type=Path, help="catalogue file or directory")


def run(args: argparse.Namespace, console: Console) -> int:
    catalogue = load_catalogue(args.catalogue)
    if args.controls_command == "show":
        by_id = {c.id: c for c in catalogue.controls}
        if args.control_id not in by_id:
            raise ConfigError(f"no control {args.control_id!r} in the catalogue")
        console.print(Text(describe(by_id[args.control_id])), soft_wrap=True)
        return 0
    if args.tailoring:
        controls = apply_tailoring(catalogue, load_tailoring(args.tailoring))
    elif args.profile:
        controls = catalogue.profile(args.profile)
    else:
        controls = list(catalogue.controls)
    console.print(control_table(controls, catalogue.version))
    return 0


def control_table(controls: list[Control], version: str) -> Table:
    table = Table(title=f"{len(controls)} controls · catalogue {version}")
    table.add_column("id", no_wrap=True)
    for column in ("severity", "CIS", "title", "profiles"):
        table.add_column(column, overflow="fold")
    for control in controls:
        table.add_row(
            control.id, control.severity.value, str(control.refs.get("cis_debian12", "")),
            control.title, ", ".join(control.profiles),
        )
    return table


def describe(control: Control) -> str:
    """A control as the catalogue holds it, in the same YAML shape an author writes."""
    data: dict[str, Any] = {
        "id": control.id,
        "title": control.title,
        "severity": control.severity.value,
        "section": control.section,
        "description": control.description,
        "rationale": control.rationale,
        "refs": control.refs,
        "platforms": list(control.platforms),
        "check": control.check,
        "remediation": control.remediation_text(),
        "profiles": list(control.profiles),
    }
    return yaml.safe_dump({k: v for k, v in data.items() if v}, sort_keys=False, width=90)
