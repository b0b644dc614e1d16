"""Quarantine: the host module run on this machine's files (as root, in a temporary vault),
the items a hunt's findings give, the run's manifest and its findings."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import stat
import subprocess
import time
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import yaml
from unit_builders import load_role_module

from assessor.errors import ConfigError
from assessor.module_utils import assessor_removals as removals
from assessor.module_utils.assessor_vault import vault_dir
from assessor.outcomes import HostOutcome
from assessor.pipeline import quarantine as pipeline
from assessor.quarantine import (
    Manifest,
    candidates,
    item_id,
    list_rows,
    load_manifest,
    quarantine_findings,
    restorable,
    write_manifest,
)
from assessor.quarantine.manifest import record_restores
from assessor.results import Finding, HostResult, Severity, Status, WaiverNote

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="the vault is root-only")


@pytest.fixture(scope="module")
def quarantine() -> ModuleType:
    return load_role_module("quarantine", "assessor_quarantine")


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def item(path: Path, data: bytes) -> dict[str, Any]:
    return {"id": item_id(str(path), sha(data)), "path": str(path), "sha256": sha(data),
            "detection": "matched sha256 (test)", "engine": "1.0.9", "databases": ["a"]}


def params(tmp_path: Path, kill: bool = False) -> dict[str, Any]:
    return {"run_id": "20261202T000000Z", "vault": str(tmp_path / "vault" / "q"),
            "kill_processes": kill}


def move(tmp_path: Path, entry: dict[str, Any], check: bool = False,
         kill: bool = False) -> dict[str, Any]:
    p = params(tmp_path, kill)
    vault_run = (os.path.join(p["vault"], p["run_id"]) if check
                 else vault_dir(p["vault"], p["run_id"]))
    return removals.quarantine_one(entry, p, vault_run, {}, check)  # type: ignore[no-any-return]


def planted(tmp_path: Path, data: bytes = b"payload\n") -> Path:
    target = tmp_path / "home" / "evil.sh"
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(data)
    os.chown(target, 65534, 65534)
    os.chmod(target, 0o4750)
    os.setxattr(target, "user.origin", b"planted")
    os.utime(target, ns=(1_700_000_000_123_456_789, 1_600_000_000_987_654_321))
    return target


def test_check_moves_nothing_and_quarantine_keeps_everything_to_undo_it(
    tmp_path: Path, quarantine: ModuleType
) -> None:
    data = b"payload\n"
    target = planted(tmp_path, data)
    entry = item(target, data)
    preview = move(tmp_path, entry, check=True)
    assert preview["status"] == "would-move" and target.read_bytes() == data
    assert not (tmp_path / "vault").exists()
    moved = move(tmp_path, entry)
    assert moved["status"] == "moved", moved
    assert not target.exists()
    vaulted = Path(moved["vault"])
    assert stat.S_IMODE(vaulted.stat().st_mode) == 0 and vaulted.read_bytes() == data
    assert stat.S_IMODE(vaulted.parent.stat().st_mode) == 0o700
    sidecar = json.loads(Path(f"{vaulted}.json").read_text())
    assert stat.S_IMODE(Path(f"{vaulted}.json").stat().st_mode) == 0o400
    assert (sidecar["path"], sidecar["sha256"], sidecar["size"]) == (str(target), sha(data), 8)
    assert (sidecar["mode"], sidecar["uid"], sidecar["gid"]) == ("4750", 65534, 65534)
    assert sidecar["mtime_ns"] == 1_600_000_000_987_654_321
    assert sidecar["xattrs"] == {"user.origin": "cGxhbnRlZA=="}
    assert sidecar["run_id"] == "20261202T000000Z" and sidecar["engine"] == "1.0.9"
    assert sidecar["moved_by"] == "rename"

    back = quarantine.restore_one(entry, str(vaulted.parent), False)
    assert back["status"] == "restored", back
    info = target.lstat()
    assert target.read_bytes() == data and stat.S_IMODE(info.st_mode) == 0o4750
    assert (info.st_uid, info.st_gid, info.st_mtime_ns) == (65534, 65534,
                                                           1_600_000_000_987_654_321)
    assert os.getxattr(target, "user.origin") == b"planted"
    assert not vaulted.exists() and Path(f"{vaulted}.restored.json").exists()


def test_restore_never_overwrites_a_different_file_and_accepts_an_identical_one(
    tmp_path: Path, quarantine: ModuleType
) -> None:
    data = b"payload\n"
    target = planted(tmp_path, data)
    entry = item(target, data)
    vault_run = str(Path(move(tmp_path, entry)["vault"]).parent)
    target.write_bytes(b"someone else's\n")
    check = quarantine.restore_one(entry, vault_run, True)
    assert check["status"] == "refused" and target.read_bytes() == b"someone else's\n"
    assert quarantine.restore_one(entry, vault_run, False)["status"] == "refused"
    target.write_bytes(data)
    assert quarantine.restore_one(entry, vault_run, False)["status"] == "identical"
    target.unlink()
    assert quarantine.restore_one(entry, vault_run, True)["status"] == "would-restore"
    assert not target.exists()
    link_dir = tmp_path / "elsewhere"
    link_dir.mkdir()
    target.parent.rename(tmp_path / "home-real")
    target.parent.symlink_to(link_dir)  # the original directory is now a symlink
    assert quarantine.restore_one(entry, vault_run, False)["status"] == "refused"
    assert list(link_dir.iterdir()) == []


def test_symlinks_dpkg_files_and_changed_files_are_refused(tmp_path: Path) -> None:
    data = b"payload\n"
    target = planted(tmp_path, data)
    link = tmp_path / "home" / "link"
    link.symlink_to(target)
    refused = move(tmp_path, item(link, data))
    assert refused["status"] == "refused" and "symlink" in refused["reason"]
    assert link.is_symlink() and target.read_bytes() == data
    changed = move(tmp_path, item(target, b"what the scan saw\n"))
    assert changed["status"] == "refused" and "changed since the scan" in changed["reason"]
    # This machine's own packaged files: refused before anything else is looked at. dpkg
    # lists /bin/sleep for merged-/usr's /usr/bin/sleep.
    for path, package in (("/etc/debian_version", "base-files"), ("/usr/bin/sleep", "coreutils")):
        owned = move(tmp_path, item(Path(path), b"x"))
        assert owned["status"] == "refused" and owned["package"] == package, owned
        assert f"apt-get install --reinstall {package}" in owned["reason"]
        assert Path(path).exists()


def test_a_running_process_is_stopped_only_when_asked(tmp_path: Path) -> None:
    binary = Path("/dev/shm") / f"asr-qtest-{os.getpid()}"
    binary.write_bytes(Path("/usr/bin/sleep").read_bytes())
    binary.chmod(0o755)
    data = binary.read_bytes()
    proc = subprocess.Popen([str(binary), "60"])
    try:
        time.sleep(0.2)
        left = move(tmp_path, item(binary, data), check=True)
        assert [u["pid"] for u in left["sidecar"]["processes"]] == [proc.pid]
        assert "left running" in left["reason"]
        moved = move(tmp_path, item(binary, data), kill=True)
        assert moved["status"] == "moved", moved
        assert moved["sidecar"]["processes_stopped"] == [proc.pid]
        assert moved["sidecar"]["moved_by"].startswith("copy")  # /dev/shm is another fs
        assert proc.wait(timeout=10) == -9
    finally:
        proc.kill()
        binary.unlink(missing_ok=True)


def finding(control: str, status: Status, path: str, sha256: str, reason: str,
            waived: bool = False) -> Finding:
    return Finding(control, "t", "Threats", Severity.CRITICAL, status, reason, "", "",
                   evidence=yaml.safe_dump({"path": path, "sha256": sha256}),
                   waiver=WaiverNote("o", "r", "2099-01-01") if waived else None)


def test_items_are_the_failing_unwaived_file_detections_one_per_path() -> None:
    a, b = "a" * 64, "b" * 64
    result = HostResult("web1", findings=[
        finding("hunt.files", Status.FAIL, "", "", "2 matched"),
        finding("hunt.ioc:/tmp/x", Status.FAIL, "/tmp/x", a, "matched sha256"),
        finding("hunt.clamav:/tmp/x", Status.FAIL, "/tmp/x", a, "ClamAV: Eicar"),
        finding("hunt.ioc:/tmp/known", Status.WAIVED, "/tmp/known", b, "fp", waived=True),
        finding("hunt.persistence:cron", Status.FAIL, "/etc/cron.d/x", b, "cron"),
    ])
    items = candidates(result)
    assert [(i.host, i.path, i.sha256) for i in items] == [("web1", "/tmp/x", a)]
    assert items[0].detection == "matched sha256 | ClamAV: Eicar"
    assert items[0].id == item_id("/tmp/x", a) and "host" not in items[0].for_host()


def test_manifest_round_trip_restorable_selection_and_rows(tmp_path: Path) -> None:
    items = [
        {"host": "h1", "id": "i1", "path": "/tmp/a", "sha256": "a" * 64, "status": "moved",
         "reason": "moved"},
        {"host": "h2", "id": "i2", "path": "/tmp/b", "sha256": "b" * 64, "status": "refused",
         "reason": "dpkg owns it", "package": "base-files"},
    ]
    write_manifest(tmp_path, Manifest(run_id="r", check=False, items=items))
    manifest = load_manifest(tmp_path)
    assert [i["id"] for i in restorable(manifest)] == ["i1"]
    assert restorable(manifest, hosts=["h2"]) == []
    with pytest.raises(ConfigError, match="no quarantined item with id nope"):
        restorable(manifest, ids=["nope"])
    columns, rows = list_rows(manifest)
    assert columns[:3] == ("host", "id", "status") and rows[1][:3] == ("h2", "i2", "refused")
    record_restores(manifest, [{"host": "h1", "id": "i1", "status": "refused",
                                "reason": "exists"}], check=False)
    assert manifest.items[0]["status"] == "restore-refused"
    assert [i["id"] for i in restorable(manifest)] == ["i1"]  # may be tried again
    findings = {f.status: f for f in quarantine_findings(items)}
    assert "--id i1" in findings[Status.PASS].remediation
    assert "--reinstall base-files" in findings[Status.FAIL].remediation


def test_a_missing_or_damaged_manifest_names_the_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="no quarantine manifest"):
        load_manifest(tmp_path)
    (tmp_path / "quarantine").mkdir()
    (tmp_path / "quarantine/manifest.json").write_text('{"items": [{"id": "x"}]}')
    with pytest.raises(ConfigError, match=r"items\[0\] lacks host, path, sha256, status"):
        load_manifest(tmp_path)


def test_items_travel_as_base64_json_and_a_silent_host_is_an_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: dict[str, Any] = {}

    def fake_run(playbook: Path, inventory: Path, work_dir: Path, **kw: Any) -> None:
        seen.update(kw)
        shipped = kw["extravars"]["quarantine_items"]
        done = [dict(i, status="moved", reason="ok")
                for i in json.loads(base64.b64decode(shipped["web1"]))]
        kw["on_host"]("web1", HostOutcome(True, {"quarantine": {"items": done}}))
        kw["on_host"]("db1", HostOutcome(False, message="ssh: no route", unreachable=True))

    monkeypatch.setattr(pipeline, "run_playbook", fake_run)
    hostile = "/tmp/{{ lookup('pipe', 'id') }}"
    items = [{"host": "web1", "id": "a", "path": hostile, "sha256": "a" * 64},
             {"host": "db1", "id": "b", "path": "/tmp/b", "sha256": "b" * 64}]
    done = pipeline.run_items("quarantine", items, "r1", tmp_path / "inv", tmp_path,
                              pipeline.QuarantineOptions(check=True))
    assert "{{" not in json.dumps(seen["extravars"])  # nothing Ansible would template
    assert seen["extravars"]["assessor_check"] is True and seen["limit"] == "db1,web1"
    by_id = {d["id"]: d for d in done}
    assert by_id["a"]["status"] == "moved" and by_id["a"]["path"] == hostile
    assert (by_id["b"]["status"], by_id["b"]["reason"]) == ("error", "ssh: no route")
