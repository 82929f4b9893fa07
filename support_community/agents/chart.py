"""The reports' chart, drawn on the server as SVG: new and solved cases per day or week, side by side.

No script and no chart library: the page's template draws the rectangles this module places, each
with its own ``<title>``, and the same numbers stand in a table beside it.
"""

from __future__ import annotations

from dataclasses import dataclass

from support_community.cases.services.reports import Bucket

WIDTH = 480
HEIGHT = 240
LEFT = 44  # room for the scale
BOTTOM = 34  # room for the dates
TOP = 10


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    value: int
    kind: str  # "new" | "solved"
    bucket: Bucket


@dataclass(frozen=True)
class Tick:
    y: float
    value: int


@dataclass(frozen=True)
class Label:
    x: float
    bucket: Bucket


@dataclass(frozen=True)
class Chart:
    width: int
    height: int
    bars: list[Bar]
    ticks: list[Tick]
    labels: list[Label]
    baseline: float
    left: int


def _nice_top(value: int) -> int:
    """A round top for the scale: 4 → 5, 37 → 50, 230 → 250."""
    if value <= 5:
        return 5
    for step in (1, 2, 2.5, 5):
        magnitude = 10 ** (len(str(value)) - 1)
        top = int(step * magnitude)
        if top >= value:
            return top
    return 10 ** len(str(value))


def chart(buckets: list[Bucket]) -> Chart:
    top = _nice_top(max([b.new for b in buckets] + [b.solved for b in buckets] + [0]))
    plot_height = HEIGHT - BOTTOM - TOP
    baseline = TOP + plot_height
    slot = (WIDTH - LEFT) / max(1, len(buckets))
    bar = max(1.0, slot * 0.38)
    bars: list[Bar] = []
    labels: list[Label] = []
    every = max(1, -(-len(buckets) // 5))  # at most five dates under the axis
    for index, bucket in enumerate(buckets):
        x = LEFT + index * slot + slot * 0.1
        for offset, (kind, value) in enumerate((("new", bucket.new), ("solved", bucket.solved))):
            height = plot_height * value / top
            bars.append(Bar(x + offset * bar, baseline - height, bar, height, value, kind, bucket))
        if index % every == 0:
            labels.append(Label(x + bar, bucket))
    ticks = [Tick(baseline - plot_height * part / 5, top * part // 5) for part in range(6)]  # whole numbers
    return Chart(width=WIDTH, height=HEIGHT, bars=bars, ticks=ticks, labels=labels, baseline=baseline, left=LEFT)
