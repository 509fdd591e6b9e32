"""Charts of the public pages, drawn by the server as SVG: no script at all.

A public page must load on a phone within 300 kB; the smallest plotly.js
build alone is over that (research for issue 15), so these charts are
plain SVG shapes computed here and written out by
``templates/public/includes/*_chart.html``. Colours and line styles live
in static/css/public.css; bars carry their value as text, targets are a
dashed line with markers, so the charts read in greyscale print. Each
chart is followed by a table with the same numbers.

Pure functions: no queries and no Django.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING

from indicators import wording

if TYPE_CHECKING:
    from public_site.display import PublicCounts, PublicSeries

# Charts that have no meaningful bars: done/not done, and reduction rates
# evaluated against a baseline (as the logged-in charts).
NO_CHART_KINDS = ("milestone", "reduction")
NO_CHART_MESSAGE = (
    "完了型・削減率型の指標のため、グラフはありません。年度ごとの状況は下の表のとおりです。"
)
NO_VALUES_MESSAGE = "公表済みの実績値・数値の目標値がないため、グラフはありません。"

WIDTH = 640
HEIGHT = 300
LEFT = 64
RIGHT = 16
TOP = 40
BOTTOM = 44


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    label: str
    value_label: str
    group: int
    text_x: float = 0.0
    text_y: float = 0.0


@dataclass(frozen=True)
class Tick:
    y: float
    label: str


@dataclass(frozen=True)
class Line:
    points: str
    markers: list[tuple[float, float]]
    group: int
    name: str


@dataclass(frozen=True)
class Boundary:
    x: float
    label: str
    text_x: float


@dataclass
class SeriesChart:
    """A bar-and-target chart in a ``WIDTH`` × ``HEIGHT`` viewBox."""

    width: int = WIDTH
    height: int = HEIGHT
    left: int = LEFT
    bottom_y: float = HEIGHT - BOTTOM
    right_x: float = WIDTH - RIGHT
    bars: list[Bar] = field(default_factory=list)
    lines: list[Line] = field(default_factory=list)
    ticks: list[Tick] = field(default_factory=list)
    years: list[tuple[float, str]] = field(default_factory=list)
    boundaries: list[Boundary] = field(default_factory=list)
    legend: list[tuple[int, str, str]] = field(default_factory=list)
    unit: str = ""


def nice_step(top: float, ticks: int = 4) -> float:
    """Return a round step (1, 2 or 5 × 10ⁿ) giving about ``ticks`` steps up to ``top``."""
    if top <= 0:
        return 1.0
    raw = top / ticks
    power = 10 ** math.floor(math.log10(raw))
    for factor in (1, 2, 5, 10):
        if raw <= factor * power:
            return factor * power
    return 10 * power


def tick_label(value: float, step: float) -> str:
    places = 0 if step >= 1 else max(0, -math.floor(math.log10(step)))
    return wording.format_number(Decimal(str(round(value, places))), "", places)


def series_chart_absence(series: PublicSeries) -> str:
    """Return why ``series`` gets no chart, or "" when it gets one."""
    if {member.kind for member in series.members} & set(NO_CHART_KINDS):
        return NO_CHART_MESSAGE
    if not any(
        (year.row.published and year.row.actual is not None) or year.row.target is not None
        for year in series.years
    ):
        return NO_VALUES_MESSAGE
    return ""


def series_chart(series: PublicSeries) -> SeriesChart | None:
    """Return bars for published actuals and each KGI's dashed target line.

    Each KGI gets its own target line, so no line joins one period's
    target to the next's; a dotted line marks where each later plan
    begins. None where :func:`series_chart_absence` gives a reason.
    """
    if series_chart_absence(series):
        return None
    chart = SeriesChart(unit=series.members[0].unit)
    values = [
        float(value) for year in series.years
        for value in (year.row.actual if year.row.published else None, year.row.target)
        if value is not None
    ]
    top = max([*values, 0.0])
    step = nice_step(top)
    scale_top = step * max(1, math.ceil(top / step)) if top > 0 else step * 4
    plot_height = chart.bottom_y - TOP
    slot = (chart.right_x - chart.left) / len(series.years)

    def y_of(value: float) -> float:
        return round(chart.bottom_y - value / scale_top * plot_height, 1)

    tick = 0.0
    while tick <= scale_top + step / 2:
        chart.ticks.append(Tick(y=y_of(tick), label=tick_label(tick, step)))
        tick += step
    members = series.members
    lines: dict[int, list[tuple[float, float]]] = {index: [] for index in range(len(members))}
    for index, year in enumerate(series.years):
        centre = round(chart.left + slot * (index + 0.5), 1)
        chart.years.append((centre, year.row.short_label))
        group = members.index(year.member)
        row = year.row
        if row.published and row.actual is not None:
            width = round(slot * 0.55, 1)
            y = y_of(float(row.actual))
            chart.bars.append(Bar(
                x=round(centre - width / 2, 1), y=y, width=width,
                height=round(chart.bottom_y - y, 1), label=row.label,
                value_label=row.actual_label, group=group,
                text_x=centre, text_y=round(y - 4, 1),
            ))
        if row.target is not None:
            lines[group].append((centre, y_of(float(row.target))))
    for group, points in lines.items():
        if points:
            chart.lines.append(Line(
                points=" ".join(f"{x},{y}" for x, y in points), markers=points, group=group,
                name=f"目標（{members[group].plan_label} {members[group].code}）",
            ))
    for member in members[1:]:
        starts = [year.fiscal_year for year in series.years]
        if member.start_year in starts:
            x = round(chart.left + slot * starts.index(member.start_year), 1)
            chart.boundaries.append(Boundary(
                x=x, label=f"{member.plan_label}から", text_x=round(x + 4, 1)
            ))
    for group, member in enumerate(members):
        name = f"{member.plan_label} {member.code}" if len(members) > 1 else member.code
        chart.legend.append((group, f"実績（{name}）", f"目標（{name}）"))
    return chart


@dataclass(frozen=True)
class CountBar:
    css: str
    label: str
    count: int
    y: float
    width: float
    text_x: float


@dataclass
class CountsChart:
    width: int = WIDTH
    height: int = 0
    label_width: int = 120
    bars: list[CountBar] = field(default_factory=list)


def counts_chart(counts: PublicCounts) -> CountsChart:
    """Return one horizontal bar per kind of evaluation, its count written beside it."""
    items = counts.items
    chart = CountsChart(height=24 + 36 * len(items))
    most = max([count for _css, _label, count in items] + [1])
    span = WIDTH - chart.label_width - 56
    for index, (css, label, count) in enumerate(items):
        width = round(span * count / most, 1)
        chart.bars.append(CountBar(
            css=css, label=label, count=count, y=12 + 36 * index, width=width,
            text_x=round(chart.label_width + width + 6, 1),
        ))
    return chart
