"""What an intake understood, as plain data: counts by type, source and skip reason.

`assessor intel show` prints it as text or JSON; a responder checks it before a hunt to
see that the CERT's warning was read the way it was meant.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from assessor.intel.model import IndicatorType, Intake, SkipKind


def summarise(intake: Intake) -> dict[str, Any]:
    by_type = Counter(indicator.type.value for indicator in intake.indicators)
    by_source: Counter[str] = Counter()
    for indicator in intake.indicators:
        by_source.update({origin.source for origin in indicator.origins})
    skipped = Counter(s.kind.value for s in intake.skipped)
    return {
        "indicators": len(intake.indicators),
        "by_type": {t.value: by_type[t.value] for t in IndicatorType if by_type[t.value]},
        "by_source": dict(sorted(by_source.items())),
        "skipped": {k.value: skipped[k.value] for k in SkipKind if skipped[k.value]},
        "unsupported": [
            {"source": s.origin.source, "id": s.origin.object_id, "reason": s.reason,
             "value": s.value}
            for s in intake.skipped if s.kind is SkipKind.UNSUPPORTED
        ],
        "sources": list(intake.sources),
    }
