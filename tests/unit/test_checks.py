"""Every check kind, judged on snapshots that pass, fail, and break in the ways hosts do."""

from __future__ import annotations

from typing import Any

import pytest
from unit_builders import CONFIG_FILES, INSTALLED, NOT_INSTALLED, Snap

from assessor.checks import (
    KINDS,
    installed,
    judge,
    params_problem,
    parse_login_defs,
    parse_sshd_t,
    probes_for,
)
from assessor.results import Status

# --- sshd_effective -----------------------------------------------------------------------

ROOT_LOGIN = {"option": "permitrootlogin", "expect": "no"}


def test_sshd_pass_and_fail(snap: Snap) -> None:
    ok = judge("sshd_effective", snap.sshd(permitrootlogin="no").build(), ROOT_LOGIN)
    assert ok.status is Status.PASS
    assert ok.observed == "no"
    assert ok.evidence == "sshd -T: permitrootlogin no"

    bad = judge("sshd_effective", Snap().sshd(permitrootlogin="yes").build(), ROOT_LOGIN)
    assert bad.status is Status.FAIL
    assert (bad.expected, bad.observed) == ("no", "yes")
    assert "expected no" in bad.reason


def test_sshd_without_password_is_not_no(snap: Snap) -> None:
    obs = judge(
        "sshd_effective", snap.sshd(permitrootlogin="without-password").build(), ROOT_LOGIN
    )
    assert obs.status is Status.FAIL
    assert obs.observed == "without-password"


def test_sshd_case_of_keyword_and_value_does_not_matter(snap: Snap) -> None:
    snapshot = snap.sshd_output("PermitRootLogin NO\nLogLevel verbose\n").build()
    params = {"option": "PermitRootLogin", "expect": "no"}
    assert judge("sshd_effective", snapshot, params).status is Status.PASS
    log = {"option": "loglevel", "one_of": ["INFO", "VERBOSE"]}
    assert judge("sshd_effective", snapshot, log).status is Status.PASS


def test_parse_sshd_t_keeps_repeated_keywords_and_lowercases() -> None:
    out = (
        "port 22\nHostKey /etc/ssh/ssh_host_rsa_key\nhostkey /etc/ssh/ssh_host_ed25519_key\n"
        "\n   \nbanner none\nsubsystem sftp /usr/lib/openssh/sftp-server\n"
    )
    parsed = parse_sshd_t(out)
    assert parsed["hostkey"] == ["/etc/ssh/ssh_host_rsa_key", "/etc/ssh/ssh_host_ed25519_key"]
    assert parsed["port"] == ["22"]
    assert parsed["subsystem"] == ["sftp /usr/lib/openssh/sftp-server"]
    assert "" not in parsed


def test_sshd_repeated_keyword_is_judged_on_every_value(snap: Snap) -> None:
    snapshot = snap.sshd_output("maxauthtries 4\nmaxauthtries 10\n").build()
    obs = judge("sshd_effective", snapshot, {"option": "maxauthtries", "max": 4})
    assert obs.status is Status.FAIL
    assert obs.observed == "4 10"


@pytest.mark.parametrize(
    ("value", "params", "status"),
    [
        ("4", {"max": 4}, Status.PASS),
        ("3", {"max": 4}, Status.PASS),
        ("5", {"max": 4}, Status.FAIL),
        ("60", {"max": 60}, Status.PASS),
        ("120", {"max": 60}, Status.FAIL),
        ("INFO", {"one_of": ["INFO", "VERBOSE"]}, Status.PASS),
        ("QUIET", {"one_of": ["INFO", "VERBOSE"]}, Status.FAIL),
        ("7", {"min": 7}, Status.PASS),
        ("6", {"min": 7}, Status.FAIL),
        ("abc", {"max": 4}, Status.FAIL),
    ],
)
def test_sshd_comparisons(value: str, params: dict[str, Any], status: Status) -> None:
    snapshot = Snap().sshd(opt=value).build()
    assert judge("sshd_effective", snapshot, {"option": "opt", **params}).status is status


def test_sshd_option_not_reported_fails_with_what_was_seen(snap: Snap) -> None:
    obs = judge("sshd_effective", snap.sshd(port=22).build(), ROOT_LOGIN)
    assert obs.status is Status.FAIL
    assert obs.observed == "(not reported by sshd -T)"


