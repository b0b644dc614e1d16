"""`watch.yml`: cadence, steps, store, sinks; every mistake is one `file:line:` error.

A config naming only sinks works: it assesses the default profile each cycle, with the
store (watch.db) and spool in the config's directory.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from assessor.errors import ConfigError
from assessor.results import Severity
from assessor.watch.alerts.sinks import EmailSink, SyslogSink, WebhookSink
from assessor.watch.alerts.spool import Sink
from assessor.watch.coverage import Agent, CoverageConfig
from assessor.yamlfile import LINE, key_line, load_with_lines, strip_lines

STEPS = ("assess", "drift", "coverage", "intel-pull", "hunt", "exposure")
TOP_KEYS = {"interval", "profile", "steps", "store", "spool", "sinks", "renotify_after",
            "heartbeat_misses", "min_severity", "taxii", "misp", "out", "coverage", "hunt",
            "advisories", "drift"}
DRIFT_KEYS = {"suid_roots", "paths", "exclude"}
HUNT_KEYS = {"paths", "iocs", "ioc_urls", "max_size_mib", "time_budget"}
COVERAGE_KEYS = {"collector", "signature_max_age_hours", "agents"}
SCHEMES = {"syslog": ("udp", "tcp", "tls"), "webhook": ("http", "https"), "email": ("smtp",)}


@dataclass(frozen=True)
class WatchConfig:
    path: Path
    interval: float = 300.0
    profile: str | None = None
    steps: tuple[str, ...] = ("assess", "drift")
    store: str = "watch.db"
    spool: Path = Path("watch-spool")
    sinks: list[Sink] = field(default_factory=list)
    renotify_after: float = 86400.0
    heartbeat_misses: int = 3
    min_severity: Severity = Severity.MEDIUM
    taxii: list[dict[str, Any]] = field(default_factory=list)
    misp: list[dict[str, Any]] = field(default_factory=list)  # feeds: {url: ...}
    coverage: CoverageConfig = field(default_factory=CoverageConfig)
    hunt: dict[str, Any] = field(default_factory=dict)
    iocs: tuple[Path, ...] = ()
    advisories: tuple[Path, ...] = ()
    drift: dict[str, Any] = field(default_factory=dict)


def _fail(path: Path, mapping: dict[str, Any], key: str, why: str) -> ConfigError:
    return ConfigError(f"{path}:{key_line(mapping, key)}: {key}: {why}")


def _number(path: Path, data: dict[str, Any], key: str, default: float) -> float:
    value = data.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
        raise _fail(path, data, key, f"must be a positive number of seconds, not {value!r}")
    return float(value)


def _severity(path: Path, data: dict[str, Any], key: str, default: Severity) -> Severity:
    value = data.get(key, default.value)
    try:
        return Severity(value)
    except ValueError:
        names = ", ".join(s.value for s in Severity)
        raise _fail(path, data, key, f"{value!r} is not one of {names}") from None


def load_config(path: Path) -> WatchConfig:
    data = load_with_lines(path, "watch config")
    if data is None:
        data = {LINE: 1}
    if not isinstance(data, dict):
        raise ConfigError(f"{path}:1: watch config must be a mapping")
    for key in data:
        if not key.startswith("__") and key not in TOP_KEYS:
            raise _fail(path, data, key, f"unknown key (known: {', '.join(sorted(TOP_KEYS))})")
    base = path.parent
    steps = data.get("steps", default_steps(data))
    if not isinstance(steps, list) or any(s not in STEPS for s in steps):
        raise _fail(path, data, "steps", f"a list of {', '.join(STEPS)}, not {steps!r}")
    misses = data.get("heartbeat_misses", 3)
    if isinstance(misses, bool) or not isinstance(misses, int) or misses < 1:
        raise _fail(path, data, "heartbeat_misses", f"a whole number >= 1, not {misses!r}")
    store = str(data.get("store", "watch.db"))
    if not store.startswith(("postgresql://", "postgres://")) and not Path(store).is_absolute():
        store = str(base / store)
    sinks = data.get("sinks", [])
    if not isinstance(sinks, list):
        raise _fail(path, data, "sinks", "must be a list")
    min_severity = _severity(path, data, "min_severity", Severity.MEDIUM)
    taxii = data.get("taxii", [])
    taxii = [taxii] if isinstance(taxii, dict) else taxii
    if not isinstance(taxii, list) or not all(
            isinstance(t, dict) and t.get("api_root") and t.get("collection") for t in taxii):
        raise _fail(path, data, "taxii", "a mapping (or a list of them) with api_root and "
                    "collection")
    taxii = [_taxii_secret(path, t, base) for t in taxii]
    misp = data.get("misp", [])
    misp = [misp] if isinstance(misp, dict) else misp
    if not isinstance(misp, list) or not all(
            isinstance(f, dict) and str(f.get("url", "")).startswith(("http://", "https://"))
            and {k for k in f if not k.startswith("__")} <= {"url", "key_file"} for f in misp):
        raise _fail(path, data, "misp", "a mapping (or a list of them) with the url "
                    "(http:// or https://) of a MISP feed's directory, and optionally "
                    "key_file (the MISP automation key it wants)")
    misp = [_misp_feed(path, f, base) for f in misp]
    hunt = _section(path, data, "hunt", HUNT_KEYS)
    iocs = hunt.get("iocs", [])
    if not isinstance(iocs, list):
        raise _fail(path, hunt, "iocs", "a list of STIX, MISP or CSV files")
    urls = hunt.get("ioc_urls", [])
    if not isinstance(urls, list) or not all(
            isinstance(u, str) and u.startswith(("http://", "https://")) for u in urls):
        raise _fail(path, hunt, "ioc_urls", "a list of http(s) URLs (a MISP feed, a STIX "
                    "bundle, a CSV list)")
    advisories = data.get("advisories", [])
    if not isinstance(advisories, list):
        raise _fail(path, data, "advisories", "a list of OSV, CSAF or bulletin files")
    if "exposure" in steps and not advisories:
        raise _fail(path, data, "steps", "the exposure step needs `advisories`")
    return WatchConfig(
        path=path, interval=_number(path, data, "interval", 300),
        profile=data.get("profile"), steps=tuple(steps), store=store,
        spool=base / str(data.get("spool", "watch-spool")),
        sinks=[_sink(path, s, i, min_severity, base) for i, s in enumerate(sinks)],
        renotify_after=_number(path, data, "renotify_after", 86400), heartbeat_misses=misses,
        min_severity=min_severity, taxii=taxii, misp=misp,
        coverage=_coverage(path, data), hunt=strip_lines(hunt),
        iocs=tuple(base / str(p) for p in iocs),
        advisories=tuple(base / str(p) for p in advisories),
        drift=strip_lines(_section(path, data, "drift", DRIFT_KEYS)),
    )


def _taxii_secret(path: Path, entry: dict[str, Any], base: Path) -> dict[str, Any]:
    """`password_file` is read now, so a missing secret is a config error, not a cycle's."""
    entry = strip_lines(entry)
    if "password_file" in entry:
        secret = base / str(entry.pop("password_file"))
        try:
            entry["password"] = secret.read_text().strip()
        except OSError as exc:
            raise ConfigError(f"{path}: taxii: password_file {secret}: {exc.strerror}") from exc
    return entry


