"""Choosing what is hunted: validity, confidence, allowlists, then one indicator per value.

Two sources naming the same value give one Indicator carrying both origins, the widest
validity, the highest confidence and every label: a responder wants to see that two CERT
feeds agree, not two alarms.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from assessor.intel.allowlist import Warninglist, allowlisted_by
from assessor.intel.model import Indicator, IndicatorType, Intake, SkipKind, Skipped


def select(
    intake: Intake,
    now: datetime,
    min_confidence: int | None = None,
    allowlists: Iterable[Warninglist] = (),
) -> Intake:
    """Move what is not to be hunted into `skipped` and de-duplicate the rest."""
    lists = tuple(allowlists)
    kept: list[Indicator] = []
    skipped = list(intake.skipped)
    for indicator in intake.indicators:
        why = reason_to_skip(indicator, now, min_confidence, lists)
        if why is None:
            kept.append(indicator)
        else:
            skipped += [Skipped(why[0], origin, why[1], indicator.value)
                        for origin in indicator.origins]
    return Intake(dedupe(kept), tuple(skipped), intake.sources)


def reason_to_skip(
    indicator: Indicator, now: datetime, min_confidence: int | None, lists: tuple[Warninglist, ...]
) -> tuple[SkipKind, str] | None:
    if indicator.valid_until is not None and indicator.valid_until <= now:
        return SkipKind.EXPIRED, f"valid until {indicator.valid_until.isoformat()}"
    if indicator.valid_from is not None and indicator.valid_from > now:
        return SkipKind.NOT_YET_VALID, f"valid from {indicator.valid_from.isoformat()}"
    if (min_confidence is not None and indicator.confidence is not None
            and indicator.confidence < min_confidence):
        return SkipKind.LOW_CONFIDENCE, f"confidence {indicator.confidence} < {min_confidence}"
    listed = allowlisted_by(indicator, lists) if lists else None
    if listed is not None:
        return SkipKind.ALLOWLISTED, f"on warninglist {listed}"
    return None


def dedupe(indicators: Iterable[Indicator]) -> tuple[Indicator, ...]:
    """One Indicator per (type, value), in first-seen order, with every origin kept."""
    merged: dict[tuple[IndicatorType, str], Indicator] = {}
    for indicator in indicators:
        seen = merged.get(indicator.key)
        merged[indicator.key] = indicator if seen is None else combine(seen, indicator)
    return tuple(merged.values())


def combine(first: Indicator, second: Indicator) -> Indicator:
    origins = first.origins + tuple(o for o in second.origins if o not in first.origins)
    return Indicator(
        type=first.type,
        value=first.value,
        origins=origins,
        valid_from=_earliest(first.valid_from, second.valid_from),
        valid_until=_latest(first.valid_until, second.valid_until),
        confidence=max((c for c in (first.confidence, second.confidence) if c is not None),
                       default=None),
        labels=tuple(sorted({*first.labels, *second.labels})),
        description=first.description or second.description,
    )


def _earliest(a: datetime | None, b: datetime | None) -> datetime | None:
    return None if a is None or b is None else min(a, b)


def _latest(a: datetime | None, b: datetime | None) -> datetime | None:
    """None is open-ended, so it wins."""
    return None if a is None or b is None else max(a, b)
