"""Evidence on the controller: artifacts data, bundle, manifest, signature, hunt input."""

from __future__ import annotations

import base64
import hashlib
import json
import subprocess
from pathlib import Path

import pytest

from assessor.errors import ConfigError
from assessor.evidence.artifacts import TIERS, by_tier, load_artifacts
from assessor.evidence.bundle import HostEvidence, write_bundle
from assessor.evidence.encrypt import encrypt_bundle
from assessor.evidence.hunt_input import flagged_paths
from assessor.evidence.signing import init_keys
from assessor.evidence.verify import verify_bundle
from assessor.hunt import hunt_result, tables_for
from assessor.reports import write_all
from assessor.results import RunResult


def blob(name: str, data: bytes) -> dict[str, object]:
    return {"name": name, "source": "/x", "truncated": False,
            "sha256": hashlib.sha256(data).hexdigest(),
            "content": base64.b64encode(data).decode()}


def tier(name: str, *blobs: dict[str, object]) -> dict[str, object]:
    return {"tier": name, "artifacts": [{"id": f"{name}-a", "rc": 0, "truncated": False}],
            "blobs": list(blobs), "workdir": "/tmp/assessor-evidence-x", "workdir_removed": True}


def test_builtin_artifacts_follow_the_order_of_volatility() -> None:
    triage = load_artifacts("triage")
    assert triage[0].id == "processes"
    assert [TIERS.index(a.tier) for a in triage] == sorted(TIERS.index(a.tier) for a in triage)
    assert {a.id for a in load_artifacts("full")} > {a.id for a in triage}
    assert list(by_tier(triage)) == list(TIERS)


def test_a_bad_artifact_names_file_line_and_id(tmp_path: Path) -> None:
    bad = tmp_path / "a.yaml"
    bad.write_text("- {id: ok, what: x, order: 1, tier: volatile, collector: processes}\n"
                   "- {id: bad, what: x, order: 2, tier: volatile, collector: command}\n")
    with pytest.raises(ConfigError, match=r"a.yaml:2: artifact bad: .*argv"):
        load_artifacts(str(bad))


@pytest.fixture
def keys(tmp_path: Path) -> Path:
    init_keys(tmp_path / "keys")
    return tmp_path / "keys"


def test_bundle_is_signed_and_a_flipped_byte_is_caught(tmp_path: Path, keys: Path) -> None:
    host = HostEvidence("h1", "10.0.0.2", tiers={"volatile": tier(
        "volatile", blob("volatile/ps.json", b"[]"), blob("files/etc/passwd", b"root:x:0\n"))})
    root = write_bundle(tmp_path / "out", "IR-1", host, started="t0", finished="t1",
                        artifact_set="triage", key_dir=keys)
    assert verify_bundle(root, keys / "evidence.pub") == []
    assert subprocess.run(["sha256sum", "-c", "MANIFEST.sha256"], cwd=root,
                          capture_output=True, check=False).returncode == 0
    record = json.loads((root / "collection.json").read_text())
    assert record["complete"] and record["tiers_collected"] == ["volatile"]
    (root / "files/etc/passwd").write_bytes(b"root:x:1\n")
    assert verify_bundle(root, keys / "evidence.pub") == [
        f"{root}/files/etc/passwd: SHA-256 differs from the manifest"]


def test_a_host_gone_part_way_leaves_a_bundle_that_says_so(tmp_path: Path, keys: Path) -> None:
    host = HostEvidence("h1", "a", tiers={"volatile": tier("volatile")},
                        errors={"system": "unreachable: ssh", "logs": "unreachable: ssh"})
    root = write_bundle(tmp_path, "C", host, started="t", finished="t", artifact_set="triage",
                        key_dir=keys, planned=["volatile-a", "accounts", "journal"])
    record = json.loads((root / "collection.json").read_text())
    assert record["tiers_missing"] == {"system": "unreachable: ssh", "logs": "unreachable: ssh"}
    assert record["not_collected"] == ["accounts", "journal"] and not record["complete"]
    assert verify_bundle(root, keys / "evidence.pub") == []


