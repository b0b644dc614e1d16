"""The watch's host code on real files in a temporary tree: the content baseline (only
changed files are read again; dpkg's md5sums vouch for an upgrade), rsyslog and
journal-upload parsing, key fingerprints as ssh-keygen prints them, sockets from /proc."""

from __future__ import annotations

import base64
import hashlib
import os
import shutil
import subprocess
from pathlib import Path

import pytest
import unit_builders  # noqa: F401  (exposes ansible.module_utils.assessor_*)
from ansible.module_utils import (  # type: ignore[attr-defined]
    assessor_integrity as integrity_mod,
)
from ansible.module_utils import (  # type: ignore[attr-defined]
    assessor_probe_coverage as coverage_mod,
)
from ansible.module_utils import (  # type: ignore[attr-defined]
    assessor_watch_inventory as inventory_mod,
)


@pytest.fixture
def tree(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """/usr/bin with two binaries owned by package `tool`, and its dpkg database."""
    bin_dir = tmp_path / "usr" / "bin"
    bin_dir.mkdir(parents=True)
    (bin_dir / "tool").write_bytes(b"tool 1.0\n")
    (bin_dir / "other").write_bytes(b"other\n")
    info = tmp_path / "dpkg" / "info"
    info.mkdir(parents=True)
    status = tmp_path / "dpkg" / "status"
    status.write_text("Package: tool\nStatus: install ok installed\nArchitecture: amd64\n"
                      "Version: 1.0-1\n\n")
    monkeypatch.setattr(integrity_mod, "STATUS_FILE", str(status))
    monkeypatch.setattr(integrity_mod, "DPKG_INFO", str(info))
    ship(tmp_path, b"tool 1.0\n", "1.0-1")
    return tmp_path


def ship(root: Path, content: bytes, version: str) -> None:
    """What dpkg leaves after installing `tool` at `version`: its md5sums and status."""
    rel = str((root / "usr" / "bin" / "tool").relative_to("/"))
    (root / "dpkg" / "info" / "tool:amd64.md5sums").write_text(
        f"{hashlib.md5(content).hexdigest()}  {rel}\n")
    (root / "dpkg" / "status").write_text(
        f"Package: tool\nStatus: install ok installed\nArchitecture: amd64\n"
        f"Version: {version}\n\n")


def run(root: Path) -> dict[str, object]:
    result: dict[str, object] = integrity_mod.integrity(
        [str(root / "usr" / "bin")], ["*.pyc"], str(root / "cache" / "state.json"), 1 << 20)
    return result


def test_first_run_is_the_baseline_and_an_unchanged_rerun_reads_nothing(tree: Path) -> None:
    first = run(tree)
    assert first["baseline"] == "new" and first["changed"] == [] and first["added"] == []
    again = run(tree)
    assert again["baseline"] == "kept" and again["stats"] == {"files": 2, "hashed": 0,  # type: ignore[comparison-overlap]
                                                              "too_big": 0}
    assert oct(os.stat(tree / "cache" / "state.json").st_mode & 0o777) == "0o600"


def test_a_change_nobody_vouches_for_stays_reported_until_restored(tree: Path) -> None:
    run(tree)
    target = tree / "usr" / "bin" / "other"
    target.write_bytes(b"trojaned\n")
    for _ in range(2):  # the baseline does not move: the change is reported every cycle
        result = run(tree)
        assert [c["path"] for c in result["changed"]] == [str(target)]  # type: ignore[attr-defined]
    target.write_bytes(b"other\n")
    assert run(tree)["changed"] == []


def test_an_upgrade_dpkg_vouches_for_is_reported_once_with_its_package(tree: Path) -> None:
    run(tree)
    (tree / "usr" / "bin" / "tool").write_bytes(b"tool 1.1\n")
    ship(tree, b"tool 1.1\n", "1.1-1")
    (tree / "usr" / "bin" / "newtool").write_bytes(b"unowned\n")
    result = run(tree)
    assert result["changed"] == []
    assert [(v["path"], v["package"], v["version"]) for v in result["vouched"]] == [  # type: ignore[attr-defined]
        (str(tree / "usr" / "bin" / "tool"), "tool", "1.1-1")]
    assert [a["path"] for a in result["added"]] == [str(tree / "usr" / "bin" / "newtool")]  # type: ignore[attr-defined]
    assert run(tree)["vouched"] == []  # the new content is the baseline now


def test_content_that_does_not_match_the_package_is_not_vouched(tree: Path) -> None:
    run(tree)
    (tree / "usr" / "bin" / "tool").write_bytes(b"patched by hand\n")
    result = run(tree)
    assert [c["path"] for c in result["changed"]] == [str(tree / "usr" / "bin" / "tool")]  # type: ignore[attr-defined]


def test_deleting_a_packaged_file_alerts_but_an_unowned_one_is_drift(tree: Path) -> None:
    run(tree)
    (tree / "usr" / "bin" / "tool").unlink()
    (tree / "usr" / "bin" / "other").unlink()
    result = run(tree)
    assert [(r["path"], r["package"]) for r in result["removed"]] == [  # type: ignore[attr-defined]
        (str(tree / "usr" / "bin" / "tool"), "tool")]
    assert [d["path"] for d in result["deleted"]] == [str(tree / "usr" / "bin" / "other")]  # type: ignore[attr-defined]
    again = run(tree)
    assert len(again["removed"]) == 1 and again["deleted"] == []  # type: ignore[arg-type]


RSYSLOG = """# forward everything
*.* @@logs.example.org:6514
auth.* @10.0.0.5
#*.* @@commented.example.org
action(type="omfwd"
       target="192.0.2.7" port="10514" protocol="tcp"
       StreamDriver="gtls")
action(type="omfile" file="/var/log/x")
"""


def test_rsyslog_forwarding_in_both_syntaxes() -> None:
    found = coverage_mod.parse_rsyslog("/etc/rsyslog.d/90.conf", RSYSLOG)
    assert [(f["target"], f["port"], f["protocol"], f["line"]) for f in found] == [
        ("logs.example.org", "6514", "tcp", "2"), ("10.0.0.5", "514", "udp", "3"),
        ("192.0.2.7", "10514", "tcp", "5")]


def test_journal_upload_url() -> None:
    found = coverage_mod.parse_journal_upload(
        "/etc/systemd/journal-upload.conf", "[Upload]\n# URL=http://old\nURL=https://c:19532\n")
    assert found == [{"file": "/etc/systemd/journal-upload.conf", "line": "3",
                      "url": "https://c:19532"}]


@pytest.mark.skipif(not shutil.which("ssh-keygen"), reason="needs ssh-keygen")
def test_key_fingerprint_is_the_one_ssh_keygen_prints(tmp_path: Path) -> None:
    key = tmp_path / "k"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(key)], check=True)
    line = (tmp_path / "k.pub").read_text().split()
    want = subprocess.run(["ssh-keygen", "-l", "-f", str(tmp_path / "k.pub")], check=True,
                          capture_output=True, text=True).stdout.split()[1]
    assert inventory_mod.key_fingerprint(line[1]) == want
    with pytest.raises(ValueError):
        inventory_mod.key_fingerprint(base64.b64encode(b"x").decode() + "!!")


