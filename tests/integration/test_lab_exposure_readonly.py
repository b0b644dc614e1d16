"""Exposure reads and never installs: a host without python3-apt and without reachable
repositories keeps dpkg's state byte for byte, and is judged, not errored, in time.

Own lab (ASSESSOR_EXPOSURE_LAB, default `iexp`) of one `weak` host: Debian as installed
(no python3-apt) with its sources pointing at Debian's mirror, which no lab host can
reach (lab hosts have no name server and no route out).
"""

from __future__ import annotations

import os
import time
from pathlib import Path

from labrun import Run, module_lab, root_of, run_cli, ssh_ops

from assessor.lab import fleet

LAB = os.environ.get("ASSESSOR_EXPOSURE_LAB", "iexp")
REAL = Path(__file__).resolve().parent.parent / "data" / "advisories" / "real"


lab = module_lab(LAB, 1, "weak")


def test_exposure_installs_nothing_and_says_how_old_the_lists_are(
    lab: fleet.LabState, tmp_path: Path
) -> None:
    root = root_of(lab, "weak-01")  # read only: nothing is written through it
    status = (root / "var/lib/dpkg/status").read_bytes()
    packages = ssh_ops(lab, "weak-01", "dpkg-query -W -f '${Package} ${Version}\\n'").stdout
    started = time.monotonic()
    proc = run_cli("exposure", "-i", lab.inventory, "--advisories", str(REAL),
                   "--update-timeout", "20", "--out", str(tmp_path))
    took = time.monotonic() - started
    run = Run(proc.returncode, proc.stdout, proc.stderr, tmp_path)
    assert (root / "var/lib/dpkg/status").read_bytes() == status
    assert ssh_ops(lab, "weak-01", "dpkg-query -W -f '${Package} ${Version}\\n'").stdout == (
        packages)
    assert took < 20 + 60, took  # the refresh's bound, plus one assessment
    host = run.host("weak-01")
    findings = {f["control_id"]: f for f in host["findings"]}  # type: ignore[union-attr]
    glibc = findings["DSA-5514-1"]
    assert glibc["status"] == "pass", glibc  # judged on what dpkg says, not an error
    assert "not refreshed: apt-get update" in glibc["reason"], glibc["reason"]
    assert "package lists" in glibc["reason"]
    assert all(f["status"] != "error" for f in findings.values()), findings
    assert run.code == 0, proc.stdout + proc.stderr
