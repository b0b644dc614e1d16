"""The hunt: the on-host sweep module run on this machine's files, and the pure judge."""

from __future__ import annotations

import importlib.util
import json
import os
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from assessor.hunt import hunt_result, sweep_vars, tables_for
from assessor.intel import Indicator, IndicatorType, Origin
from assessor.results import Status

MODULE = Path(__file__).parents[2] / "roles/hunt/library/assessor_hunt_sweep.py"


def eicar() -> bytes:
    """The EICAR test string, assembled at run time so no file in the tree carries it."""
    head = "X5O!P%@AP[4\\PZX54(P^)7CC)7}$"
    return (head + "EICAR-STANDARD-" + "ANTIVIRUS-TEST-FILE!$H+H*").encode()


@pytest.fixture(scope="module")
def sweeper() -> ModuleType:
    spec = importlib.util.spec_from_file_location("assessor_hunt_sweep", MODULE)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def params(tmp_path: Path, tables_vars: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {
        "paths": [str(tmp_path / "tree")], "hashes": tables_vars["hunt_hashes"],
        "names": tables_vars["hunt_names"],
        "full_paths": tables_vars["hunt_full_paths"],
        "max_size": 1 << 20, "time_budget": 60, "cache": str(tmp_path / "cache/c.json"),
        **extra,
    }


def tree(tmp_path: Path) -> Path:
    root = tmp_path / "tree"
    (root / "sub").mkdir(parents=True)
    (root / "clean.txt").write_bytes(b"nothing to see\n")
    (root / "sub" / "x.com").write_bytes(eicar())
    (root / "bad<script>\nname").write_bytes(b"payload-one")
    (root / "link").symlink_to(root / "sub" / "x.com")
    return root


def test_eicar_is_found_with_no_indicators(tmp_path: Path, sweeper: ModuleType) -> None:
    root = tree(tmp_path)
    tables = tables_for(())
    sweep = sweeper.sweep(params(tmp_path, sweep_vars(tables, [])))
    assert [h["path"] for h in sweep["hits"]] == [str(root / "sub" / "x.com")]  # link not followed
    host = hunt_result("h1", "10.0.0.1", sweep, tables)
    statuses = {f.control_id: f.status for f in host.findings}
    assert statuses["hunt.files"] is Status.FAIL
    hit = next(f for f in host.findings if f.control_id.startswith("hunt.ioc:"))
    assert "builtin EICAR" in hit.reason and "sha256=" in hit.observed


def test_clean_tree_passes(tmp_path: Path, sweeper: ModuleType) -> None:
    (tmp_path / "tree").mkdir()
    (tmp_path / "tree" / "a").write_bytes(b"benign")
    tables = tables_for(())
    host = hunt_result("h1", "", sweeper.sweep(params(tmp_path, sweep_vars(tables, []))), tables)
    assert [(f.control_id, f.status) for f in host.findings] == [("hunt.files", Status.PASS)]


def test_hash_name_and_path_indicators_cite_their_source(
    tmp_path: Path, sweeper: ModuleType
) -> None:
    import hashlib

    root = tree(tmp_path)
    origin = (Origin("bundle--1 (t.json)", "indicator--9"),)
    indicators = [
        Indicator(IndicatorType.MD5, hashlib.md5(b"payload-one").hexdigest(), origin),
        Indicator(IndicatorType.FILENAME, "clean.txt", origin),
    ]
    tables = tables_for(indicators)
    sweep = sweeper.sweep(params(tmp_path, sweep_vars(tables, [])))
    host = hunt_result("h1", "", sweep, tables)
    hits = {f.control_id: f for f in host.findings if f.status is Status.FAIL}
    assert set(hits) == {"hunt.files", f"hunt.ioc:{root}/bad<script>\nname",
                         f"hunt.ioc:{root}/clean.txt", f"hunt.ioc:{root}/sub/x.com"}
    assert "indicator--9" in hits[f"hunt.ioc:{root}/clean.txt"].reason


def test_resweep_uses_cache_until_ctime_changes(tmp_path: Path, sweeper: ModuleType) -> None:
    root = tree(tmp_path)
    p = params(tmp_path, sweep_vars(tables_for(()), []))
    first = sweeper.sweep(p)
    assert first["stats"]["hashed"] == 3 and first["stats"]["cached"] == 0
    second = sweeper.sweep(p)
    assert second["stats"] == {**first["stats"], "hashed": 0, "cached": 3, "bytes": 0}
    os.chmod(root / "clean.txt", 0o600)  # ctime changes, content does not
    third = sweeper.sweep(p)
    assert third["stats"]["hashed"] == 1
    cache = json.loads(Path(p["cache"]).read_text())
    assert len(cache) == 3


def test_forged_cache_is_not_trusted_after_ctime_change(
    tmp_path: Path, sweeper: ModuleType
) -> None:
    root = tree(tmp_path)
    p = params(tmp_path, sweep_vars(tables_for(()), []))
    sweeper.sweep(p)
    cache = json.loads(Path(p["cache"]).read_text())
    for key in cache:
        cache[key][3:] = ["0" * 64, "0" * 40, "0" * 32]  # a tampered cache hides everything
    Path(p["cache"]).write_text(json.dumps(cache))
    (root / "sub" / "x.com").write_bytes(eicar())  # rewrite: new mtime/ctime
    assert [h["path"] for h in sweeper.sweep(p)["hits"]] == [str(root / "sub" / "x.com")]


def test_time_budget_cut_short_is_an_error(tmp_path: Path, sweeper: ModuleType) -> None:
    tree(tmp_path)
    ticks = iter(range(0, 1000, 50))
    p = params(tmp_path, sweep_vars(tables_for(()), []), time_budget=60)
    sweep = sweeper.sweep(p, clock=lambda: next(ticks))
    assert sweep["cut_short"]
    host = hunt_result("h1", "", sweep, tables_for(()))
    assert host.findings[0].status is Status.ERROR


def test_size_cap_counts_files_not_hashed(tmp_path: Path, sweeper: ModuleType) -> None:
    tree(tmp_path)
    sweep = sweeper.sweep(params(tmp_path, sweep_vars(tables_for(()), []), max_size=20))
    assert sweep["stats"]["too_big"] == 1 and sweep["hits"] == []


def test_no_sweep_is_a_host_error() -> None:
    host = hunt_result("h1", "", None, tables_for(()), "unreachable: timed out")
    assert not host.assessed and "unreachable" in host.error
