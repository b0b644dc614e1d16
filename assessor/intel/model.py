"""What every indicator format is read into: one Indicator, plus what was left out and why.

A hunt judge needs one shape whatever the CERT published (STIX, TAXII, MISP, a CSV): a
normalised value of a known type and where it came from. What could not be used is kept
too (expired, revoked, unsupported, allowlisted), so a responder can see what was dropped.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from pathlib import Path

from assessor.errors import ConfigError


class IndicatorType(StrEnum):
    SHA256 = "sha256"
    SHA1 = "sha1"
    MD5 = "md5"
    FILENAME = "filename"
    PATH = "path"
    IPV4 = "ipv4"
    IPV6 = "ipv6"
    DOMAIN = "domain"
    URL = "url"
    PROCESS_NAME = "process-name"


HASH_TYPES = (IndicatorType.SHA256, IndicatorType.SHA1, IndicatorType.MD5)


class SkipKind(StrEnum):
    """Why an indicator found in a source is not used."""

    EXPIRED = "expired"
    NOT_YET_VALID = "not-yet-valid"
    REVOKED = "revoked"
    UNSUPPORTED = "unsupported"
    ALLOWLISTED = "allowlisted"
    LOW_CONFIDENCE = "low-confidence"
    NOT_IDS = "not-for-detection"


class IntelError(ConfigError):
    """An indicator source that cannot be used: which file, where inside it, what (exit 2)."""

    def __init__(self, source: Path | str, where: str, what: str) -> None:
        self.source = str(source)
        self.where = where
        self.what = what
        super().__init__(f"{self.source}: {where}: {what}" if where else f"{self.source}: {what}")


@dataclass(frozen=True, order=True)
class Origin:
    """Where one sighting of a value was published: the source and the object in it."""

    source: str  # "bundle--… (file.json)", "misp event <uuid> (<info>)", "taxii collection …"
    object_id: str  # STIX indicator id, MISP attribute uuid, "file.csv:12"


@dataclass(frozen=True)
class Indicator:
    """One value to hunt for; after de-duplication it carries every origin that named it."""

    type: IndicatorType
    value: str
    origins: tuple[Origin, ...]
    valid_from: datetime | None = None
    valid_until: datetime | None = None
    confidence: int | None = None
    labels: tuple[str, ...] = ()
    description: str = ""

    @property
    def key(self) -> tuple[IndicatorType, str]:
        return (self.type, self.value)


@dataclass(frozen=True)
class Skipped:
    """Something a source published that is not hunted for, and the reason."""

    kind: SkipKind
    origin: Origin
    reason: str
    value: str = ""


@dataclass(frozen=True)
class Intake:
    """The result of reading one or more sources: what will be hunted, and what will not."""

    indicators: tuple[Indicator, ...] = ()
    skipped: tuple[Skipped, ...] = ()
    sources: tuple[str, ...] = ()

    def __add__(self, other: Intake) -> Intake:
        return Intake.joined([self, other])

    @staticmethod
    def joined(intakes: Iterable[Intake]) -> Intake:
        """One intake of many, built once (a MISP feed can hold thousands of events)."""
        parts = list(intakes)
        return Intake(
            tuple(i for part in parts for i in part.indicators),
            tuple(s for part in parts for s in part.skipped),
            tuple(s for part in parts for s in part.sources),
        )
