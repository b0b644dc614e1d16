"""The status board, `<out>/watch/index.html`: fleet now, open alerts with age, drift per
host, heartbeats. Self-contained (no scripts, no fetches) and autoescaped: host data is hostile."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

from jinja2 import Environment, PackageLoader, select_autoescape

from assessor.rundir import write_text
from assessor.watch.store.sql import Store

_env = Environment(loader=PackageLoader("assessor.reports", "templates"),
                   autoescape=select_autoescape(default=True, default_for_string=True))


def _age(first_seen: str, now: datetime) -> str:
    seconds = int((now - datetime.fromisoformat(first_seen)).total_seconds())
    hours, rest = divmod(max(seconds, 0), 3600)
    return f"{hours}h {rest // 60:02d}m"


def coverage_of(store: Store, host: str) -> dict[str, object] | None:
    """The host's last coverage verdicts: None when no cycle judged its coverage."""
    text = store.get_meta(f"coverage:{host}")
    if not text:
        return None
    verdicts = json.loads(text)
    gaps = [{"id": v[0], "status": v[1], "observed": v[2]} for v in verdicts if v[1] != "pass"]
    return {"total": len(verdicts), "gaps": gaps}


def render_board(store: Store, now: datetime | None = None) -> str:
    now = now or datetime.now(UTC)
    hosts = []
    for name in store.hosts():
        beats = store.recent_assessed(name, 10)
        last = store.last_host_cycle(name, before=2**62)
        hosts.append({"name": name, "up": bool(beats and beats[0]),
                      "score": last.score if last else None,
                      "beats": "".join("●" if b else "○" for b in beats),
                      "coverage": coverage_of(store, name)})
    alerts = [{**a.as_dict(), "age": _age(a.first_seen, now)} for a in store.open_alerts()]
    cycles = store.cycles(1)
    return _env.get_template("watch.html.j2").render(
        generated=now.isoformat(timespec="seconds"), hosts=hosts, alerts=alerts,
        drift={h: store.drift(h, 50) for h in store.hosts() if store.drift(h, 1)},
        last_cycle=cycles[0]["started"] if cycles else "")


def write_board(out: Path, store: Store) -> Path:
    path = out / "watch" / "index.html"
    write_text(path, render_board(store))
    return path
