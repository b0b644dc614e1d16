"""The collect module's pure helpers, fed with file contents instead of a host's files."""

from __future__ import annotations

import os
from pathlib import Path
from types import ModuleType

import pytest
from unit_builders import Snap

from assessor.checks import judge
from assessor.results import Status

DPKG_STATUS = """\
Package: openssh-server
Status: install ok installed
Priority: optional
Architecture: amd64
Source: openssh (1:9.2p1-2)
Version: 1:9.2p1-2+deb12u3
Description: secure shell (SSH) server
 This is the portable version of OpenSSH.
 .
 Status: not a field, a continuation line

Package: telnetd
Status: deinstall ok config-files
Architecture: amd64
Version: 0.17+2.4-2
Conffiles:
 /etc/inetd.conf.d/telnetd abc123

Package: libfoo1
Status: install ok installed
Architecture: amd64
Version: 2.0

Package: libfoo1
Status: deinstall ok config-files
Architecture: i386
Version: 1.0

Package: rsh-server
Status: purge ok not-installed
Architecture: amd64
"""

PASSWD = """\
root:x:0:0:root:/root:/bin/bash
daemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin
toor:x:0:0::/root:/bin/sh
legacy::1002:1002::/home/legacy:/bin/sh
stale:x:1003:1003::/home/stale:/bin/sh
broken line without enough fields
"""

SHADOW = """\
root:$y$j9T$abc$def:19700:0:99999:7:::
daemon:*:19700:0:99999:7:::
toor:!$6$salt$hash:19700::::::
"""

SHADOW_WITH_EMPTY = SHADOW + "nopass::19700:0:99999:7:::\n"


def fake_files(monkeypatch: pytest.MonkeyPatch, module: ModuleType, files: dict[str, str]) -> None:
    def read(path: str) -> tuple[str, bool]:
        if path not in files:
            raise PermissionError(13, "Permission denied", path)
        return files[path], False

    monkeypatch.setattr(module, "read_text_unbounded", read)


def test_password_state(snapshot_module: ModuleType) -> None:
    state = snapshot_module.password_state
    assert state("") == "empty"
    assert state("!") == "locked"
    assert state("*") == "locked"
    assert state("!$6$salt$hash") == "locked"
    assert state("!!") == "locked"
    assert state("$y$j9T$abc$def") == "hashed"