def test_sshd_t_failing_is_an_error_with_stderr(snap: Snap) -> None:
    snapshot = snap.sshd_output("", rc=255, stderr="/etc/ssh/sshd_config line 3: bad").build()
    obs = judge("sshd_effective", snapshot, ROOT_LOGIN)
    assert obs.status is Status.ERROR
    assert "exited 255" in obs.reason
    assert "line 3: bad" in obs.reason


# --- sysctl -------------------------------------------------------------------------------

FORWARD = {"key": "net.ipv4.ip_forward", "expect": "0"}


def test_sysctl_pass_and_fail(snap: Snap) -> None:
    snap.sysctl_file("/etc/sysctl.conf", "net.ipv4.ip_forward = 0\n")
    ok = judge("sysctl", snap.sysctl({"net.ipv4.ip_forward": "0"}).build(), FORWARD)
    assert ok.status is Status.PASS
    assert ok.evidence.startswith("/proc/sys/net/ipv4/ip_forward = 0")
    bad = judge("sysctl", snap.sysctl({"net.ipv4.ip_forward": "1"}).build(), FORWARD)
    assert bad.status is Status.FAIL
    assert (bad.expected, bad.observed) == ("0", "1")


def test_sysctl_integer_expectation_matches_string_value(snap: Snap) -> None:
    snap.sysctl_file("/etc/sysctl.conf", "net.ipv4.tcp_syncookies=1\n")
    snapshot = snap.sysctl({"net.ipv4.tcp_syncookies": "1"}).build()
    obs = judge("sysctl", snapshot, {"key": "net.ipv4.tcp_syncookies", "expect": 1})
    assert obs.status is Status.PASS


def test_sysctl_key_absent_on_kernel_is_error(snap: Snap) -> None:
    obs = judge("sysctl", snap.sysctl({"net.ipv4.ip_forward": None}).build(), FORWARD)
    assert obs.status is Status.ERROR
    assert "not present" in obs.reason


# --- file_permissions ---------------------------------------------------------------------

SHADOW = {"path": "/etc/shadow", "max_mode": "0640", "owner": "root", "group": ["root", "shadow"]}


def test_file_permissions_pass(snap: Snap) -> None:
    obs = judge("file_permissions", snap.stat("/etc/shadow", "0640", group="shadow").build(),
                SHADOW)
    assert obs.status is Status.PASS
    assert obs.observed == "mode 0640, owner root, group shadow"
    assert "uid 0" in obs.evidence


def test_file_permissions_stricter_mode_passes(snap: Snap) -> None:
    obs = judge("file_permissions", snap.stat("/etc/shadow", "0000").build(), SHADOW)
    assert obs.status is Status.PASS


@pytest.mark.parametrize(
    ("mode", "owner", "group", "problem"),
    [
        ("0644", "root", "shadow", "mode 0644 allows more than 0640"),
        ("0660", "root", "shadow", "mode 0660 allows more than 0640"),
        ("4640", "root", "shadow", "mode 4640 allows more than 0640"),  # setuid bit
        ("0640", "daemon", "shadow", "owner daemon is not root"),
        ("0640", "root", "adm", "group adm is not root or shadow"),
    ],
)
def test_file_permissions_fail(mode: str, owner: str, group: str, problem: str) -> None:
    snapshot = Snap().stat("/etc/shadow", mode, owner=owner, group=group).build()
    obs = judge("file_permissions", snapshot, SHADOW)
    assert obs.status is Status.FAIL
    assert problem in obs.reason
    assert obs.expected == "mode <= 0640, owner root, group root|shadow"


def test_file_permissions_every_problem_is_reported(snap: Snap) -> None:
    snapshot = snap.stat("/etc/shadow", "0666", owner="nobody", group="users").build()
    obs = judge("file_permissions", snapshot, SHADOW)
    assert obs.status is Status.FAIL
    assert obs.reason.count(";") == 2


def test_file_permissions_without_owner_or_group_constraints(snap: Snap) -> None:
    params = {"path": "/etc/motd", "max_mode": "0644"}
    obs = judge("file_permissions", snap.stat("/etc/motd", "0644", owner="x", group="y").build(),
                params)
    assert obs.status is Status.PASS
    assert obs.expected == "mode <= 0644"