def _secret(path: Path, entry: dict[str, Any], key: str, base: Path) -> bytes:
    """The secret in the file `entry[key]` names, read now: a missing or empty one is a
    config error naming the config's line, not a failure in some later cycle."""
    secret_path = base / str(entry[key])
    try:
        secret = secret_path.read_bytes().strip()
    except OSError as exc:
        raise _fail(path, entry, key, f"{secret_path}: {exc.strerror}") from exc
    if not secret:
        raise _fail(path, entry, key, f"{secret_path} is empty")
    return secret


def _misp_feed(path: Path, entry: dict[str, Any], base: Path) -> dict[str, Any]:
    """A feed's url, and the automation key from its `key_file` when it has one."""
    feed: dict[str, Any] = {"url": str(entry["url"])}
    if "key_file" in entry:
        feed["key"] = _secret(path, entry, "key_file", base).decode(errors="replace")
    return feed


def default_steps(data: dict[str, Any]) -> list[str]:
    """Assess and drift always; the other steps when the config gives what they need."""
    steps = ["assess", "drift"]
    if "coverage" in data:
        steps.append("coverage")
    if "taxii" in data or "misp" in data:
        steps.append("intel-pull")
    if "taxii" in data or "misp" in data or "hunt" in data:
        steps.append("hunt")
    if data.get("advisories"):
        steps.append("exposure")
    return steps


