"""Chart geometry for the HTML reports, drawn as inline SVG by the templates.

Only numbers are computed here; every label reaches the page through the autoescaping
templates, so a chart cannot carry markup from a host.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from assessor.results import Finding, Status

BAR_HEIGHT = 18
BAR_GAP = 6
LABEL_WIDTH = 260
BAR_AREA = 420
TREND_WIDTH = 520
TREND_HEIGHT = 140
TREND_PAD = 28


@dataclass(frozen=True)
class Segment:
    status: str
    x: float
    width: float
    count: int


@dataclass(frozen=True)
class Bar:
    label: str
    y: int
    total: int
    segments: list[Segment]


@dataclass(frozen=True)
class SectionChart:
    width: int
    height: int
    label_width: int
    bar_height: int
    bars: list[Bar]


def section_chart(findings: list[Finding]) -> SectionChart:
    """One stacked bar per section: how many controls ended in each status."""
    by_section: dict[str, Counter[str]] = {}
    for f in findings:
        by_section.setdefault(f.section, Counter())[f.status.value] += 1
    widest = max((sum(c.values()) for c in by_section.values()), default=1)
    bars = []
    for row, (section, counts) in enumerate(sorted(by_section.items())):
        x = float(LABEL_WIDTH)
        segments = []
        for status in Status:
            count = counts.get(status.value, 0)
            if count:
                width = round(BAR_AREA * count / widest, 2)
                segments.append(Segment(status.value, round(x, 2), width, count))
                x += width
        bars.append(Bar(section, row * (BAR_HEIGHT + BAR_GAP), sum(counts.values()), segments))
    height = max(len(bars) * (BAR_HEIGHT + BAR_GAP), BAR_HEIGHT)
    return SectionChart(LABEL_WIDTH + BAR_AREA + 40, height, LABEL_WIDTH, BAR_HEIGHT, bars)


@dataclass(frozen=True)
class Point:
    x: float
    y: float
    label: str
    score: float


@dataclass(frozen=True)
class TrendChart:
    width: int
    height: int
    pad: int
    points: list[Point]

    @property
    def polyline(self) -> str:
        return " ".join(f"{p.x},{p.y}" for p in self.points)

    def y_of(self, score: float) -> float:
        inner = self.height - 2 * self.pad
        return round(self.pad + inner * (1 - score / 100.0), 2)


def trend_chart(history: list[tuple[str, float | None]]) -> TrendChart:
    """Score (0-100) per run, oldest first; runs without a score are left out."""
    scored = [(label, s) for label, s in history if s is not None]
    chart = TrendChart(TREND_WIDTH, TREND_HEIGHT, TREND_PAD, [])
    inner = TREND_WIDTH - 2 * TREND_PAD
    step = inner / (len(scored) - 1) if len(scored) > 1 else 0.0
    for i, (label, s) in enumerate(scored):
        x = round(TREND_PAD + (i * step if len(scored) > 1 else inner / 2), 2)
        chart.points.append(Point(x, chart.y_of(s), label, s))
    return chart
