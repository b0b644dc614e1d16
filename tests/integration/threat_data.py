"""A hunt run with hostile host data in every Threats column, built without a lab (the
reports re-render from results alone): for the unit and browser tests of the table."""

from __future__ import annotations

from assessor.hunt import hunt_result, tables_for
from assessor.hunt.catalogue import judge_rules, load_rules
from assessor.hunt.kinds import Context
from assessor.intel import Indicator, IndicatorType, Origin
from assessor.results import HostResult, RunResult

HOSTILE = '<img src=x onerror="document.documentElement.dataset.pwned=1">\x1b[31m'
SHELL_PATH = f"/var/www/html/{HOSTILE}.php"
DIGEST = "5e880acfd99667c3e91e62fa7414caa1e8e8794335ef9635583fd8c925bfdc4b"
BUNDLE = "bundle--7c1e4a53-2f0e-4d7b-9a61-1b0c2e8f4d90 (cert.json)"


def hostile_run() -> RunResult:
    tables = tables_for([Indicator(IndicatorType.SHA256, DIGEST,
                                   (Origin(BUNDLE, "indicator--3f6a2b1c"),))])
    sweep = {"stats": {"files": 9, "hashed": 9}, "paths": ["/var/www"], "hits": [{
        "path": SHELL_PATH, "sha256": DIGEST, "sha1": "a" * 40, "md5": "b" * 32, "size": 45,
        "mode": "0644", "owner": f"www-data{HOSTILE}", "mtime": 1795000000,
        "matched": {"hash": [DIGEST], "name": False, "path": False}}]}
    swept = hunt_result("web-01", "10.0.0.5", sweep, tables)
    state = {"suid": {"complete": True, "files": [{
        "path": f"/var/tmp/.{HOSTILE}", "bit": "suid", "package": "", "sha256": "c" * 64,
        "md5": "d" * 32, "size": 1265648, "mode": "4755", "owner": "root",
        "mtime": 1795000100}]}}
    rules = [r for r in load_rules() if r.id == "hunt.persist.suid-unowned"]
    judged = judge_rules(rules, state, Context(tables))
    host = HostResult("web-01", "10.0.0.5", findings=[*swept.findings, *judged])
    return RunResult(run_id="20261202T060000Z", started="2026-12-02T06:00:00Z",
                     finished="2026-12-02T06:00:09Z", tool_version="test",
                     catalogue_version="hunt: cert.json", profile="hunt",
                     inventory="inventory.yml", hosts=[host])
