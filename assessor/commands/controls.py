"""`assessor controls list|show`: read the catalogue without touching any host."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

import yaml
from rich.console import Console
from rich.text import Text

from assessor.catalogue import Control, apply_tailoring, load_catalogue, load_tailoring
from assessor.commands.options import add_format
from assessor.errors import ConfigError
from assessor.reports.tabular import Column, Listing, default_format, emit


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
        add_format(sub)


def run(args: argparse.Namespace, console: Console) -> int:
    catalogue = load_catalogue(args.catalogue)
    if args.controls_command == "show":
        by_id = {c.id: c for c in catalogue.controls}
        if args.control_id not in by_id:
            raise ConfigError(f"no control {args.control_id!r} in the catalogue")
        control = fields(by_id[args.control_id])
        if (args.format or default_format(console)) == "table":
            console.print(Text(describe(control)), soft_wrap=True)
        else:
            emit(field_listing(control), console, args.format)
        return 0
    if args.tailoring:
        controls = apply_tailoring(catalogue, load_tailoring(args.tailoring))
    elif args.profile:
        controls = catalogue.profile(args.profile)
    else:
        controls = list(catalogue.controls)
    emit(control_listing(controls, catalogue.version), console, args.format)
    return 0


def control_listing(controls: list[Control], version: str) -> Listing:
    listing = Listing(f"{len(controls)} controls · catalogue {version}",
                      [Column("id", key=True), Column("severity"), Column("cis"),
                       Column("title", wide=True), Column("profiles", optional=True)])
    for control in controls:
        listing.add(control.id, control.severity.value,
                    str(control.refs.get("cis_debian12", "")), control.title,
                    ", ".join(control.profiles))
    return listing


def field_listing(control: dict[str, Any]) -> Listing:
    """`field value` rows (lists comma-joined, mappings as key=value); json: the control."""
    listing = Listing(str(control["id"]), [Column("field", key=True), Column("value", wide=True)],
                      data=control, schema="control.schema.json")
    for name, value in control.items():
        if isinstance(value, dict):
            value = " ".join(f"{k}={','.join(v) if isinstance(v, list) else v}"
                             for k, v in value.items())
        elif isinstance(value, list):
            value = ",".join(str(v) for v in value)
        listing.add(name, str(value))
    return listing


def describe(control: dict[str, Any]) -> str:
    """A control as the catalogue holds it, in the same YAML shape an author writes."""
    return yaml.safe_dump(control, sort_keys=False, width=90)


def fields(control: Control) -> dict[str, Any]:
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
    return {k: v for k, v in data.items() if v}
