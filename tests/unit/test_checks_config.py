"""Configuration kinds on the tricky files real hosts have: PAM stacks, sudoers, audit rules,
drop-in directories, enablement links, login.defs quirks."""

from __future__ import annotations

from typing import Any

import pytest
from cases_config import add_stat, no_stat
from unit_builders import Snap

from assessor.catalogue import load_catalogue
from assessor.checks import judge, parse_login_defs
from assessor.checks.audit import parse_rules
from assessor.checks.pam import (
    PamLine,
    logical_lines,
    parse_pam,
    stack,
    tokens,
)
from assessor.checks.sudoers import sudo_defaults_values, sudoers_lines
from assessor.evaluate import evaluate_control
from assessor.results import Status


def glob(snap: Snap, probe: str, pattern: str, files: dict[str, str]) -> Snap:
    """Files (content) under a glob pattern of the files probe."""
    snap.data.setdefault(probe, {})[pattern] = {"glob": True, "matches": sorted(files)}
    for path, content in files.items():
        snap.file(path, content)
    return snap


# --- PAM parsing --------------------------------------------------------------------------

TRICKY_STACK = """\
# comment line with pam_faillock.so
auth    [success=1 default=ignore  new_authtok_reqd=ok]   pam_unix.so nullok # trailing
-auth   optional    pam_systemd_home.so
auth    requisite   /lib/x86_64-linux-gnu/security/pam_faillock.so \\
        preauth silent \\
        deny=4
auth    required    pam_env.so conffile=/etc/x # deny=99 \\
auth    required    pam_permit.so
password requisite pam_pwquality.so [minlen=8 extra=a\\]b]
@include common-extra
account include common-account
"""


def test_logical_lines_join_continuations_and_cut_comments() -> None:
    lines = dict(logical_lines(TRICKY_STACK))
    assert lines[4].split() == [
        "auth", "requisite", "/lib/x86_64-linux-gnu/security/pam_faillock.so", "preauth",
        "silent", "deny=4",
    ]
    assert lines[2].endswith("nullok")
    # a `#` ends the logical line even when a backslash follows it
    assert lines[7].split()[-1] == "conffile=/etc/x"
    assert lines[8].split()[-1] == "pam_permit.so"


def test_tokens_keep_bracket_groups() -> None:
    assert tokens("auth [success=1 default=ignore] pam_unix.so a=b") == [
        "auth", "[success=1 default=ignore]", "pam_unix.so", "a=b",
    ]
    assert tokens("password requisite pam_x.so [a=1 b\\]c]")[-1] == "[a=1 b\\]c]"


def test_parse_pam_reads_types_controls_modules_and_includes() -> None:
    entries = parse_pam(TRICKY_STACK, "/etc/pam.d/t")
    lines = [e for e in entries if isinstance(e, PamLine)]
    assert [line.module_name for line in lines] == [
        "pam_unix.so", "pam_systemd_home.so", "pam_faillock.so", "pam_env.so", "pam_permit.so",
        "pam_pwquality.so",
    ]
    assert lines[0].control == "[success=1 default=ignore  new_authtok_reqd=ok]"
    assert lines[0].args == ("nullok",)
    assert lines[1].optional and lines[1].type == "auth"
    assert lines[2].args == ("preauth", "silent", "deny=4")
    assert lines[2].source == "/etc/pam.d/t:4"
    assert lines[5].args == ("[minlen=8 extra=a\\]b]",)
    includes = [e for e in entries if not isinstance(e, PamLine)]
    assert [(i.name, i.type) for i in includes] == [("common-extra", None),
                                                      ("common-account", "account")]


