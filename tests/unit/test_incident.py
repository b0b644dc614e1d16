"""The incident record from real run files: timeline, counts, HTML, IODEF, STIX, e-mail.

Run directories are written by the commands' own writers (the hunt judge and the results
reporters, the evidence bundle writer), so the record reads the shapes they really have.
"""

from __future__ import annotations

import email
import json
from email.policy import default
from pathlib import Path

import jsonschema
import pytest
from stix2validator import ValidationOptions, validate_instance

from assessor.cli import main
from assessor.errors import ConfigError
from assessor.evidence.bundle import HostEvidence, write_bundle
from assessor.evidence.manifest import MANIFEST, file_sha256
from assessor.evidence.signing import init_keys
from assessor.hunt import hunt_result, tables_for
from assessor.incident.attach import read_runs
from assessor.incident.contacts import load_contacts
from assessor.incident.export import write_reports
from assessor.incident.iodef import document
from assessor.incident.record import attach, case_dir, load_case, open_case
from assessor.incident.stix_export import bundle
from assessor.incident.summary import build
from assessor.intel import Indicator, IndicatorType, Origin
from assessor.reports import write_all
from assessor.results import RunResult

ROOT = Path(__file__).parents[2]
SCHEMA = json.loads((ROOT / "tests/data/iodef/rfc8727-schema.json").read_text())
CONTACTS = ROOT / "inventories/example/contacts.yml"
EVIL = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
HOSTILE = "web1<script>alert(1)</script>"


def hunt_run(out: Path, hosts: dict[str, list[dict[str, object]]], finished: str) -> Path:
    tables = tables_for([Indicator(IndicatorType.SHA256, EVIL, (Origin("cert-feed", "ind-1"),))])
    results = [hunt_result(name, "10.0.0.5", {"hits": hits, "paths": ["/tmp"], "stats": {}},
                           tables) for name, hits in hosts.items()]
    run = RunResult(run_id="20260101T000000Z", started=finished, finished=finished,
                    tool_version="t", catalogue_version="hunt: cert-feed", profile="hunt",
                    inventory="inv", hosts=results)
    out.mkdir(parents=True)
    write_all(run, out, skip=("html", "junit"))
    return out


def evidence_bundle(out: Path, keys: Path, host: str, complete: bool = True) -> Path:
    got = HostEvidence(host, "10.0.0.5", tiers={"volatile": {"blobs": [], "artifacts": []}})
    if not complete:
        got.errors = {"system": "unreachable: host went away"}
    return write_bundle(out, "IR-7", got, started="2026-01-01T00:01:00+00:00",
                        finished="2026-01-01T00:02:00+00:00", artifact_set="triage",
                        key_dir=keys)


@pytest.fixture
def case(tmp_path: Path) -> Path:
    keys = tmp_path / "keys"
    init_keys(keys)
    out = tmp_path / "cases"
    open_case(out, "IR-7", "Dropper on web hosts <b>", "critical")
    hit = {"path": "/tmp/.x/drop", "sha256": EVIL, "matched": {"hash": [EVIL]}, "size": 3}
    hunt = hunt_run(tmp_path / "hunt", {HOSTILE: [hit], "db1": []}, "2026-01-01T00:00:00+00:00")
    bundle_dir = evidence_bundle(out, keys, "db1", complete=False)
    restore = tmp_path / "restore"
    restore.mkdir()
    (restore / "restore.json").write_text(json.dumps({
        "run_id": "r1", "finished": "2026-01-01T01:00:00+00:00", "operator": "alice",
        "duration_s": 42.5, "check": False, "hosts": [{
            "name": HOSTILE, "reinstalled": ["assessor-demo=1.0-1"],
            "quarantined": ["/tmp/.x/drop"], "restored": True, "verdict": "known-good",
            "before": {"hunt findings": 1}, "after": {"hunt findings": 0}}]}))
    attach(out, "IR-7", [a for d in (hunt, bundle_dir, restore) for a in read_runs(d)])
    return out


