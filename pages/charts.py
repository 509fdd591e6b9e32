"""Plotly figures built from selector output, drawn by ``static/js/charts.js``.

A page passes :func:`figure_json` through Django's ``json_script`` and the
one static script calls ``Plotly.newPlot``: no inline script, so a strict
Content Security Policy needs no exception. Nothing here queries the
database; every number comes from the rows a selector already evaluated,
and every label is formatted by :mod:`indicators.achievement`, as the
documents print it.

plotly.min.js bundles no Japanese locale (only ``en`` and ``en-US``), so
figures set ``layout.separators`` and their own Japanese strings instead
of ``config.locale``.
"""

from __future__ import annotations

import json
import math
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import plotly.graph_objects as go

from indicators import achievement, wording
from indicators.continuations import plan_label
from ise_iga_dx.lib import wareki

if TYPE_CHECKING:
    from collections.abc import Sequence

    from indicators.continuations import Series
    from indicators.evaluation import IndicatorYear
    from indicators.models import Indicator

# Why a KGI page has no chart: said in words instead of an empty plot.
MILESTONE_MESSAGE = "完了型の指標のため、グラフはありません。年度ごとの状況は下の表のとおりです。"
NO_ROWS_MESSAGE = "表示する年度がないため、グラフはありません。"
NO_VALUES_MESSAGE = (
    "グラフに表示できる数値（実績値・目標値・現状値）がないため、グラフはありません。"
    "年度ごとの状況は下の表のとおりです。"
)
# Units of things counted one by one: their axes tick at whole numbers only
# (no 0.5件). A unit such as 地点 (3.00地点, an average) is not one of them.
COUNT_UNITS = frozenset({
    "件", "名", "人", "回", "箇所", "か所", "ヶ所", "施設", "部署", "校", "社", "団体",
    "台", "枚", "本", "冊", "組", "店舗", "事業者", "世帯", "手続", "手続き",
})
# At most this many intervals on a whole-number axis.
COUNT_TICKS = 8

# Fixed size for print: responsive plotly charts print cut off
# (plotly/plotly.js#1275, #7403). 680 CSS px is 180 mm, the width of A4
# portrait inside 15 mm margins, so no browser has to shrink or clip it.
STATIC_WIDTH = 680
STATIC_HEIGHT = 320
POLICY_LABEL_WIDTH = 16

FONT_FAMILY = (
    'system-ui, "Hiragino Sans", "Hiragino Kaku Gothic ProN", "Noto Sans JP",'
    ' "Yu Gothic", Meiryo, sans-serif'
)
# Decimal point, then thousands separator: 1,589,989 and 19.5 as printed.
SEPARATORS = ".,"

# Same hues as static/css/kpi_admin.css. Achieved and not achieved have
# nearly the same lightness, so the fill pattern (and, for the greys, the
# lightness) is what tells them apart in greyscale print.
# (field of Counts, fill, pattern shape, pattern colour), in legend order.
EVALUATION_STYLES: dict[achievement.Evaluation, tuple[str, str, str, str]] = {
    achievement.Evaluation.ACHIEVED: ("achieved", "#1b5e20", "", "#ffffff"),
    achievement.Evaluation.NOT_ACHIEVED: ("not_achieved", "#b71c1c", "/", "#ffffff"),
    achievement.Evaluation.PENDING: ("pending", "#9e9e9e", ".", "#ffffff"),
    achievement.Evaluation.NOT_MEASURED: ("not_measured", "#e0e0e0", "x", "#555555"),
    achievement.Evaluation.NOT_DUE: ("not_due", "#cfd8dc", "-", "#37474f"),
}
ACTUAL_COLOUR = "#37474f"
TARGET_COLOUR = "#b35900"
BASELINE_COLOUR = "#555555"


def chart_config(*, static: bool = False) -> dict[str, Any]:
    """Return the ``Plotly.newPlot`` config for an interactive or print chart."""
    config: dict[str, Any] = {"displaylogo": False, "responsive": not static}
    if static:
        config["staticPlot"] = True
        config["displayModeBar"] = False
    else:
        # Only the buttons that make sense for a few yearly points; their
        # tooltips stay in English without a ja locale bundle.
        config["modeBarButtonsToRemove"] = [
            "select2d", "lasso2d", "zoomIn2d", "zoomOut2d", "autoScale2d",
        ]
    return config


