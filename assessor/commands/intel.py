"""`assessor intel show|pull`: read a CERT's indicators on the controller, no host contacted.

`show` prints what was understood (counts by type and source; what was expired, revoked,
allowlisted or unsupported, and why) so a responder can trust the hunt's input; `pull`
fetches a TAXII 2.1 collection into a bundle file that `show` (and the hunt) read.
"""

from __future__ import annotations

import argparse
import os
from datetime import datetime
from pathlib import Path
from typing import Any

from rich.console import Console

from assessor.commands.options import add_format
from assessor.errors import ConfigError
from assessor.intel import load_intel, load_warninglists, summarise
from assessor.intel.normalise import parse_timestamp
from assessor.intel.taxii import MAX_PAGES, TIMEOUT, Credentials, pull, write_bundle
from assessor.reports.tabular import Column, Listing, emit, note

PASSWORD_ENV = "ASSESSOR_TAXII_PASSWORD"
TOKEN_ENV = "ASSESSOR_TAXII_TOKEN"


def add_parser(commands: Any) -> None:
    parser = commands.add_parser("intel", help="read indicators (STIX, TAXII, MISP, CSV)")
    actions = parser.add_subparsers(dest="intel_command", required=True, metavar="ACTION")
    show = actions.add_parser("show", help="what the indicator sources say, counted")
    show.add_argument("paths", nargs="+", type=Path, metavar="PATH",
                      help="STIX bundle, MISP event or feed directory, CSV or plain list")
    show.add_argument("--allowlist", action="append", type=Path, default=[], metavar="FILE",
                      help="MISP warninglist JSON of known-benign values (repeatable)")
    show.add_argument("--min-confidence", type=confidence, metavar="N",
                      help="drop STIX indicators whose confidence is below N (0-100)")
    show.add_argument("--at", type=timestamp, metavar="TIME",
                      help="judge validity at this RFC 3339 time (default: now)")
    add_format(show)
    get = actions.add_parser("pull", help="fetch a TAXII 2.1 collection into a bundle file")
    get.add_argument("--taxii", required=True, metavar="URL", help="the TAXII API root URL")
    get.add_argument("--collection", required=True, metavar="ID")
    get.add_argument("--added-after", type=timestamp_text, metavar="TIME",
                     help="only objects the server added after this RFC 3339 time")
    get.add_argument("--out", type=Path, default=Path("taxii-bundle.json"), metavar="FILE")
    get.add_argument("--user", help=f"HTTP basic user; the password from --password or "
                     f"${PASSWORD_ENV}; or a token from ${TOKEN_ENV}")
    get.add_argument("--password", help=f"prefer ${PASSWORD_ENV}: argv is visible to others")
    get.add_argument("--page-size", type=positive, metavar="N", help="objects asked per page")
    get.add_argument("--max-pages", type=positive, default=MAX_PAGES, metavar="N")
    get.add_argument("--timeout", type=float, default=TIMEOUT, metavar="SECONDS",
                     help="for the whole pull")


def run(args: argparse.Namespace, console: Console) -> int:
    if args.intel_command == "pull":
        return run_pull(args, console)
    intake = load_intel(args.paths, now=args.at, min_confidence=args.min_confidence,
                        allowlists=load_warninglists(args.allowlist))
    summary = summarise(intake)
    note(console, args.format, f"{summary['indicators']} indicators from "
         f"{len(summary['sources'])} sources")
    emit(summary_listing(summary), console, args.format)
    return 0


def run_pull(args: argparse.Namespace, console: Console) -> int:
    password = args.password or os.environ.get(PASSWORD_ENV)
    if args.user and not password:
        raise ConfigError(f"--user {args.user} needs a password: ${PASSWORD_ENV} or --password")
    credentials = Credentials(args.user, password, os.environ.get(TOKEN_ENV))
    result = pull(args.taxii, args.collection, credentials, added_after=args.added_after,
                  page_size=args.page_size, max_pages=args.max_pages, timeout=args.timeout)
    write_bundle(result.objects, args.out,
                 source=f"taxii collection {args.collection} at {args.taxii}")
    indicators = sum(1 for o in result.objects if o.get("type") == "indicator")
    console.print(f"{len(result.objects)} objects ({indicators} indicators) in "
                  f"{result.pages} pages -> {args.out.resolve()}", markup=False)
    if result.added_last:
        console.print(f"next time: --added-after {result.added_last}", markup=False)
    return 0


def summary_listing(summary: dict[str, Any]) -> Listing:
    """One row per count (by type, by source, not used) and per unsupported object."""
    listing = Listing("indicators", [Column("group"), Column("name", key=True),
                                     Column("count", right=True), Column("detail", wide=True)],
                      data=summary, schema="intel-summary.schema.json")
    for group, counts in (("by type", summary["by_type"]), ("by source", summary["by_source"]),
                          ("not used", summary["skipped"])):
        for name, count in counts.items():
            listing.add(group, name, str(count), "")
    for item in summary["unsupported"]:
        listing.add("unsupported", item["id"], "", f"{item['reason']}: {item['value']}")
    return listing


def timestamp(text: str) -> datetime:
    try:
        return parse_timestamp(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"not an RFC 3339 time: {text!r}") from exc


def timestamp_text(text: str) -> str:
    timestamp(text)
    return text


def confidence(text: str) -> int:
    value = int(text) if text.isdigit() else -1
    if not 0 <= value <= 100:
        raise argparse.ArgumentTypeError(f"confidence is 0-100, got {text!r}")
    return value


def positive(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"must be a positive whole number, got {text!r}")
    return int(text)



