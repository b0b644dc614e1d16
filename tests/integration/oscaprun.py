"""OpenSCAP as an independent judge: Debian's scanner and SSG content on a lab host.

The scanner is trixie's openscap 1.4.2 with forky's ssg-debian 0.1.82 (pinned; Debian 12
and 13 content), unpacked into a tree of their own (`assessor.lab.scanner`, built by `make
scanner`): bookworm's own oscap 1.3.7 and SSG 0.1.65 only have Debian 11 content. A scan
runs oscap from that tree inside the running host's namespaces, as `sudo -i oscap` on the
host would (the filesystem walks: the host's tree, read-only). The scan is tailored to
exactly the SSG rules the catalogue cites, with the CIS Debian 12 selections that
ComplianceAsCode's `controls/cis_debian12.yml` makes for their variables (Debian 13
content offers the same selectors).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from xml.etree import ElementTree
from xml.sax.saxutils import quoteattr

import yaml
from labrun import Run, machine_decided, ssh_ops

from assessor.catalogue import load_catalogue
from assessor.catalogue.loader import Control
from assessor.lab import fleet, network, scanner
from assessor.lab.machine import is_namespaced

XCCDF = "http://checklists.nist.gov/xccdf/1.2"
RULE = "xccdf_org.ssgproject.content_rule_"
VALUE = "xccdf_org.ssgproject.content_value_"
PROFILE = "xccdf_assessor_profile_catalogue"
EVALUATED = ("pass", "fail")
DISAGREEMENTS = Path(__file__).parent.parent / "data" / "oscap" / "disagreements.yaml"

# The CIS Debian 12 selections for SSG's variables (`var=selector` in its rule lists), as
# ComplianceAsCode's controls/cis_debian12.yml (commit b3a2cca9352cbcefb7f00d770bfd6f679da18d6a)
# makes them; SSG's own defaults (e.g. PASS_MAX_DAYS 60) are another benchmark's.
CIS_SELECTORS = {
    "cis_banner_text": "cis",
    "dconf_login_banner_contents": "cis_default",
    "dconf_login_banner_text": "cis_default",
    "inactivity_timeout_value": "15_minutes",
    "sshd_idle_timeout_value": "5_minutes",
    "sshd_max_auth_tries_value": "4",
    "sshd_strong_kex": "cis_debian12",
    "sshd_strong_macs": "cis_debian12",
    "sysctl_kernel_yama_ptrace_scope_value": "1",
    "var_account_disable_post_pw_expiration": "45",
    "var_accounts_maximum_age_login_defs": "365",
    "var_accounts_minimum_age_login_defs": "1",
    "var_accounts_password_warn_age_login_defs": "7",
    "var_accounts_passwords_pam_faillock_deny": "4",
    "var_accounts_passwords_pam_faillock_dir": "run",
    "var_accounts_passwords_pam_faillock_root_unlock_time": "900",
    "var_accounts_passwords_pam_faillock_unlock_time": "900",
    "var_accounts_tmout": "15_min",
    "var_accounts_user_umask": "027",
    "var_apparmor_mode": "complain",
    "var_audit_backlog_limit": "8192",
    "var_auditd_action_mail_acct": "root",
    "var_auditd_admin_space_left_action": "halt",
    "var_auditd_disk_error_action": "cis_debian12",
    "var_auditd_disk_full_action": "cis_debian12",
    "var_auditd_max_log_file": "6",
    "var_auditd_max_log_file_action": "keep_logs",
    "var_auditd_space_left_action": "email",
    "var_multiple_time_pools": "debian",
    "var_multiple_time_servers": "debian",
    "var_network_filtering_service": "nftables",
    "var_nftables_base_chain_hooks": "chain_hooks",
    "var_nftables_base_chain_names": "chain_names",
    "var_nftables_base_chain_policies": "chain_policies",
    "var_nftables_base_chain_priorities": "chain_priorities",
    "var_nftables_base_chain_types": "chain_types",
    "var_nftables_family": "inet",
    "var_nftables_master_config_file": "etc",
    "var_nftables_table": "filter",
    "var_pam_wheel_group_for_su": "cis",
    "var_password_hashing_algorithm": "yescrypt",
    "var_password_hashing_algorithm_pam": "yescrypt",
    "var_password_pam_dcredit": "1",
    "var_password_pam_dictcheck": "1",
    "var_password_pam_difok": "2",
    "var_password_pam_enforcing": "1",
    "var_password_pam_lcredit": "1",
    "var_password_pam_maxrepeat": "3",
    "var_password_pam_minclass": "4",
    "var_password_pam_minlen": "14",
    "var_password_pam_ocredit": "1",
    "var_password_pam_remember": "24",
    "var_password_pam_ucredit": "1",
    "var_postfix_inet_interfaces": "loopback-only",
    "var_screensaver_lock_delay": "5_seconds",
    "var_sshd_max_sessions": "10",
    "var_sshd_set_keepalive": "3",
    "var_sshd_set_login_grace_time": "60",
    "var_sshd_set_maxstartups": "10:30:60",
    "var_sudo_timestamp_timeout": "15_minutes",
    "var_timesync_service": "systemd-timesyncd",
    "var_user_initialization_files_regex": "all_dotfiles",
}


KERNEL_CHECK = re.compile(
    r'(<linux:dpkginfo_object id="oval:ssg-obj_inventory_test_kernel_installed:obj:1"'
    r' version="1">\s*<linux:name>)linux-base(</linux:name>)')


def datastream(tree: Path, release: int = 12) -> Path:
    """The scanner tree's SSG data stream for Debian `release` (bookworm: 12)."""
    return scanner.content(tree, release)