def figure_json(fig: go.Figure, *, static: bool | None = None) -> dict[str, Any]:
    """Return ``fig`` as the dict a template passes to ``json_script``.

    The dict holds ``data``, ``layout`` and ``config``, the three arguments
    of ``Plotly.newPlot``. Without ``static``, a fixed-size figure (built
    with ``static=True``) gets the print config.
    """
    if static is None:
        static = fig.layout.autosize is False
    document = json.loads(fig.to_json())
    document["config"] = chart_config(static=static)
    return document


def _layout(*, title: str, static: bool, height: int = STATIC_HEIGHT) -> go.Layout:
    layout = go.Layout(
        # "none" keeps plotly's ~6 KB default template out of every page.
        template="none",
        title={"text": title, "x": 0, "xanchor": "left", "font": {"size": 16}},
        font={"family": FONT_FAMILY, "size": 13, "color": "#222222"},
        separators=SEPARATORS,
        paper_bgcolor="#ffffff",
        plot_bgcolor="#ffffff",
        # The legend sits at the foot of the figure, below the x-axis title.
        margin={"l": 64, "r": 24, "t": 48, "b": 96},
        legend={
            "orientation": "h", "x": 0, "xanchor": "left",
            "y": 0, "yref": "container", "yanchor": "bottom",
        },
        hoverlabel={"font": {"family": FONT_FAMILY}},
    )
    if static:
        layout.update(width=STATIC_WIDTH, height=height, autosize=False)
    else:
        layout.update(height=height, autosize=True)
    return layout


def _wrap(text: str, width: int = POLICY_LABEL_WIDTH) -> str:
    """Break ``text`` every ``width`` characters, for a tick label.

    Japanese has no spaces to break at, and a long policy title would
    otherwise squeeze the bars into a sliver.
    """
    return "<br>".join(text[start:start + width] for start in range(0, len(text), width))


def _whole_dtick(span: float, ticks: int = COUNT_TICKS) -> int:
    """Return the smallest of 1, 2, 5, 10, 20, 50 … giving at most ``ticks`` intervals."""
    step = 1
    while True:
        for factor in (1, 2, 5):
            if span / (step * factor) <= ticks:
                return step * factor
        step *= 10


def _value_range(values: Sequence[float]) -> list[float]:
    """Return a y range with room below zero, so lines at 0 stay visible.

    The room below is small enough that no negative tick appears on an
    axis of counts.
    """
    low = min([0.0, *values])
    high = max([0.0, *values])
    span = (high - low) or 1.0
    return [low - span * 0.03, high + span * 0.08]


def _plotted(value: Decimal) -> float:
    # Plotly draws floats; labels keep the exact Decimal via format_number.
    return float(value)


def _reduction(indicator: Indicator, row: IndicatorYear) -> Decimal | None:
    """Return the row's unrounded reduction in percent, target or not.

    The engine gives the reduction only for years with a target; a history
    year is evaluated against a zero target just to read it, so the maths
    stays in the achievement module.
    """
    if row.result.reduction is not None:
        return row.result.reduction
    if row.actual is None or row.actual.value is None:
        return None
    return achievement.evaluate(
        kind=achievement.Kind.REDUCTION,
        target=Decimal(0),
        state=achievement.ActualState.MEASURED,
        actual=row.actual.value,
        baseline=indicator.baseline,
    ).reduction


def _reduction_label(reduction: Decimal) -> str:
    """Return a reduction as selectors.actual_label prints it: "▲2.2%"."""
    shown = achievement.round_half_up(reduction)
    if shown.is_zero():
        return f"{shown.copy_abs():f}%"
    sign = "▲" if shown > 0 else "＋"
    return f"{sign}{abs(shown):f}%"


def _has_values(rows: Sequence[IndicatorYear]) -> bool:
    indicator = rows[0].indicator
    return indicator.baseline is not None or any(
        (row.actual is not None and row.actual.value is not None)
        or (row.target is not None and row.target.value is not None)
        for row in rows
    )


def indicator_chart_absence(rows: Sequence[IndicatorYear]) -> str:
    """Return why one KGI's years make no chart, or "" when they make one.

    No years, a milestone (完了型) KGI, or no number at all (ISE1-08:
    評価対象外, no baseline, target or actual): the page says so in words
    instead of drawing an empty plot.
    """
    if not rows:
        return NO_ROWS_MESSAGE
    if achievement.Kind(rows[0].indicator.kind) == achievement.Kind.MILESTONE:
        return MILESTONE_MESSAGE
    if not _has_values(rows):
        return NO_VALUES_MESSAGE
    return ""


