"""`assessor watch --once` on one lab host, cycle by cycle, with a PostgreSQL store and four
real sinks: an HMAC-checking webhook, aiosmtpd, and Debian's rsyslog over UDP and TLS (a CA
made now with openssl). TAXII indicators come from medallion.

  cycle 1  baseline: what the host is now opens what it must (old ClamAV signatures...);
           clamd runs (the `watched` flavour: hardened, plus clamav-daemon on a database
           of sigtool hashes made when its root was built), so its coverage passes
  change   a SUID file, a listening port, a failing control, EICAR written now, rsyslog
           stopped (an agent the config names, and the forwarding to the collector), the
           ClamAV daemon stopped, and TAXII gains an indicator matching a file already on
           the host
  cycle 2  exactly one alert per change in each sink
  cycle 3  nothing changed: nothing new
  fix      all undone (clamd started: it detects a sample again), the signatures
           refreshed, and a patch upgrade from the lab's repo
  cycle 4  exactly one resolved notice per change; the upgrade is no integrity alert
  down     the host powered off: after heartbeat_misses cycles, one heartbeat alert

Before them, on the same host, a MISP feed pulled incrementally (its own store and sink).
"""

from __future__ import annotations

import base64
import hashlib
import ipaddress
import os
import re
import subprocess
import sys
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from labrun import running_lab, ssh_ops
from receivers import (
    Mailbox,
    MispFeed,
    Rsyslog,
    Taxii,
    Webhook,
    postgres_cluster,
    wait_for,
)

from assessor.lab import fleet
from assessor.watch.alerts.model import alert_id
from assessor.watch.store import open_store

LAB = os.environ.get("ASSESSOR_WATCH_LAB", "wa")
VENV_BIN = Path(sys.executable).parent
SECRET = b"lab-hook-key"
EXAMPLE = Path(__file__).resolve().parents[2] / "inventories" / "example"
EICAR = r"X5O!P%@AP[4\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*"
FIXED = "1.0-1+deb12u1"
PAYLOAD = f"watch payload {uuid.uuid4()}\n"
# exposure opens in cycle 1 and resolves in 4; the cycles between need not judge it
WITHOUT_EXPOSURE = ("assess", "drift", "coverage", "intel-pull", "hunt")
SD = re.compile(r' id="([0-9a-f]{16})".* event="(\w+)"')

pytestmark = pytest.mark.lab


@dataclass
class Sinks:
    hook: Webhook
    mail: Mailbox
    syslog: Rsyslog

    def events(self) -> dict[str, list[tuple[str, str]]]:
        """Per sink the (event, alert id) pairs received, in order (rsyslog's file actions
        run on their own queue: wait, bounded, for them to hold what the webhook holds)."""
        wait_for(lambda: all(len(Rsyslog.lines(p)) >= len(self.hook.received)
                             for p in (self.syslog.udp_file, self.syslog.tls_file)), 10)
        found = {"webhook": [(m["event"], m["alert"]["id"]) for m in self.hook.received],
                 "email": [(m["event"], m["alert"]["id"]) for m in self.mail.messages]}
        for name, path in (("udp", self.syslog.udp_file), ("tls", self.syslog.tls_file)):
            found[name] = [(m[2], m[1]) for m in map(SD.search, Rsyslog.lines(path)) if m]
        return found


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[fleet.LabState, Path,
                                                                         Sinks, Taxii, str]]:
    work = tmp_path_factory.mktemp("watch-lab")
    with postgres_cluster() as store_url, running_lab(LAB, 1, "watched",
                                                     work / "inventory.yml") as state:
        hook, mail, syslog = Webhook(SECRET), Mailbox(), Rsyslog(work / "rsyslog")
        taxii = Taxii(work / "taxii")
        try:
            yield state, work, Sinks(hook, mail, syslog), taxii, store_url
        finally:
            for receiver in (hook, mail, syslog, taxii):
                receiver.close()


def b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def sh(state: fleet.LabState, command: str) -> str:
    done = ssh_ops(state, state.hosts[0].name, command, timeout=180)
    assert done.returncode == 0, f"{command}: {done.stderr}"
    return done.stdout