def ungated(datastream: Path, out: Path) -> Path:
    """The data stream without the two gates a lab host's tree cannot meet: its rules stay.

    SSG gates the whole benchmark on /etc/debian_version matching its one release (Debian
    12 content on a Debian 13 tree would call every rule notapplicable), and most rules on
    `system_with_kernel`, "package linux-base is installed". Lab hosts are containers
    booted with systemd on this machine's kernel, so they have no kernel package; here
    that check asks for base-files, which every Debian system has. The rules' other
    platforms (package installed, machine, not a container, ...) stay.
    """
    text = datastream.read_text()
    gate = re.compile(r'<xccdf-1\.2:platform idref="cpe:/o:debian:debian_linux:\d+"/>')
    assert len(gate.findall(text)) == 1, f"{datastream}: expected one benchmark platform"
    assert len(KERNEL_CHECK.findall(text)) == 1, f"{datastream}: expected one kernel check"
    out.write_text(KERNEL_CHECK.sub(r"\1base-files\2", gate.sub("", text)))
    return out


def rules_in(datastream: Path) -> set[str]:
    return set(re.findall(rf'<xccdf-1\.2:Rule [^>]*id="{RULE}([^"]+)"', datastream.read_text()))


def mapped(controls: list[Control], known: set[str]) -> dict[str, str]:
    """Catalogue control id -> the SSG rule it cites, for the rules this content has."""
    return {c.id: str(c.refs["ssg"]) for c in controls
            if c.kind != "manual" and str(c.refs.get("ssg", "")) in known}


def values_in(datastream: Path) -> dict[str, set[str]]:
    """SSG variable (without its id prefix) -> the selectors its Value offers."""
    text = datastream.read_text()
    values: dict[str, set[str]] = {}
    for match in re.finditer(rf'<xccdf-1\.2:Value id="{VALUE}([^"]+)"(.*?)</xccdf-1\.2:Value>',
                             text, re.S):
        values[match.group(1)] = set(re.findall(r'selector="([^"]+)"', match.group(2)))
    return values


def selections(offered: dict[str, set[str]], wanted: dict[str, str] = CIS_SELECTORS
               ) -> dict[str, str]:
    """The CIS selections this content can take: a selector its Value does not offer fails."""
    known = {k: v for k, v in wanted.items() if k in offered}
    unknown = {k: v for k, v in known.items() if v not in offered[k]}
    assert not unknown, f"selectors the content's Values do not offer: {unknown}"
    return known


