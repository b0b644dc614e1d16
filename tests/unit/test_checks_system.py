"""The system areas' check kinds on tricky but real-looking host data."""

from __future__ import annotations

import json
from typing import Any

import pytest
from cases_config import unit_on_disk
from cases_system import GOOD_NFT, accounts, mounts, root_env
from unit_builders import CONFIG_FILES, INSTALLED, Snap

from assessor.catalogue import load_catalogue
from assessor.checks import judge
from assessor.checks.firewall import parse_nft_config
from assessor.checks.kernel import ordered_conf_files, persisted_sysctl, sysctl_key
from assessor.checks.packages import parse_apt_conf
from assessor.evaluate import evaluate_control
from assessor.results import Status

# --- sysctl: running and persisted --------------------------------------------------------

RP = {"key": "net.ipv4.conf.all.rp_filter", "expect": "1"}


def rp(snap: Snap, running: str = "1") -> Any:
    return judge("sysctl", snap.sysctl({RP["key"]: running}).build(), RP)


def test_sysctl_comments_dash_spaces_and_slashes(snap: Snap) -> None:
    snap.sysctl_file("/etc/sysctl.d/10-a.conf", (
        "# net.ipv4.conf.all.rp_filter = 0\n"
        "; net.ipv4.conf.all.rp_filter = 0\n"
        "\n"
        "   -net/ipv4/conf/all/rp_filter\t=   1   \n"
    ))
    obs = rp(snap)
    assert obs.status is Status.PASS, obs.reason
    assert "/etc/sysctl.d/10-a.conf:4" in obs.evidence


def test_sysctl_right_now_but_not_persisted_fails_with_that_reason(snap: Snap) -> None:
    snap.sysctl_file("/etc/sysctl.d/10-a.conf", "net.ipv4.ip_forward = 0\n")
    obs = rp(snap)
    assert obs.status is Status.FAIL
    assert "not persisted" in obs.reason
    assert obs.observed == "1 (not persisted)"


def test_sysctl_persisted_wrong_fails_even_when_running_right(snap: Snap) -> None:
    snap.sysctl_file("/usr/lib/sysctl.d/50-default.conf", "net.ipv4.conf.all.rp_filter = 2\n")
    obs = rp(snap)
    assert obs.status is Status.FAIL
    assert "persisted as 2 in /usr/lib/sysctl.d/50-default.conf:1" in obs.reason


def test_sysctl_running_wrong_fails_even_when_persisted_right(snap: Snap) -> None:
    snap.sysctl_file("/etc/sysctl.d/60-a.conf", "net.ipv4.conf.all.rp_filter = 1\n")
    obs = rp(snap, running="0")
    assert (obs.status, obs.observed) == (Status.FAIL, "0")
    assert "running kernel" in obs.reason


def test_sysctl_same_name_in_etc_replaces_the_vendor_file(snap: Snap) -> None:
    snap.sysctl_file("/usr/lib/sysctl.d/50-x.conf", "net.ipv4.conf.all.rp_filter = 1\n")
    snap.sysctl_file("/etc/sysctl.d/50-x.conf", "net.ipv4.conf.all.rp_filter = 0\n")
    assert rp(snap).status is Status.FAIL
    snap2 = Snap().sysctl_file("/etc/sysctl.d/50-x.conf", "net.ipv4.conf.all.rp_filter = 1\n")
    snap2.sysctl_file("/usr/lib/sysctl.d/50-x.conf", "net.ipv4.conf.all.rp_filter = 0\n")
    assert rp(snap2).status is Status.PASS


def test_sysctl_later_file_name_wins_across_directories(snap: Snap) -> None:
    snap.sysctl_file("/etc/sysctl.d/10-early.conf", "net.ipv4.conf.all.rp_filter = 1\n")
    snap.sysctl_file("/usr/lib/sysctl.d/90-late.conf", "net.ipv4.conf.all.rp_filter = 0\n")
    obs = rp(snap)
    assert obs.status is Status.FAIL
    assert "90-late.conf" in obs.reason


def test_sysctl_conf_is_read_last(snap: Snap) -> None:
    snap.sysctl_file("/etc/sysctl.d/99-zzz.conf", "net.ipv4.conf.all.rp_filter = 0\n")
    snap.sysctl_file("/etc/sysctl.conf", "net.ipv4.conf.all.rp_filter=1\n")
    assert rp(snap).status is Status.PASS


