"""One parser per format, and one fixture set for both sides: the collect and
packages_state modules on the host and the controller's checks read the same files the
same way, because they run the same module_utils code."""

from __future__ import annotations

import grp
import importlib.util
import pwd
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from unit_builders import PROJECT

from assessor.checks import pam
from assessor.checks.packages import installed
from assessor.module_utils.assessor_dpkg import (
    is_installed,
    merged_usr_twins,
    package_of,
    path_packages,
    source_of,
    stanzas,
    status_words,
)
from assessor.module_utils.assessor_names import name_of
from assessor.module_utils.assessor_osrelease import parse_os_release, read_os_release

FIXTURES = PROJECT / "tests" / "fixtures" / "host"
STATUS = (FIXTURES / "dpkg-status").read_text()


def host_module(role: str, name: str) -> ModuleType:
    path = PROJECT / "roles" / role / "library" / f"{name}.py"
    spec = importlib.util.spec_from_file_location(f"fixture_{name}", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def collect() -> Any:
    return host_module("collect", "assessor_snapshot")


@pytest.fixture(scope="module")
def apt_state() -> Any:
    return host_module("packages_state", "assessor_apt_state")


def test_dpkg_sources_name_the_source_with_or_without_its_own_version() -> None:
    by_name = {f["Package"]: source_of(f) for f in stanzas(STATUS)}
    assert by_name["openssl"] == ("openssl", "3.0.15-1~deb12u1")
    assert by_name["libssl3"] == ("openssl", "3.0.15-1~deb12u1")
    assert by_name["libpam-modules"] == ("pam", "1.5.2-6+deb12u1")
    assert status_words("hold ok installed") == ("hold", "ok", "installed")
    assert status_words("") == ("", "", "")


def test_dpkg_file_lists_name_a_path_or_its_merged_usr_twin(tmp_path: Path) -> None:
    """What hunt (a SUID file's package) and quarantine (refusing a packaged file) ask."""
    (tmp_path / "coreutils.list").write_text("/.\n/bin\n/bin/ls\n/usr/bin/pinky\n")
    (tmp_path / "libc6:amd64.list").write_text("/.\n/usr/lib/x86_64-linux-gnu/libc.so.6\n")
    (tmp_path / "odd.list").write_bytes(b"/usr/share/odd/caf\xe9\n")
    (tmp_path / "odd.md5sums").write_text("0 usr/share/odd/x\n")  # not a file list
    table = path_packages(str(tmp_path))
    assert table["/."] == "coreutils"  # the first list naming a shared directory
    assert package_of("/usr/bin/ls", table) == "coreutils"  # listed as /bin/ls
    assert package_of("/bin/pinky", table) == "coreutils"  # listed as /usr/bin/pinky
    assert package_of("/lib/x86_64-linux-gnu/libc.so.6", table) == "libc6"
    assert package_of("/usr/share/odd/caf\udce9", table) == "odd"  # the os path of the bytes
    assert package_of("/usr/local/bin/ls", table) == "" == package_of("/libexec/x", table)
    assert merged_usr_twins("/usr/sbin/sshd") == ["/usr/sbin/sshd", "/sbin/sshd"]
    assert merged_usr_twins("/etc/passwd") == ["/etc/passwd"]
    assert path_packages(str(tmp_path / "none")) == {}


def test_collect_and_packages_state_read_dpkg_status_alike(collect: Any, apt_state: Any) -> None:
    snapshot = collect.packages_of(STATUS)
    state = apt_state.status_of(STATUS)
    assert snapshot["libpam-modules"]["source"] == state["libpam-modules"]["source"] == "pam"
    assert state["libpam-modules"]["source_version"] == "1.5.2-6+deb12u1"
    assert state["libpam-modules"]["hold"] is True
    assert "libc6:amd64" in state and snapshot["libc6"]["status"] == "install ok installed"
    for name, entry in snapshot.items():
        assert entry["source"] == state[name]["source"], name
        # the controller's verdict on the snapshot is the host's own dpkg state
        assert installed(entry) == (state[name]["state"] not in (
            "not-installed", "config-files", "")), name
        assert installed(entry) == is_installed(entry["status"])


def test_os_release_is_read_the_same_on_both_sides(
    collect: Any, apt_state: Any, monkeypatch: pytest.MonkeyPatch,
) -> None:
    text = (FIXTURES / "os-release").read_text()
    fields = parse_os_release(text)
    assert fields["PRETTY_NAME"] == "Debian GNU/Linux 12 (bookworm)"
    assert fields["HOME_URL"] == "https://www.debian.org/" and "# a comment" not in fields
    assert read_os_release(str(FIXTURES / "os-release")) == fields
    assert read_os_release(str(FIXTURES / "missing")) == {}
    monkeypatch.setattr(collect, "read_text", lambda _path: (text, False))
    assert collect.os_release() == fields
    monkeypatch.setattr(apt_state, "read_os_release", lambda: fields)
    assert apt_state.os_release()["os_codename"] == "bookworm"


def test_names_fall_back_to_the_number() -> None:
    assert name_of(pwd.getpwuid, 0) == "root"
    assert name_of(grp.getgrgid, 0) == "root"
    assert name_of(pwd.getpwuid, 2_000_000_123) == "2000000123"



def pamfile() -> Any:
    """harden_pam's module_utils, as the host imports it."""
    path = PROJECT / "roles" / "harden_pam" / "module_utils" / "assessor_pamfile.py"
    spec = importlib.util.spec_from_file_location("fixture_assessor_pamfile", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("type_", ["auth", "account", "password", "session"])
def test_pam_stacks_are_read_alike_by_the_checks_and_the_harden_module(type_: str) -> None:
    """The lines harden_pam edits are the lines the checks judged: same order, same words."""
    texts = {f"/etc/pam.d/{p.name}": p.read_text() for p in (FIXTURES / "pam.d").iterdir()}
    host = pamfile()
    files = host.Files()
    for path, text in texts.items():
        files.original[path] = files.disk[path] = text
        files.lines[path] = text.splitlines()
    judged = [(line.module_name, list(line.args)) for line in pam.stack(texts, "sshd", type_)]
    edited = [(entry.module_name, entry.args) for entry in host.stack(files, "sshd", type_)]
    assert judged == edited and judged
    if type_ == "auth":
        assert judged[-1] == ("pam_faillock.so", ["preauth", "deny=5", "unlock_time=900"])
        assert [line.optional for line in pam.stack(texts, "sshd", "auth")][3] is True


def test_accounts_are_read_alike_by_collect_and_harden_accounts(
    collect: Any, monkeypatch: pytest.MonkeyPatch,
) -> None:
    texts = {f"/etc/{name}": (FIXTURES / name).read_text() for name in ("passwd", "shadow",
                                                                         "group")}
    monkeypatch.setattr(collect, "read_text_unbounded", lambda path: (texts[path], False))
    snapshot = collect.probe_accounts(True)
    plan = host_module("harden_accounts", "assessor_accounts_plan")
    users = plan.parse_passwd(texts["/etc/passwd"])
    assert [(u["name"], u["uid"], u["line"]) for u in snapshot["users"]] == [
        (u["name"], u["uid"], u["line"]) for u in users]
    assert snapshot["unshadowed"] == ["old"]
    # the first shadow entry of a name is the one libc reads: alice's password is empty
    assert {u["name"]: u["password"] for u in snapshot["users"]}["alice"] == "empty"
    assert plan.parse_shadow(texts["/etc/shadow"])["alice"] == ""
    assert snapshot["groups"] == plan.parse_group(texts["/etc/group"])