def test_stack_resolves_includes_in_order_by_type_and_survives_loops() -> None:
    files = {
        "/etc/pam.d/sshd": "@include common-auth\naccount required pam_nologin.so\n"
                           "account include common-account\nsession substack common-session\n",
        "/etc/pam.d/common-auth": "auth required pam_faillock.so preauth\n"
                                  "auth sufficient pam_unix.so\n",
        "/etc/pam.d/loop": "auth required pam_deny.so\n@include loop\n",
        "/etc/pam.d/common-account": "account required pam_unix.so\n"
                                     "auth required pam_never.so\n",
        "/etc/pam.d/common-session": "session optional pam_limits.so\n",
    }
    auth = [line.module_name for line in stack(files, "sshd", "auth")]
    assert auth[:2] == ["pam_faillock.so", "pam_unix.so"]
    assert "pam_never.so" not in auth  # `account include` brings account lines only
    account = [line.module_name for line in stack(files, "sshd", "account")]
    assert account[:2] == ["pam_nologin.so", "pam_unix.so"]
    assert [line.module_name for line in stack(files, "sshd", "session")] == [
        "pam_limits.so"]
    assert len(stack(files, "loop", "auth")) == 9  # bounded by the include depth
    assert stack(files, "absent", "auth") == []


def pam_snap(files: dict[str, str], conf: dict[str, str] | None = None) -> Snap:
    snap = glob(Snap(), "files", "/etc/pam.d/*", {f"/etc/pam.d/{k}": v for k, v in files.items()})
    for path, content in (conf or {}).items():
        if "*" in path:
            glob(snap, "files", path, {path.replace("*", "50-site"): content})
        else:
            snap.file(path, content)
    return snap


PWQ = {"service": "common-password", "type": "password", "module": "pam_pwquality.so",
       "option": "minlen", "default": "8", "min": 14,
       "conf": ["/etc/security/pwquality.conf.d/*.conf", "/etc/security/pwquality.conf"]}


@pytest.mark.parametrize(
    ("line", "conf", "status", "observed"),
    [
        ("password requisite pam_pwquality.so retry=3 minlen=14",
         {"/etc/security/pwquality.conf": "minlen = 8\n"}, Status.PASS, "14"),
        ("password requisite pam_pwquality.so retry=3 minlen=8",
         {"/etc/security/pwquality.conf": "minlen = 14\n"}, Status.FAIL, "8"),
        # the main file is read after the drop-ins, so it wins
        ("password requisite pam_pwquality.so retry=3",
         {"/etc/security/pwquality.conf.d/*.conf": "minlen=14\n",
          "/etc/security/pwquality.conf": "# minlen = 20\nminlen = 9\n"}, Status.FAIL, "9"),
        ("password requisite pam_pwquality.so retry=3",
         {"/etc/security/pwquality.conf.d/*.conf": "minlen=16\n"}, Status.PASS, "16"),
        ("password requisite pam_pwquality.so", {}, Status.FAIL, "8 (not set; default)"),
        ("password requisite pam_unix.so minlen=20", {}, Status.FAIL,
         "pam_pwquality.so not in the stack"),
    ],
)
def test_pam_option_arguments_then_conf_then_default(
    line: str, conf: dict[str, str], status: Status, observed: str
) -> None:
    snap = pam_snap({"common-password": line + "\n"}, conf)
    obs = judge("pam_option", snap.build(), PWQ)
    assert obs.status is status, obs.reason
    assert obs.observed == observed


def test_pam_option_unbounded_and_flags() -> None:
    line = "auth required pam_faillock.so preauth unlock_time=0 even_deny_root\n"
    snap = pam_snap({"common-auth": line}).build()
    base = {"service": "common-auth", "type": "auth", "module": "pam_faillock.so"}
    unlock = {**base, "option": "unlock_time", "min": 900, "unbounded": ["0"]}
    assert judge("pam_option", snap, unlock).status is Status.PASS  # 0: locked until reset
    deny = {**base, "option": "deny", "max": 5, "unbounded": ["0"], "default": "3"}
    assert judge("pam_option", snap, deny).status is Status.PASS
    flag = {**base, "option": "even_deny_root", "expect": "true", "default": "false"}
    assert judge("pam_option", snap, flag).status is Status.PASS
    flag_conf = {**flag, "conf": ["/etc/security/faillock.conf"]}
    plain = pam_snap({"common-auth": "auth required pam_faillock.so preauth\n"},
                     {"/etc/security/faillock.conf": "# even_deny_root\ndeny = 0\n"}).build()
    assert judge("pam_option", plain, flag_conf).status is Status.FAIL
    never = {**deny, "conf": ["/etc/security/faillock.conf"]}
    assert judge("pam_option", plain, never).status is Status.FAIL  # deny=0 never locks


