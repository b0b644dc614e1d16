# PYTHON_ARGCOMPLETE_OK  (argcomplete: this entry point answers shell completion)
"""The `assessor` command line: parse arguments, call one command, map errors to exit codes.

Each command lives in `assessor/commands/<name>.py` with `add_parser()` and `run()`, which
turn arguments into the options dataclass of its `assessor/pipeline/<name>.py` and print
the result; adding a command is those two modules (plus its playbook, role, judge and a
reporter registry entry) and one entry in COMMANDS. Commands never import each other.

Exit codes, one rule for every command (assessor.errors.outcome_code; README "Exit codes"):
0 nothing to act on; 1 a reached host has something to act on; 2 usage or configuration
error; 3 some host could not be reached or processed (wins over 1). Settings come from
assessor.toml (assessor.config) under the command line; completion from argcomplete.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from types import ModuleType

from rich.console import Console

from assessor import __version__, completion, config
from assessor.errors import AssessorError

# command -> its module in assessor.commands. A run imports only its own command's module
# (importing all twenty, and so every pipeline and reporter, costs a second of CPU per run);
# help, completion and a settings file (checked against every command) get them all.
COMMANDS = {
    "assess": "assess",
    "controls": "controls",
    "lab": "lab",
    "exposure": "exposure",
    "patch": "patch",
    "report": "report",
    "diff": "diff",
    "harden": "harden",
    "rollback": "rollback",
    "intel": "intel",
    "watch": "watch",
    "hunt": "hunt",
    "quarantine": "quarantine",
    "evidence": "evidence",
    "keys": "keys",
    "collection": "collection",
    "doctor": "doctor",
    "config": "settings",
    "incident": "incident",
    "restore": "restore",
}


def command_module(name: str) -> ModuleType:
    return importlib.import_module(f"assessor.commands.{COMMANDS[name]}")


def build_parser(only: str | None = None) -> argparse.ArgumentParser:
    """The whole command line, or with `only` just that command's part of it."""
    parser = argparse.ArgumentParser(
        prog="assessor",
        description="Assess and harden Linux hosts over SSH with Ansible.",
        epilog="Exit codes: 0 nothing to act on, 1 something to act on (a failed control, "
        "an exposure, a match, a regression), 2 usage/config error, 3 some host not "
        "reached or processed (wins over 1).",
    )
    parser.add_argument("--version", action="version", version=f"assessor {__version__}")
    parser.add_argument("--config", dest="config_file", type=Path, metavar="FILE",
                        help=f"settings file (default ./{config.FILE_NAME}, then "
                        f"$XDG_CONFIG_HOME/assessor/{config.FILE_NAME}; ${config.ENV})")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name in [only] if only else COMMANDS:
        command_module(name).add_parser(commands)
    return parser


def command_word(argv: list[str]) -> str | None:
    """The command named before any other word (the top-level --config's value skipped);
    None for --help, --version or a word that is no command (the full parser says so)."""
    skip = False
    for arg in argv:
        if skip:
            skip = False
        elif arg == "--config":
            skip = True
        elif not arg.startswith("-"):
            return arg if arg in COMMANDS else None
        elif not arg.startswith("--config="):
            return None
    return None


def settings_file(argv: list[str]) -> Path | None:
    """The top-level --config, looked for before the command (watch has its own --config)."""
    for index, arg in enumerate(argv):
        if arg == "--config" and index + 1 < len(argv):
            return Path(argv[index + 1])
        if arg.startswith("--config="):
            return Path(arg.partition("=")[2])
        if not arg.startswith("-"):
            break
    return None


def parse_arguments(words: list[str]) -> argparse.Namespace:
    """The command line over the settings file's values (flags win), as the command sees it."""
    found = config.find(settings_file(words))
    lean = found is None and "_ARGCOMPLETE" not in os.environ
    parser = build_parser(command_word(words) if lean else None)
    effective = config.apply(parser, config.load(found))
    completion.autocomplete(parser)
    args = parser.parse_args(words)
    config.flags_win(args, parser, words)
    args.effective_settings = effective
    return args


def main(argv: Sequence[str] | None = None) -> int:
    words = list(sys.argv[1:] if argv is None else argv)
    console = Console(highlight=False)
    try:
        args = parse_arguments(words)
        return int(command_module(args.command).run(args, console))
    except AssessorError as exc:
        # one error, one line: never wrapped, so scripts and tests can grep it whole
        Console(stderr=True, highlight=False, soft_wrap=True).print(
            f"assessor: {exc.message}", markup=False)
        return exc.exit_code
    except KeyboardInterrupt:
        Console(stderr=True).print("assessor: interrupted")
        return 130


if __name__ == "__main__":
    sys.exit(main())
