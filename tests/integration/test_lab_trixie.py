"""trixie first-class: every control's verdicts, harden -> pass -> rollback, patch, and what
trixie does its own way, on one trixie lab of a weak, a hardened and an insecure host.

bookworm runs the whole harden suite (test_lab_harden*.py). Here, as test_lab_releases.py
does for bullseye (releaserun.py), every automated control of server-l2 passes on the
hardened host and fails on the insecure one. Then the weak host gets a representative
subset hardened and rolled back, inside the suite's budget. The subset is one control per
place where trixie differs from bookworm, each fixed by its own role:

  ssh.*            OpenSSH 10 (`sshd -T` output, DSA and UsePrivilegeSeparation gone)
  net.*            sysctl.d on a release whose defaults live in /usr/lib/sysctl.d
  pam.*, login.*   PAM 1.7 and the login.defs of trixie's shadow (in package login.defs)
  sudo.*           sudo 1.9.16, whose built-in defaults differ (use_pty on; CIS wants the line)
  apt.*            deb822 `.sources` files, the format trixie's installer writes
  cron.*           a mode fix on a file trixie's packages ship

Then patch, on the same host: the lab's signed repository (assessor/lab/aptrepo.py, suite
trixie-security, trixie's python3-apt) given as a deb822 `.sources` file, exposure finds
the demo advisories, patch fixes them, exposure is clean.

Also checked on the host: Python 3.13 runs the host modules, /tmp is a tmpfs by default,
and the /usr/lib locations trixie uses: sysctl.d files there are judged in the order
systemd-sysctl applies them (a same-named /etc file masks one), protected_* defaults
live in /usr/lib/sysctl.d/50-default.conf only when linux-sysctl-defaults (Recommended,
not Depended on) is installed, and PAM's /usr/lib/pam.d carries no common-* stack, so
the checks keep reading /etc/pam.d, /etc/login.defs (package login.defs) and
/etc/ssh/sshd_config.

And OpenSCAP's Debian 13 content judges all three hosts as assessor's first assessment does
(the scans run beside that assessment, on the same state): every control whose SSG rule
oscap evaluated is compared, every disagreement is in
tests/data/oscap/disagreements-debian13.yaml with who is right and why, and the agreement
holds its measured floor (bench/RESULTS.md, "OpenSCAP agreement").

Own lab: ASSESSOR_TRIXIE_LAB (default `osctri`).
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import releaserun
from labrun import Run, assess, root_of, run_cli, running_lab, ssh_ops

from assessor.lab import aptrepo, fleet

if "trixie" not in os.environ.get("ASSESSOR_TEST_RELEASES", "trixie,bullseye").split(","):
    pytest.skip("trixie is not among ASSESSOR_TEST_RELEASES", allow_module_level=True)

LAB = os.environ.get("ASSESSOR_TRIXIE_LAB", "osctri")
HOST = "weak-01"
SUBSET = [
    "ssh.permit-root-login", "ssh.max-auth-tries", "ssh.x11-forwarding",
    "net.send-redirects",
    "pam.faillock-deny", "login.pass-max-days",
    "sudo.logfile",
    "apt.sources-signed",
    "cron.crontab-permissions",
]
ADVISORIES = Path(__file__).resolve().parent.parent / "data" / "advisories" / "trixie"
FIXED = "1.0-1+deb12u1"
TRUSTED_SOURCES = "/etc/apt/sources.list.d/lab-trusted.sources"
DEB822 = ("Types: deb\nURIs: file:/srv/none\nSuites: ./\nTrusted: yes\n")
AGREEMENT_FLOOR = 0.85  # measured 0.858 (674 compared over three hosts, 96 explained)
LIMIT = ("--limit", HOST)  # after the first assessment, only the weak host changes


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[fleet.LabState]:
    inventory = tmp_path_factory.mktemp("trixie") / "inventory.yml"
    with running_lab(LAB, 3, "weak,hardened,insecure", inventory, release="trixie") as state:
        # a deb822 source that trusts anything, and sudoers without its use_pty line,
        # so sudo's own default decides (on since 1.9.14)
        made = ssh_ops(state, HOST, (
            f"printf '{DEB822}' | sudo tee {TRUSTED_SOURCES} >/dev/null && "
            "sudo sed -i '/^Defaults[[:space:]]*use_pty$/d' /etc/sudoers && sudo visudo -c -q"))
        assert made.returncode == 0, made.stderr
        yield state


def findings(run: Run) -> dict[str, dict[str, Any]]:
    listed = run.host(HOST)["findings"]
    assert isinstance(listed, list)
    return {f["control_id"]: f for f in listed}


def sources(lab: fleet.LabState) -> str:
    """The planted deb822 file as the host reads it (empty when it is gone)."""
    return ssh_ops(lab, HOST, f"cat {TRUSTED_SOURCES} 2>/dev/null || true").stdout


@pytest.fixture(scope="module")
def judged(lab: fleet.LabState, tmp_path_factory: pytest.TempPathFactory) -> releaserun.Judged:
    """assessor's first run and the Debian 13 scans, on the same untouched hosts."""
    return releaserun.judge(lab, tmp_path_factory.mktemp("before"),
                            tmp_path_factory.mktemp("oscap"))


