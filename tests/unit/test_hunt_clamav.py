"""ClamAV in the hunt: the run's signature database, the clamscan host module run on this
machine with this machine's clamscan, and the judge of its results."""

from __future__ import annotations

import base64
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from samples import TESTFILES, eicar, sigtool_hash
from unit_builders import load_role_module

from assessor.errors import ConfigError
from assessor.hunt import tables_for
from assessor.hunt.clamav import (
    build_database,
    clamav_findings,
    clamav_vars,
    content_rule_files,
    hash_signatures,
    indicator_of,
    signature_name,
)
from assessor.intel import Indicator, IndicatorType, Origin
from assessor.quarantine import candidates
from assessor.results import HostResult, Status


@pytest.fixture(scope="module")
def clamscan() -> ModuleType:
    return load_role_module("hunt", "assessor_hunt_clamscan")


def tables_with(*pairs: tuple[IndicatorType, str]) -> Any:
    return tables_for([Indicator(kind, value, (Origin("feed.csv", f"row-{n}"),))
                       for n, (kind, value) in enumerate(pairs)])


def params(tmp_path: Path, variables: dict[str, Any], *paths: Path) -> dict[str, Any]:
    return {"databases": variables["hunt_clamav_databases"],
            "database_version": variables["hunt_clamav_version"],
            "paths": [str(p) for p in paths], "max_size": 1 << 24, "time_budget": 120,
            "official_db": str(tmp_path / "no-official-db"), "work_dir": str(tmp_path / "work")}


def test_hash_signatures_carry_unknown_size_and_their_functionality_level() -> None:
    tables = tables_with((IndicatorType.MD5, "d41d8cd98f00b204e9800998ecf8427e"),
                         (IndicatorType.SHA1, "da39a3ee5e6b4b0d3255bfef95601890afd80709"))
    files = hash_signatures(tables)
    assert "d41d8cd98f00b204e9800998ecf8427e:*:Assessor.md5.d41d8cd98f00b204e9800998ecf8427e:73" \
        in files["assessor.hdb"].splitlines()
    hsb = files["assessor.hsb"].splitlines()
    assert "da39a3ee5e6b4b0d3255bfef95601890afd80709:*:Assessor.sha1." \
        "da39a3ee5e6b4b0d3255bfef95601890afd80709:73" in hsb
    assert len(hsb) == 4  # the three builtin EICAR SHA-256 values and the SHA-1
    assert indicator_of(signature_name(IndicatorType.SHA1, "ab") + ".UNOFFICIAL") == (
        IndicatorType.SHA1, "ab")
    assert indicator_of("Win.Test.EICAR_HDB-1") is None


def test_the_database_loads_in_clamscan_on_the_controller(tmp_path: Path) -> None:
    rules = tmp_path / "rules"
    rules.mkdir()
    (rules / "web.ndb").write_text("Assessor.Test.Webshell:0:*:3c3f7068702073797374656d28\n")
    (rules / "notes.yaml").write_text("not a clamav rule\n")
    db = build_database(tables_for(()), content_rule_files([rules]))
    assert db.signatures == 4, db  # three EICAR hashes and the content rule, counted by clamscan
    assert "clamscan test scan" in db.verified and db.version.startswith("assessor-")
    assert sorted(db.files) == ["assessor.hsb", "rules000-web.ndb"]


def test_a_rule_clamav_cannot_load_stops_the_run_with_exit_2(tmp_path: Path) -> None:
    bad = tmp_path / "broken.ndb"
    bad.write_text("this is not a signature\n")
    with pytest.raises(ConfigError) as caught:
        build_database(tables_for(()), [bad])
    assert caught.value.exit_code == 2 and "broken.ndb" in caught.value.message