def test_open_refuses_a_second_open_and_bad_input(tmp_path: Path) -> None:
    open_case(tmp_path, "IR-1", "t")
    with pytest.raises(ConfigError, match="already open"):
        open_case(tmp_path, "IR-1", "t")
    with pytest.raises(ConfigError, match="case"):
        open_case(tmp_path, "../x", "t")
    with pytest.raises(ConfigError, match="severity"):
        open_case(tmp_path, "IR-2", "t", "extreme")
    with pytest.raises(ConfigError, match="no such case"):
        load_case(tmp_path, "IR-3")


def test_unknown_run_directory_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="not a run directory"):
        read_runs(tmp_path)


def test_record_counts_and_timeline(case: Path) -> None:
    record, _ = load_case(case, "IR-7")
    report = build(record, load_contacts(CONTACTS))
    assert report.counts() == {"hosts": 2, "detections": 1, "actions": 5, "indicators": 1,
                               "bundles": 1, "events": 6}
    assert [e.action for e in report.timeline] == [
        "hunted", "detected", "collected", "quarantined", "reinstalled", "restored"]
    detected = report.detections[0]
    assert detected.host == HOSTILE and "cert-feed ind-1" in detected.what
    assert report.resolved and report.restored_at == "2026-01-01T01:00:00+00:00"
    assert report.bundles[0].manifest_sha256 == file_sha256(case / "IR-7/db1" / MANIFEST)
    assert not report.bundles[0].complete and report.bundles[0].missing == ["system"]


def test_adding_the_same_run_twice_is_skipped(case: Path, tmp_path: Path) -> None:
    again = read_runs(tmp_path / "hunt")
    record, skipped = attach(case, "IR-7", again)
    assert skipped == [again[0].path] and len(record.attachments) == 3


def test_iodef_validates_against_rfc8727_schema(case: Path) -> None:
    record, _ = load_case(case, "IR-7")
    doc = document(build(record, load_contacts(CONTACTS)))
    jsonschema.Draft4Validator(SCHEMA, format_checker=jsonschema.FormatChecker()).validate(doc)
    incident = doc["Incident"][0]
    assert incident["IncidentID"]["id"] == "IR-7" and incident["status"] == "resolved"
    cc = [c for c in incident["Contact"] if c["role"] == "cc-irt"]
    assert [c["Email"][0]["EmailTo"] for c in cc] == ["ir@vncert.vn", "ais@mic.gov.vn"]
    assert {"TelephoneNumber": "086.9100.317", "type": "hotline"} in cc[0]["Telephone"]
    digest = incident["Indicator"][0]["Observable"]["FileData"]["File"][0]["HashData"]
    assert digest["Hash"][0]["DigestValue"] == "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="


def test_iodef_schema_rejects_what_the_rfc_forbids(case: Path) -> None:
    record, _ = load_case(case, "IR-7")
    doc = document(build(record))
    del doc["Incident"][0]["GenerationTime"]
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.Draft4Validator(SCHEMA).validate(doc)


def test_stix_bundle_validates(case: Path) -> None:
    record, _ = load_case(case, "IR-7")
    stix = bundle(build(record, load_contacts(CONTACTS)))
    result = validate_instance(stix, ValidationOptions(version="2.1", strict=True))
    assert result.is_valid, [str(e) for e in result.errors]
    kinds = [o["type"] for o in stix["objects"]]
    assert kinds.count("sighting") == 1 and kinds.count("indicator") == 1
    sighting = next(o for o in stix["objects"] if o["type"] == "sighting")
    indicator = next(o for o in stix["objects"] if o["type"] == "indicator")
    assert sighting["sighting_of_ref"] == indicator["id"]
    assert indicator["pattern"] == f"[file:hashes.'SHA-256' = '{EVIL}']"
    assert bundle(build(record))["objects"][1]["id"] == stix["objects"][1]["id"]


