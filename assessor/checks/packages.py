"""Packages that must be absent or present (dpkg's status database) and APT's trust settings."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from assessor.checks.core import (
    Observation,
    Params,
    Snapshot,
    names_of,
    register,
)
from assessor.module_utils.assessor_dpkg import is_installed
from assessor.results import Status

# --- packages -----------------------------------------------------------------------------


def installed(entry: Mapping[str, Any] | None) -> bool:
    """dpkg's status: only `install ok installed` (and half-installed states) count as present.

    A removed package whose config files remain (`deinstall ok config-files`, the `rc` of
    `dpkg -l`) has no programs on disk, so it is absent for these checks.
    """
    if not entry:
        return False
    return is_installed(str(entry.get("status", "")))


@register("package_absent", lambda p: {"packages": True}, required=("name",))
def package_absent(snapshot: Snapshot, params: Params) -> Observation:
    """`name` may list every package that ships the same thing (old and new names)."""
    names = names_of(params["name"])
    packages = snapshot["packages"]
    present = [n for n in names if installed(packages.get(n))]
    evidence = "; ".join(
        f"dpkg status: {n} {packages[n]['status']} {packages[n]['version']}"
        if n in packages
        else f"dpkg status: {n} not known to dpkg"
        for n in names
    )
    if present:
        observed = ", ".join(f"{n} {packages[n]['version']}" for n in present)
        return Observation(
            Status.FAIL, "not installed", f"installed: {observed}", f"installed: {observed}",
            evidence,
        )
    return Observation(
        Status.PASS, "not installed", "not installed", f"{', '.join(names)}: not installed",
        evidence,
    )



@register("package_installed", lambda p: {"packages": True}, required=("name",))
def package_installed(snapshot: Snapshot, params: Params) -> Observation:
    """Passes when any one of `name` (alternative packages for the same job) is installed."""
    names = names_of(params["name"])
    packages = snapshot["packages"]
    present = [n for n in names if installed(packages.get(n))]
    expected = "installed: " + " or ".join(names)
    evidence = "; ".join(
        f"dpkg status: {n} {packages[n]['status']} {packages[n]['version']}" if n in packages
        else f"dpkg status: {n} not known to dpkg" for n in names
    )
    if present:
        observed = ", ".join(f"{n} {packages[n]['version']}" for n in present)
        return Observation(Status.PASS, expected, observed, f"installed: {observed}", evidence)
    return Observation(Status.FAIL, expected, "not installed",
                       f"{' or '.join(names)}: not installed", evidence)


# --- APT ----------------------------------------------------------------------------------

SOURCES = ("/etc/apt/sources.list", "/etc/apt/sources.list.d/*.list",
           "/etc/apt/sources.list.d/*.sources")
APT_CONF_D = "/etc/apt/apt.conf.d/*"
APT_CONF = "/etc/apt/apt.conf"
TRUE_WORDS = ("yes", "true", "with", "on", "enable", "1")
INSECURE_OPTIONS = ("trusted", "allow-insecure", "allow-weak", "allow-downgrade-to-insecure")


def concrete_files(files: Mapping[str, Any], patterns: tuple[str, ...]) -> list[str]:
    paths: list[str] = []
    for pattern in patterns:
        entry = files.get(pattern, {})
        for path in entry.get("matches", []) if entry.get("glob") else [pattern]:
            if files.get(path, {}).get("exists") and not files[path].get("directory"):
                paths.append(path)
    return paths


def insecure_source_options(path: str, text: str) -> list[str]:
    """`[trusted=yes]`-style options of one-line sources and `Trusted: yes` of deb822 ones."""
    found = []
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.split("#", 1)[0].strip()
        if path.endswith(".sources"):
            key, sep, value = line.partition(":")
            if sep and key.strip().lower() in INSECURE_OPTIONS and (
                value.strip().lower() in TRUE_WORDS
            ):
                found.append(f"{path}:{number}: {line}")
            continue
        bracket = re.match(r"deb(-src)?\s+\[([^\]]*)\]", line)
        if not bracket:
            continue
        for option in bracket.group(2).split():
            key, _, value = option.partition("=")
            if key.lower() in INSECURE_OPTIONS and value.lower() in TRUE_WORDS:
                found.append(f"{path}:{number}: {option}")
    return found


@register("apt_sources_signed", lambda p: {"files": list(SOURCES)})
def apt_sources_signed(snapshot: Snapshot, params: Params) -> Observation:
    files = snapshot["files"]
    paths = concrete_files(files, SOURCES)
    found = [hit for path in paths for hit in insecure_source_options(path, files[path]["content"])]
    evidence = f"read {len(paths)} source files: {', '.join(paths) or 'none'}"
    expected = "no source marked trusted or allow-insecure"
    if found:
        observed = "; ".join(found)
        return Observation(Status.FAIL, expected, observed,
                           f"unsigned or insecure sources allowed: {observed}", evidence)
    observed = f"{len(paths)} source files, none trusted without a signature"
    return Observation(Status.PASS, expected, observed, observed, evidence)


def parse_apt_conf(text: str, source: str) -> dict[str, tuple[str, str]]:
    """APT's configuration syntax: `A::B "v";`, nested `A { B "v"; };`, comments //, /* */, #."""
    text = re.sub(r"/\*.*?\*/", " ", text, flags=re.DOTALL)
    settings: dict[str, tuple[str, str]] = {}
    scope: list[str] = []
    line_of = 1
    token = re.compile(r'\s+|//[^\n]*|#[^\n]*|"[^"]*"|[{};]|[^\s{};"]+')
    pending: list[str] = []
    for match in token.finditer(text):
        word = match.group()
        line_of += word.count("\n")
        if word.isspace() or word.startswith(("//", "#")):
            continue
        if word == "{":
            scope.append(pending[0] if pending else "")
            pending = []
        elif word == "}":
            scope = scope[:-1]
            pending = []
        elif word == ";":
            if len(pending) >= 2:
                key = "::".join([*scope, pending[0]]).lower()
                settings[key] = (pending[1].strip('"'), f"{source}:{line_of}")
            pending = []
        else:
            pending.append(word)
    return settings


def apt_reads(path: str) -> bool:
    """APT ignores parts whose names have other characters or an extension other than conf."""
    name = path.rsplit("/", 1)[-1]
    if path == APT_CONF:
        return True
    extension = name.rsplit(".", 1)[1] if "." in name else "conf"
    return bool(re.fullmatch(r"[A-Za-z0-9_.-]+", name)) and extension == "conf"


@register("apt_conf_false", lambda p: {"files": [APT_CONF_D, APT_CONF]}, required=("option",))
def apt_conf_false(snapshot: Snapshot, params: Params) -> Observation:
    """apt.conf.d/* by name, then apt.conf; the last setting wins; unset is APT's false."""
    option = str(params["option"])
    files = snapshot["files"]
    settings: dict[str, tuple[str, str]] = {}
    for path in concrete_files(files, (APT_CONF_D, APT_CONF)):
        if not apt_reads(path):
            continue
        settings.update(parse_apt_conf(files[path]["content"], path))
    value, source = settings.get(option.lower(), ("", ""))
    observed = f"{value} ({source})" if source else "not set (false)"
    evidence = f"APT configuration: {option} {observed}"
    if value.lower() in TRUE_WORDS:
        return Observation(Status.FAIL, "false", observed, f"{option} is {observed}", evidence)
    return Observation(Status.PASS, "false", observed, f"{option} is {observed}", evidence)
