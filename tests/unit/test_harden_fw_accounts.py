"""The pure parts of the firewall, account, APT-source and rsyslog remediations.

The Jinja filters (roles/*/filter_plugins) and the account plan module's decisions are
plain functions; their outputs are judged here by the assessor's own checks, so a fix
that the check would not accept fails here before it reaches a lab host.
"""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path
from types import ModuleType

from assessor.checks.config import live_lines
from assessor.checks.firewall import judge_chains, parse_nft_config
from assessor.checks.packages import insecure_source_options
from assessor.results import Status
from assessor.tools import roles_path

FORBID = (r'^\s*(\$ModLoad\s+im(tcp|udp)\b|\$(InputTCPServerRun|UDPServerRun)\b|'
          r'module\(\s*load\s*=\s*"im(tcp|udp)"|input\(\s*type\s*=\s*"im(tcp|udp)")')


def load(relative: str) -> ModuleType:
    path = roles_path() / relative
    spec = importlib.util.spec_from_file_location(path.stem, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


APT = load("harden_packages/filter_plugins/apt_sources.py")
COMMENT = load("harden_logging/filter_plugins/comment_out.py")
PLAN = load("harden_accounts/library/assessor_accounts_plan.py")


def test_apt_filter_drops_only_the_signature_bypasses() -> None:
    text = ("deb [arch=amd64 trusted=yes] http://a/debian bookworm main # keep\n"
            "deb [trusted=yes allow-insecure=yes] http://b/debian bookworm main\n"
            "deb [signed-by=/k.gpg] http://c/debian bookworm main\n")
    fixed = APT.apt_sources_signed(text, "/etc/apt/sources.list.d/x.list")
    assert fixed.splitlines() == [
        "deb [arch=amd64] http://a/debian bookworm main # keep",
        "deb http://b/debian bookworm main",
        "deb [signed-by=/k.gpg] http://c/debian bookworm main",
    ]
    assert insecure_source_options("/etc/apt/sources.list.d/x.list", fixed) == []
    stanza = "Types: deb\nURIs: http://a\nTrusted: yes\nAllow-Insecure: no\n"
    fixed822 = APT.apt_sources_signed(stanza, "/etc/apt/sources.list.d/x.sources")
    assert fixed822 == "Types: deb\nURIs: http://a\nAllow-Insecure: no\n"
    assert APT.apt_sources_signed(fixed, "/etc/apt/sources.list.d/x.list") == fixed


def test_comment_out_takes_whole_multi_line_statements() -> None:
    text = ('module(load="imuxsock")\nmodule(load="imudp"\n   threads="2")\n'
            'input(type="imtcp" port="514")\n$ModLoad imtcp\n*.* /var/log/syslog\n')
    fixed = COMMENT.comment_out(text, FORBID)
    assert [line for _, line in live_lines(fixed, "#")] == [
        'module(load="imuxsock")', "*.* /var/log/syslog"]
    assert COMMENT.comment_out(fixed, FORBID) == fixed


def test_written_ruleset_passes_the_persisted_checks() -> None:
    template = (roles_path() / "harden_firewall/templates/nftables.conf.j2").read_text()
    text = template.replace("{{ harden_firewall_tcp_ports | join(', ') }}", "22")
    text = "\n".join(line for line in text.splitlines() if "{%" not in line)
    chains = parse_nft_config(text)
    for requirement in ("base-chains", "default-deny", "loopback"):
        assert judge_chains(chains, requirement, "input", "t").status is Status.PASS


PASSWD = """root:x:0:1:root:/root:/bin/bash
daemon:x:1:1:daemon:/usr/sbin:/bin/bash
toor:x:0:0::/root:/bin/sh
games:x:5:60:games:/usr/games:/usr/sbin/nologin
legacy:$y$hash:1500:1500::/nonexistent:/usr/sbin/nologin
old:x:1600:1600::/nonexistent:/usr/sbin/nologin
ops:x:1000:1000::/home/ops:/usr/sbin/nologin
twin:x:1002:42::/home/twin:/bin/bash
"""
SHADOW = "root:$y$h:1::\ngames:$y$h:1::\ntoor:*:1::\nops::1::\ntwin:!:1::\n"
GROUP = "root:x:0:\nshadow:x:42:twin,guest\ntwin:x:1002:\n"
SHELLS = "/bin/sh\n/bin/bash\n/usr/sbin/nologin\n"


def test_plan_never_touches_the_operator_or_root() -> None:
    users = PLAN.parse_passwd(PASSWD)
    shells = PLAN.valid_shells(SHELLS)
    protect = {"ops", "root"}
    change, _ = PLAN.system_shells(users, shells, 1000, ["root", "sync"], protect)
    assert [c["name"] for c in change] == ["daemon", "toor"]
    lock, left = PLAN.nologin_unlocked(users, PLAN.parse_shadow(SHADOW), shells, protect)
    assert [c["name"] for c in lock] == ["games", "legacy"]
    assert {s["name"] for s in left} == {"old", "ops"}  # no shadow entry; the operator
    members, primary, _ = PLAN.group_members(users, PLAN.parse_group(GROUP), "shadow", protect)
    assert members == ["guest", "twin"] and primary == [{"name": "twin", "group": "twin"}]


def test_plan_leaves_system_directories_alone_and_tightens_homes(tmp_path: Path) -> None:
    home = tmp_path / "home"
    (home / "lodger").mkdir(parents=True)
    os.chmod(home / "lodger", 0o777)
    text = (f"daemon:x:1:1::/usr/sbin:/bin/bash\nlodger:x:{os.getuid() + 1}:100::"
            f"{home}/lodger:/bin/bash\nghost:x:1003:1003::{home}/ghost:/bin/bash\n")
    create, owner, mode, left = PLAN.homes(PLAN.parse_passwd(text), {"/bin/bash"}, 0o750,
                                           {"root"})
    assert [c["path"] for c in create] == [f"{home}/ghost"] and create[0]["mode"] == "0750"
    assert owner == [{"paths": [f"{home}/lodger"], "owner": "lodger", "max_mode": "7777"}]
    assert mode == [{"paths": [f"{home}/lodger"], "max_mode": "0750", "types": ["dir"]}]
    assert [s["name"] for s in left] == ["daemon"]


def test_plan_moves_only_user_accounts_off_gid_0() -> None:
    """CIS 5.4.2.2: a user whose primary group is 0 gets the group of its own name; another
    name for UID 0, a system account, the operator and an account with no own group stay
    as they are, each with the reason."""
    passwd = ("root:x:0:0::/root:/bin/bash\ntoor:x:0:0::/root:/bin/sh\n"
              "svc:x:120:0::/srv:/usr/sbin/nologin\nrooty:x:1001:0::/home/rooty:/bin/bash\n"
              "stray:x:1002:0::/home/stray:/bin/bash\nops:x:1000:0::/home/ops:/bin/bash\n"
              "operator:x:1003:0::/home/operator:/bin/bash\n")
    groups = PLAN.parse_group("root:x:0:\nrooty:x:1001:\nops:x:1000:\n")
    move, left = PLAN.gid0_moves(PLAN.parse_passwd(passwd), groups, 1000, ["operator"],
                                 {"ops", "root"})
    assert move == [{"name": "rooty", "group": "rooty"}]
    why = {s["name"]: s["why"] for s in left}
    assert set(why) == {"toor", "svc", "stray", "ops"}
    assert "system account (uid 0)" in why["toor"] and "own name" in why["stray"]