def test_pam_module_args() -> None:
    snap = pam_snap({"common-auth": "auth [success=1 default=ignore] pam_unix.so nullok\n",
                     "common-password": "password [success=1 default=ignore] pam_unix.so "
                                        "obscure remember=5 sha512\n"}).build()
    nullok = {"service": "common-auth", "type": "auth", "module": "pam_unix.so",
              "args_none": ["nullok"]}
    obs = judge("pam_module", snap, nullok)
    assert obs.status is Status.FAIL and "nullok" in obs.reason
    remember = {"service": "common-password", "type": "password", "module": "pam_unix.so",
                "args_none": ["remember"]}
    assert judge("pam_module", snap, remember).status is Status.FAIL
    hashing = {**remember, "args_none": ["md5"], "args_one_of": ["yescrypt", "sha512"]}
    assert judge("pam_module", snap, hashing).status is Status.PASS
    gone = {**remember, "module": "pam_pwhistory.so", "absent": True}
    assert judge("pam_module", snap, gone).status is Status.PASS
    missing = {**remember, "module": "pam_pwhistory.so"}
    obs = judge("pam_module", snap, missing)
    assert obs.status is Status.FAIL and "not in the password stack" in obs.reason


# --- sudoers ------------------------------------------------------------------------------

SUDOERS = """\
Defaults\tenv_reset
Defaults\tsecure_path="/usr/sbin:/usr/bin", \\
\t\tuse_pty
# Defaults !use_pty
root ALL=(ALL:ALL) ALL
%admin ALL=(#0) ALL
@includedir /etc/sudoers.d
"""


def sudo_snap(dropins: dict[str, str]) -> dict[str, Any]:
    snap = Snap().file("/etc/sudoers", SUDOERS)
    return glob(snap, "files", "/etc/sudoers.d/*",
                {f"/etc/sudoers.d/{k}": v for k, v in dropins.items()}).build()


def test_sudoers_includedir_skips_dotted_and_backup_files() -> None:
    files = {
        "/etc/sudoers": SUDOERS,
        "/etc/sudoers.d/10-a": 'Defaults logfile="/var/log/sudo.log", !lecture\n',
        "/etc/sudoers.d/20-b.bak": "Defaults !use_pty\n",
        "/etc/sudoers.d/30-c~": "Defaults !use_pty\n",
    }
    values = sudo_defaults_values(sudoers_lines(files))
    assert values["use_pty"][0] == "true"
    assert values["secure_path"][0] == "/usr/sbin:/usr/bin"
    assert values["logfile"][0] == "/var/log/sudo.log"
    assert values["lecture"][0] == "false"
    assert any("(#0)" in line for _, line in sudoers_lines(files))


@pytest.mark.parametrize(
    ("dropin", "params", "status"),
    [
        ("", {"option": "use_pty", "expect": "true", "default": "false"}, Status.PASS),
        ("Defaults:alice !use_pty\n", {"option": "use_pty", "expect": "true"}, Status.FAIL),
        ("", {"option": "logfile", "present": True}, Status.FAIL),
        ('Defaults logfile = "/var/log/sudo.log"\n', {"option": "logfile", "present": True},
         Status.PASS),
        ("Defaults timestamp_timeout=-1\n",
         {"option": "timestamp_timeout", "max": 15, "unbounded": ["-1"], "default": "15"},
         Status.FAIL),
        ("", {"option": "timestamp_timeout", "max": 15, "unbounded": ["-1"], "default": "15"},
         Status.PASS),
        ("Defaults>root !authenticate\n",
         {"option": "authenticate", "expect": "true", "default": "true"}, Status.FAIL),
    ],
)
def test_sudo_defaults(dropin: str, params: dict[str, Any], status: Status) -> None:
    obs = judge("sudo_defaults", sudo_snap({"50-site": dropin}), params)
    assert obs.status is status, obs.reason