CLAMD_SCAN = """python3 -c 'import socket
s = socket.socket(socket.AF_UNIX); s.settimeout(120); s.connect("/run/clamav/clamd.ctl")
s.sendall(b"nSCAN /usr/share/clamav-testfiles/clam.exe\\n"); print(s.recv(4096).decode())'"""


def clamd_finds_the_sample(state: fleet.LabState) -> None:
    """The daemon itself answers, through its socket, with the lab database's signature."""
    assert sh(state, CLAMD_SCAN).strip() == (
        "/usr/share/clamav-testfiles/clam.exe: Lab.Testfile.main.UNOFFICIAL FOUND")


def cycle(work: Path, *steps: str, code: int = 0) -> None:
    """One `watch --once`; `steps` narrows the config's (as an operator editing watch.yml
    would), so the cycles that check one thing run only the steps that judge it. `code`:
    the exit code the README's table gives (3 when the cycle missed a host)."""
    text = (work / "watch.yml").read_text().split("\nsteps:")[0]
    (work / "watch.yml").write_text(text + (f"\nsteps: [{', '.join(steps)}]\n" if steps else ""))
    env = {**os.environ, "PATH": f"{VENV_BIN}:{os.environ['PATH']}"}
    done = subprocess.run(
        [str(VENV_BIN / "assessor"), "watch", "-i", str(work / "inventory.yml"), "--config",
         str(work / "watch.yml"), "--out", str(work / "out"), "--once", "--metrics-textfile",
         str(work / "watch.prom")],
        capture_output=True, text=True, timeout=600, env=env, check=False)
    assert done.returncode == code, done.stdout + done.stderr
    print(done.stdout.strip())  # the watch's own line: notifications, seconds


def write_config(work: Path, state: fleet.LabState, sinks: Sinks, taxii: Taxii,
                 store_url: str, collector: str) -> None:
    (work / "hook.key").write_bytes(SECRET)
    (work / "taxii.pw").write_text(taxii.PASSWORD)
    (work / "watch.yml").write_text(f"""
interval: 600
heartbeat_misses: 2
store: {store_url}
drift:  # the defaults, and where the lab repository's upgrade changes content
  paths: [/etc, /usr/bin, /usr/sbin, /usr/lib, /usr/share/doc/assessor-demo]
advisories: [{EXAMPLE / 'cert-demo-bulletin.yaml'}]
coverage:
  collector: "{collector}:5514"
  signature_max_age_hours: 2
  agents:
    - {{name: logs, package: rsyslog, unit: rsyslog.service, process: rsyslogd}}
taxii:
  api_root: {taxii.api_root}
  collection: {taxii.COLLECTION}
  user: {taxii.USER}
  password_file: taxii.pw
hunt: {{time_budget: 300}}
sinks:
  - {{type: webhook, url: "{sinks.hook.url}", secret_file: hook.key}}
  - {{type: email, url: "{sinks.mail.url}", from: watch@lab.invalid, to: [soc@lab.invalid]}}
  - {{type: syslog, url: "udp://127.0.0.1:{sinks.syslog.udp_port}"}}
  - {{type: syslog, url: "tls://127.0.0.1:{sinks.syslog.tls_port}",
      ca_file: "{sinks.syslog.ca}"}}
""")


def new_since(events: dict[str, list[tuple[str, str]]], mark: dict[str, int],
              ids: set[str]) -> dict[str, list[tuple[str, str]]]:
    """Per sink the events since `mark` about the alerts `ids`."""
    return {sink: sorted(e for e in got[mark[sink]:] if e[1] in ids)
            for sink, got in events.items()}