def test_sysctl_glob_applies_but_an_explicit_key_wins(snap: Snap) -> None:
    snap.sysctl_file("/usr/lib/sysctl.d/50-default.conf", "net.ipv4.conf.*.rp_filter = 1\n")
    assert rp(snap).status is Status.PASS
    snap.sysctl_file("/etc/sysctl.d/10-a.conf", "net.ipv4.conf.all.rp_filter = 2\n")
    assert rp(snap).status is Status.FAIL  # explicit beats a later glob


def test_sysctl_dash_key_without_value_keeps_globs_off(snap: Snap) -> None:
    snap.sysctl_file("/usr/lib/sysctl.d/50-default.conf",
                     "net.ipv4.conf.*.rp_filter = 1\n-net.ipv4.conf.all.rp_filter\n")
    obs = rp(snap)
    assert obs.status is Status.FAIL
    assert "not persisted" in obs.reason


def test_sysctl_key_with_slashes_keeps_dots_in_names() -> None:
    assert sysctl_key("net/ipv4/conf/eth0.100/rp_filter") == "net.ipv4.conf.eth0/100.rp_filter"
    assert sysctl_key("net.ipv4.conf.all.rp_filter") == "net.ipv4.conf.all.rp_filter"


def test_conf_file_order() -> None:
    files = {"/usr/lib/sysctl.d/10-a.conf": "", "/etc/sysctl.d/10-a.conf": "",
             "/run/sysctl.d/05-b.conf": "", "/lib/sysctl.d/99-c.conf": ""}
    dirs = ["/etc/sysctl.d", "/run/sysctl.d", "/usr/lib/sysctl.d", "/lib/sysctl.d"]
    assert ordered_conf_files(dirs, files) == [
        "/run/sysctl.d/05-b.conf", "/etc/sysctl.d/10-a.conf", "/lib/sysctl.d/99-c.conf"]
    probe = {"dirs": dirs, "files": {"/etc/sysctl.d/1.conf": "a.b = 1\na.b=2\n"}}
    assigned = persisted_sysctl(probe, "a.b")
    assert assigned is not None and assigned.value == "2"


# --- kernel modules -----------------------------------------------------------------------


def modules(snap: Snap, conf: str, loaded: list[str] | None = None,
            filesystems: tuple[str, ...] = ("ext4",)) -> dict[str, Any]:
    snap.data["modules"] = {"dirs": ["/etc/modprobe.d", "/lib/modprobe.d"],
                            "files": {"/etc/modprobe.d/x.conf": conf}, "loaded": loaded,
                            "filesystems": list(filesystems), "sys_module": []}
    return snap.build()


def test_module_with_underscore_or_dash_and_true_install(snap: Snap) -> None:
    conf = "install usb_storage /bin/true  # either way\nblacklist usb-storage\n"
    obs = judge("kernel_module_disabled", modules(snap, conf, None), {"name": "usb-storage"})
    assert obs.status is Status.PASS, obs.reason
    assert "no module support" in obs.evidence


@pytest.mark.parametrize(
    ("conf", "loaded", "fs", "problem"),
    [
        ("blacklist cramfs\n", [], (), "no `install cramfs /bin/false`"),
        ("install cramfs /bin/false\n", [], (), "no `blacklist cramfs`"),
        ("install cramfs /sbin/modprobe --ignore-install cramfs\nblacklist cramfs\n", [], (),
         "install runs /sbin/modprobe"),
        ("install cramfs /bin/false\nblacklist cramfs\n", ["cramfs"], ("cramfs",), "loaded now"),
        ("install cramfs /bin/false\nblacklist cramfs\n", [], ("cramfs",), "built into"),
    ],
)
def test_module_failures(conf: str, loaded: list[str], fs: tuple[str, ...], problem: str) -> None:
    obs = judge("kernel_module_disabled", modules(Snap(), conf, loaded, fs), {"name": "cramfs"})
    assert obs.status is Status.FAIL
    assert problem in obs.reason


# --- limits, mounts -----------------------------------------------------------------------