def test_file_permissions_missing_file_fails(snap: Snap) -> None:
    obs = judge("file_permissions", snap.missing_file("/etc/shadow").build(), SHADOW)
    assert obs.status is Status.FAIL
    assert obs.observed == "missing"


# --- package_absent -----------------------------------------------------------------------

TELNETD = {"name": ["telnetd", "inetutils-telnetd"]}


@pytest.mark.parametrize(
    ("status", "present"),
    [
        (INSTALLED, True),
        ("hold ok installed", True),
        ("install ok unpacked", True),
        ("install ok half-configured", True),
        (CONFIG_FILES, False),
        (NOT_INSTALLED, False),
        ("rc", False),
        ("", False),
    ],
)
def test_dpkg_states(status: str, present: bool) -> None:
    assert installed({"status": status, "version": "1"}) is present
    snapshot = Snap().package("telnetd", status).build()
    expected = Status.FAIL if present else Status.PASS
    assert judge("package_absent", snapshot, TELNETD).status is expected


def test_package_absent_when_dpkg_never_heard_of_it(snap: Snap) -> None:
    obs = judge("package_absent", snap.no_packages().build(), TELNETD)
    assert obs.status is Status.PASS
    assert "telnetd not known to dpkg" in obs.evidence


def test_package_present_under_any_listed_name_fails(snap: Snap) -> None:
    snapshot = (
        snap.package("telnetd", CONFIG_FILES, "0.17-44")
        .package("inetutils-telnetd", INSTALLED, "2:2.4-2")
        .build()
    )
    obs = judge("package_absent", snapshot, TELNETD)
    assert obs.status is Status.FAIL
    assert obs.observed == "installed: inetutils-telnetd 2:2.4-2"
    assert "telnetd deinstall ok config-files 0.17-44" in obs.evidence


def test_package_absent_accepts_a_single_name(snap: Snap) -> None:
    snapshot = snap.package("rsh-server").build()
    assert judge("package_absent", snapshot, {"name": "rsh-server"}).status is Status.FAIL


# --- login_defs ---------------------------------------------------------------------------

MAX_DAYS = {"key": "PASS_MAX_DAYS", "max": 365, "default": "99999"}


def test_login_defs_pass_and_fail(snap: Snap) -> None:
    ok = judge("login_defs", snap.login_defs("PASS_MAX_DAYS 90\n").build(), MAX_DAYS)
    assert ok.status is Status.PASS
    assert ok.observed == "90"
    bad = judge("login_defs", Snap().login_defs("PASS_MAX_DAYS\t99999\n").build(), MAX_DAYS)
    assert bad.status is Status.FAIL
    assert (bad.expected, bad.observed) == ("<= 365", "99999")


def test_parse_login_defs_comments_whitespace_tabs_quotes() -> None:
    text = (
        "# PASS_MAX_DAYS 1\n"
        "   #PASS_MIN_DAYS 5\n"
        "\n"
        "\t PASS_MAX_DAYS \t 90   \n"
        "ENCRYPT_METHOD\tSHA512\n"
        'MAIL_DIR   "/var/mail"\n'
        "UMASK\t\t022\n"
    )
    assert parse_login_defs(text) == {
        "PASS_MAX_DAYS": "90",
        "ENCRYPT_METHOD": "SHA512",
        "MAIL_DIR": "/var/mail",
        "UMASK": "022",
    }


def test_login_defs_last_setting_wins_like_getdef() -> None:
    assert parse_login_defs("PASS_MAX_DAYS 30\nPASS_MAX_DAYS 400\n")["PASS_MAX_DAYS"] == "400"


def test_login_defs_commented_key_is_not_set() -> None:
    snapshot = Snap().login_defs("#PASS_MAX_DAYS 30\n").build()
    obs = judge("login_defs", snapshot, MAX_DAYS)
    assert obs.status is Status.FAIL
    assert obs.observed == "99999 (not set; built-in default)"


def test_login_defs_missing_key_falls_back_to_default(snap: Snap) -> None:
    snapshot = snap.login_defs("UMASK 022\n").build()
    warn = {"key": "PASS_WARN_AGE", "min": 7, "default": "7"}
    obs = judge("login_defs", snapshot, warn)
    assert obs.status is Status.PASS
    assert "built-in default" in obs.observed


