"""`assessor config show [COMMAND]`: the settings every command will run with, and whence.

The module is `settings` (not `config`, which is assessor.config, the file's reader).
"""

from __future__ import annotations

import argparse
from typing import Any

from rich.console import Console

from assessor.commands.options import add_format
from assessor.config import Effective
from assessor.errors import ConfigError
from assessor.reports.tabular import Column, Listing, emit, note


def add_parser(commands: Any) -> None:
    parser = commands.add_parser(
        "config", help="show the effective settings (assessor.toml, defaults) and their source")
    actions = parser.add_subparsers(dest="config_command", required=True, metavar="ACTION")
    show = actions.add_parser("show", help="each option's value and where it came from")
    show.add_argument("for_command", nargs="?", metavar="COMMAND",
                      help="only this command (`assess`, `lab up`...); default: every option "
                      "the file sets")
    add_format(show)


def run(args: argparse.Namespace, console: Console) -> int:
    effective: list[Effective] = args.effective_settings
    wanted = args.for_command
    if wanted:
        rows = [e for e in effective if e.command == wanted or e.command.split()[0] == wanted]
        if not rows:
            known = sorted({e.command for e in effective})
            raise ConfigError(f"no command {wanted!r} (commands: {', '.join(known)})")
    else:
        rows = [e for e in effective if e.source != "default"]
    listing = Listing("settings", [Column("command", key=True), Column("option", key=True),
                                   Column("value", wide=True), Column("source", key=True)])
    for row in rows:
        listing.add(row.command, row.option, row.value, row.source)
    emit(listing, console, args.format)
    sources = sorted({r.source.split(":")[0] for r in effective if r.source != "default"})
    note(console, args.format, ("settings from " + ", ".join(sources)) if sources else
         "no settings file (./assessor.toml, $XDG_CONFIG_HOME/assessor/assessor.toml): "
         "defaults")
    note(console, args.format, "flags given on a command line win over these")
    return 0