def test_limits_later_file_overrides_and_dash_counts_as_hard(snap: Snap) -> None:
    snap.file("/etc/security/limits.conf", "*  hard  core  0\n")
    snap.data["files"]["/etc/security/limits.d/*.conf"] = {
        "glob": True, "matches": ["/etc/security/limits.d/b.conf", "/etc/security/limits.d/a.conf"]}
    snap.file("/etc/security/limits.d/a.conf", "*  -  core  unlimited\n")
    snap.file("/etc/security/limits.d/b.conf", "# * hard core 5\n@users hard core 9\n")
    params = {"domain": "*", "type": "hard", "item": "core", "expect": "0"}
    obs = judge("limits_entry", snap.build(), params)
    assert obs.status is Status.FAIL
    assert "a.conf:1" in obs.observed


def test_tmp_on_root_filesystem_gets_roots_options(snap: Snap) -> None:
    snapshot = mounts(snap, [{"source": "tmpfs", "target": "/tmpfiles", "fstype": "tmpfs",
                              "options": ["nodev"]}]).build()
    sep = judge("separate_mount", snapshot, {"path": "/tmp"})
    assert sep.status is Status.FAIL and "lives on /" in sep.reason
    opt = judge("mount_option", snapshot, {"path": "/tmp", "option": "nodev"})
    assert opt.status is Status.FAIL and "/ (which holds /tmp)" in opt.reason


def test_stacked_mount_latest_wins(snap: Snap) -> None:
    snapshot = mounts(snap, [
        {"source": "tmpfs", "target": "/dev/shm", "fstype": "tmpfs", "options": ["noexec"]},
        {"source": "tmpfs", "target": "/dev/shm/", "fstype": "tmpfs", "options": ["rw"]},
    ]).build()
    assert judge("mount_option", snapshot, {"path": "/dev/shm", "option": "noexec"}).status \
        is Status.FAIL
    assert judge("separate_mount", snapshot, {"path": "/dev/shm/"}).status is Status.PASS


def test_mount_option_typo_is_an_error(snap: Snap) -> None:
    obs = judge("mount_option", mounts(snap, []).build(), {"path": "/tmp", "option": "nodevv"})
    assert obs.status is Status.ERROR


# --- APT ----------------------------------------------------------------------------------


def test_apt_conf_nested_scopes_comments_and_case() -> None:
    text = """// comment "true";
    /* APT::Get::AllowUnauthenticated "true"; */
    APT {
      Get {
        AllowUnauthenticated "yes";   # trailing
      };
    };
    Acquire::AllowInsecureRepositories "false";
    """
    settings = parse_apt_conf(text, "f")
    assert settings["apt::get::allowunauthenticated"][0] == "yes"
    assert settings["acquire::allowinsecurerepositories"][0] == "false"


def test_apt_conf_ignores_parts_apt_ignores(snap: Snap) -> None:
    snap.data.setdefault("files", {})["/etc/apt/apt.conf.d/*"] = {
        "glob": True, "matches": ["/etc/apt/apt.conf.d/99x.dpkg-old", "/etc/apt/apt.conf.d/50y"]}
    snap.file("/etc/apt/apt.conf.d/99x.dpkg-old", 'APT::Get::AllowUnauthenticated "true";\n')
    snap.file("/etc/apt/apt.conf.d/50y", "\n").missing_file("/etc/apt/apt.conf")
    params = {"option": "APT::Get::AllowUnauthenticated"}
    assert judge("apt_conf_false", snap.build(), params).status is Status.PASS
    snap.file("/etc/apt/apt.conf", 'APT::Get::AllowUnauthenticated "1";\n')
    assert judge("apt_conf_false", snap.build(), params).status is Status.FAIL


def test_apt_deb822_trusted_source(snap: Snap) -> None:
    snap.data.setdefault("files", {})["/etc/apt/sources.list.d/*.sources"] = {
        "glob": True, "matches": ["/etc/apt/sources.list.d/debian.sources"]}
    snap.data["files"]["/etc/apt/sources.list.d/*.list"] = {"glob": True, "matches": []}
    snap.missing_file("/etc/apt/sources.list")
    snap.file("/etc/apt/sources.list.d/debian.sources",
              "Types: deb\nURIs: http://x/\nSuites: y\nComponents: main\nTrusted: yes\n")
    obs = judge("apt_sources_signed", snap.build(), {})
    assert obs.status is Status.FAIL and "debian.sources:5" in obs.reason


# --- firewall -----------------------------------------------------------------------------