def test_login_defs_key_without_value_is_ignored_like_getdef(snap: Snap) -> None:
    """shadow's getdef skips a line with only a keyword, so the built-in default applies."""
    snapshot = snap.login_defs("PASS_WARN_AGE\n").build()
    obs = judge("login_defs", snapshot, {"key": "PASS_WARN_AGE", "min": 7, "default": "7"})
    assert obs.status is Status.PASS


def test_login_defs_missing_key_without_default_fails(snap: Snap) -> None:
    obs = judge("login_defs", snap.login_defs("").build(), {"key": "PASS_MAX_DAYS", "max": 365})
    assert obs.status is Status.FAIL
    assert obs.observed == "not set"


def test_login_defs_one_of_folds_case(snap: Snap) -> None:
    params = {"key": "ENCRYPT_METHOD", "one_of": ["SHA512", "YESCRYPT"], "default": "DES"}
    assert judge("login_defs", snap.login_defs("ENCRYPT_METHOD yescrypt\n").build(),
                 params).status is Status.PASS
    assert judge("login_defs", Snap().login_defs("ENCRYPT_METHOD MD5\n").build(),
                 params).status is Status.FAIL
    assert judge("login_defs", Snap().login_defs("").build(), params).status is Status.FAIL


def test_login_defs_file_missing_fails(snap: Snap) -> None:
    obs = judge("login_defs", snap.missing_file("/etc/login.defs").build(), MAX_DAYS)
    assert obs.status is Status.FAIL
    assert "does not exist" in obs.reason


# --- accounts -----------------------------------------------------------------------------


def test_uid0_only_root_passes(snap: Snap) -> None:
    snapshot = snap.user("root", 0).user("daemon", 1).user("alice", 1000).build()
    obs = judge("uid0_accounts", snapshot, {"allowed": ["root"]})
    assert obs.status is Status.PASS
    assert obs.observed == "root"


def test_uid0_extra_account_fails(snap: Snap) -> None:
    snapshot = snap.user("root", 0).user("toor", 0).build()
    obs = judge("uid0_accounts", snapshot, {"allowed": ["root"]})
    assert obs.status is Status.FAIL
    assert obs.observed == "root, toor"
    assert obs.reason == "UID 0 also held by toor"
    assert obs.expected == "only root"


def test_uid0_allowed_list_and_default(snap: Snap) -> None:
    snapshot = snap.user("root", 0).user("toor", 0).build()
    assert judge("uid0_accounts", snapshot, {"allowed": ["root", "toor"]}).status is Status.PASS
    assert judge("uid0_accounts", snapshot, {}).status is Status.FAIL


def test_uid0_non_numeric_uid_is_error(snap: Snap) -> None:
    snapshot = snap.user("root", 0).build()
    snapshot["accounts"]["users"][0]["uid"] = "zero"
    assert judge("uid0_accounts", snapshot, {}).status is Status.ERROR


def test_no_empty_passwords(snap: Snap) -> None:
    clean = snap.user("root", 0, "hashed").user("daemon", 1, "locked").user("x", 2, "none")
    assert judge("no_empty_passwords", clean.build(), {}).status is Status.PASS
    obs = judge("no_empty_passwords", clean.user("nopass", 1001, "empty").build(), {})
    assert obs.status is Status.FAIL
    assert obs.observed == "nopass"
    assert "nopass" in obs.reason


def test_no_empty_passwords_unreadable_shadow_is_error_not_pass(snap: Snap) -> None:
    snapshot = snap.user("root", 0, "none").build()
    snapshot["accounts"]["shadow_error"] = "PermissionError: [Errno 13] Permission denied"
    obs = judge("no_empty_passwords", snapshot, {})
    assert obs.status is Status.ERROR
    assert "Permission denied" in obs.reason


# --- errors, never crashes ----------------------------------------------------------------

ONE_OF_EACH: dict[str, tuple[dict[str, Any], str]] = {
    "sshd_effective": (ROOT_LOGIN, "sshd"),
    "sysctl": (FORWARD, "sysctl"),
    "file_permissions": (SHADOW, "stat"),
    "package_absent": (TELNETD, "packages"),
    "login_defs": (MAX_DAYS, "files"),
    "uid0_accounts": ({"allowed": ["root"]}, "accounts"),
    "no_empty_passwords": ({}, "accounts"),
}


