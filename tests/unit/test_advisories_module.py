"""The packages_state module's helpers, on real command output and real processes and locks."""

from __future__ import annotations

import fcntl
import importlib.util
import shutil
import subprocess
import sys
import time
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

MODULE = (Path(__file__).resolve().parents[2] / "roles/packages_state/library"
          / "assessor_apt_state.py")
POLICY = """\
assessor-demo:
  Installed: 1.0-1
  Candidate: 1.0-1+deb12u1
  Version table:
     1.0-1+deb12u1 500
        500 file:/srv/repo ./ Packages
 *** 1.0-1 100
        100 /var/lib/dpkg/status
libgone1:
  Installed: (none)
  Candidate: (none)
  Version table:
"""
STATUS = """\
Package: libassessor-demo1
Status: hold ok installed
Source: assessor-demo (1.0-1)
Version: 1.0-1+b1
Architecture: all

Package: assessor-extra
Status: install ok half-configured
Version: 1:2.0~rc1-1
Architecture: all

Package: telnetd
Status: deinstall ok config-files
Version: 0.17+2.4-2
Architecture: amd64
"""
SIMULATED_UPGRADE = """\
Reading package lists...
Inst assessor-extra [1:2.0~rc1-1] (1:2.0-1 Debian-Security:12/bookworm-security [all])
Inst tzdata [2024a-0+deb12u1] (2025b-0+deb12u1 Debian:12.11/stable [all])
Conf assessor-extra (1:2.0-1 Debian-Security:12/bookworm-security [all])
"""


@pytest.fixture(scope="module")
def apt_state() -> ModuleType:
    spec = importlib.util.spec_from_file_location("assessor_apt_state", MODULE)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_policy_output_is_parsed(apt_state: Any) -> None:
    policy = apt_state.parse_policy(POLICY)
    demo = policy["assessor-demo"]
    assert (demo["installed"], demo["candidate"]) == ("1.0-1", "1.0-1+deb12u1")
    assert [(v["version"], v["pin"]) for v in demo["versions"]] == [
        ("1.0-1+deb12u1", 500), ("1.0-1", 100)]
    assert demo["versions"][0]["origins"] == ["file:/srv/repo ./ Packages"]
    assert policy["libgone1"] == {"installed": "", "candidate": "", "versions": []}


def test_status_gives_source_versions_holds_and_states(
    apt_state: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    status = tmp_path / "status"
    status.write_text(STATUS)
    monkeypatch.setattr(apt_state, "STATUS_FILE", str(status))
    packages = apt_state.read_status()
    lib = packages["libassessor-demo1"]
    assert (lib["source"], lib["source_version"], lib["hold"]) == ("assessor-demo", "1.0-1", True)
    assert packages["assessor-extra"]["source"] == "assessor-extra"
    assert packages["assessor-extra"]["source_version"] == "1:2.0~rc1-1"
    errors, pending = apt_state.prechecks(packages, [], {"/": 50}, 200)
    assert pending == ["assessor-extra (half-configured)"]
    assert any("half-configured" in e and "dpkg --configure -a" in e for e in errors)
    assert "only 50 MiB free on / (need 200 MiB)" in errors


def test_security_upgrades_from_a_simulated_upgrade(
    apt_state: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(apt_state, "command", lambda _args: (0, SIMULATED_UPGRADE, ""))
    upgrades, error = apt_state.security_upgrades()
    assert error == ""
    assert upgrades == [{"package": "assessor-extra", "installed": "1:2.0~rc1-1",
                         "version": "1:2.0-1",
                         "origin": "Debian-Security:12/bookworm-security"}]


def test_a_held_dpkg_lock_is_seen_and_left_alone(
    apt_state: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    lock = tmp_path / "lock"
    lock.write_text("")
    monkeypatch.setattr(apt_state, "LOCKS", (str(lock),))
    assert apt_state.lock_state() == []
    holder = subprocess.Popen(
        [sys.executable, "-c", "import fcntl, sys, time\n"
         f"f = open({str(lock)!r}, 'w'); fcntl.lockf(f, fcntl.LOCK_EX)\n"
         "print('held', flush=True); time.sleep(30)"],
        stdout=subprocess.PIPE, text=True,
    )
    try:
        assert holder.stdout and holder.stdout.readline().strip() == "held"
        assert apt_state.lock_state() == [str(lock)]
    finally:
        holder.kill()
        holder.wait(timeout=10)
    with open(lock, "w") as handle:  # released again: nothing of ours kept it
        fcntl.lockf(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)


def test_processes_mapping_a_deleted_library_are_found(apt_state: Any, tmp_path: Path) -> None:
    library = tmp_path / "libassessor-test.so.1"
    shutil.copyfile("/lib/x86_64-linux-gnu/libBrokenLocale.so.1", library)
    sleeper = subprocess.Popen(["sleep", "30"], env={"LD_PRELOAD": str(library)})
    try:
        deadline = time.monotonic() + 5
        while str(library) not in Path(f"/proc/{sleeper.pid}/maps").read_text():
            assert time.monotonic() < deadline, "the preload never mapped"
            time.sleep(0.05)
        assert not any(u["pid"] == sleeper.pid for u in apt_state.deleted_library_users())
        library.unlink()  # what an upgrade does to the old file
        found = [u for u in apt_state.deleted_library_users() if u["pid"] == sleeper.pid]
        assert len(found) == 1
        assert found[0]["files"] == [str(library)] and found[0]["comm"] == "sleep"
        assert found[0]["why_not"]  # not a systemd service: never restarted for the user
    finally:
        sleeper.kill()
        sleeper.wait(timeout=10)


def test_reboot_required_flag(
    apt_state: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    flag = tmp_path / "reboot-required"
    monkeypatch.setattr(apt_state, "REBOOT_FILE", str(flag))
    assert apt_state.reboot_state() == {"required": False, "packages": []}
    flag.write_text("*** System restart required ***\n")
    (tmp_path / "reboot-required.pkgs").write_text("libc6\nassessor-demo\nlibc6\n")
    assert apt_state.reboot_state() == {"required": True,
                                        "packages": ["assessor-demo", "libc6"]}