def test_nft_config_block_and_command_forms() -> None:
    chains = parse_nft_config(GOOD_NFT)
    assert chains["inet filter input"].hook == "input"
    assert chains["inet filter input"].policy == "drop"
    assert chains["inet filter output"].policy is None
    commands = ("add table ip filter\n"
                "add chain ip filter input { type filter hook input priority 0 ; policy drop ; }\n"
                "add rule ip filter input iifname \"lo\" counter accept\n")
    chains = parse_nft_config(commands)
    assert chains["ip filter input"].policy == "drop"
    assert any("iifname" in r for r in chains["ip filter input"].rules)


def test_nft_persisted_missing_config_fails(snap: Snap) -> None:
    snap.data["nft_config"] = {"exists": False}
    obs = judge("nft_persisted", snap.build(), {"require": "default-deny"})
    assert obs.status is Status.FAIL and "does not exist" in obs.reason


def test_nft_live_without_nft_fails_and_a_broken_nft_is_error(snap: Snap) -> None:
    snap.data["nft_ruleset"] = {"rc": 127, "stdout": "", "stderr": "nft not found"}
    assert judge("nft_live", snap.build(), {"require": "default-deny"}).status is Status.FAIL
    snap.data["nft_ruleset"] = {"rc": 1, "stdout": "", "stderr": "Operation not permitted"}
    obs = judge("nft_live", snap.build(), {"require": "default-deny"})
    assert obs.status is Status.ERROR and "Operation not permitted" in obs.reason


def test_nft_live_empty_ruleset_has_no_input_chain(snap: Snap) -> None:
    snap.data["nft_ruleset"] = {"rc": 0, "stderr": "",
                                "stdout": json.dumps({"nftables": [{"metainfo": {}}]})}
    obs = judge("nft_live", snap.build(), {"require": "default-deny"})
    assert obs.status is Status.FAIL and "no base chain on the input hook" in obs.reason


def test_single_firewall_none_installed(snap: Snap) -> None:
    snap.package("nftables", CONFIG_FILES)
    for unit in ("nftables.service", "ufw.service"):
        unit_on_disk(snap, unit, True)
    obs = judge("single_firewall", snap.build(), {"utilities": ["nftables", "ufw"]})
    assert obs.status is Status.FAIL and "no firewall" in obs.reason
    snap.package("ufw", INSTALLED)
    assert judge("single_firewall", snap.build(), {"utilities": ["nftables", "ufw"]}).status \
        is Status.PASS


def test_single_firewall_installed_but_not_enabled_is_not_in_use(snap: Snap) -> None:
    """CIS 4.1.1 asks for one utility in use: nftables installed with nftables.service
    disabled loads nothing at boot (the weak lab host; OpenSCAP fails it too)."""
    snap.package("nftables", INSTALLED).package("ufw", CONFIG_FILES)
    unit_on_disk(snap, "nftables.service", False)
    unit_on_disk(snap, "ufw.service", False)
    obs = judge("single_firewall", snap.build(), {"utilities": ["nftables", "ufw"]})
    assert obs.status is Status.FAIL and "none in use" in obs.reason
    assert "nftables.service disabled" in obs.evidence


def test_single_firewall_iptables_persistent_is_judged_by_its_boot_unit(snap: Snap) -> None:
    snap.package("nftables", CONFIG_FILES).package("iptables-persistent", INSTALLED)
    unit_on_disk(snap, "nftables.service", False)
    unit_on_disk(snap, "netfilter-persistent.service", True)
    obs = judge("single_firewall", snap.build(),
                {"utilities": ["nftables", "iptables-persistent"]})
    assert obs.status is Status.PASS and obs.observed == "iptables-persistent"


# --- walks --------------------------------------------------------------------------------


def walked(snap: Snap, complete: bool = True, count: int = 0, paths: tuple[str, ...] = ()) -> Any:
    snap.data["walk"] = {"complete": complete,
                         "reason": "" if complete else "walk stopped early: entry cap of 10 "
                                                       "reached after 10 entries",
                         "entries": 10, "unreadable": 0, "seconds": 0.1, "skipped_mounts": [],
                         "found": {"suid": {"count": count, "paths": list(paths)}}}
    return snap.build()


def test_walk_cut_short_is_error_never_pass(snap: Snap) -> None:
    obs = judge("walk", walked(snap, complete=False), {"find": "suid"})
    assert obs.status is Status.ERROR
    assert "entry cap" in obs.reason