def test_packages_from_dpkg_status(
    snapshot_module: ModuleType, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake_files(monkeypatch, snapshot_module, {"/var/lib/dpkg/status": DPKG_STATUS})
    packages = snapshot_module.probe_packages(True)
    assert packages["openssh-server"] == {
        "status": "install ok installed",
        "version": "1:9.2p1-2+deb12u3",
        "arch": "amd64",
        "source": "openssh",
    }
    assert packages["telnetd"]["status"] == "deinstall ok config-files"
    assert packages["telnetd"]["source"] == "telnetd"
    # The installed architecture wins over a removed one of the same name.
    assert packages["libfoo1"]["version"] == "2.0"
    assert packages["rsh-server"]["status"] == "purge ok not-installed"

    snapshot = {"packages": packages, "errors": {}}
    assert judge("package_absent", snapshot, {"name": "telnetd"}).status is Status.PASS
    assert judge("package_absent", snapshot, {"name": "rsh-server"}).status is Status.PASS
    assert judge("package_absent", snapshot, {"name": "openssh-server"}).status is Status.FAIL


def test_accounts_give_states_never_hashes(
    snapshot_module: ModuleType, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake_files(
        monkeypatch, snapshot_module, {"/etc/passwd": PASSWD, "/etc/shadow": SHADOW_WITH_EMPTY}
    )
    accounts = snapshot_module.probe_accounts(True)
    states = {u["name"]: u["password"] for u in accounts["users"]}
    assert states == {
        "root": "hashed",
        "daemon": "locked",
        "toor": "locked",
        "legacy": "empty",  # empty field in /etc/passwd itself
        "stale": "none",  # "x" but no shadow entry
    }
    assert "$" not in repr(accounts)
    assert "shadow_error" not in accounts
    assert [u["line"] for u in accounts["users"]] == [1, 2, 3, 4, 5]

    snapshot = {"accounts": accounts, "errors": {}}
    uid0 = judge("uid0_accounts", snapshot, {"allowed": ["root"]})
    assert (uid0.status, uid0.observed) == (Status.FAIL, "root, toor")
    empty = judge("no_empty_passwords", snapshot, {})
    assert (empty.status, empty.observed) == (Status.FAIL, "legacy")


def test_accounts_with_clean_shadow_pass(
    snapshot_module: ModuleType, monkeypatch: pytest.MonkeyPatch
) -> None:
    passwd = "root:x:0:0:root:/root:/bin/bash\ndaemon:x:1:1::/:/usr/sbin/nologin\n"
    fake_files(monkeypatch, snapshot_module, {"/etc/passwd": passwd, "/etc/shadow": SHADOW})
    snapshot = {"accounts": snapshot_module.probe_accounts(True), "errors": {}}
    assert judge("no_empty_passwords", snapshot, {}).status is Status.PASS


def test_unreadable_shadow_is_reported_not_a_silent_pass(
    snapshot_module: ModuleType, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake_files(monkeypatch, snapshot_module, {"/etc/passwd": PASSWD})
    accounts = snapshot_module.probe_accounts(True)
    assert "Permission denied" in accounts["shadow_error"]
    snapshot = {"accounts": accounts, "errors": {}}
    obs = judge("no_empty_passwords", snapshot, {})
    assert obs.status is Status.ERROR
    assert "cannot read /etc/shadow" in obs.reason
    # UID 0 does not need shadow and is still judged.
    assert judge("uid0_accounts", snapshot, {}).status is Status.FAIL


def test_stat_and_files(tmp_path: Path, snapshot_module: ModuleType) -> None:
    target = tmp_path / "login.defs"
    target.write_text("PASS_MAX_DAYS 90\n")
    target.chmod(0o640)
    missing = str(tmp_path / "nope")
    stat = snapshot_module.probe_stat([str(target), missing])
    assert stat[str(target)]["mode"] == "0640"
    assert stat[str(target)]["uid"] == os.getuid()
    assert stat[missing] == {"exists": False}
    files = snapshot_module.probe_files([str(target), missing])
    assert files[str(target)] == {"exists": True, "content": "PASS_MAX_DAYS 90\n",
                                  "truncated": False}
    assert files[missing] == {"exists": False}


def test_large_file_is_truncated(tmp_path: Path, snapshot_module: ModuleType) -> None:
    big = tmp_path / "big"
    big.write_bytes(b"a" * (snapshot_module.MAX_FILE_BYTES + 10))
    result = snapshot_module.probe_files([str(big)])[str(big)]
    assert result["truncated"] is True
    assert len(result["content"]) == snapshot_module.MAX_FILE_BYTES


def test_stat_of_unknown_owner_is_the_number(snapshot_module: ModuleType) -> None:
    def no_such(_ident: int) -> tuple[str, ...]:
        raise KeyError(_ident)

    assert snapshot_module.name_of(no_such, 4242) == "4242"


def test_sysctl_values_and_absent_keys(snapshot_module: ModuleType) -> None:
    values = snapshot_module.probe_sysctl(["kernel.ostype", "net.no.such.key"])
    assert values == {"kernel.ostype": "Linux", "net.no.such.key": None}


def test_snapshot_keeps_going_after_a_broken_probe(
    snapshot_module: ModuleType, monkeypatch: pytest.MonkeyPatch
) -> None:
    def boom(_wanted: object) -> None:
        raise RuntimeError("dpkg database locked")

    monkeypatch.setitem(snapshot_module.PROBES, "packages", boom)
    result = snapshot_module.snapshot({"packages": True, "nonsense": True, "sysctl": ["a.b"]})
    assert result["errors"] == {
        "packages": "RuntimeError: dpkg database locked",
        "nonsense": "unknown probe",
    }
    assert result["sysctl"] == {"a.b": None}
    assert set(result["facts"]) >= {"hostname", "os_id", "os_version_id", "kernel", "arch"}
    obs = judge("package_absent", result, {"name": "telnetd"})
    assert obs.status is Status.ERROR
    assert "dpkg database locked" in obs.reason


def test_os_release_parsing(snapshot_module: ModuleType, monkeypatch: pytest.MonkeyPatch) -> None:
    text = 'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nID=debian\nVERSION_ID="12"\n# c\n'
    monkeypatch.setattr(snapshot_module, "read_text", lambda _path: (text, False))
    assert snapshot_module.os_release() == {
        "PRETTY_NAME": "Debian GNU/Linux 12 (bookworm)",
        "ID": "debian",
        "VERSION_ID": "12",
    }


def test_builder_makes_the_shapes_the_module_returns(
    tmp_path: Path, snapshot_module: ModuleType, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The other tests' snapshots are only worth as much as their likeness to the real one."""
    path = tmp_path / "f"
    path.write_text("x")
    fake_files(
        monkeypatch, snapshot_module,
        {"/var/lib/dpkg/status": DPKG_STATUS, "/etc/passwd": PASSWD, "/etc/shadow": SHADOW},
    )
    built = (
        Snap().stat(str(path)).file(str(path), "x").package("telnetd").user("root", 0)
        .sshd(port=22).build()
    )
    real_stat = snapshot_module.probe_stat([str(path)])[str(path)]
    assert set(built["stat"][str(path)]) == set(real_stat)
    real_file = snapshot_module.probe_files([str(path)])[str(path)]
    assert set(built["files"][str(path)]) == set(real_file)
    assert set(built["packages"]["telnetd"]) == set(snapshot_module.probe_packages(True)["telnetd"])
    real_user = snapshot_module.probe_accounts(True)["users"][0]
    assert set(built["accounts"]["users"][0]) == set(real_user)
    assert isinstance(real_user["uid"], str)
    assert set(built["sshd"]) == {"rc", "stdout", "stderr"}
    assert set(built["facts"]) == set(snapshot_module.facts())
