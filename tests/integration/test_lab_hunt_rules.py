"""Hunt rules on real lab hosts: every case the `compromised` flavour plants is found by
the rule meant for it, and Debian as installed, partly hardened and hardened give ZERO
hunt findings (a false-positive budget of 0). The hunt is read-only: dpkg's status and
a hash of the /etc tree are the same after it."""

from __future__ import annotations

import base64
import datetime as dt
import functools
import hashlib
import http.server
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from labrun import Run, run_cli, running_lab, ssh_ops

from assessor.errors import ConfigError
from assessor.hunt.fetch import fetch_iocs
from assessor.lab import fleet

INTEL = Path(__file__).resolve().parents[1] / "data" / "intel"
# case (as 90-compromised.yaml names it) -> the finding id it must give
CASES = {
    "ld-preload": "hunt.persist.ld-preload:/etc/ld.so.preload:1",
    "cron-reboot-download": "hunt.persist.cron:/var/spool/cron/crontabs/root:1",
    "cron-hidden-dir": "hunt.persist.cron:/etc/cron.d/sysupdate:1",
    "at-job-download": "hunt.persist.cron:/var/spool/cron/atjobs/a000013fffffff:6",
    "elf-shm-unit": "hunt.persist.systemd:/etc/systemd/system/kworkerd.service:7",
    "systemd-user-unit":
        "hunt.persist.systemd:/root/.config/systemd/user/tracker-extract.service:2",
    "rc-local": "hunt.persist.shell-rc:/etc/rc.local:2",
    "profile-download": "hunt.persist.shell-rc:/etc/profile.d/locale-fix.sh:1",
    "bashrc-writable": "hunt.persist.shell-rc:/root/.bashrc:",
    "ssh-command": "hunt.persist.ssh-key-options:/root/.ssh/authorized_keys:1",
    "ssh-from": "hunt.persist.ssh-key-options:/root/.ssh/authorized_keys:2",
    "ssh-unlisted": "hunt.persist.ssh-key-allowlist:/root/.ssh/authorized_keys:1",
    "suid-shell": "hunt.persist.suid-unowned:/var/tmp/.bash",
    "uid0-account": "hunt.persist.accounts-uid0:sysadm2",
    "system-account-shell": "hunt.persist.accounts-shell:www-data",
    "modified-binary": "hunt.live.package-modified:/usr/bin/pinky",
    "elf-shm-deleted": "hunt.live.process-exe:pid ",
    "named-process": "hunt.live.indicator-process:pid ",
    "hidden-process": "hunt.live.process-hidden:pid ",
    "hidden-process-mount": "hunt.live.process-hidden:/proc/",
    "c2-listener": "hunt.live.indicator-socket:tcp listen 127.0.0.66:4444",
    "c2-connection": "hunt.live.indicator-socket:tcp 127.0.0.1:",
    "webshell": "hunt.live.webshell:/var/www/html/wp-update.php",
    "webshell-hash": "hunt.ioc:/var/www/html/wp-update.php",
    "zipped-sample": "hunt.ioc:/opt/.cache/update.zip",
    "named-dropper": "hunt.ioc:/usr/local/bin/kdevtmpfsi",
    "eicar": "hunt.ioc:/var/tmp/.cache/eicar.com",
}
# what the hunt must leave as it was: dpkg's database and every path, mode and byte of /etc
READ_ONLY = ("sudo -n sh -c 'sha256sum /var/lib/dpkg/status; find /etc -xdev -printf "
             "\"%p %m %U %G %l\\n\" | sort | sha256sum; find /etc -xdev -type f -print0 "
             "| sort -z | xargs -0 sha256sum | sha256sum'")


def fingerprint(public_key: str) -> str:
    blob = base64.b64decode(public_key.split()[1])
    return "SHA256:" + base64.b64encode(hashlib.sha256(blob).digest()).decode().rstrip("=")


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[fleet.LabState]:
    inventory = tmp_path_factory.mktemp("hr") / "inventory.yml"
    with running_lab("hr", 4, "compromised,weak,partial,hardened", inventory) as state:
        yield state


@pytest.fixture(scope="module")
def intel_server() -> Iterator[str]:
    """The CERT's CSV served over HTTP on loopback, as a --iocs URL."""
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(INTEL))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def read_only_state(lab: fleet.LabState) -> dict[str, str]:
    """Every host's dpkg status and /etc tree hashes, the hosts asked at once."""
    with ThreadPoolExecutor(max_workers=len(lab.hosts)) as pool:
        answers = pool.map(lambda h: (h.name, ssh_ops(lab, h.name, READ_ONLY).stdout), lab.hosts)
        return dict(answers)


def name_of(lab: fleet.LabState, flavour: str) -> str:
    return next(h.name for h in lab.hosts if h.flavour == flavour)