def test_walk_allowlist_globs_and_unlisted_overflow(snap: Snap) -> None:
    params = {"find": "suid", "allowed": ["/usr/bin/*"]}
    assert judge("walk", walked(snap, count=1, paths=("/usr/bin/su",)), params).status \
        is Status.PASS
    # the probe lists at most its cap; the rest still count even though unnamed
    obs = judge("walk", walked(Snap(), count=5, paths=("/usr/bin/su",)), params)
    assert obs.status is Status.FAIL and obs.observed.startswith("4")


# --- accounts -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "dirs", "problem"),
    [
        ("/usr/bin::/bin", {}, "an empty entry"),
        ("/usr/bin:/bin:", {}, "an empty entry"),
        (".:/usr/bin", {}, "'.'"),
        ("bin:/usr/bin", {}, "relative bin"),
        ("/usr/bin:/opt/none", {"/opt/none": {"exists": False}}, "/opt/none is not a directory"),
        ("/usr/bin:/opt/x", {"/opt/x": {"exists": True, "dir": True, "uid": 0, "owner": "root",
                                        "mode": "0775"}}, "group/world-writable"),
    ],
)
def test_root_path_problems(path: str, dirs: dict[str, Any], problem: str) -> None:
    snap = root_env(Snap(), path)
    snap.data["root_env"]["dirs"].update(dirs)
    obs = judge("root_path", snap.build(), {})
    assert obs.status is Status.FAIL
    assert problem in obs.reason


def test_root_path_without_output_is_error(snap: Snap) -> None:
    snap.data["root_env"] = {"shell": "/bin/bash", "rc": 124, "stderr": "took over 10s",
                             "path": None, "umask": None, "dirs": {}}
    obs = judge("root_path", snap.build(), {})
    assert obs.status is Status.ERROR and "took over" in obs.reason


def test_home_dirs_only_for_interactive_accounts(snap: Snap) -> None:
    accounts(snap)
    snap.data["accounts"]["homes"]["/usr/sbin"] = {"exists": True, "dir": True, "uid": 0,
                                                   "mode": "0755"}
    assert judge("home_dirs", snap.build(), {"aspect": "mode"}).status is Status.PASS


def test_group_empty_counts_primary_members(snap: Snap) -> None:
    accounts(snap, [("root", 0, []), ("shadow", 1001, []), ("alice", 1000, [])])
    obs = judge("group_empty", snap.build(), {"group": "shadow"})
    assert obs.status is Status.FAIL and "bob" in obs.observed


def test_unreadable_group_file_is_error(snap: Snap) -> None:
    accounts(snap)
    del snap.data["accounts"]["groups"]
    snap.data["accounts"]["group_error"] = "PermissionError: denied"
    obs = judge("unique_ids", snap.build(), {"table": "groups", "field": "id"})
    assert obs.status is Status.ERROR and "denied" in obs.reason


def test_root_gid_is_cis_root_is_the_only_gid_0_account() -> None:
    """CIS 5.4.2.2: `toor:x:1001:0` fails even though root's own group is 0; root's own
    group not 0 fails; sync, shutdown, halt and operator are left out as the audit does."""
    control = {c.id: c for c in load_catalogue().controls}["accounts.root-gid"]

    def host(extra: str, root_gid: str = "0") -> dict[str, object]:
        snap = accounts(Snap())
        snap.data["accounts"]["users"][0]["gid"] = root_gid
        for i, name in enumerate(extra.split()):
            snap.user(name, 1001 + i)
            snap.data["accounts"]["users"][-1]["gid"] = "0"
        return snap.build()

    toor = evaluate_control(control, host("toor"))
    assert toor.status is Status.FAIL and "toor (uid 1001" in toor.reason
    assert evaluate_control(control, host("", root_gid="1")).status is Status.FAIL
    assert evaluate_control(control, host("sync halt operator")).status is Status.PASS


