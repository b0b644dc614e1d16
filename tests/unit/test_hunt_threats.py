"""The host report's Threats table: a row per hunt hit with the file's facts, the rule or
indicator and its source; host data escaped."""

from __future__ import annotations

from pathlib import Path

from threat_data import BUNDLE, DIGEST, HOSTILE, SHELL_PATH, hostile_run

from assessor.reports import write_all
from assessor.reports.threats import threat_rows
from assessor.rundir import host_dir


def test_rows_carry_facts_detection_and_source() -> None:
    rows = {r.control_id: r for r in threat_rows(hostile_run().hosts[0])}
    assert set(rows) == {f"hunt.ioc:{SHELL_PATH}", f"hunt.persist.suid-unowned:/var/tmp/.{HOSTILE}"}
    ioc = rows[f"hunt.ioc:{SHELL_PATH}"]
    assert (ioc.path, ioc.sha256, ioc.md5, ioc.size, ioc.mode) == (
        SHELL_PATH, DIGEST, "b" * 32, "45", "0644")
    assert ioc.mtime == "2026-11-18 11:06:40Z"
    assert ioc.detection == "indicator" and BUNDLE in ioc.source
    suid = rows[f"hunt.persist.suid-unowned:/var/tmp/.{HOSTILE}"]
    assert suid.detection == "hunt.persist.suid-unowned (ATT&CK T1548.001)"
    assert suid.source.endswith("10-persistence.yaml:" + suid.source.rsplit(":", 1)[1])
    assert (suid.size, suid.owner, suid.mode) == ("1265648", "root", "4755")


def test_the_table_escapes_host_data(tmp_path: Path) -> None:
    run = hostile_run()
    write_all(run, tmp_path)
    page = (host_dir(tmp_path, "web-01") / "report.html").read_text()
    table = page[page.index('<section id="threats"'):page.index("</section>",
                                                             page.index('id="threats"'))]
    assert table.count('<tr class="threat"') == 2
    assert "<img" not in table and "\x1b" not in table
    assert "&lt;img src=x onerror=" in table and "\u241b[31m" in table
    assert DIGEST in table and "bundle--7c1e4a53" in table