def tailoring(rules: set[str], selectors: dict[str, str]) -> str:
    """An XCCDF 1.2 tailoring: one profile selecting exactly `rules`, `selectors` refined."""
    selects = "".join(f'\n    <xccdf-1.2:select idref={quoteattr(RULE + r)} selected="true"/>'
                      for r in sorted(rules))
    refines = "".join(f"\n    <xccdf-1.2:refine-value idref={quoteattr(VALUE + k)} "
                      f"selector={quoteattr(v)}/>" for k, v in sorted(selectors.items()))
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<xccdf-1.2:Tailoring xmlns:xccdf-1.2="{XCCDF}" id="xccdf_assessor_tailoring_catalogue">\n'
        '  <xccdf-1.2:version time="2026-12-01T00:00:00">1</xccdf-1.2:version>\n'
        f'  <xccdf-1.2:Profile id="{PROFILE}">\n'
        "    <xccdf-1.2:title>assessor catalogue: the SSG rules it cites</xccdf-1.2:title>"
        f"{selects}{refines}\n  </xccdf-1.2:Profile>\n</xccdf-1.2:Tailoring>\n"
    )


def evaluate(tree: Path, work: Path, datastream: str, tailoring_file: str, results: str,
             init_pid: int = 0, root: Path | None = None, path: str = scanner.DEFAULT_PATH
             ) -> dict[str, str]:
    """`oscap xccdf eval` with the tailored profile on a running host (or a host's tree,
    read-only); SSG rule -> result.

    `datastream`, `tailoring_file` and `results` are file names in `work`; `path` the
    scanning process's PATH (root's login PATH on the host, as `sudo -i oscap` has it).
    """
    proc = scanner.oscap(tree, work, "xccdf", "eval",
                         "--tailoring-file", f"/work/{tailoring_file}", "--profile", PROFILE,
                         "--results", f"/work/{results}", f"/work/{datastream}",
                         init_pid=init_pid, root=root, path=path)
    # 0: all pass, 2: some rule failed; anything else is the scanner's own error
    assert proc.returncode in (0, 2), proc.stderr[-2000:]
    return parse_results((work / results).read_bytes())


def parse_results(xml: bytes) -> dict[str, str]:
    """SSG rule (without its id prefix) -> result, from an XCCDF 1.2 TestResult."""
    tree = ElementTree.fromstring(xml)
    out = {}
    for result in tree.iter(f"{{{XCCDF}}}rule-result"):
        rule = str(result.get("idref", "")).removeprefix(RULE)
        verdict = result.find(f"{{{XCCDF}}}result")
        out[rule] = verdict.text if verdict is not None and verdict.text else "unknown"
    return out


def prepare(tree: Path, work: Path, release: int, controls: list[Control]
            ) -> tuple[dict[str, str], set[str]]:
    """Debian `release`'s data stream ungated in `work` (ds.xml) and two tailorings,
    tailoring-walks.xml (the catalogue's filesystem walks) and tailoring-live.xml (the
    rest); (control -> SSG rule, the walks' rules)."""
    datastream = ungated(scanner.content(tree, release), work / "ds.xml")
    rules = mapped(controls, rules_in(datastream))
    selectors = selections(values_in(datastream))
    walks = {rules[c.id] for c in controls if c.kind == "walk" and c.id in rules}
    for name, selected in (("walks", walks), ("live", set(rules.values()) - walks)):
        (work / f"tailoring-{name}.xml").write_text(tailoring(selected, selectors))
    return rules, walks


def root_login_path(lab: fleet.LabState, host: str) -> str:
    """root's login PATH on the host (`sudo -i`), which an admin's `sudo -i oscap` scans
    with: SSG judges root's PATH from the scanning process's own environment."""
    proc = ssh_ops(lab, host, "sudo -n -i printenv PATH")
    assert proc.returncode == 0 and proc.stdout.count("\n") == 1, proc.stderr
    return proc.stdout.strip()


