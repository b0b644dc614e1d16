"""Kernel parameters and modules: what runs now and what the next boot will apply.

A sysctl is judged twice: the running value in /proc/sys and the value the sysctl.d files
persist, in the order of the program that applies them at boot. A right value that is not
persisted is lost at the next boot, so it fails with that reason.

That program differs: on a host booted with systemd it is systemd-sysctl, which reads only
the sysctl.d directories (Debian links /etc/sysctl.conf in as 99-sysctl.conf, and a file
named after it, e.g. 99-z.conf, wins over it); without systemd it is procps'
`sysctl --system`, which reads /etc/sysctl.conf once more after every directory, so there
/etc/sysctl.conf always has the last word. The lab proves both against real boots.
"""

from __future__ import annotations

import fnmatch
import posixpath
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache

from assessor.checks.core import (
    Observation,
    Params,
    Snapshot,
    compare,
    platform_of,
    register,
    verdict,
)
from assessor.results import Status

SYSCTL_CONF = "/etc/sysctl.conf"
GLOB_CHARS = "*?["


def ordered_conf_files(dirs: Sequence[str], files: Mapping[str, str]) -> list[str]:
    """systemd's conf-file order: one file per name (the earliest directory wins), by name."""
    chosen: dict[str, str] = {}
    for directory in dirs:
        for path in sorted(p for p in files if posixpath.dirname(p) == directory):
            chosen.setdefault(posixpath.basename(path), path)
    return [chosen[name] for name in sorted(chosen)]


def sysctl_key(raw: str) -> str:
    """Dotted form of a key; a key whose first separator is '/' swaps '/' and '.'."""
    first = re.search(r"[./]", raw)
    if first and first.group() == "/":
        raw = raw.translate(str.maketrans("/.", "./"))
    return raw


@dataclass(frozen=True)
class Assignment:
    value: str | None  # None: a `-key` exclusion, which keeps globs off that key
    source: str


@lru_cache(maxsize=1024)
def parsed_sysctl_conf(text: str, source: str) -> tuple[tuple[str, Assignment], ...]:
    """parse_sysctl_conf once per file: each of a profile's ~30 sysctl controls reads every
    file of the host's boot order, so the same texts are parsed again and again."""
    return tuple(parse_sysctl_conf(text, source))


def parse_sysctl_conf(text: str, source: str) -> list[tuple[str, Assignment]]:
    """(key, assignment) per line; comments (# ;), blanks and a leading '-' handled."""
    found = []
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line or line[0] in "#;":
            continue
        key, sep, value = line.partition("=")
        key = key.strip().removeprefix("-").strip()
        if not key:
            continue
        where = f"{source}:{number}"
        found.append((sysctl_key(key), Assignment(" ".join(value.split()) if sep else None, where)))
    return found


def boot_order(files_probe: Mapping[str, object]) -> tuple[list[str], str]:
    """The files the next boot applies, in order, and the program that applies them."""
    files: Mapping[str, str] = files_probe["files"]  # type: ignore[assignment]
    dirs: Sequence[str] = files_probe["dirs"]  # type: ignore[assignment]
    order = ordered_conf_files(dirs, files)
    if files_probe.get("init") == "systemd":
        return order, "systemd-sysctl"
    if SYSCTL_CONF in files:
        order.append(SYSCTL_CONF)
    return order, "sysctl --system"


def persisted_sysctl(files_probe: Mapping[str, object], key: str) -> Assignment | None:
    """The value the next boot sets for `key`, or None when no file sets it.

    Files in boot order (see boot_order); a later assignment wins; an explicit key always
    beats a glob that matches it.
    """
    files: Mapping[str, str] = files_probe["files"]  # type: ignore[assignment]
    explicit: Assignment | None = None
    globbed: Assignment | None = None
    for path in boot_order(files_probe)[0]:
        for name, assignment in parsed_sysctl_conf(files[path], path):
            if any(c in name for c in GLOB_CHARS):
                if assignment.value is not None and fnmatch.fnmatchcase(key, name):
                    globbed = assignment
            elif name == key:
                explicit = assignment
    if explicit is not None:
        return explicit if explicit.value is not None else None
    return globbed


def unread_files(files_probe: Mapping[str, object]) -> str:
    """What the probe could not read whole, for the evidence ('' when it read everything)."""
    problems: Sequence[Mapping[str, str]] = files_probe.get("problems") or []  # type: ignore[assignment]
    return "; ".join(f"{p['path']} {p['problem']}" for p in problems)


def vendor_note(snapshot: Snapshot, params: Params) -> str:
    """Which Debian package persists the key on this release (`persisted_by`, per platform).

    trixie moved fs.protected_* from procps and systemd to linux-sysctl-defaults, which is
    only Recommended: a host installed without Recommends persists nothing for them."""
    shipped = params.get("persisted_by") or {}
    if not isinstance(shipped, Mapping):
        raise ValueError("persisted_by maps platforms to the package that persists the key")
    platform = platform_of(snapshot.get("facts", {}))
    return f"; on {platform} Debian persists it in {shipped[platform]}" if platform in \
        shipped else ""


