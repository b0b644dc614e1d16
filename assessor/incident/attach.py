"""Read what a run directory says, for the incident record: hunt (with what its
--quarantine moved), assess, exposure, patch, harden, evidence and restore runs.

Run files are another command's output and may come from another machine: they are read
defensively (a missing or malformed field is skipped, never trusted to be a string), and
an unknown directory is refused with the file that was looked for.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

from assessor.errors import ConfigError
from assessor.evidence.bundle import COLLECTION
from assessor.evidence.manifest import MANIFEST, SIGNATURE, file_sha256
from assessor.incident.record import Attachment, Bundle, Event, Sighting, operator
from assessor.rundir import now

RESULTS = "results.json"
HARDEN = "harden.json"
RESTORE = "restore.json"
QUARANTINE_MANIFEST = Path("quarantine/manifest.json")
MAX_ITEMS = 2000


def text(value: Any, limit: int = 2000) -> str:
    return value[:limit] if isinstance(value, str) else ""


def items(value: Any) -> list[dict[str, Any]]:
    return [v for v in value[:MAX_ITEMS] if isinstance(v, dict)] if isinstance(value, list) else []


def read_json(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read: {exc}") from exc
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: not a JSON object")
    return data


def read_runs(path: Path) -> list[Attachment]:
    """One attachment per run found at `path` (an evidence case directory gives one per host)."""
    if (path / COLLECTION).is_file():
        return [evidence_run(path)]
    bundles = sorted(p.parent for p in path.glob(f"*/{COLLECTION}"))
    if bundles:
        return [evidence_run(b) for b in bundles]
    for name, reader in READERS:
        if (path / name).is_file():
            return [reader(path)]
    raise ConfigError(f"{path}: not a run directory (no {RESULTS}, {HARDEN}, {RESTORE} or "
                      f"evidence {COLLECTION})")


def attachment(kind: str, path: Path, main: Path, data: dict[str, Any], hosts: list[str],
               **parts: Any) -> Attachment:
    return Attachment(
        kind=kind, path=str(path.resolve()), run_id=text(data.get("run_id")) or path.name,
        added=now(), added_by=operator(), sha256=file_sha256(main), hosts=sorted(set(hosts)),
        **parts,
    )


def run_operator(data: dict[str, Any]) -> str:
    return text(data.get("operator")) or f"{operator()} (attached)"


def results_run(path: Path) -> Attachment:
    """A RunResult: hunt, exposure, patch or an assessment, told apart by its profile."""
    data = read_json(path / RESULTS)
    profile = text(data.get("profile"))
    kind = ("hunt" if profile == "hunt" else "exposure" if profile == "exposure"
            else "patch" if profile.startswith("patch") else "assess")
    hosts = items(data.get("hosts"))
    when = text(data.get("finished")) or text(data.get("started"))
    who = run_operator(data)
    run_id = text(data.get("run_id")) or path.name
    source = f"{kind} {run_id}"
    events: list[Event] = []
    sightings: list[Sighting] = []
    summary: dict[str, Any] = {"profile": profile, "hosts": {}, "addresses": {}}
    for host in hosts:
        name = text(host.get("name"), 255)
        if not name:
            continue
        failing = [f for f in items(host.get("findings")) if f.get("status") == "fail"]
        summary["hosts"][name] = {"score": host.get("score"), "failing": len(failing),
                                  "error": text(host.get("error"))}
        summary["addresses"][name] = text(host.get("address"), 255)
        if text(host.get("error")):
            events.append(Event(when, name, "assessed" if kind == "assess" else "hunted",
                                f"not reached: {text(host.get('error'))}", who, source))
            continue
        if kind == "hunt":
            for finding in failing:
                hit = hunt_sighting(name, finding, when, source)
                if hit is not None:
                    sightings.append(hit)
                    events.append(Event(when, name, "detected",
                                        f"{hit.path}: {hit.reason}", who, source))
            if not failing:
                events.append(Event(when, name, "hunted", "no file matched an indicator", who,
                                    source))
        elif kind == "exposure":
            for finding in failing:
                events.append(Event(when, name, "exposed", f"{text(finding.get('control_id'))}"
                                    f": {text(finding.get('reason'))}", who, source))
        elif kind == "patch" and profile == "patch":
            changed = text((host.get("facts") or {}).get("packages changed"))
            if changed and changed != "none":
                events.append(Event(when, name, "patched", changed, who, source))
        elif kind == "assess":
            events.append(Event(when, name, "assessed", f"profile {profile}: score "
                                f"{host.get('score')}, {len(failing)} failing", who, source))
    events += quarantine_events(path, who, source)
    return attachment(kind, path, path / RESULTS, data, list(summary["hosts"]), events=events,
                      sightings=sightings, summary=summary)


def hunt_sighting(host: str, finding: dict[str, Any], when: str, source: str) -> Sighting | None:
    control = text(finding.get("control_id"))
    if not control.startswith("hunt.ioc:"):
        return None
    evidence: Any = {}
    try:
        evidence = yaml.safe_load(text(finding.get("evidence"), 20000)) or {}
    except yaml.YAMLError:
        evidence = {}
    if not isinstance(evidence, dict):
        evidence = {}
    path = text(evidence.get("path")) or control.removeprefix("hunt.ioc:")
    return Sighting(host=host, path=path, sha256=text(evidence.get("sha256"), 64),
                    reason=text(finding.get("reason")), time=when, source=source)


def action_run(path: Path, kind: str, main: str
               ) -> tuple[dict[str, Any], str, str, str, list[tuple[str, dict[str, Any]]]]:
    """A run file of actions: its data, when it finished, by whom, the source to cite, and
    its hosts as (name, entry)."""
    data = read_json(path / main)
    source = f"{kind} {text(data.get('run_id')) or path.name}"
    hosts = [(text(h.get("name"), 255), h) for h in items(data.get("hosts"))
             if text(h.get("name"), 255)]
    return data, text(data.get("finished")), run_operator(data), source, hosts


def harden_run(path: Path) -> Attachment:
    data, when, who, source, entries = action_run(path, "harden", HARDEN)
    events: list[Event] = []
    hosts = [name for name, _ in entries]
    for name, host in entries:
        changed = sorted({text(c.get("control")) for c in items(host.get("changes"))
                          if c.get("status") == "changed"})
        if data.get("check"):
            continue
        events.append(Event(when, name, "hardened",
                            f"{len(changed)} control(s) applied: {', '.join(changed)}"
                            if changed else f"no change needed ({text(host.get('state'))})",
                            who, source))
    summary = {"profile": text(data.get("profile")), "check": bool(data.get("check"))}
    return attachment("harden", path, path / HARDEN, data, hosts, events=events,
                      summary=summary)


def evidence_run(path: Path) -> Attachment:
    data = read_json(path / COLLECTION)
    host = text(data.get("host"), 255) or path.name
    manifest = path / MANIFEST
    missing = sorted(str(k) for k in (data.get("tiers_missing") or {}))
    bundle = Bundle(
        host=host, path=str(path.resolve()),
        manifest_sha256=file_sha256(manifest) if manifest.is_file() else "",
        signed=(path / SIGNATURE).is_file(), complete=bool(data.get("complete")),
        collected_by=text(data.get("collected_by")), started=text(data.get("started")),
        finished=text(data.get("finished")), files=len(items(data.get("files"))),
        missing=missing,
    )
    cut = [str(a) for a in data.get("not_collected") or [] if isinstance(a, str)]
    state = "complete" if bundle.complete else "INCOMPLETE (" + "; ".join(
        [f"tiers missing: {', '.join(missing)}"] * bool(missing)
        + [f"not collected: {', '.join(cut)}"] * bool(cut) or ["problems recorded"]) + ")"
    event = Event(bundle.finished, host, "collected",
                  f"evidence bundle {state}, {bundle.files} files, MANIFEST.sha256 "
                  f"{bundle.manifest_sha256}", bundle.collected_by or operator(),
                  f"evidence {text(data.get('case'))}")
    return attachment("evidence", path, path / COLLECTION,
                      {"run_id": f"{text(data.get('case'))}/{host}"}, [host], events=[event],
                      bundles=[bundle], summary={"addresses": {host: text(data.get("address"))}})


def restore_run(path: Path) -> Attachment:
    data, when, who, source, entries = action_run(path, "restore", RESTORE)
    events: list[Event] = []
    hosts = [name for name, _ in entries]
    for name, host in entries:
        if data.get("check"):
            continue
        for action in ("reinstalled", "quarantined", "killed"):
            done = [text(v) for v in host.get(action) or [] if isinstance(v, str)]
            if done:
                events.append(Event(when, name, action, ", ".join(done), who, source))
        events.append(Event(when, name, "restored" if host.get("restored") else "assessed",
                            text(host.get("verdict")), who, source))
    summary = {"duration_s": data.get("duration_s"), "check": bool(data.get("check")),
               "hosts": {text(h.get("name")): {"before": h.get("before"), "after": h.get("after")}
                         for h in items(data.get("hosts"))}}
    return attachment("restore", path, path / RESTORE, data, hosts, events=events,
                      summary=summary)


def quarantine_events(path: Path, who: str, source: str) -> list[Event]:
    """What `hunt --quarantine` (and restore's quarantine step) moved or removed, from the
    run's quarantine/manifest.json: items with host, action, path, sha256, status, history."""
    manifest = path / QUARANTINE_MANIFEST
    if not manifest.is_file():
        return []
    events = []
    for item in items(read_json(manifest).get("items")):
        host, status = text(item.get("host"), 255), text(item.get("status"))
        if not host or status not in ("moved", "removed"):
            continue
        moved = [h for h in items(item.get("history")) if h.get("action") == "quarantine"]
        when = text(moved[-1].get("at")) if moved else ""
        action = text(item.get("action")) or "file"
        what = (f"{text(item.get('path'))} sha256={text(item.get('sha256'), 64)} -> vault"
                if action == "file" else f"{text(item.get('path'))} ({action}): "
                f"{text(item.get('reason'), 300)}")
        events.append(Event(when, host, "killed" if action == "process" else "quarantined",
                            what, who, source))
    return events


READERS: tuple[tuple[str, Callable[[Path], Attachment]], ...] = (
    (RESTORE, restore_run), (HARDEN, harden_run), (RESULTS, results_run),
)