@pytest.fixture(scope="module")
def before(judged: releaserun.Judged) -> Run:
    return judged.run


def test_hosts_boot_trixie(lab: fleet.LabState) -> None:
    assert releaserun.booted_wrong(lab) == {}


def test_every_control_passes_hardened_and_fails_insecure(lab: fleet.LabState,
                                                          before: Run) -> None:
    assert before.code == 1, before.stderr
    wrong = releaserun.wrong_verdicts(lab, before)
    assert not wrong, (wrong, releaserun.firewall_state(lab, wrong))


def test_trixie_exemptions_are_explained() -> None:
    extra, unexplained = releaserun.exemptions_unexplained("trixie")
    assert extra and unexplained == []


def test_trixie_host_runs_openssh_10_python_313_and_tmpfs_tmp(lab: fleet.LabState) -> None:
    proc = ssh_ops(lab, HOST, "sudo sshd -V 2>&1; python3 -c 'import sys; print(sys.version)'; "
                              "findmnt -n -o FSTYPE /tmp; sudo sshd -T | grep -ci privilegesep")
    lines = proc.stdout.split("\n")
    assert lines[0].startswith("OpenSSH_10."), proc.stdout
    assert lines[1].startswith("3.13."), proc.stdout
    assert lines[2] == "tmpfs", proc.stdout
    assert lines[3] == "0", proc.stdout  # UsePrivilegeSeparation is gone from sshd -T


def test_trixie_defaults_are_judged_as_trixie_ships_them(before: Run) -> None:
    seen = findings(before)
    # the host modules ran under Python 3.13: every automated control has a verdict
    errors = {c: f["reason"] for c, f in seen.items() if f["status"] == "error"
              and not c.startswith("boot.")}  # kernel.* the machine decides, may be absent
    assert not errors, errors
    assert seen["fs.tmp-separate"]["status"] == "pass", seen["fs.tmp-separate"]
    pty = seen["sudo.use-pty"]
    # CIS 5.2.2 wants the Defaults line even where sudo's own default is on: the finding
    # fails and names trixie's built-in default
    assert pty["status"] == "fail" and "sudo 1.9.16" in pty["observed"], pty
    assert "built-in default" in pty["observed"], pty
    trusted = seen["apt.sources-signed"]
    assert trusted["status"] == "fail" and TRUSTED_SOURCES in trusted["evidence"], trusted
    assert all(seen[c]["status"] == "fail" for c in SUBSET), {
        c: seen[c]["status"] for c in SUBSET}


def test_debian13_content_agrees_as_its_table_says(lab: fleet.LabState,
                                                  judged: releaserun.Judged) -> None:
    compared, differ = releaserun.agreement(lab, judged)
    assert compared >= 600, compared
    assert releaserun.table_problems("trixie", differ) == []
    assert 1 - len(differ) / compared >= AGREEMENT_FLOOR, (compared, len(differ))


def test_harden_subset_passes_then_rolls_back(lab: fleet.LabState, before: Run,
                                              tmp_path: Path) -> None:
    proc = run_cli("harden", "-i", lab.inventory, *LIMIT, "--profile", "server-l2",
                   "--controls", ",".join(SUBSET), "--out", str(tmp_path / "harden"),
                   timeout=600)
    run_dir = next(p for p in (tmp_path / "harden").iterdir() if (p / "harden.json").is_file())
    record = json.loads((run_dir / "harden.json").read_text())
    host = next(h for h in record["hosts"] if h["name"] == HOST)
    assert host["state"] == "changed", proc.stdout + proc.stderr
    assert host["comparison"]["regressions"] == []
    # harden re-assesses the host after its run: every control of the subset now passes
    fixed = {row["control"] for row in host["comparison"]["fixed"]}
    assert set(SUBSET) <= fixed, sorted(set(SUBSET) - fixed)
    assert "Trusted: yes" not in sources(lab)
    assert ssh_ops(lab, HOST, "sudo -n true && echo still-admin").stdout.strip() == "still-admin"

    rolled = run_cli("rollback", str(run_dir))
    assert rolled.returncode == 0, rolled.stdout + rolled.stderr
    back = findings(assess(Path(lab.inventory), tmp_path / "back", *LIMIT,
                           "--profile", "server-l2"))
    assert {c: back[c]["status"] for c in SUBSET} == dict.fromkeys(SUBSET, "fail")
    assert "Trusted: yes" in sources(lab)