def test_listening_sockets_are_read_from_proc() -> None:
    import socket

    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        port = server.getsockname()[1]
        found = inventory_mod.listening()
    assert found.get(f"tcp 127.0.0.1:{port}", "").startswith(("python", "pytest"))


def test_passwd_users_and_their_authorized_keys(tmp_path: Path) -> None:
    home = tmp_path / "home" / "ops"
    (home / ".ssh").mkdir(parents=True)
    blob = base64.b64encode(b"\x00\x00\x00\x0bssh-ed25519" + b"k" * 36).decode()
    (home / ".ssh" / "authorized_keys").write_text(
        f'from="10.0.0.1" ssh-ed25519 {blob} ops@laptop\n# ssh-rsa old\n')
    passwd = f"root:x:0:0:root:/root:/bin/bash\nops:x:1000:1000::{home}:/bin/sh\n"
    assert set(inventory_mod.users(passwd)) == {"root", "ops"}
    keys = inventory_mod.authorized_keys(passwd)
    assert list(keys) == [f"ops ssh-ed25519 {inventory_mod.key_fingerprint(blob)}"]
    assert keys[next(iter(keys))].endswith(":1 ops@laptop")


SHOWN = ("LoadState=loaded\nActiveState=active\nSubState=running\nUnitFileState=enabled\n\n"
         "LoadState=not-found\nActiveState=inactive\nSubState=dead\nUnitFileState=\n")


def test_units_come_from_one_systemctl_show_in_the_order_asked(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """systemctl show A B prints A's block, a blank line, B's (as a bookworm host does)."""
    calls: list[list[str]] = []

    def show(argv: list[str], timeout: int) -> dict[str, object]:
        calls.append(argv)
        return {"rc": 0, "stdout": SHOWN, "stderr": ""}

    monkeypatch.setattr(coverage_mod, "run_command", show)
    found = coverage_mod.probe_coverage(["unit:cron.service", "unit:nope.service",
                                         "unit:cron.service"])["units"]
    assert len(calls) == 1 and calls[0][:4] == ["systemctl", "show", "cron.service",
                                                "nope.service"]
    assert found["cron.service"]["ActiveState"] == "active"
    nope = found["nope.service"]
    assert nope["LoadState"] == "not-found" and "error" not in nope


def test_one_bad_unit_name_does_not_fail_the_others(monkeypatch: pytest.MonkeyPatch) -> None:
    def show(argv: list[str], timeout: int) -> dict[str, object]:
        if "bad name" in argv:
            return {"rc": 1, "stdout": "", "stderr": "Unit name bad name is not valid."}
        return {"rc": 0, "stdout": SHOWN.split("\n\n")[0], "stderr": ""}

    monkeypatch.setattr(coverage_mod, "run_command", show)
    found = coverage_mod.probe_coverage(["unit:cron.service", "unit:bad name"])["units"]
    assert found["cron.service"]["ActiveState"] == "active"
    assert "not valid" in found["bad name"]["error"]