def test_hostile_blob_names_and_bad_hashes_are_recorded(tmp_path: Path, keys: Path) -> None:
    wrong = blob("volatile/x", b"abc") | {"sha256": "0" * 64}
    host = HostEvidence("h1", "a", tiers={"volatile": tier(
        "volatile", blob("../../escape", b"x"), blob("/etc/abs", b"x"), wrong)})
    root = write_bundle(tmp_path / "o", "C", host, started="t", finished="t",
                        artifact_set="triage", key_dir=keys)
    record = json.loads((root / "collection.json").read_text())
    assert len(record["problems"]) == 3 and not (tmp_path / "escape").exists()
    with pytest.raises(ConfigError, match="never overwritten"):
        write_bundle(tmp_path / "o", "C", host, started="t", finished="t",
                     artifact_set="triage", key_dir=keys)
    with pytest.raises(ConfigError, match="case"):
        write_bundle(tmp_path / "o", "../x", host, started="t", finished="t",
                     artifact_set="triage", key_dir=keys)


def test_key_pair_is_private_and_not_replaced(tmp_path: Path) -> None:
    secret, _ = init_keys(tmp_path / "k")
    assert secret.stat().st_mode & 0o777 == 0o600
    with pytest.raises(ConfigError, match="already exists"):
        init_keys(tmp_path / "k")


def test_hunt_results_are_read_defensively(tmp_path: Path) -> None:
    (tmp_path / "results.json").write_text(json.dumps({"hosts": [
        {"name": "h1", "findings": [{"status": "fail", "path": "/tmp/a"},
                                    {"status": "fail", "evidence": [{"path": "/etc/b"}, 3]},
                                    {"status": "pass", "path": "/tmp/ok"},
                                    {"status": "fail", "path": "relative"}]},
        {"name": 5}, "junk"]}))
    assert flagged_paths(tmp_path) == {"h1": ["/etc/b", "/tmp/a"]}
    (tmp_path / "results.json").write_text("{")
    with pytest.raises(ConfigError, match=r"results\.json"):
        flagged_paths(tmp_path)


def test_flagged_paths_from_what_assessor_hunt_writes(tmp_path: Path) -> None:
    eicar = "275a021bbfb6489e54d471899f7db9d1663fc695ec2fe2a2c4538aabf651fd0f"
    hit = {"path": "/tmp/.x/eicar", "sha256": eicar, "matched": {"hash": [eicar]}}
    host = hunt_result("h1", "a", {"hits": [hit], "paths": ["/tmp"], "stats": {}},
                       tables_for([]))
    write_all(RunResult(run_id="r", started="t", finished="t", tool_version="v",
                        catalogue_version="c", profile="hunt", inventory="i", hosts=[host]),
              tmp_path, skip=("html", "junit"))
    assert flagged_paths(tmp_path) == {"h1": ["/tmp/.x/eicar"]}


def test_bundle_encrypted_to_age_decrypts_with_stock_age(tmp_path: Path, keys: Path) -> None:
    host = HostEvidence("h1", "a", tiers={"volatile": tier(
        "volatile", blob("volatile/ps.json", b"[1]"))})
    root = write_bundle(tmp_path / "o", "C", host, started="t", finished="t",
                        artifact_set="triage", key_dir=keys)
    identity = tmp_path / "age.key"
    made = subprocess.run(["age-keygen", "-o", str(identity)], capture_output=True, text=True,
                          check=True)
    recipient = made.stderr.split("Public key: ")[1].strip()
    sealed = encrypt_bundle(root, [recipient])
    assert sealed == root.parent / "h1.tar.age" and b"ps.json" not in sealed.read_bytes()
    clear = tmp_path / "clear"
    clear.mkdir()
    subprocess.run(f"age -d -i {identity} {sealed} | tar -x -C {clear}", shell=True,
                   check=True)
    assert subprocess.run(["sha256sum", "-c", "MANIFEST.sha256"], cwd=clear / "h1",
                          capture_output=True, check=False).returncode == 0
    assert (clear / "h1/volatile/ps.json").read_bytes() == b"[1]"
    with pytest.raises(ConfigError, match="not an age public key"):
        encrypt_bundle(root, ["age1nope"])