def test_report_html_escapes_and_eml_is_ready(case: Path) -> None:
    record, _ = load_case(case, "IR-7")
    out = case_dir(case, "IR-7")
    written = write_reports(build(record, load_contacts(CONTACTS)), out, eml=True)
    assert sorted(p.name for p in written) == ["incident.eml", "incident.html", "iodef.json",
                                               "stix.json"]
    html = (out / "incident.html").read_text()
    assert "<script>alert" not in html and "&lt;script&gt;" in html
    assert "&lt;b&gt;" in html and "086.9100.317" in html and "038.9942878" in html
    mail = email.message_from_bytes((out / "incident.eml").read_bytes(), policy=default)
    assert mail["To"] == "ir@vncert.vn, ais@mic.gov.vn"
    assert mail["From"] == "soc-lead@example.com" and "[IR-7]" in mail["Subject"]
    names = [p.get_filename() for p in mail.iter_attachments()]
    assert names == ["iodef.json", "stix.json", "incident.html"]
    attached = json.loads(next(mail.iter_attachments()).get_content())
    jsonschema.Draft4Validator(SCHEMA).validate(attached)
    body = mail.get_body(("plain",))
    assert body is not None and "\x1b" not in body.get_content()


def test_contacts_error_names_file_and_line(tmp_path: Path) -> None:
    bad = tmp_path / "contacts.yml"
    bad.write_text("organisation:\n  name: X\nnational:\n  - name: CERT\n    email: nope\n")
    with pytest.raises(ConfigError, match=r"contacts.yml:4: national/0"):
        load_contacts(bad)


def test_cli_open_add_report(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    hunt = hunt_run(tmp_path / "hunt", {"web1": [{"path": "/tmp/a", "sha256": EVIL,
                                                  "matched": {"hash": [EVIL]}}]},
                    "2026-01-01T00:00:00+00:00")
    out = str(tmp_path / "cases")
    assert main(["incident", "open", "--case", "IR-9", "--title", "t", "--out", out]) == 0
    assert main(["incident", "add", "--case", "IR-9", str(hunt), "--out", out]) == 0
    assert main(["incident", "report", "--case", "IR-9", "--out", out, "--contacts",
                 str(CONTACTS)]) == 0
    said = capsys.readouterr().out
    assert "1 host(s), 1 detection(s)" in said and "call VNCERT/CC: 024.3640.4421" in said
    assert main(["incident", "add", "--case", "IR-9", str(tmp_path), "--out", out]) == 2


def test_harden_and_quarantine_runs_become_actions(tmp_path: Path) -> None:
    harden = tmp_path / "harden"
    harden.mkdir()
    (harden / "harden.json").write_text(json.dumps({
        "run_id": "h1", "finished": "2026-01-01T00:10:00+00:00", "check": False, "hosts": [
            {"name": "web1", "state": "changed", "changes": [
                {"control": "ssh.permit-root-login", "status": "changed"},
                {"control": "ssh.x11-forwarding", "status": "ok"}]}, {"name": 7}]}))
    hunt = hunt_run(tmp_path / "hunt", {"web1": []}, "2026-01-01T00:00:00+00:00")
    (hunt / "quarantine").mkdir()
    (hunt / "quarantine/manifest.json").write_text(json.dumps({"run_id": "q1", "items": [
        {"host": "web1", "id": "a", "path": "/tmp/x", "sha256": EVIL, "status": "moved",
         "history": [{"at": "2026-01-01T00:05:00+00:00", "action": "quarantine"}]},
        {"host": "web1", "id": "b", "path": "/tmp/y", "sha256": EVIL, "status": "refused"}]}))
    (hardened,) = read_runs(harden)
    assert [(e.action, e.what) for e in hardened.events] == [
        ("hardened", "1 control(s) applied: ssh.permit-root-login")]
    (hunted,) = read_runs(hunt)
    moved = [e for e in hunted.events if e.action == "quarantined"]
    assert [(e.time, e.what) for e in moved] == [
        ("2026-01-01T00:05:00+00:00", f"/tmp/x sha256={EVIL} -> vault")]
