"""What every advisory format is read into: one Advisory with per-release package fixes.

An advisory names *source* packages (that is how Debian, OSV and CERTs publish fixes);
hosts install *binaries*, which the exposure judge maps back to their source.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from assessor.errors import ConfigError
from assessor.results import Severity

# Debian codenames an advisory may use instead of a release number.
CODENAMES = {
    "buster": "10", "bullseye": "11", "bookworm": "12", "trixie": "13", "forky": "14",
}


class AdvisoryError(ConfigError):
    """An advisory that cannot be used: which file, where inside it, what is wrong (exit 2)."""

    def __init__(self, source: Path | str, where: str, what: str) -> None:
        self.source = str(source)
        self.where = where or "/"
        self.what = what
        super().__init__(f"{self.source}: {self.where}: {what}")


@dataclass(frozen=True, order=True)
class Release:
    """A distribution release as hosts report it in os-release: ("debian", "12")."""

    distro: str
    version: str

    def __str__(self) -> str:
        return f"{self.distro.capitalize()} {self.version}"


@dataclass(frozen=True)
class PackageFix:
    """One source package in one release: affected from `introduced`, fixed in `fixed`.

    `fixed` is empty when the advisory publishes no fix for that release yet.
    `last_affected` bounds an unfixed range from above (OSV's last_affected event).
    """

    release: Release
    package: str
    fixed: str = ""
    introduced: str = ""
    last_affected: str = ""
    kind: str = "source"  # "binary" when the advisory names an installed package itself


@dataclass(frozen=True)
class Advisory:
    id: str
    title: str
    severity: Severity
    source: str
    format: str
    fixes: tuple[PackageFix, ...] = ()
    cves: tuple[str, ...] = ()
    references: tuple[str, ...] = ()
    published: str = ""
    severity_stated: bool = True
    notes: tuple[str, ...] = field(default=())

    def fixes_for(self, release: Release) -> list[PackageFix]:
        return [f for f in self.fixes if f.release == release]

    @property
    def sources(self) -> set[str]:
        return {f.package for f in self.fixes if f.kind == "source"}

    @property
    def binaries(self) -> set[str]:
        return {f.package for f in self.fixes if f.kind == "binary"}


def parse_release(text: str) -> Release | None:
    """"Debian:12", "debian-12", "debian 12", "bookworm", "debian/bookworm" -> Release."""
    cleaned = text.strip().lower().replace("gnu/linux", "").replace("  ", " ")
    if cleaned in CODENAMES:
        return Release("debian", CODENAMES[cleaned])
    for separator in (":", "-", " ", "/"):
        distro, sep, version = cleaned.partition(separator)
        if sep and distro and version:
            version = CODENAMES.get(version.strip(), version.strip())
            return Release(distro.strip(), version)
    return None


SEVERITY_WORDS = {
    "critical": Severity.CRITICAL,
    "important": Severity.HIGH,
    "high": Severity.HIGH,
    "moderate": Severity.MEDIUM,
    "medium": Severity.MEDIUM,
    "low": Severity.LOW,
    "unimportant": Severity.INFO,
    "negligible": Severity.INFO,
    "none": Severity.INFO,
    "info": Severity.INFO,
}


def severity_word(text: str) -> Severity | None:
    return SEVERITY_WORDS.get(text.strip().lower())


def severity_from_score(score: float) -> Severity:
    """CVSS v3 qualitative rating scale."""
    if score >= 9.0:
        return Severity.CRITICAL
    if score >= 7.0:
        return Severity.HIGH
    if score >= 4.0:
        return Severity.MEDIUM
    if score > 0.0:
        return Severity.LOW
    return Severity.INFO