@pytest.mark.parametrize("key", ["fs.protected_hardlinks", "fs.protected_symlinks"])
def test_trixie_reads_protected_links_from_linux_sysctl_defaults(key: str) -> None:
    """trixie moved fs.protected_* to linux-sysctl-defaults' /usr/lib/sysctl.d/50-default.conf:
    with it the value counts as persisted (the evidence names the file); without it the
    reason says which package would persist it, as the running value alone is lost."""
    control = next(c for c in load_catalogue().controls if c.params.get("key") == key)
    with_file = Snap("debian", "13").sysctl({key: "1"}).sysctl_file(
        "/usr/lib/sysctl.d/50-default.conf", f"# from linux-sysctl-defaults\n{key} = 1\n")
    found = evaluate_control(control, with_file.build())
    assert found.status is Status.PASS and "/usr/lib/sysctl.d/50-default.conf:2" in found.evidence
    without = Snap("debian", "13").sysctl({key: "1"}).sysctl_file(
        "/usr/lib/sysctl.d/50-pid-max.conf", "kernel.pid_max = 4194304\n")
    missing = evaluate_control(control, without.build())
    assert missing.status is Status.FAIL and "linux-sysctl-defaults" in missing.reason
    bookworm = Snap("debian", "12").sysctl({key: "1"}).sysctl_file(
        "/usr/lib/sysctl.d/50-pid-max.conf", "kernel.pid_max = 4194304\n")
    assert "procps (/usr/lib/sysctl.d/99-protect-links.conf)" in evaluate_control(
        control, bookworm.build()).reason


@pytest.mark.parametrize(
    ("text", "status"),
    [
        ("TMOUT=900\nreadonly TMOUT\nexport TMOUT\n", Status.PASS),
        ("declare -xr TMOUT=600\n", Status.PASS),
        ("readonly TMOUT=900 ; export TMOUT\n", Status.PASS),
        ("TMOUT=900\nexport TMOUT\n", Status.FAIL),  # not readonly: the user unsets it
        ("TMOUT=900\nreadonly TMOUT\n", Status.FAIL),  # not exported
        ("TMOUT=901\nreadonly TMOUT\nexport TMOUT\n", Status.FAIL),
        ("# TMOUT=900 readonly TMOUT export TMOUT\n", Status.FAIL),
        # the shell refuses an assignment once TMOUT is readonly: a login shell keeps 900
        ("TMOUT=900\nreadonly TMOUT\nexport TMOUT\nTMOUT=0\n", Status.PASS),
        ("TMOUT=900\nexport TMOUT\nTMOUT=0\nreadonly TMOUT\n", Status.FAIL),  # ends 0
        ("readonly TMOUT=0\nTMOUT=900\nexport TMOUT\n", Status.FAIL),  # 0 locked first
    ],
)
def test_shell_timeout_is_cis_5_4_3_2(text: str, status: Status) -> None:
    """What a login shell ends with, as bash runs the lines (fixtures by hand)."""
    control = {c.id: c for c in load_catalogue().controls}["accounts.shell-timeout"]
    snap = Snap().file("/etc/profile", text).file("/etc/bash.bashrc", "")
    snap.data["files"]["/etc/profile.d/*.sh"] = {"glob": True, "matches": []}
    assert evaluate_control(control, snap.build()).status is status


@pytest.mark.parametrize(
    ("bashrc", "dropins", "status"),
    [
        # the insecure flavour's profile.d/lab-tmout.sh after harden's readonly file
        ("", {"60-assessor-tmout.sh": "TMOUT=900\nreadonly TMOUT\nexport TMOUT\n",
              "lab-tmout.sh": "TMOUT=0\n"}, Status.PASS),
        # the same file alone: no timeout
        ("", {"lab-tmout.sh": "TMOUT=0\n"}, Status.FAIL),
        # bash.bashrc is read first: profile.d's readonly 900 replaces its 0
        ("TMOUT=0\n", {"60-assessor-tmout.sh": "TMOUT=900\nreadonly TMOUT\nexport TMOUT\n"},
         Status.PASS),
        # a file sorting before ours locks 0 first: the shell refuses our 900
        ("", {"00-site.sh": "readonly TMOUT=0\n",
              "60-assessor-tmout.sh": "TMOUT=900\nreadonly TMOUT\nexport TMOUT\n"}, Status.FAIL),
    ],
)
def test_shell_timeout_judges_files_in_login_order(bashrc: str, dropins: dict[str, str],
                                                   status: Status) -> None:
    control = {c.id: c for c in load_catalogue().controls}["accounts.shell-timeout"]
    snap = Snap().file("/etc/profile", "export PATH\n").file("/etc/bash.bashrc", bashrc)
    paths = [f"/etc/profile.d/{name}" for name in sorted(dropins, reverse=True)]  # any order
    snap.data["files"]["/etc/profile.d/*.sh"] = {"glob": True, "matches": paths}
    for name, text in dropins.items():
        snap.file(f"/etc/profile.d/{name}", text)
    result = evaluate_control(control, snap.build())
    assert result.status is status, result