def indicator_chart(*, rows: list[IndicatorYear], static: bool = False) -> go.Figure | None:
    """Return one KGI's actuals against its targets and baseline, by year.

    ``rows`` are one indicator's years, oldest first, as
    :func:`indicators.selectors.indicator_years` returns them. Actuals are
    bars (history and plan years; not-measured and pending years are left
    out), targets a dashed line and the baseline a dotted line. A reduction
    (削減率型) KGI plots its reduction in percent against the target
    reduction. An actual of 0 gets a marker and its label, since a bar of
    height 0 cannot be seen; an axis of counted things (件, 名, 人 …) ticks
    at whole numbers. Where :func:`indicator_chart_absence` gives a reason
    (a milestone KGI, no numbers) there is no chart: None.
    ``static`` fixes the size and drops the mode bar, for print.
    """
    if indicator_chart_absence(rows):
        return None
    indicator = rows[0].indicator
    kind = achievement.Kind(indicator.kind)
    reduction = kind == achievement.Kind.REDUCTION
    years = [wareki.fiscal_year_short(row.fiscal_year) for row in rows]

    actual_x: list[str] = []
    actual_y: list[float] = []
    actual_labels: list[str] = []
    target_x: list[str] = []
    target_y: list[float] = []
    target_labels: list[str] = []
    for year, row in zip(years, rows, strict=True):
        actual = row.actual
        if actual is not None and actual.value is not None:
            value = _reduction(indicator, row) if reduction else actual.value
            if value is not None:
                actual_x.append(year)
                actual_y.append(_plotted(value))
                label = row.actual_label
                if reduction and row.result.reduction is None:
                    # actual_label adds the reduction only where evaluated.
                    label += f"（{_reduction_label(value)}）"
                actual_labels.append(label)
        if row.target is not None and row.target.value is not None:
            target_x.append(year)
            target_y.append(_plotted(row.target.value))
            target_labels.append(row.target_label)

    title = f"{indicator.code}　{'削減率の推移' if reduction else '実績と目標の推移'}"
    fig = go.Figure(layout=_layout(title=title, static=static))
    fig.add_trace(go.Bar(
        name="削減率（実績）" if reduction else "実績",
        x=actual_x, y=actual_y, customdata=actual_labels,
        marker={"color": ACTUAL_COLOUR},
        hovertemplate="実績：%{customdata}<extra></extra>",
    ))
    _zero_marks(fig, [
        (year, label) for year, value, label in zip(actual_x, actual_y, actual_labels, strict=True)
        if value == 0
    ])
    fig.add_trace(go.Scatter(
        name="削減率（目標）" if reduction else "目標",
        x=target_x, y=target_y, customdata=target_labels, mode="lines+markers",
        line={"color": TARGET_COLOUR, "dash": "dash", "width": 2},
        marker={"symbol": "diamond", "size": 9, "color": TARGET_COLOUR},
        hovertemplate="目標：%{customdata}<extra></extra>",
    ))
    plotted = [*actual_y, *target_y]
    if indicator.baseline is not None:
        baseline_name = "現状値"
        if indicator.baseline_year is not None:
            baseline_name += f"（{wareki.fiscal_year_short(indicator.baseline_year)}）"
        # A reduction is measured from the baseline, which is 0% by definition.
        baseline_y = 0.0 if reduction else _plotted(indicator.baseline)
        baseline_label = indicator.baseline_label
        if reduction:
            baseline_label += "（削減率 0%）"
        fig.add_trace(go.Scatter(
            name=baseline_name, x=years, y=[baseline_y] * len(years),
            customdata=[baseline_label] * len(years), mode="lines",
            line={"color": BASELINE_COLOUR, "dash": "dot", "width": 2},
            hovertemplate=f"{baseline_name}：%{{customdata}}<extra></extra>",
        ))
        plotted.append(baseline_y)

    if reduction:
        base_year = (
            f"{wareki.fiscal_year_short(indicator.baseline_year)}年度比"
            if indicator.baseline_year is not None else "現状値比"
        )
        y_title = f"削減率（{base_year}、%）"
    else:
        unit = indicator.unit
        y_title = f"実績・目標（{unit}）" if unit else "実績・目標"
    fig.update_layout(
        xaxis=_year_axis(years),
        yaxis=_value_axis(title=y_title, plotted=plotted, counted=(
            not reduction and indicator.unit in COUNT_UNITS
        )),
        hovermode="x unified",
        bargap=0.4,
    )
    return fig


