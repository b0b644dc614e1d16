"""What every release's lab must show, shared by the release modules.

bookworm runs the whole lab suite; trixie (test_lab_trixie.py) and bullseye
(test_lab_releases.py) each boot a hardened and an insecure host and check the core with
these helpers: the hosts boot the release, every automated control of server-l2 passes on
the hardened host and fails on the insecure one (or gives the verdict this machine's
kernel decides), and OpenSCAP with the release's own SSG data stream, scanning every host
while assessor assesses it, agrees as that release's disagreements table says.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import oscaprun
from labrun import Run, assess, lab_exempt, machine_decided, read_exempt, ssh_ops

from assessor.catalogue import load_catalogue
from assessor.lab import fleet, scanner

CONTROLS = [c.id for c in load_catalogue().profile("server-l2") if c.kind != "manual"]
PYTHON = {"trixie": "3.13", "bullseye": "3.9"}
CONTENT = {"trixie": 13, "bullseye": 11}  # release -> the SSG data stream that judges it


def release_exempt(release: str) -> dict[str, str]:
    path = Path(__file__).parent / f"release_exempt_{release}.txt"
    return lab_exempt() | (read_exempt(path) if path.exists() else {})


def exemptions_unexplained(release: str) -> tuple[dict[str, str], list[str]]:
    """(the release's own exemptions beyond lab_exempt_*.txt, those of them without a
    reason or naming no automated server-l2 control)."""
    exempt = release_exempt(release)
    extra = {c: exempt[c] for c in set(exempt) - set(lab_exempt())}
    return extra, sorted(c for c, why in extra.items() if not why or c not in CONTROLS)


def table(release: str) -> Path:
    return oscaprun.DISAGREEMENTS.with_name(f"disagreements-debian{CONTENT[release]}.yaml")


@dataclass(frozen=True)
class Judged:
    """assessor's first run (server-l2) and OpenSCAP's results per host flavour, on the
    same untouched hosts; `rules` maps a control to the SSG rule it cites."""

    run: Run
    rules: dict[str, str]
    oscap: dict[str, dict[str, str]]


def judge(lab: fleet.LabState, out: Path, work: Path) -> Judged:
    """Every host scanned with its release's content while assessor assesses them all."""
    tree = scanner.ensure()
    rules, _ = oscaprun.prepare(tree, work, CONTENT[lab.release], load_catalogue().controls)
    with ThreadPoolExecutor(max_workers=len(lab.hosts)) as pool:
        scans = {h.flavour: pool.submit(oscaprun.scan_live, tree, work, lab, h)
                 for h in lab.hosts}
        run = assess(Path(lab.inventory), out, "--profile", "server-l2")
        return Judged(run, rules, {flavour: scan.result() for flavour, scan in scans.items()})


def host_of(lab: fleet.LabState, flavour: str) -> str:
    return next(h.name for h in lab.hosts if h.flavour == flavour)


def booted_wrong(lab: fleet.LabState) -> dict[str, str]:
    """host -> what it runs, for every host not running the release, systemd as PID 1
    and the release's Python."""
    wanted = [lab.release, "systemd", PYTHON[lab.release]]
    wrong = {}
    for host in lab.hosts:
        proc = ssh_ops(lab, host.name,
                       ". /etc/os-release; echo $VERSION_CODENAME; cat /proc/1/comm; "
                       "python3 -c 'import sys; print(\"%d.%d\" % sys.version_info[:2])'")
        if proc.stdout.split() != wanted:
            wrong[host.name] = proc.stdout + proc.stderr
    return wrong


def wrong_verdicts(lab: fleet.LabState, run: Run) -> dict[str, tuple[str, str]]:
    """'host control' -> (status, reason) wherever the hardened host does not pass or the
    insecure host does not fail (the machine's verdict where its kernel decides)."""
    decided = machine_decided(lab)
    exempt = release_exempt(lab.release)
    wrong = {}
    for flavour, wanted in (("hardened", "pass"), ("insecure", "fail")):
        host = host_of(lab, flavour)
        findings = {f["control_id"]: f for f in run.host(host)["findings"]}
        for control in CONTROLS:
            if control in exempt:
                continue
            expected = decided[control].status.value if control in decided else wanted
            if findings[control]["status"] != expected:
                wrong[f"{host} {control}"] = (findings[control]["status"],
                                              findings[control]["reason"])
    return wrong


def firewall_state(lab: fleet.LabState, wrong: dict[str, tuple[str, str]]) -> str:
    """What nftables.service did on a host whose live ruleset was judged wrong: a rare
    failure on bullseye under load found the ruleset empty, and the unit's journal says
    whether it failed to load or was stopped (its ExecStop flushes the ruleset)."""
    hosts = sorted({key.split()[0] for key in wrong if key.split()[1].startswith("fw.live-")})
    return "\n".join(
        ssh_ops(lab, host, "sudo systemctl status nftables --no-pager -l; sudo nft list ruleset;"
                " sudo journalctl -b --no-pager -u nftables -u systemd-networkd | tail -40"
                ).stdout for host in hosts)


def agreement(lab: fleet.LabState, judged: Judged) -> tuple[int, list[oscaprun.Disagreement]]:
    """(verdicts compared, disagreements) over every host of the lab, the figure printed."""
    compared, differ = oscaprun.agreement(lab, judged.run, judged.rules, judged.oscap)
    print(f"OpenSCAP agreement (Debian {CONTENT[lab.release]} content, {lab.release}, "
          f"{len(lab.hosts)} hosts): {compared - len(differ)} of {compared} verdicts "
          f"({100 * (1 - len(differ) / compared):.1f} %)")
    return compared, differ


def table_problems(release: str, differ: list[oscaprun.Disagreement]) -> list[str]:
    """What is wrong with the release's committed table: disagreements it lacks or states
    otherwise, rows that no longer happen, or another content version than the tree's."""
    path = table(release)
    new, gone = oscaprun.unexplained(differ, path)
    problems = [f"not in {path.name}: {row}" for row in new]
    problems += [f"in {path.name} but no longer disagreeing (remove it): {row}" for row in gone]
    held = scanner.versions(scanner.ensure())["ssg-debian"]
    if oscaprun.table_content(path) != f"ssg-debian {held}":
        problems.append(f"{path.name} was measured with {oscaprun.table_content(path)}, "
                        f"the scanner tree holds ssg-debian {held}")
    return problems