# --- config_value -------------------------------------------------------------------------

JOURNALD = ["/etc/systemd/journald.conf", "/etc/systemd/journald.conf.d/*.conf"]


def test_config_value_sections_and_later_dropin_wins() -> None:
    snap = Snap().file("/etc/systemd/journald.conf",
                       "[Journal]\n#Storage=auto\nStorage=volatile\n[Other]\nStorage=persistent\n")
    glob(snap, "files", JOURNALD[1], {
        "/etc/systemd/journald.conf.d/10-a.conf": "[Journal]\nStorage=persistent\n",
        "/etc/systemd/journald.conf.d/20-b.conf": "[Journal]\nStorage = \"volatile\"\n",
    })
    params = {"files": JOURNALD, "section": "Journal", "key": "Storage", "expect": "persistent"}
    obs = judge("config_value", snap.build(), params)
    assert obs.status is Status.FAIL
    assert "20-b.conf:2" in obs.evidence
    first = judge("config_value", snap.build(), {**params, "first_wins": True})
    assert first.observed == "volatile"  # journald.conf's own line comes first


def test_config_value_default_and_missing_files() -> None:
    snap = Snap().missing_file("/etc/audit/auditd.conf").build()
    params = {"files": ["/etc/audit/auditd.conf"], "key": "max_log_file_action",
              "expect": "keep_logs", "default": "ROTATE"}
    obs = judge("config_value", snap, params)
    assert obs.status is Status.FAIL and "default" in obs.observed
    no_default = {k: v for k, v in params.items() if k != "default"}
    assert judge("config_value", snap, no_default).observed == "not set"


@pytest.mark.parametrize(("version", "status"), [("11", Status.PASS), ("12", Status.PASS),
                                               ("13", Status.FAIL)])
def test_journald_forwarding_default_is_the_releases_own(version: str, status: Status) -> None:
    """Unset, ForwardToSyslog is journald's built-in default: yes up to bookworm, no on
    trixie (systemd 257; each release's journald.conf shows its own as a comment)."""
    control = next(c for c in load_catalogue().controls
                   if c.id == "logging.journald-forward-to-syslog")
    snap = Snap(version=version).file("/etc/systemd/journald.conf", "[Journal]\n#Compress=yes\n")
    glob(snap, "files", JOURNALD[1], {})
    obs = judge("config_value", snap.build(), control.params)
    assert obs.status is status and "default" in obs.observed, obs


def test_config_value_space_separator_and_case_of_values() -> None:
    snap = Snap().file("/etc/rsyslog.conf", "$FileCreateMode 0640\n$IncludeConfig x\n")
    glob(snap, "files", "/etc/rsyslog.d/*.conf",
         {"/etc/rsyslog.d/a.conf": "$FileCreateMode 0644\n"})
    params = {"files": ["/etc/rsyslog.conf", "/etc/rsyslog.d/*.conf"], "key": "$FileCreateMode",
              "separator": " ", "one_of": ["0640", "0600"]}
    assert judge("config_value", snap.build(), params).status is Status.FAIL
    auditd = Snap().file("/etc/audit/auditd.conf", "max_log_file_action=KEEP_LOGS\n").build()
    keep = {"files": ["/etc/audit/auditd.conf"], "key": "max_log_file_action",
            "expect": "keep_logs"}
    assert judge("config_value", auditd, keep).status is Status.PASS


def test_config_value_needs_one_comparison() -> None:
    snap = Snap().file("/etc/x", "a=1\n").build()
    obs = judge("config_value", snap, {"files": ["/etc/x"], "key": "a"})
    assert obs.status is Status.ERROR and "exactly one of" in obs.reason


# --- file_lines, glob_permissions, file_absent --------------------------------------------