def test_patch_from_a_deb822_source(lab: fleet.LabState, tmp_path: Path) -> None:
    assert ssh_ops(lab, HOST, f"sudo rm -f {TRUSTED_SOURCES}").returncode == 0
    root = root_of(lab, HOST)
    repo = aptrepo.build_repo(tmp_path / "repo", release="trixie")
    aptrepo.serve_to_host(root, repo, release="trixie")
    aptrepo.install_vulnerable(root)
    policy = ssh_ops(lab, HOST, "apt-cache policy assessor-demo").stdout
    assert "500 file:/srv/repo ./ Packages" in policy, policy  # read from the .sources file

    def cli(command: str, *extra: str) -> Run:
        out = tmp_path / f"{command}-{len(list(tmp_path.glob(command + '-*')))}"
        proc = run_cli(command, "-i", lab.inventory, *LIMIT, "--advisories", str(ADVISORIES),
                       "--out", str(out), *extra)
        return Run(proc.returncode, proc.stdout, proc.stderr, out)

    exposed = cli("exposure")
    assert exposed.code == 1, exposed.stdout + exposed.stderr
    finding = next(f for f in exposed.host(HOST)["findings"]  # type: ignore[union-attr]
                   if f["control_id"] == "ASSESSOR-2026-0101")
    assert finding["status"] == "fail" and "1.0-1" in finding["observed"], finding
    patched = cli("patch", "--reboot", "never")
    assert patched.code in (0, 1), patched.stdout + patched.stderr  # 1: a reboot is pending
    versions = aptrepo.installed(root)
    assert (versions["assessor-demo"], versions["libassessor-demo1"]) == (FIXED, FIXED)
    clean = cli("exposure")
    assert clean.code == 0, clean.stdout + clean.stderr


def test_usr_lib_locations_are_where_the_checks_read(lab: fleet.LabState) -> None:
    proc = ssh_ops(lab, HOST, (
        "dpkg-query -W -f='${db:Status-Abbrev}' linux-sysctl-defaults 2>/dev/null; echo; "
        "ls /usr/lib/sysctl.d; echo --; ls /usr/lib/pam.d; echo --; "
        "dpkg -S /etc/login.defs; test ! -e /usr/etc && echo no-usr-etc; "
        "dpkg -S /etc/ssh/sshd_config 2>&1 | head -1"))
    status, rest = proc.stdout.split("\n", 1)
    sysctl_d, pam_d, tail = rest.split("--\n")
    # linux-sysctl-defaults is only Recommended: without it trixie persists no protected_*
    assert ("50-default.conf" in sysctl_d.split()) == status.startswith("ii"), proc.stdout
    assert "50-pid-max.conf" in sysctl_d.split(), proc.stdout  # systemd's, in /usr/lib
    assert not [n for n in pam_d.split() if n.startswith("common-")], pam_d
    assert "login.defs: /etc/login.defs" in tail and "no-usr-etc" in tail, tail


def test_usr_lib_sysctl_d_is_judged_in_systemd_sysctl_order(
    lab: fleet.LabState, tmp_path: Path
) -> None:
    """A vendor file in /usr/lib/sysctl.d sorting after /etc's wins at boot; a same-named
    file in /etc/sysctl.d masks it (systemd-sysctl's rules, read by the sysctl check)."""
    key, control = "net.ipv4.conf.all.send_redirects", "net.send-redirects"
    planted = ssh_ops(lab, HOST, (
        f"echo '{key} = 0' | sudo tee /etc/sysctl.d/60-lab.conf >/dev/null && "
        f"echo '{key} = 1' | sudo tee /usr/lib/sysctl.d/99-lab-vendor.conf >/dev/null && "
        f"sudo sysctl -qw {key}=0"))
    assert planted.returncode == 0, planted.stderr
    try:
        vendor = findings(assess(Path(lab.inventory), tmp_path / "vendor", *LIMIT,
                                 "--profile", "server-l2"))[control]
        assert vendor["status"] == "fail", vendor
        said = vendor["reason"] + vendor["evidence"]
        assert "/usr/lib/sysctl.d/99-lab-vendor.conf" in said, vendor
        masked = ssh_ops(lab, HOST, f"echo '{key} = 0' | "
                                    "sudo tee /etc/sysctl.d/99-lab-vendor.conf >/dev/null")
        assert masked.returncode == 0, masked.stderr
        fixed = findings(assess(Path(lab.inventory), tmp_path / "masked", *LIMIT,
                                "--profile", "server-l2"))[control]
        assert fixed["status"] == "pass", fixed
        assert "/etc/sysctl.d/99-lab-vendor.conf" in fixed["reason"] + fixed["evidence"], fixed
    finally:
        ssh_ops(lab, HOST, "sudo rm -f /etc/sysctl.d/60-lab.conf /etc/sysctl.d/99-lab-vendor.conf "
                           "/usr/lib/sysctl.d/99-lab-vendor.conf")