def test_clamscan_detects_samples_through_sigtool_hashes_inside_archives_too(
    tmp_path: Path, clamscan: ModuleType
) -> None:
    tree = tmp_path / "tree"
    (tree / "sub").mkdir(parents=True)
    (tree / "sub" / "x.com").write_bytes(eicar())
    (tree / "odd: name.exe").write_bytes((TESTFILES / "clam.exe").read_bytes())
    (tree / "clam.zip").write_bytes((TESTFILES / "clam.zip").read_bytes())
    (tree / "clean.txt").write_text("nothing\n")
    (tree / "link").symlink_to(TESTFILES / "clam.exe")
    md5 = sigtool_hash("--md5", TESTFILES / "clam.exe")
    tables = tables_with((IndicatorType.MD5, md5))
    result = clamscan.scan(params(tmp_path, clamav_vars(tables, True), tree))
    assert result["rc"] == 1 and result["installed"], result
    detected = {h["path"]: h for h in result["hits"]}
    assert set(detected) == {str(tree / "sub/x.com"), str(tree / "odd: name.exe"),
                             str(tree / "clam.zip")}  # the link is not followed
    assert detected[str(tree / "clam.zip")]["detections"] == [f"Assessor.md5.{md5}.UNOFFICIAL"]
    assert not list((tmp_path / "work").iterdir())  # the shipped database is gone
    findings = {f.control_id: f for f in clamav_findings(result, tables)}
    assert findings["hunt.clamav"].status is Status.FAIL
    assert result["engine"] in findings["hunt.clamav"].reason
    zipped = findings[f"hunt.clamav:{tree / 'clam.zip'}"]
    assert f"md5 {md5} (feed.csv row-0)" in zipped.reason
    assert "builtin EICAR" in findings[f"hunt.clamav:{tree / 'sub/x.com'}"].reason
    items = candidates(HostResult("h", findings=list(findings.values())))
    assert {i.path for i in items} == set(detected) and items[0].engine == result["engine"]


def test_every_clamav_testfiles_sample_is_found_through_its_sigtool_sha256(
    tmp_path: Path, clamscan: ModuleType
) -> None:
    """Debian's 44 clamav-testfiles (PE, ELF, PDF, Office, archives of them...), each known
    to the run only by the SHA-256 `sigtool --sha256` gives it, as an analyst would write
    a hash indicator: every one is detected through the run's signatures."""
    samples = sorted(TESTFILES.iterdir())
    assert len(samples) == 44, samples
    hashes = {s.name: sigtool_hash("--sha256", s) for s in samples}
    tables = tables_with(*((IndicatorType.SHA256, h) for h in hashes.values()))
    result = clamscan.scan(params(tmp_path, clamav_vars(tables, True), TESTFILES))
    assert result["rc"] == 1, result
    found = {Path(h["path"]).name: h["detections"] for h in result["hits"]}
    assert set(found) == set(hashes), set(hashes) - set(found)
    ours = {f"Assessor.sha256.{h}.UNOFFICIAL" for h in hashes.values()}
    for name, detections in found.items():
        # an archive may be named by a sample inside it (clam.7z holds clam.exe): clamscan
        # stops at its first match, and both are the run's indicators
        assert detections and set(detections) <= ours, (name, detections)


def test_a_clean_tree_passes_and_a_clamscan_error_is_never_clean(
    tmp_path: Path, clamscan: ModuleType
) -> None:
    tree = tmp_path / "tree"
    tree.mkdir()
    (tree / "clean.txt").write_text("nothing\n")
    variables = clamav_vars(tables_for(()), True)
    clean = clamscan.scan(params(tmp_path, variables, tree))
    assert [f.status for f in clamav_findings(clean, tables_for(()))] == [Status.PASS]
    (tree / "x.com").write_bytes(eicar())
    variables["hunt_clamav_databases"]["bad.ndb"] = base64.b64encode(b"junk\n").decode()
    broken = clamscan.scan(params(tmp_path, variables, tree))
    assert broken["rc"] == 2, broken
    findings = clamav_findings(broken, tables_for(()))
    assert [f.status for f in findings] == [Status.ERROR]
    assert candidates(HostResult("h", findings=findings)) == []


def test_no_clamscan_on_the_host_is_not_applicable(
    tmp_path: Path, clamscan: ModuleType, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(clamscan.shutil, "which", lambda _: None)
    result = clamscan.scan(params(tmp_path, clamav_vars(tables_for(()), True), tmp_path))
    assert [f.status for f in clamav_findings(result, tables_for(()))] == [Status.NOTAPPLICABLE]
    assert clamav_vars(tables_for(()), False) == {"hunt_clamav": False}