BANNER = {"files": ["/etc/issue"], "forbid": r"\\[mrsv]|debian", "ignore_case": True,
          "comment": ""}


@pytest.mark.parametrize(
    ("content", "status"),
    [("Authorised use only\n", Status.PASS), ("DEBIAN \\n \\l\n", Status.FAIL),
     ("Kernel \\r\n", Status.FAIL), ("# \\s is also shown: getty has no comments\n", Status.FAIL)],
)
def test_file_lines_forbid(content: str, status: Status) -> None:
    obs = judge("file_lines", Snap().file("/etc/issue", content).build(), BANNER)
    assert obs.status is status


def test_file_lines_require_and_if_none() -> None:
    params = {"files": ["/etc/motd"], "require": "^Authorised", "if_none": "notapplicable"}
    assert judge("file_lines", Snap().missing_file("/etc/motd").build(), params).status \
        is Status.NOTAPPLICABLE
    assert judge("file_lines", Snap().file("/etc/motd", "#Authorised\n").build(), params).status \
        is Status.FAIL
    assert judge("file_lines", Snap().file("/etc/motd", " Authorised\n").build(), params).status \
        is Status.PASS


def stat_glob(snap: Snap, pattern: str, entries: dict[str, str]) -> Snap:
    snap.data.setdefault("stat", {})[pattern] = {"glob": True, "matches": sorted(entries)}
    for path, mode in entries.items():
        snap.stat(path, mode)
    return snap


def test_glob_permissions_judges_every_match() -> None:
    snap = stat_glob(Snap(), "/etc/ssh/ssh_host_*_key", {
        "/etc/ssh/ssh_host_ed25519_key": "0600", "/etc/ssh/ssh_host_rsa_key": "0640",
    })
    params = {"path": "/etc/ssh/ssh_host_*_key", "max_mode": "0600", "owner": "root"}
    obs = judge("glob_permissions", snap.build(), params)
    assert obs.status is Status.FAIL
    assert "1 of 2" in obs.observed and "ssh_host_rsa_key" in obs.observed
    empty = stat_glob(Snap(), "/etc/ssh/ssh_host_*_key", {}).build()
    assert judge("glob_permissions", empty, params).status is Status.FAIL
    assert judge("glob_permissions", empty, {**params, "if_none": "pass"}).status is Status.PASS


def test_glob_permissions_types_and_exclude() -> None:
    snap = stat_glob(Snap(), "/var/log/*", {"/var/log/wtmp": "0664", "/var/log/syslog": "0640",
                                            "/var/log/apt": "0755"})
    snap.data["stat"]["/var/log/apt"]["type"] = "dir"
    params = {"path": "/var/log/*", "max_mode": "0640", "types": ["file"]}
    assert judge("glob_permissions", snap.build(), params).status is Status.FAIL
    params["exclude"] = ["/var/log/wtmp*"]
    obs = judge("glob_permissions", snap.build(), params)
    assert obs.status is Status.PASS and "all 1" in obs.observed


def test_file_absent() -> None:
    params = {"path": "/etc/cron.deny"}
    assert judge("file_absent", Snap().missing_file("/etc/cron.deny").build(), params).status \
        is Status.PASS
    assert judge("file_absent", Snap().stat("/etc/cron.deny").build(), params).status \
        is Status.FAIL


# --- systemd enablement -------------------------------------------------------------------


def unit_snap(wants: bool, masked: bool = False, installed: bool = True) -> dict[str, Any]:
    unit = "cron.service"
    snap = stat_glob(Snap(), f"/etc/systemd/system/*.wants/{unit}",
                     {f"/etc/systemd/system/multi-user.target.wants/{unit}": "0644"}
                     if wants else {})
    for folder in ("/usr/lib/systemd/system", "/lib/systemd/system"):
        if installed:
            snap.stat(f"{folder}/{unit}")
        else:
            snap.missing_file(f"{folder}/{unit}")
    if masked:
        snap.stat(f"/etc/systemd/system/{unit}", "0666")
        snap.data["stat"][f"/etc/systemd/system/{unit}"]["type"] = "other"
    else:
        snap.missing_file(f"/etc/systemd/system/{unit}")
    return snap.build()


