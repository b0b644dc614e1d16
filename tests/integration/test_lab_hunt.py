"""`assessor hunt` on real lab hosts: planted files found, clean hosts give zero findings."""

from __future__ import annotations

import base64
import hashlib
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from labrun import Run, run_cli, running_lab, ssh_ops

from assessor.lab import fleet

LAB = os.environ.get("ASSESSOR_HUNT_LAB", "hh")


def eicar() -> bytes:
    """The EICAR test string, assembled at run time so no file in the tree carries it."""
    head = "X5O!P%@AP[4\\PZX54(P^)7CC)7}$"
    return (head + "EICAR-STANDARD-" + "ANTIVIRUS-TEST-FILE!$H+H*").encode()


PAYLOAD = b"#!/bin/sh\n# planted by the hunt test\n"


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[fleet.LabState]:
    inventory = tmp_path_factory.mktemp("hh") / "inventory.yml"
    with running_lab(LAB, 2, "hardened,weak", inventory) as state:
        weak = next(h.name for h in state.hosts if h.flavour == "weak")
        plant(state, weak, "/var/tmp/eicar.com", eicar())
        plant(state, weak, "/opt/evil/dropper <b>\x1b[31m", PAYLOAD)
        yield state


def plant(lab: fleet.LabState, host: str, path: str, data: bytes) -> None:
    """Write a file on the host itself (never through its root on this machine, where an
    absolute link would lead to this machine's files); name and bytes travel as base64."""
    script = ("import base64, os, sys; p = base64.b64decode(sys.argv[1]).decode(); "
              "os.makedirs(os.path.dirname(p), exist_ok=True); "
              "open(p, 'wb').write(base64.b64decode(sys.argv[2]))")
    name = base64.b64encode(path.encode()).decode()
    body = base64.b64encode(data).decode()
    done = ssh_ops(lab, host, f'sudo -n python3 -c "{script}" {name} {body}')
    assert done.returncode == 0, done.stderr


def hunt(lab: fleet.LabState, out: Path, *extra: str) -> Run:
    proc = run_cli("hunt", "-i", str(lab.inventory), "--out", str(out), *extra)
    return Run(proc.returncode, proc.stdout, proc.stderr, out)


def failing(run: Run, flavour: str, lab: fleet.LabState) -> dict[str, dict[str, object]]:
    name = next(h.name for h in lab.hosts if h.flavour == flavour)
    findings = run.host(name)["findings"]
    assert isinstance(findings, list)
    # notapplicable: hunt rules the host cannot support (no key allowlist, the machine's kernel)
    return {f["control_id"]: f for f in findings if f["status"] not in ("pass", "notapplicable")}


def test_hunt_finds_planted_files_and_nothing_on_the_clean_host(
    lab: fleet.LabState, tmp_path: Path
) -> None:
    iocs = tmp_path / "iocs.csv"
    iocs.write_text(f"type,value,source\nsha256,{hashlib.sha256(PAYLOAD).hexdigest()},test\n")
    first = hunt(lab, tmp_path / "r1", "--iocs", str(iocs))
    assert first.code == 1, first.stderr
    weak = failing(first, "weak", lab)
    # ClamAV on the lab host, with the run's signatures, finds the same two files.
    assert set(weak) == {"hunt.files", "hunt.ioc:/var/tmp/eicar.com",
                         "hunt.ioc:/opt/evil/dropper <b>\x1b[31m", "hunt.clamav",
                         "hunt.clamav:/var/tmp/eicar.com",
                         "hunt.clamav:/opt/evil/dropper <b>\x1b[31m"}
    assert "builtin EICAR" in str(weak["hunt.ioc:/var/tmp/eicar.com"]["reason"])
    assert failing(first, "hardened", lab) == {}
    html = "".join(p.read_text() for p in first.run_dir.rglob("*.html"))
    assert html and "dropper <b>" not in html
    second = hunt(lab, tmp_path / "r2", "--iocs", str(iocs))
    assert second.code == 1
    observed = str(failing(second, "weak", lab)["hunt.files"]["observed"])
    files, hashed, cached = (int(observed.split()[i]) for i in (0, 2, 4))
    # Ansible's own temporary module file under /root is new on every run: hashed again.
    assert hashed <= max(2, files // 10) and cached >= files - hashed, observed