def test_foundation_kinds_are_covered_here() -> None:
    """Kinds added by later areas have their own test modules; the catalogue walk has all."""
    assert set(ONE_OF_EACH) <= set(KINDS)


@pytest.mark.parametrize("kind", sorted(ONE_OF_EACH))
def test_failed_probe_is_error_with_reason(kind: str) -> None:
    params, probe = ONE_OF_EACH[kind]
    assert probe in probes_for(kind, params)
    snapshot = Snap().error(probe, "PermissionError: [Errno 13] Permission denied").build()
    obs = judge(kind, snapshot, params)
    assert obs.status is Status.ERROR
    assert obs.reason == f"probe {probe!r} failed: PermissionError: [Errno 13] Permission denied"


@pytest.mark.parametrize("kind", sorted(ONE_OF_EACH))
def test_missing_probe_is_error_not_crash(kind: str) -> None:
    params, _ = ONE_OF_EACH[kind]
    obs = judge(kind, Snap().build(), params)
    assert obs.status is Status.ERROR
    assert obs.reason.startswith("could not evaluate: KeyError")


@pytest.mark.parametrize("kind", sorted(ONE_OF_EACH))
def test_malformed_probe_is_error_not_crash(kind: str) -> None:
    params, probe = ONE_OF_EACH[kind]
    snapshot = Snap().build()
    snapshot[probe] = None
    obs = judge(kind, snapshot, params)
    assert obs.status is Status.ERROR
    assert obs.reason.startswith("could not evaluate")


def test_stat_entry_missing_for_path_is_error(snap: Snap) -> None:
    snapshot = snap.stat("/etc/passwd").build()
    obs = judge("file_permissions", snapshot, SHADOW)
    assert obs.status is Status.ERROR
    assert "/etc/shadow" in obs.reason


def test_probes_each_kind_asks_for() -> None:
    assert probes_for("sshd_effective", ROOT_LOGIN) == {"sshd": True}
    assert probes_for("sysctl", FORWARD) == {"sysctl": ["net.ipv4.ip_forward"],
                                             "sysctl_files": True}
    assert probes_for("file_permissions", SHADOW) == {"stat": ["/etc/shadow"]}
    assert probes_for("login_defs", MAX_DAYS) == {"files": ["/etc/login.defs"]}
    assert probes_for("package_absent", TELNETD) == {"packages": True}


# --- params validation --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "params", "problem"),
    [
        ("nope", {}, "unknown check kind 'nope'"),
        ("sysctl", {"expect": "0"}, "needs key"),
        ("sysctl", {"key": "a.b", "expect": "0", "colour": "red"}, "does not take colour"),
        ("sysctl", {"key": "a.b"}, "exactly one of"),
        ("sysctl", {"key": "a.b", "expect": "0", "max": 1}, "exactly one of"),
        ("sysctl", {"key": "a.b", "max": "1"}, "'max' must be an integer"),
        ("sysctl", {"key": "a.b", "max": True}, "'max' must be an integer"),
        ("sysctl", {"key": "a.b", "one_of": "0"}, "'one_of' must be a list"),
        ("sshd_effective", {"option": "x11forwarding", "expect": False}, "'expect'"),
        ("sshd_effective", {"option": "loglevel", "one_of": ["INFO", True]}, "'one_of'"),
        ("file_permissions", {"path": "/etc/shadow", "max_mode": 420}, "'max_mode'"),
        ("file_permissions", {"path": "/etc/shadow", "max_mode": "0999"}, "'max_mode'"),
        ("uid0_accounts", {"allowed": "root", "extra": 1}, "does not take extra"),
    ],
)
def test_params_problem(kind: str, params: dict[str, Any], problem: str) -> None:
    found = params_problem(kind, params)
    assert found is not None
    assert problem in found


@pytest.mark.parametrize("kind", sorted(ONE_OF_EACH))
def test_params_fit(kind: str) -> None:
    assert params_problem(kind, {"kind": kind, **ONE_OF_EACH[kind][0]}) is None