@pytest.mark.parametrize(
    ("snapshot", "state"),
    [(unit_snap(True), "enabled"), (unit_snap(False), "disabled"),
     (unit_snap(True, masked=True), "masked"), (unit_snap(False, installed=False),
                                                "not-installed")],
)
def test_service_states(snapshot: dict[str, Any], state: str) -> None:
    enabled = judge("service_enabled", snapshot, {"unit": "cron.service"})
    disabled = judge("service_disabled", snapshot, {"unit": "cron.service"})
    assert enabled.observed == state == disabled.observed
    assert (enabled.status is Status.PASS) == (state == "enabled")
    assert (disabled.status is Status.PASS) == (state != "enabled")


# --- audit rules --------------------------------------------------------------------------


def audit_snap(text: str) -> dict[str, Any]:
    return glob(Snap(), "files", "/etc/audit/rules.d/*.rules",
                {"/etc/audit/rules.d/50.rules": text}).build()


def test_audit_rule_forms_normalise() -> None:
    rules = parse_rules([("f", "-a exit,always -F arch=b64 -S adjtimex -S settimeofday "
                               "-F auid!=4294967295 -F key=t\n"
                               "-a always,exit -F dir=/etc/sudoers.d/ -F perm=wa -k scope\n"
                               "-w /etc/passwd -p wa -k identity\n"
                               "-a always,exit -F path=/usr/bin/kmod -F perm=x -F auid>=1000\n")])
    assert rules[0].action == "always,exit" and rules[0].arch == "b64"
    assert rules[0].syscalls == {"adjtimex", "settimeofday"}
    assert rules[0].fields == ["auid!=unset"]
    assert (rules[1].watch, rules[1].perms) == ("/etc/sudoers.d/", "wa")
    assert (rules[2].watch, rules[2].perms) == ("/etc/passwd", "wa")
    assert rules[3].watch == "" and "path=/usr/bin/kmod" in rules[3].fields


TIME = {"require": [{"syscalls": ["adjtimex", "settimeofday", "clock_settime"]},
                    {"watch": "/etc/localtime", "perms": "wa"}]}


def test_audit_rules_need_both_arches() -> None:
    b64_only = "-a always,exit -F arch=b64 -S adjtimex,settimeofday,clock_settime -k t\n" \
               "-w /etc/localtime -p wa -k t\n"
    obs = judge("audit_rules", audit_snap(b64_only), TIME)
    assert obs.status is Status.FAIL and "b32:adjtimex" in obs.evidence
    both = b64_only + "-a always,exit -F arch=b32 -S adjtimex -S settimeofday,clock_settime\n"
    assert judge("audit_rules", audit_snap(both), TIME).status is Status.PASS


def test_audit_watch_perms_and_never_rules() -> None:
    params = {"require": [{"watch": "/etc/shadow", "perms": "wa"}]}
    assert judge("audit_rules", audit_snap("-w /etc/shadow -p w\n"), params).status \
        is Status.FAIL
    assert judge("audit_rules", audit_snap("-w /etc/shadow\n"), params).status is Status.PASS
    calls = {"require": [{"syscalls": ["mount"], "fields": ["auid>=1000", "auid!=unset"]}]}
    never = "-a never,exit -F arch=b64 -S mount -F auid>=1000 -F auid!=-1\n" \
            "-a always,exit -F arch=b32 -S mount -F auid>=1000 -F auid!=-1\n"
    assert judge("audit_rules", audit_snap(never), calls).status is Status.FAIL
    fields_missing = never.replace("never,exit", "always,exit").replace(" -F auid!=-1", "")
    assert judge("audit_rules", audit_snap(fields_missing), calls).status is Status.FAIL