def test_misp_feed_is_pulled_incrementally_and_its_new_event_hunted(
    world: tuple[fleet.LabState, Path, Sinks, Taxii, str],
) -> None:
    """A MISP feed on 127.0.0.1 that wants an automation key (its own store and webhook:
    the scenarios below keep theirs): cycle 1 pulls what the feed has; the feed gains an
    event whose sha256 is a file on the host, and cycle 2 fetches that event alone and
    alerts; cycle 3, the feed unchanged, fetches nothing but the manifest's 304 and sends
    nothing."""
    state, shared, _, _, _ = world
    work = shared / "misp"
    work.mkdir()
    (work / "inventory.yml").write_text((shared / "inventory.yml").read_text())
    (work / "hook.key").write_bytes(SECRET)
    key = f"lab-misp-key-{uuid.uuid4().hex}"  # a partner feed: 403 without this key
    (work / "misp.key").write_text(key + "\n")
    feed, hook = MispFeed(work / "feed", key=key), Webhook(SECRET)
    try:
        (work / "watch.yml").write_text(f"""
interval: 600
store: misp.db
misp: {{url: "{feed.url}", key_file: misp.key}}
hunt: {{time_budget: 300}}
sinks:
  - {{type: webhook, url: "{hook.url}", secret_file: hook.key}}
""")
        planted = f"misp payload {uuid.uuid4()}\n"
        sh(state, f"sudo sh -euc 'mkdir -p /opt/wm && echo {b64(planted)} | base64 -d "
                  "> /opt/wm/misp.bin'")
        feed.add_sha256(str(uuid.uuid4()), "an unrelated warning", "0" * 63 + "1")
        cycle(work, "intel-pull")  # 1: what the feed has now
        assert [status for _, status in feed.requests] == [200, 200]
        event = str(uuid.uuid4())
        feed.add_sha256(event, "CERT warning: payload", hashlib.sha256(planted.encode())
                        .hexdigest())
        del feed.requests[:]
        alert = alert_id(state.hosts[0].name, "hunt", "hunt.ioc:/opt/wm/misp.bin")
        cycle(work, "intel-pull", "hunt")  # 2: the new event alone, and its alert
        assert feed.requests == [("/manifest.json", 200), (f"/{event}.json", 200)]
        assert [m["event"] for m in hook.received if m["alert"]["id"] == alert] == ["open"]
        sent = len(hook.received)
        del feed.requests[:]
        cycle(work, "intel-pull", "hunt")  # 3: unchanged: nothing fetched, nothing sent
        assert feed.requests == [("/manifest.json", 304)]
        assert hook.received[sent:] == []
    finally:
        sh(state, "sudo rm -rf /opt/wm")
        feed.close()
        hook.close()