def _year_axis(years: Sequence[str]) -> dict[str, Any]:
    return {
        "title": {"text": "年度"}, "type": "category",
        "categoryorder": "array", "categoryarray": list(years),
        "range": [-0.5, len(years) - 0.5],
    }


def _value_axis(*, title: str, plotted: Sequence[float], counted: bool) -> dict[str, Any]:
    """Return the y axis of ``plotted``; ``counted`` things tick at whole numbers."""
    value_range = _value_range(plotted)
    yaxis: dict[str, Any] = {
        "title": {"text": title}, "range": value_range, "zeroline": False,
        # 1,500,000 rather than 1.5M: the documents print full numbers.
        "exponentformat": "none", "separatethousands": True,
        "gridcolor": "#dddddd",
    }
    if counted and all(float(value).is_integer() for value in plotted):
        # No 0.5件: whole-number ticks from 0.
        yaxis.update(tick0=0, dtick=_whole_dtick(value_range[1] - value_range[0]),
                     tickformat=",d")
    return yaxis


def _zero_marks(fig: go.Figure, zeros: Sequence[tuple[str, str]]) -> None:
    """Mark actuals of 0 (year, label): a bar of height 0 cannot be seen.

    A bar-coloured dash and the value's label show that 0 was measured,
    not that nothing was.
    """
    if not zeros:
        return
    fig.add_trace(go.Scatter(
        name="実績（0）", showlegend=False, x=[year for year, _label in zeros],
        y=[0.0] * len(zeros), text=[label for _year, label in zeros],
        mode="markers+text", textposition="top center",
        textfont={"color": ACTUAL_COLOUR},
        marker={"symbol": "line-ew-open", "size": 28,
                "line": {"color": ACTUAL_COLOUR, "width": 4}},
        hoverinfo="skip",
    ))


def plan_counts_chart(
    *, rows_by_policy: Sequence[tuple[str, achievement.Counts]], static: bool = False
) -> go.Figure | None:
    """Return a stacked bar of evaluations per basic policy, top to bottom.

    ``rows_by_policy`` pairs each policy's label with its
    :func:`indicators.achievement.rollup` counts, in document order. A plan
    with no KGI yet (iga-2) has nothing to count: None, no empty chart.
    """
    if not any(counts.total for _label, counts in rows_by_policy):
        return None
    labels = [_wrap(label) for label, _counts in rows_by_policy]
    longest = max((counts.total for _label, counts in rows_by_policy), default=0)
    height = 160 + 56 * max(len(labels), 1)
    fig = go.Figure(layout=_layout(title="基本方針別の評価", static=static, height=height))
    for evaluation, (field, colour, pattern, pattern_colour) in EVALUATION_STYLES.items():
        name = wording.EVALUATION_LABELS[evaluation]
        values = [getattr(counts, field) for _label, counts in rows_by_policy]
        if evaluation == achievement.Evaluation.NOT_DUE and not any(values):
            # Only plans with milestones due later have this; no empty legend entry.
            continue
        fig.add_trace(go.Bar(
            name=name, orientation="h", y=labels,
            x=values,
            marker={
                "color": colour,
                "line": {"color": "#222222", "width": 1},
                "pattern": {
                    "shape": pattern, "fillmode": "replace", "bgcolor": colour,
                    "fgcolor": pattern_colour, "size": 8, "solidity": 0.3,
                },
            },
            hovertemplate=f"%{{y}}<br>{name}：%{{x}}件<extra></extra>",
        ))
    fig.update_layout(
        barmode="stack",
        xaxis={
            "title": {"text": "指標数（件）"}, "rangemode": "tozero",
            # Whole numbers only: a count axis has no 2.5件.
            "tick0": 0, "dtick": max(1, math.ceil(longest / 8)),
            "gridcolor": "#dddddd",
        },
        # Document order from the top, as the plan lists its policies.
        yaxis={"type": "category", "autorange": "reversed", "automargin": True},
        legend={"traceorder": "normal"},
    )
    return fig


# The long view: a KGI across the plan periods its links join --------------

SERIES_KIND_MESSAGE = (
    "完了型・削減率型の指標のため、期をまたぐグラフはありません。年度ごとの状況は下の表のとおりです。"
)
# Per KGI of a series, oldest plan first: (bar fill, bar pattern, target marker).
# The pattern and the marker tell the periods apart in greyscale print.
SERIES_STYLES = (("#90a4ae", "/", "circle"), (ACTUAL_COLOUR, "", "diamond"),
                 ("#546e7a", "x", "square"))


