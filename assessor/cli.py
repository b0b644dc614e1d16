"""The `assessor` command line: parse arguments, call one command, map errors to exit codes.

Each command lives in `assessor/commands/<name>.py` with `add_parser()` and `run()`, which
turn arguments into the options dataclass of its `assessor/pipeline/<name>.py` and print
the result; adding a command is those two modules (plus its playbook, role, judge and a
reporter registry entry) and one entry in COMMANDS. Commands never import each other.

Exit codes: 0 nothing failed; 1 a control failed at or above --fail-on; 2 usage or
configuration error; 3 some host could not be assessed.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from rich.console import Console

from assessor import __version__
from assessor.commands import (
    assess,
    controls,
    diff,
    evidence,
    exposure,
    harden,
    hunt,
    incident,
    intel,
    keys,
    lab,
    patch,
    report,
    restore,
    rollback,
    watch,
)
from assessor.errors import AssessorError

COMMANDS = {
    "assess": assess,
    "controls": controls,
    "lab": lab,
    "exposure": exposure,
    "patch": patch,
    "report": report,
    "diff": diff,
    "harden": harden,
    "rollback": rollback,
    "intel": intel,
    "watch": watch,
    "hunt": hunt,
    "evidence": evidence,
    "keys": keys,
    "incident": incident,
    "restore": restore,
}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="assessor",
        description="Assess and harden Linux hosts over SSH with Ansible.",
        epilog="Exit codes: 0 ok, 1 controls failed, 2 usage/config error, "
        "3 some host not assessed.",
    )
    parser.add_argument("--version", action="version", version=f"assessor {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for module in COMMANDS.values():
        module.add_parser(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    console = Console(highlight=False)
    try:
        return int(COMMANDS[args.command].run(args, console))
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