def _section(path: Path, data: dict[str, Any], key: str, known: set[str]) -> dict[str, Any]:
    value = data.get(key) or {}
    if not isinstance(value, dict):
        raise _fail(path, data, key, "must be a mapping")
    for name in value:
        if not name.startswith("__") and name not in known:
            raise _fail(path, value, name, f"unknown key in {key} (known: "
                        f"{', '.join(sorted(known))})")
    for name in ("suid_roots", "paths", "exclude"):
        if name in value and not (isinstance(value[name], list)
                                  and all(isinstance(v, str) for v in value[name])):
            raise _fail(path, value, name, "a list of paths")
    return value


def _coverage(path: Path, data: dict[str, Any]) -> CoverageConfig:
    section = _section(path, data, "coverage", COVERAGE_KEYS)
    agents = []
    for index, entry in enumerate(section.get("agents", [])):
        if not isinstance(entry, dict) or not entry.get("package") or not entry.get("unit"):
            raise ConfigError(f"{path}:{key_line(section, 'agents')}: coverage.agents[{index}]: "
                              "needs package and unit (process is optional)")
        name = str(entry.get("name", entry["package"]))
        agents.append(Agent(name, str(entry["package"]), str(entry["unit"]),
                            str(entry.get("process", ""))))
    age = section.get("signature_max_age_hours")
    if age is not None:
        age = _number(path, section, "signature_max_age_hours", 48)
    return CoverageConfig(str(section.get("collector", "")), age, tuple(agents))


def _sink(path: Path, entry: Any, index: int, default: Severity, base: Path) -> Sink:
    if not isinstance(entry, dict):
        raise ConfigError(f"{path}: sinks[{index}]: must be a mapping")
    kind = entry.get("type")
    if kind not in SCHEMES:
        raise _fail(path, entry, "type", f"{kind!r} is not one of {', '.join(SCHEMES)}")
    url = str(entry.get("url", ""))
    scheme = url.split("://", 1)[0] if "://" in url else ""
    if scheme not in SCHEMES[kind]:
        raise _fail(path, entry, "url", f"{url!r}: a {kind} sink takes "
                    f"{' or '.join(s + '://' for s in SCHEMES[kind])}")
    name = str(entry.get("name", f"{kind}:{url}"))
    floor = _severity(path, entry, "min_severity", default)
    if kind == "syslog":
        return SyslogSink(name, url, floor, entry.get("ca_file"))
    if kind == "webhook":
        if not entry.get("secret_file"):
            raise _fail(path, entry, "type", "a webhook needs secret_file (the HMAC key)")
        return WebhookSink(name, url, floor, _secret(path, entry, "secret_file", base))
    to = entry.get("to")
    if not isinstance(to, list) or not to or not all(isinstance(t, str) for t in to):
        raise _fail(path, entry, "to" if "to" in entry else "type",
                    "an email sink needs `to`: a list of addresses")
    sender = entry.get("from")
    if not isinstance(sender, str) or "@" not in sender:
        raise _fail(path, entry, "from" if "from" in entry else "type",
                    "an email sink needs `from`: an address")
    return EmailSink(name, url, floor, sender, to, bool(entry.get("starttls", False)))