def series_chart_absence(series: Series) -> str:
    """Return why a series makes no chart, or "" when it makes one."""
    kinds = {achievement.Kind(indicator.kind) for indicator in series.indicators}
    if kinds & {achievement.Kind.MILESTONE, achievement.Kind.REDUCTION}:
        return SERIES_KIND_MESSAGE
    if not any(
        (year.row.reported is not None and year.row.reported.value is not None)
        or (year.row.target is not None and year.row.target.value is not None)
        for year in series.years
    ):
        return NO_VALUES_MESSAGE
    return ""


def series_chart(*, series: Series, static: bool = False) -> go.Figure | None:
    """Return one measure across plan periods: each KGI's actuals and own targets.

    ``series`` is :func:`indicators.continuations.linked_series`: one row
    per year, each one KGI's. Each KGI gets its own bars and its own target
    line (so no line joins one period's target to the next's), and a
    dotted line marks where each later plan begins. Values are plotted as
    each KGI recorded them: nothing re-accumulated or reset. None where
    :func:`series_chart_absence` gives a reason.
    """
    if series_chart_absence(series):
        return None
    years = [wareki.fiscal_year_short(year.fiscal_year) for year in series.years]
    first = series.indicators[0]
    fig = go.Figure(layout=_layout(
        title=f"{first.code}〜{series.indicators[-1].code}　期をまたぐ実績と目標の推移",
        static=static,
    ))
    plotted: list[float] = []
    zeros: list[tuple[str, str]] = []
    for indicator, (fill, pattern, symbol) in zip(series.indicators, SERIES_STYLES, strict=False):
        name = f"{plan_label(indicator.plan)} {indicator.code}"
        shown = [(label, year.row) for label, year in zip(years, series.years, strict=True)
                 if year.indicator.pk == indicator.pk]
        bars = [(label, row) for label, row in shown
                if row.reported is not None and row.reported.value is not None]
        targets = [(label, row) for label, row in shown
                   if row.target is not None and row.target.value is not None]
        fig.add_trace(go.Bar(
            name=f"実績（{name}）", x=[label for label, _row in bars],
            y=[_plotted(row.reported.value) for _label, row in bars],
            customdata=[row.actual_label for _label, row in bars],
            marker={"color": fill, "line": {"color": "#222222", "width": 1},
                    "pattern": {"shape": pattern, "fgcolor": "#ffffff", "solidity": 0.3}},
            hovertemplate=f"実績（{name}）：%{{customdata}}<extra></extra>",
        ))
        fig.add_trace(go.Scatter(
            name=f"目標（{name}）", x=[label for label, _row in targets],
            y=[_plotted(row.target.value) for _label, row in targets],
            customdata=[row.target_label for _label, row in targets], mode="lines+markers",
            line={"color": TARGET_COLOUR, "dash": "dash", "width": 2},
            marker={"symbol": symbol, "size": 9, "color": TARGET_COLOUR},
            hovertemplate=f"目標（{name}）：%{{customdata}}<extra></extra>",
        ))
        plotted += [_plotted(row.reported.value) for _label, row in bars]
        plotted += [_plotted(row.target.value) for _label, row in targets]
        zeros += [(label, row.actual_label) for label, row in bars if row.reported.value == 0]
    _zero_marks(fig, zeros)
    starts = [year.fiscal_year for year in series.years]
    for indicator in series.indicators[1:]:
        if indicator.plan.start_year in starts:
            boundary = starts.index(indicator.plan.start_year) - 0.5
            fig.add_vline(x=boundary, line={"color": BASELINE_COLOUR, "dash": "dot", "width": 1})
            fig.add_annotation(
                x=boundary, y=1, yref="paper", xanchor="left", yanchor="top",
                showarrow=False, text=f"{plan_label(indicator.plan)}から", bgcolor="#ffffff",
                font={"size": 12, "color": BASELINE_COLOUR},
            )
    unit = first.unit
    fig.update_layout(
        xaxis=_year_axis(years),
        yaxis=_value_axis(title=f"実績・目標（{unit}）" if unit else "実績・目標",
                          plotted=plotted, counted=unit in COUNT_UNITS),
        hovermode="x unified",
        bargap=0.4,
    )
    return fig