def scan_live(tree: Path, work: Path, lab: fleet.LabState, host: fleet.LabHost
              ) -> dict[str, str]:
    """The live tailoring (`prepare`) on a running host, from inside its namespaces."""
    return evaluate(tree, work, "ds.xml", "tailoring-live.xml", f"{host.name}.xml",
                    init_pid=network.host_init(host.netns), path=root_login_path(lab, host.name))


def machine_excluded(lab: fleet.LabState, controls: list[Control]) -> dict[str, str]:
    """Controls this machine's kernel decides for every host: compared with neither tool."""
    excluded = {c.id: f"{c.check['key']} is the machine's kernel value, shared by every lab "
                      "host (and oscap's sysctl probe has no offline mode: it reads this "
                      "machine's /proc)"
                for c in controls if c.kind == "sysctl" and not is_namespaced(str(c.check["key"]))}
    return excluded | {b.control: b.reason for b in machine_decided(lab).values()}


@dataclass(frozen=True)
class Disagreement:
    control: str
    rule: str
    flavour: str
    oscap: str
    ours: str


def compare(rules: dict[str, str], oscap: dict[str, str], ours: dict[str, str], flavour: str,
            excluded: set[str]) -> tuple[int, list[Disagreement]]:
    """Compared controls and where the two verdicts differ, for one host.

    Compared: every mapped control whose rule OpenSCAP evaluated (pass or fail) and that is
    not excluded (the machine's kernel decides it).
    """
    compared, differ = 0, []
    for control, rule in sorted(rules.items()):
        if control in excluded or oscap.get(rule) not in EVALUATED:
            continue
        compared += 1
        if ours.get(control) != oscap[rule]:
            differ.append(Disagreement(control, rule, flavour, oscap[rule], ours.get(control, "")))
    return compared, differ


def agreement(lab: fleet.LabState, run: Run, rules: dict[str, str],
              oscap: dict[str, dict[str, str]]) -> tuple[int, list[Disagreement]]:
    """(verdicts compared, disagreements) over every host of the lab: assessor's `run`,
    OpenSCAP's results by host flavour."""
    excluded = set(machine_excluded(lab, load_catalogue().controls))
    compared, differ = 0, []
    for host in lab.hosts:
        findings = run.host(host.name)["findings"]
        assert isinstance(findings, list)
        ours = {f["control_id"]: f["status"] for f in findings}
        count, found = compare(rules, oscap[host.flavour], ours, host.flavour, excluded)
        compared, differ = compared + count, differ + found
    return compared, differ


def tables() -> list[Path]:
    """Every release's committed disagreements table."""
    return sorted(DISAGREEMENTS.parent.glob("disagreements*.yaml"))


def unexplained(differ: list[Disagreement], path: Path = DISAGREEMENTS
                ) -> tuple[list[str], list[tuple[str, str, str]]]:
    """(disagreements the table at `path` lacks or states otherwise, its rows that no
    longer happen)."""
    table = load_table(path)
    new = [f"{d.control} ({d.rule}) on {d.flavour}: oscap {d.oscap}, ours {d.ours}"
           for d in differ if (d.control, d.rule, d.flavour) not in table
           or (table[(d.control, d.rule, d.flavour)]["oscap"],
               table[(d.control, d.rule, d.flavour)]["ours"]) != (d.oscap, d.ours)]
    gone = sorted(set(table) - {(d.control, d.rule, d.flavour) for d in differ})
    return new, gone


def table_content(path: Path = DISAGREEMENTS) -> str:
    """The SSG content the committed table was measured with ("ssg-debian VERSION")."""
    return str(yaml.safe_load(path.read_text())["content"])


def load_table(path: Path = DISAGREEMENTS) -> dict[tuple[str, str, str], dict[str, Any]]:
    """The committed disagreements, keyed by (control, rule, flavour)."""
    rows = yaml.safe_load(path.read_text())["disagreements"] or []
    return {(r["control"], r["rule"], r["flavour"]): r for r in rows}