def not_passing(run: Run, name: str) -> dict[str, dict[str, object]]:
    findings = run.host(name)["findings"]
    assert isinstance(findings, list)
    return {f["control_id"]: f for f in findings if f["status"] not in ("pass", "notapplicable")}


def test_every_planted_case_is_found_and_clean_hosts_give_nothing(
    lab: fleet.LabState, intel_server: str, tmp_path: Path,
) -> None:
    rules = tmp_path / "rules"
    rules.mkdir()
    allowed = fingerprint(Path(lab.key + ".pub").read_text())
    (rules / "keys.yaml").write_text(f"""\
- id: hunt.persist.ssh-key-allowlist
  title: An authorized SSH key is not the operators' key
  severity: high
  attack: T1098.004
  rationale: Only the lab's operator key may log in.
  expected: every authorized key is the lab's
  check: {{kind: key_allowlist, probe: authorized_keys, allowed: ["{allowed}"]}}
""")
    waivers = tmp_path / "waivers.yaml"
    expires = (dt.date.today() + dt.timedelta(days=30)).isoformat()
    waivers.write_text(f"""\
waivers:
  - control: "hunt.persist.accounts-shell:www-data"
    hosts: "{name_of(lab, 'compromised')}"
    reason: the web team's deploy account, ticket OPS-1234
    owner: web-team
    expires: {expires}
""")
    before = read_only_state(lab)
    assert all(len(v.splitlines()) == 3 for v in before.values()), before

    proc = run_cli("hunt", "-i", str(lab.inventory), "--out", str(tmp_path / "out"),
                   "--iocs", str(INTEL / "compromised-bundle.json"),
                   "--iocs", str(INTEL / "compromised-misp-event.json"),
                   "--iocs", f"{intel_server}/compromised.csv",
                   "--rules", str(rules), "--waivers", str(waivers))
    run = Run(proc.returncode, proc.stdout, proc.stderr, tmp_path / "out")
    assert run.code == 1, run.stderr

    found = not_passing(run, name_of(lab, "compromised"))
    missing = {case: want for case, want in CASES.items()
               if not any(cid.startswith(want) for cid in found)}
    assert not missing, f"not found: {missing}\nfound: {sorted(found)}"
    assert all(f["status"] == "fail" for cid, f in found.items()
               if cid != "hunt.persist.accounts-shell:www-data")
    waived = found["hunt.persist.accounts-shell:www-data"]
    assert waived["status"] == "waived" and "web-team" in str(waived["waiver"])
    # findings cite the indicator's source: the STIX bundle's id, the URL of the CSV
    assert "bundle--7c1e4a53-2f0e-4d7b-9a61-1b0c2e8f4d90" in str(
        found["hunt.ioc:/var/www/html/wp-update.php"]["reason"])
    listener = next(f for c, f in found.items() if c.startswith(CASES["c2-listener"]))
    assert f"{intel_server}/compromised.csv" in str(listener["reason"])
    assert listener["refs"]["attack"] == "T1071"  # type: ignore[index]
    named = next(f for c, f in found.items() if c.startswith(CASES["named-process"]))
    assert "misp event 9a4e7c21-3b5d-4f60-8e1a-2c3d4e5f6a7b" in str(named["reason"]).lower()
    kernel = next(f for f in run.host(name_of(lab, "compromised"))["findings"]  # type: ignore[attr-defined]
                  if f["control_id"] == "hunt.live.kernel-module-unpackaged")
    assert kernel["status"] == "notapplicable"  # the lab's kernel is this machine's

    for flavour in ("weak", "partial", "hardened"):
        assert not_passing(run, name_of(lab, flavour)) == {}, flavour

    after = read_only_state(lab)
    assert after == before



def test_indicator_urls_are_fetched_with_bounds_or_refused(
    intel_server: str, tmp_path: Path,
) -> None:
    """What --iocs URL does before any host is reached (fetch_iocs, not the CLI: a CLI
    start costs more than the whole check)."""
    fetched = fetch_iocs(f"{intel_server}/compromised.csv", tmp_path / "ok")
    assert fetched.read_bytes() == (INTEL / "compromised.csv").read_bytes()
    assert fetched.suffix == ".csv"
    with pytest.raises(ConfigError, match=r"no-such-feed\.csv: indicators not fetched: HTTP 404"):
        fetch_iocs(f"{intel_server}/no-such-feed.csv", tmp_path / "missing")
    with pytest.raises(ConfigError, match="larger than 16 bytes"):
        fetch_iocs(f"{intel_server}/compromised-bundle.json", tmp_path / "big", max_bytes=16)
    assert not (tmp_path / "missing").exists() and not (tmp_path / "big").exists()