def test_audit_immutable_must_be_last() -> None:
    params = {"require": [{"immutable": True}]}
    assert judge("audit_rules", audit_snap("-D\n-e 2\n"), params).status is Status.PASS
    assert judge("audit_rules", audit_snap("-e 2\n-e 1\n"), params).status is Status.FAIL
    assert judge("audit_rules", audit_snap("# -e 2\n"), params).status is Status.FAIL


# --- grub, sshd lists, login.defs ---------------------------------------------------------


def test_grub_cmdline_every_kernel_line() -> None:
    params = {"arg": "audit_backlog_limit", "min": 8192}
    assert judge("grub_cmdline", Snap().missing_file("/boot/grub/grub.cfg").build(),
                 params).status is Status.NOTAPPLICABLE
    cfg = "\tlinux /vmlinuz ro audit_backlog_limit=8192\n  linux /old ro\n"
    obs = judge("grub_cmdline", Snap().file("/boot/grub/grub.cfg", cfg).build(), params)
    assert obs.status is Status.FAIL and "line 2" in obs.observed
    good = cfg.replace("/old ro", "/old ro audit_backlog_limit=16384")
    assert judge("grub_cmdline", Snap().file("/boot/grub/grub.cfg", good).build(),
                 params).status is Status.PASS


def test_sshd_lists_and_fields() -> None:
    snap = Snap().sshd_output("ciphers aes256-ctr,AES128-CBC\nmaxstartups 10:30:100\n").build()
    weak = {"option": "Ciphers", "values": ["aes128-cbc"]}
    obs = judge("sshd_forbid", snap, weak)
    assert obs.status is Status.FAIL and "AES128-CBC" in obs.reason
    assert judge("sshd_fields_max", snap, {"option": "maxstartups", "limits": "10:30:60"}) \
        .status is Status.FAIL
    access = {"options": ["allowusers", "allowgroups"]}
    assert judge("sshd_any_set", snap, access).status is Status.FAIL
    broken = Snap().sshd_output("", rc=255, stderr="Bad configuration option").build()
    for kind, params in (("sshd_forbid", weak), ("sshd_any_set", access)):
        obs = judge(kind, broken, params)
        assert obs.status is Status.ERROR and "Bad configuration" in obs.reason


def test_parse_login_defs_like_getdef() -> None:
    text = ("UMASK\t\t022\r\n  # UMASK 077\nUMASK 027 # site\nENV_PATH \"PATH=/bin\" x\n"
            "PASS_MAX_DAYS\nMAIL_DIR \t /var/mail  \n")
    values = parse_login_defs(text)
    assert values["UMASK"] == "027 # site"  # getdef keeps it, and it is no number
    assert values["ENV_PATH"] == "PATH=/bin"
    assert values["MAIL_DIR"] == "/var/mail"
    assert "PASS_MAX_DAYS" not in values
    obs = judge("login_defs", Snap().login_defs(text).build(),
                {"key": "UMASK", "one_of": ["027"]})
    assert obs.status is Status.FAIL


def test_glob_permissions_never_judges_a_link_as_the_file_it_leads_to() -> None:
    """trixie and systemd's tmpfiles make /var/log/README a link into /usr/share/doc."""
    snap = stat_glob(Snap(), "/var/log/*", {"/var/log/README": "0644", "/var/log/syslog": "0640"})
    snap.data["stat"]["/var/log/README"]["link"] = "../../usr/share/doc/systemd/README.logs"
    params = {"path": "/var/log/*", "max_mode": "0640", "types": ["file"]}
    obs = judge("glob_permissions", snap.build(), params)
    assert obs.status is Status.PASS and "all 1 path" in obs.observed
    snap.data["stat"]["/var/log/README"].pop("link")
    assert judge("glob_permissions", snap.build(), params).status is Status.FAIL