@register(
    "sysctl", lambda p: {"sysctl": [p["key"]], "sysctl_files": True}, required=("key",),
    optional=("persisted_by",), comparison=True,
)
def sysctl(snapshot: Snapshot, params: Params) -> Observation:
    key = str(params["key"])
    value = snapshot["sysctl"].get(key)
    if value is None:
        why = f"{key} is not present in /proc/sys on this kernel"
        return Observation(Status.ERROR, "", "not in /proc/sys", why)
    running = str(value)
    saved = persisted_sysctl(snapshot["sysctl_files"], key)
    running_ok, expected = compare(running, params)
    saved_ok = saved is not None and compare(saved.value, params)[0]
    where = f"{saved.value} ({saved.source})" if saved else "not set in any sysctl file"
    program = boot_order(snapshot["sysctl_files"])[1]
    evidence = f"/proc/sys/{key.replace('.', '/')} = {running}; persisted ({program}): {where}"
    if unread := unread_files(snapshot["sysctl_files"]):
        evidence += f"; not read whole: {unread}"
    if not running_ok:
        observed, reason = running, f"{key} is {running} in the running kernel, expected {expected}"
    elif saved is None:
        observed = f"{running} (not persisted)"
        reason = f"{key} is {running} now but not persisted: the next boot loses it"
        reason += vendor_note(snapshot, params)
    elif not saved_ok:
        observed = f"{running} now, {saved.value} persisted"
        reason = f"{key} is persisted as {saved.value} in {saved.source}, expected {expected}"
    else:
        return Observation(Status.PASS, expected, running, f"{key} is {running}", evidence)
    return Observation(Status.FAIL, expected, observed, reason, evidence)


# --- kernel modules -------------------------------------------------------------------------

DISABLING_INSTALLS = ("/bin/false", "/usr/bin/false", "/bin/true", "/usr/bin/true")


def module_name(name: str) -> str:
    """modprobe treats '-' and '_' in module names alike."""
    return name.replace("-", "_")


def modprobe_rules(probe: Mapping[str, object], name: str) -> tuple[str | None, str | None]:
    """The effective `install` command and the `blacklist` line for a module, with sources."""
    files: Mapping[str, str] = probe["files"]  # type: ignore[assignment]
    dirs: Sequence[str] = probe["dirs"]  # type: ignore[assignment]
    install: str | None = None
    blacklist: str | None = None
    wanted = module_name(name)
    for path in ordered_conf_files(dirs, files):
        for number, raw in enumerate(files[path].splitlines(), 1):
            words = raw.split("#", 1)[0].split()
            if len(words) < 2 or module_name(words[1]) != wanted:
                continue
            if words[0] == "install" and install is None:  # modprobe uses the first one
                install = f"{' '.join(words[2:])} ({path}:{number})"
            elif words[0] == "blacklist" and blacklist is None:
                blacklist = f"{path}:{number}"
    return install, blacklist


@register("kernel_module_disabled", lambda p: {"modules": [p["name"]]}, required=("name",))
def kernel_module_disabled(snapshot: Snapshot, params: Params) -> Observation:
    """Not loadable (install to false, blacklisted), not loaded and not built in."""
    name = str(params["name"])
    probe = snapshot["modules"]
    install, blacklist = modprobe_rules(probe, name)
    loaded_list = probe["loaded"]
    loaded = loaded_list is not None and module_name(name) in loaded_list
    built_in = not loaded and (
        name in probe["filesystems"] or name in probe["sys_module"]
    )
    problems = []
    if install is None or install.split(" (")[0] not in DISABLING_INSTALLS:
        problems.append(f"no `install {name} /bin/false`" if install is None
                        else f"install runs {install}")
    if blacklist is None:
        problems.append(f"no `blacklist {name}`")
    if loaded:
        problems.append("loaded now")
    if built_in:
        problems.append("built into the running kernel")
    state = "loaded" if loaded else "built in" if built_in else "not loaded"
    observed = f"install: {install or 'not set'}; blacklist: {blacklist or 'no'}; {state}"
    evidence = (f"modprobe.d: {observed}; /proc/modules "
                f"{'absent (no module support)' if loaded_list is None else 'read'}")
    expected = "install /bin/false, blacklisted, not loaded"
    if problems:
        return Observation(Status.FAIL, expected, observed, f"{name}: " + "; ".join(problems),
                           evidence)
    return Observation(Status.PASS, expected, observed, f"{name} cannot be loaded", evidence)


# --- resource limits --------------------------------------------------------------------------

LIMITS_CONF = "/etc/security/limits.conf"
LIMITS_D = "/etc/security/limits.d/*.conf"


@register(
    "limits_entry", lambda p: {"files": [LIMITS_CONF, LIMITS_D]},
    required=("item", "type"), optional=("domain",), comparison=True,
)
def limits_entry(snapshot: Snapshot, params: Params) -> Observation:
    """pam_limits reads limits.conf, then limits.d/*.conf by name; the last entry wins."""
    files = snapshot["files"]
    domain = str(params.get("domain", "*"))
    item, kind = str(params["item"]), str(params["type"])
    paths = [LIMITS_CONF, *sorted(files.get(LIMITS_D, {}).get("matches", []))]
    value: str | None = None
    source = ""
    for path in paths:
        probe = files.get(path, {})
        for number, raw in enumerate(str(probe.get("content", "")).splitlines(), 1):
            words = raw.split("#", 1)[0].split()
            if len(words) == 4 and words[0] == domain and words[2] == item and (
                words[1] in (kind, "-")
            ):
                value, source = words[3], f"{path}:{number}"
    ok, expected = compare(value, params)
    observed = f"{value} ({source})" if value is not None else "not set"
    what = f"{domain} {kind} {item}"
    return verdict(ok, expected, observed, what, f"pam_limits: {what} {observed}")
