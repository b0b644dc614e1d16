"""`assessor patch`: upgrade exactly what the advisories need, in waves, and prove the fix.

The steps are in `assessor.pipeline.patching`; this module only wires the options.
"""

from __future__ import annotations

import argparse
from typing import Any

from rich.console import Console

from assessor.advisories.patchrun import REBOOT_CHOICES
from assessor.commands.options import (
    add_advisory_options,
    add_format,
    add_waves,
    print_report_path,
)
from assessor.pipeline.packages import exit_code
from assessor.pipeline.patching import PatchOptions, patch
from assessor.reports.tabular import emit, note, status_console
from assessor.reports.terminal import exposure_listing


def add_parser(commands: Any) -> None:
    parser = commands.add_parser(
        "patch", help="upgrade hosts to the advisories' fixed versions, in waves",
        description="Upgrade only the packages the advisories need (exact versions, "
        "only_upgrade), with pre- and post-checks, then re-check exposure. "
        "Exit 1 when any host is still exposed.",
    )
    add_advisory_options(parser)
    add_format(parser)
    parser.add_argument("--check", action="store_true",
                        help="dry run: Ansible check mode with diffs, nothing changes")
    add_waves(parser)
    parser.add_argument("--reboot", choices=REBOOT_CHOICES, default="never",
                        help="reboot after patching: never (report only), if-required "
                        "(/var/run/reboot-required), always")
    parser.add_argument("--all-security", action="store_true",
                        help="also take every upgrade from the security suite")
    parser.add_argument("--min-free-mb", type=int, default=200,
                        help="pre-check: free MiB needed in /var/cache/apt/archives and /")


def run(args: argparse.Namespace, console: Console) -> int:
    options = PatchOptions(
        inventory=args.inventory, advisories=args.advisories, out=args.out, limit=args.limit,
        forks=args.forks, check=args.check, serial=args.serial,
        max_fail_percentage=args.max_fail_percentage, reboot=args.reboot,
        all_security=args.all_security, min_free_mb=args.min_free_mb,
    )
    # unlike exposure, patch changes hosts: say up front what it may install besides the plan
    note(console, args.format, ("would upgrade" if args.check else "upgrades") + " the planned "
         "packages with Ansible's apt module, which also installs python3-apt on a host that "
         "lacks it; plans per host: hosts/<host>/evidence/apt-plan.txt")
    result = patch(options, status_console(console))
    emit(exposure_listing(result), console, args.format)
    print_report_path(console, options.out / result.run_id, "results.json, junit.xml, "
                      "hosts/<host>/junit.xml, hosts/<host>/evidence/", args.format)
    return exit_code(result)