def test_watch_scenarios_reach_every_sink_once(
    world: tuple[fleet.LabState, Path, Sinks, Taxii, str],
) -> None:
    state, work, sinks, taxii, store_url = world
    host = state.hosts[0].name
    collector = str(next(ipaddress.ip_network(state.subnet, strict=False).hosts()))
    write_config(work, state, sinks, taxii, store_url, collector)
    fleet.serve_demo_repo(LAB, say=lambda _: None)  # assessor-demo 1.0-1, vulnerable
    sh(state, f"""sudo sh -euc '
printf "%s\\n" \
  "action(type=\\"omfwd\\" target=\\"{collector}\\" port=\\"5514\\" protocol=\\"udp\\")" \
  > /etc/rsyslog.d/90-forward.conf
systemctl restart rsyslog
touch -d "3 hours ago" /var/lib/clamav/main.cud /var/lib/clamav/daily.cud
mkdir -p /opt/wa && echo {b64(PAYLOAD)} | base64 -d > /opt/wa/payload.bin'""")

    def aid(kind: str, subject: str) -> str:
        return alert_id(host, kind, subject)

    changes = {
        aid("drift.suid", "/usr/local/bin/wa-suid"),
        aid("drift.ports", "tcp 0.0.0.0:4444"),
        aid("control", "files.passwd"),
        aid("hunt", "hunt.ioc:/tmp/eicar.com"),
        aid("coverage", "coverage.agent-logs"),
        aid("coverage", "coverage.log-forwarding"),
        aid("coverage", "coverage.clamav-daemon"),
        aid("hunt", "hunt.ioc:/opt/wa/payload.bin"),
    }
    signatures = aid("coverage", "coverage.clamav-signatures")

    clamd_finds_the_sample(state)
    cycle(work)  # 1: the baseline
    first = sinks.events()
    assert {sink: sorted(e for e in got if e[1] in changes | {signatures})
            for sink, got in first.items()} == {
        s: [("open", signatures)] for s in ("webhook", "email", "udp", "tls")}
    mark = {sink: len(got) for sink, got in first.items()}

    sh(state, f"""sudo sh -euc '
install -m 4755 /bin/true /usr/local/bin/wa-suid
systemd-run --unit wa-listen python3 -c "import socket, time
s = socket.socket(); s.bind((\\"0.0.0.0\\", 4444)); s.listen(); time.sleep(3600)"
chmod 0664 /etc/passwd
echo {b64(EICAR)} | base64 -d > /tmp/eicar.com
systemctl stop syslog.socket rsyslog.service
systemctl stop clamav-daemon.socket clamav-daemon.service'""")
    taxii.add_sha256(hashlib.sha256(PAYLOAD.encode()).hexdigest(), 1)

    cycle(work, *WITHOUT_EXPOSURE)  # 2: each change is one alert in each sink
    second = sinks.events()
    assert new_since(second, mark, changes) == {
        s: sorted(("open", i) for i in changes) for s in ("webhook", "email", "udp", "tls")}
    mark = {sink: len(got) for sink, got in second.items()}
    board = (work / "out" / "watch" / "index.html").read_text()
    assert "coverage.clamav-daemon (fail)" in board

    cycle(work, *WITHOUT_EXPOSURE)  # 3: nothing changed, nothing sent about it
    assert new_since(sinks.events(), mark, changes | {signatures}) == {
        s: [] for s in ("webhook", "email", "udp", "tls")}

    sh(state, f"""sudo sh -euc '
rm -f /usr/local/bin/wa-suid /tmp/eicar.com /opt/wa/payload.bin
systemctl stop wa-listen
chmod 0644 /etc/passwd
systemctl start syslog.socket rsyslog.service || \
  {{ sleep 2; systemctl reset-failed rsyslog.service; systemctl start rsyslog.service; }} || \
  {{ journalctl -u rsyslog --no-pager -n 30 >&2; exit 1; }}
systemctl start clamav-daemon.socket clamav-daemon.service
touch /var/lib/clamav/daily.cud
DEBIAN_FRONTEND=noninteractive apt-get install -y -q -o Dpkg::Options::=--force-confold \
  assessor-demo={FIXED} libassessor-demo1={FIXED} >/dev/null'""")

    clamd_finds_the_sample(state)
    cycle(work)  # 4: one resolved notice each; the upgrade vouched for by dpkg
    fourth = sinks.events()
    assert new_since(fourth, mark, changes | {signatures}) == {
        s: sorted(("resolved", i) for i in changes | {signatures})
        for s in ("webhook", "email", "udp", "tls")}
    kinds = {m["alert"]["kind"] for m in sinks.hook.received}
    assert "integrity" not in kinds, [m["alert"] for m in sinks.hook.received
                                      if m["alert"]["kind"] == "integrity"]
    assert {"drift.suid", "drift.ports", "control", "hunt", "coverage", "exposure"} <= kinds
    store = open_store(store_url)
    try:
        vouched = [d for d in store.drift(host, 500) if d["kind"] == "integrity-package"]
        assert [d["subject"] for d in vouched] == ["/usr/share/doc/assessor-demo/VERSION"]
        assert vouched[0]["detail"].startswith(
            f"changed by package assessor-demo upgrade (now {FIXED})")
        exposure = [a for a in store.alerts() if a.kind == "exposure"]
        assert exposure and all(a.state == "resolved" for a in exposure)
    finally:
        store.close()
    board = (work / "out" / "watch" / "index.html").read_text()
    assert "coverage.clamav-daemon (" not in board  # running again: no gap shown
    mark = {sink: len(got) for sink, got in fourth.items()}

    subprocess.run(["ssh", "-i", state.key, "-o", f"UserKnownHostsFile={state.known_hosts}",
                    "-o", "BatchMode=yes", "-o", "ConnectTimeout=10",
                    f"ops@{state.hosts[0].address}", "sudo systemctl poweroff"],
                   capture_output=True, timeout=60, check=False)
    beat = aid("heartbeat", "missed")
    cycle(work, "drift", code=3)  # 5: one miss (the watch play alone is the heartbeat)
    assert new_since(sinks.events(), mark, {beat}) == {
        s: [] for s in ("webhook", "email", "udp", "tls")}
    cycle(work, "drift", code=3)  # 6: two misses in a row: the heartbeat alert
    assert new_since(sinks.events(), mark, {beat}) == {
        s: [("open", beat)] for s in ("webhook", "email", "udp", "tls")}
    assert "assessor_watch_hosts_up 0\n" in (work / "watch.prom").read_text()