@pytest.mark.parametrize(
    ("line", "conf", "status"),
    [
        ("preauth even_deny_root", "", Status.PASS),
        ("preauth", "even_deny_root\n", Status.PASS),
        # CIS 5.3.3.1.3 also accepts root_unlock_time >= 60 alone (it implies even_deny_root)
        ("preauth root_unlock_time=60", "", Status.PASS),
        ("preauth", "root_unlock_time = 900\n", Status.PASS),
        ("preauth", "# even_deny_root\n", Status.FAIL),
        ("preauth even_deny_root root_unlock_time=30", "", Status.FAIL),
        ("preauth", "even_deny_root\nroot_unlock_time = 59\n", Status.FAIL),
    ],
)
def test_faillock_root_is_even_deny_root_or_a_long_root_unlock_time(
    line: str, conf: str, status: Status
) -> None:
    control = {c.id: c for c in load_catalogue().controls}["pam.faillock-root"]
    snap = pam_snap({"common-auth": f"auth required pam_faillock.so {line}\n"},
                    {"/etc/security/faillock.conf": conf}).build()
    obs = judge(control.kind, snap, control.params)
    assert obs.status is status, obs.reason


@pytest.mark.parametrize(
    ("stat", "status"),
    [
        (None, Status.PASS),  # no at.deny: at.allow alone decides
        (("0640", "root", "daemon"), Status.PASS),  # CIS 2.4.2.1: allowed when restricted
        (("0600", "root", "root"), Status.PASS),
        (("0644", "root", "daemon"), Status.FAIL),
        (("0640", "daemon", "daemon"), Status.FAIL),
    ],
)
def test_at_deny_may_stay_when_restricted(stat: tuple[str, str, str] | None,
                                          status: Status) -> None:
    control = {c.id: c for c in load_catalogue().controls}["cron.at-deny"]
    snap = Snap()
    if stat:
        add_stat(snap, "/etc/at.deny", stat[0], owner=stat[1], group=stat[2])
    else:
        no_stat(snap, "/etc/at.deny")
    assert evaluate_control(control, snap.build()).status is status


@pytest.mark.parametrize(
    ("version", "builtin"),
    [("1.9.16p2-3", "is true"), ("1.9.13p3-1+deb12u1", "is false"), ("1.9.5p2-3+deb11u1",
                                                                      "is false")],
)
def test_use_pty_label_follows_the_hosts_sudo_and_cis_still_wants_the_line(
    version: str, builtin: str
) -> None:
    """sudo's built-in use_pty is on since 1.9.14 (trixie), off before (bookworm,
    bullseye); CIS 5.2.2 greps for `Defaults use_pty`, so unset fails on all three."""
    control = {c.id: c for c in load_catalogue().controls}["sudo.use-pty"]
    snap = Snap().package("sudo", version=version)
    snap.file("/etc/sudoers", "Defaults\tenv_reset\nroot\tALL=(ALL:ALL) ALL\n")
    snap.data["files"]["/etc/sudoers.d/*"] = {"glob": True, "matches": []}
    finding = evaluate_control(control, snap.build())
    assert finding.status is Status.FAIL
    assert f"sudo {version}'s built-in default" in finding.observed
    assert builtin in finding.observed
    assert "explicit Defaults line" in finding.observed
    snap.file("/etc/sudoers", "Defaults\tenv_reset, use_pty\nroot\tALL=(ALL:ALL) ALL\n")
    assert evaluate_control(control, snap.build()).status is Status.PASS


@pytest.mark.parametrize(
    ("rule", "status"),
    [("%sudo ALL=(ALL:ALL) ALL", Status.PASS), ("ops ALL=(ALL) PASSWD: ALL", Status.PASS),
     ("ops ALL=(ALL) NOPASSWD:/usr/bin/apt", Status.FAIL),
     ("ops ALL=(root) NOEXEC: NOPASSWD: /bin/ls, PASSWD: ALL", Status.FAIL)],
)
def test_sudo_password_required_is_cis_5_2_4(rule: str, status: Status) -> None:
    control = {c.id: c for c in load_catalogue().controls}["sudo.password-required"]
    snap = Snap().file("/etc/sudoers", f"Defaults env_reset\n{rule}\n")
    snap.data["files"]["/etc/sudoers.d/*"] = {"glob": True, "matches": []}
    assert evaluate_control(control, snap.build()).status is status
