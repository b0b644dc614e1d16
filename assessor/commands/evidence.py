"""`assessor evidence`: collect a signed evidence bundle per host; `evidence verify DIR`.

Wiring only: artifacts (data) -> playbooks/evidence.yml (one module run per tier, in order
of volatility) -> per-host outcomes -> bundle (manifest + minisign signature). Exit 0 when
every bundle is complete, 3 when a host was (partly) unreachable, 1 when verify fails.
"""

from __future__ import annotations

import argparse
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from rich.console import Console

from assessor.errors import ConfigError
from assessor.evidence.artifacts import TIERS, by_tier, flagged_artifact, load_artifacts
from assessor.evidence.bundle import HostEvidence, write_bundle
from assessor.evidence.encrypt import check_recipient, encrypt_bundle
from assessor.evidence.hunt_input import flagged_paths
from assessor.evidence.signing import PUBLIC, default_key_dir
from assessor.evidence.verify import bundle_dirs, verify_bundle
from assessor.inventory import load_inventory
from assessor.reports.text import printable
from assessor.runner import HostOutcome, run_playbook
from assessor.tools import playbook

TIER_BUDGET = 64 * 1024 * 1024
TIER_DEADLINE = 600


def add_parser(commands: Any) -> None:
    parser = commands.add_parser(
        "evidence", help="collect a signed evidence bundle per host, or verify one",
        description="Collect evidence in order of volatility (read-only; the host keeps no "
        "file: one temporary directory is used and removed) into <out>/<case>/<host>/ with "
        "MANIFEST.sha256 and its minisign signature. `assessor evidence verify DIR` checks "
        "both; stock tools do too: `minisign -Vm MANIFEST.sha256 -p evidence.pub` and "
        "`sha256sum -c MANIFEST.sha256`.",
    )
    parser.add_argument("action", nargs="*", metavar="verify DIR",
                        help="`verify DIR`: check a host bundle or every bundle of a case")
    parser.add_argument("-i", "--inventory", type=Path, help="Ansible inventory")
    parser.add_argument("--limit", help="Ansible host pattern")
    parser.add_argument("--case", help="case id (letters, digits, . _ -)")
    parser.add_argument("--artifacts", default="triage",
                        help="triage (default), full, or an artifacts YAML file")
    parser.add_argument("--from-hunt", type=Path, metavar="RUN_DIR",
                        help="also copy the files this hunt run flagged")
    parser.add_argument("--out", type=Path, default=Path("evidence"), help="bundle root")
    parser.add_argument("--keys", type=Path, default=None,
                        help="key directory (default ~/.config/assessor/keys)")
    parser.add_argument("--pubkey", type=Path, default=None,
                        help="public key for verify (default <keys>/evidence.pub)")
    parser.add_argument("--forks", type=int, default=10, help="hosts in parallel")
    parser.add_argument("--encrypt-to", action="append", default=[], metavar="AGE_PUBKEY",
                        help="also write <host>.tar.age, the bundle encrypted to this age "
                        "recipient (repeatable; decrypt with `age -d -i KEY`)")


def now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def run(args: argparse.Namespace, console: Console) -> int:
    key_dir = args.keys or default_key_dir()
    if args.action:
        if len(args.action) != 2 or args.action[0] != "verify":
            raise ConfigError("usage: assessor evidence verify DIR")
        return verify(Path(args.action[1]), args.pubkey or key_dir / PUBLIC, console)
    if not args.inventory or not args.case:
        raise ConfigError("assessor evidence needs -i INVENTORY and --case ID")
    for recipient in args.encrypt_to:
        check_recipient(recipient)  # refused before anything is collected
    return collect(args, key_dir, console)


def verify(path: Path, public_key: Path, console: Console) -> int:
    bundles = bundle_dirs(path)
    if not bundles:
        raise ConfigError(f"{path}: no MANIFEST.sha256 here or in its host directories")
    bad = 0
    for root in bundles:
        problems = verify_bundle(root, public_key)
        bad += bool(problems)
        verdict = "BROKEN" if problems else "verified (signature and every SHA-256)"
        console.print(printable(f"{root}: {verdict}"), markup=False)
        for problem in problems:
            console.print(printable(f"  {problem}"), markup=False)
    return 1 if bad else 0


def collect(args: argparse.Namespace, key_dir: Path, console: Console) -> int:
    artifacts = load_artifacts(args.artifacts)
    hosts = load_inventory(args.inventory, args.limit)
    flagged = flagged_paths(args.from_hunt) if args.from_hunt else {}
    gathered = {h.name: HostEvidence(h.name, h.address) for h in hosts}
    started = now()
    tiers = by_tier(artifacts)

    def planned_tiers(host: str) -> list[str]:
        """The tiers this host's run has artifacts for: only those can go missing."""
        return [t for t in TIERS if tiers[t] or (t == "files" and flagged.get(host))]

    def on_host(name: str, outcome: HostOutcome) -> None:
        host = gathered.get(name)
        if host is None:
            return
        tier = outcome.result.get("evidence")
        if outcome.ok and isinstance(tier, dict) and tier.get("tier") in TIERS:
            host.tiers[str(tier["tier"])] = tier
            return
        if not outcome.ok:
            kind = "unreachable" if outcome.unreachable else "failed"
            for name_ in planned_tiers(name):
                if name_ not in host.tiers and name_ not in host.errors:
                    host.errors[name_] = f"{kind}: {outcome.message}"

    extravars = {
        "evidence_tiers": tiers,
        "evidence_flagged": {h: [flagged_artifact(p).module_args()]
                                      for h, p in flagged.items() if p},
        "evidence_budget": TIER_BUDGET,
        "evidence_deadline": TIER_DEADLINE,
    }
    # Ansible's own artifacts hold every blob again; they are not evidence, so not kept.
    with tempfile.TemporaryDirectory(prefix="assessor-evidence-run-") as work:
        run_playbook(playbook("evidence.yml"), args.inventory, Path(work), extravars=extravars,
                     limit=",".join(gathered), forks=args.forks, on_host=on_host)
    code = 0
    for host in hosts:
        evidence = gathered[host.name]
        if not evidence.tiers and not evidence.errors:
            evidence.errors = {t: "no result from Ansible" for t in planned_tiers(host.name)}
        planned = [a.id for a in artifacts] + (["flagged"] if flagged.get(host.name) else [])
        root = write_bundle(args.out, args.case, evidence, started=started, finished=now(),
                            artifact_set=args.artifacts, key_dir=key_dir, planned=planned)
        state = "complete" if not evidence.errors else "INCOMPLETE: " + "; ".join(
            f"{t}: {why}" for t, why in evidence.errors.items())
        console.print(printable(f"{host.name}: {root} ({state})"), markup=False)
        if args.encrypt_to:
            sealed = encrypt_bundle(root, args.encrypt_to)
            console.print(printable(f"{host.name}: encrypted to {len(args.encrypt_to)} "
                                    f"recipient(s): {sealed}"), markup=False)
        code = max(code, 3 if evidence.errors else 0)
    return code
