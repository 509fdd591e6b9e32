"""Figures from pages.charts, the chart includes and the plotly.js copy.

How the figures draw, not numbers of the documents: the KGIs, targets and
actuals come from factories (tests/factories.py), a 「テスト市」 plan with a
decrease in %, an increase in 時間 and a reduction in 枚, and a plan of
three policies for the counts chart.
"""

from __future__ import annotations

import json
import re
from decimal import Decimal
from io import StringIO
from itertools import groupby
from pathlib import Path

import plotly
import plotly.graph_objects as go
import pytest
from django.contrib.staticfiles import finders
from django.core.management import call_command
from django.template.loader import render_to_string
from django.templatetags.static import static
from plotly.basedatatypes import BaseTraceType
from plotly.offline import get_plotlyjs_version

from indicators.achievement import Counts
from indicators.models import Actual, Indicator, Kind
from indicators.selectors import indicator_years, plan_status, rows_rollup
from pages import charts
from pages.management.commands.copy_plotly_js import (
    STATIC_PATH,
    copy_if_changed,
    plotly_js_destination,
)
from plans.models import Plan
from tests.factories import (
    ActualFactory,
    BasicPolicyFactory,
    MilestoneFactory,
    PlanFactory,
    kgi_with_targets,
    kgis_with_actuals,
)

PLOTLY_PACKAGE_DATA = Path(plotly.__file__).parent / "package_data"


@pytest.fixture
def plan() -> Plan:
    return PlanFactory(municipality__name="テスト市", code="test-plan", name="第2期テスト計画")


@pytest.fixture
def decrease(plan) -> Indicator:
    """TEST-01, a decrease in % from 0.0% (R7) with targets of 0.0% (R8–R11)
    and a history of 1.2%, 15.5%, 4.8% and 0.0% (R4–R7)."""
    indicator = kgi_with_targets(
        plan, "TEST-01", "%", dict.fromkeys(plan.fiscal_years, "0.0"), kind=Kind.DECREASE,
        baseline=Decimal("0.0"), baseline_places=1, baseline_year=2025,
    )
    for year, value in zip(range(2022, 2026), ["1.2", "15.5", "4.8", "0.0"], strict=True):
        ActualFactory(indicator=indicator, fiscal_year=year, value=Decimal(value),
                      value_places=1, confirmed=True)
    return indicator


@pytest.fixture
def hours(plan) -> Indicator:
    """TEST-02, an increase in 時間 from 4,321.5時間 (R7) to 5,200.0時間 (R8) and on."""
    return kgi_with_targets(
        plan, "TEST-02", "時間",
        {2026: "5200.0", 2027: "5400.0", 2028: "5600.0", 2029: "5800.0"},
        baseline=Decimal("4321.5"), baseline_places=1, baseline_year=2025,
    )


@pytest.fixture
def reduction(plan) -> Indicator:
    """TEST-03, a reduction from 1,200,000枚 (R7) by 3.0% (R8) to 12.0% (R11), no actuals."""
    return kgi_with_targets(
        plan, "TEST-03", "枚", {2026: "3.0", 2027: "6.0", 2028: "9.0", 2029: "12.0"},
        kind=Kind.REDUCTION, baseline=Decimal(1_200_000), baseline_year=2025,
    )


def chart_for(code: str, *, static: bool = False) -> go.Figure:
    indicator = Indicator.objects.select_related("plan").get(code=code)
    return charts.indicator_chart(rows=indicator_years(indicator=indicator), static=static)


def trace(fig: go.Figure, name: str) -> BaseTraceType:
    matches = [t for t in fig.data if t.name == name]
    assert len(matches) == 1, [t.name for t in fig.data]
    return matches[0]


@pytest.mark.django_db
def test_a_decrease_kgi_plots_history_against_target_and_baseline(decrease):
    fig = chart_for("TEST-01")
    actual = trace(fig, "実績")
    assert list(actual.x) == ["R4", "R5", "R6", "R7"]
    assert list(actual.y) == [1.2, 15.5, 4.8, 0.0]
    assert list(actual.customdata) == ["1.2%", "15.5%", "4.8%", "0.0%"]
    target = trace(fig, "目標")
    assert list(target.x) == ["R8", "R9", "R10", "R11"]
    assert list(target.y) == [0.0] * 4
    assert target.line.dash == "dash" and target.mode == "lines+markers"
    baseline = trace(fig, "現状値（R7）")
    assert baseline.line.dash == "dot" and baseline.mode == "lines"
    assert set(baseline.y) == {0.0}
    # Three styles that stay apart in greyscale: bars, dashes, dots.
    assert actual.type == "bar" and target.line.dash != baseline.line.dash
    layout = fig.layout
    assert list(layout.xaxis.categoryarray) == [f"R{n}" for n in range(4, 12)]
    assert layout.xaxis.type == "category"
    assert layout.xaxis.title.text == "年度"
    assert layout.yaxis.title.text == "実績・目標（%）"
    assert layout.title.text == "TEST-01　実績と目標の推移"
    assert layout.separators == ".,"


@pytest.mark.django_db
def test_hover_prints_numbers_as_the_documents_do(hours):
    Actual.objects.create(indicator=hours, fiscal_year=2026, value="1234567", value_places=0)
    fig = chart_for("TEST-02")
    assert list(trace(fig, "実績").customdata) == ["1,234,567時間"]
    assert trace(fig, "目標").customdata[0] == "5,200.0時間"
    baseline = trace(fig, "現状値（R7）")
    assert baseline.customdata[0] == "4,321.5時間"
    assert set(baseline.y) == {4321.5}
    assert fig.layout.yaxis.title.text == "実績・目標（時間）"
    assert fig.layout.yaxis.exponentformat == "none"


@pytest.mark.django_db
def test_not_measured_and_pending_years_are_left_out(decrease):
    Actual.objects.filter(indicator=decrease, fiscal_year=2023).update(
        state="not_measured", value=None, not_measured_reason="訓練なし"
    )
    Actual.objects.create(indicator=decrease, fiscal_year=2026, value="1.5", value_places=1)
    actual = trace(chart_for("TEST-01"), "実績")
    assert list(actual.x) == ["R4", "R6", "R7", "R8"]
    assert list(actual.y) == [1.2, 4.8, 0.0, 1.5]


@pytest.mark.django_db
def test_a_reduction_kgi_plots_its_reduction_percent_against_target(reduction):
    Actual.objects.create(indicator=reduction, fiscal_year=2026, value="1170500", value_places=0)
    fig = chart_for("TEST-03")
    actual = trace(fig, "削減率（実績）")
    assert list(actual.x) == ["R8"]
    # (1,200,000 - 1,170,500) / 1,200,000 = 2.458%, not the 1.17 million sheets.
    assert actual.y[0] == pytest.approx(2.4583, abs=1e-4)
    assert actual.customdata[0] == "1,170,500枚（▲2.5%）"
    target = trace(fig, "削減率（目標）")
    assert list(target.y) == [3.0, 6.0, 9.0, 12.0]
    assert target.customdata[0] == "R7年度比 ▲3.0%"
    assert set(trace(fig, "現状値（R7）").y) == {0.0}
    assert fig.layout.yaxis.title.text == "削減率（R7年度比、%）"
    assert fig.layout.title.text == "TEST-03　削減率の推移"


@pytest.mark.django_db
def test_reduction_history_year_without_target_is_still_a_reduction(reduction):
    Actual.objects.create(indicator=reduction, fiscal_year=2024, value="1250000", value_places=0)
    actual = trace(chart_for("TEST-03"), "削減率（実績）")
    assert list(actual.x) == ["R6"]
    # (1,200,000 - 1,250,000) / 1,200,000 = -4.167%: an increase.
    assert actual.y[0] == pytest.approx(-4.1667, abs=1e-4)
    assert actual.customdata[0] == "1,250,000枚（＋4.2%）"


@pytest.mark.django_db
def test_milestone_kgi_has_no_chart_and_says_why(plan):
    MilestoneFactory(measure__policy__plan=plan, code="TEST-04")
    indicator = Indicator.objects.filter(kind=Kind.MILESTONE, plan=plan).first()
    assert indicator is not None
    rows = indicator_years(indicator=indicator)
    assert charts.indicator_chart(rows=rows) is None
    assert charts.indicator_chart_absence(rows) == (
        "完了型の指標のため、グラフはありません。年度ごとの状況は下の表のとおりです。"
    )


def test_no_rows_is_no_chart_not_an_error():
    assert charts.indicator_chart(rows=[]) is None
    assert charts.indicator_chart_absence([]) == charts.NO_ROWS_MESSAGE


@pytest.mark.django_db
def test_a_kgi_without_any_number_has_no_empty_chart(plan):
    """ISE1-08's case: 評価対象外, no baseline, no target: nothing to plot (no 0–0.05 axis)."""
    indicator = kgi_with_targets(plan, "TEST-09", "")
    ActualFactory(indicator=indicator, fiscal_year=2026, value=None, state="not_measured",
                  not_measured_reason="計測方法の変更")
    rows = indicator_years(indicator=indicator)
    assert charts.indicator_chart(rows=rows) is None
    assert charts.indicator_chart_absence(rows) == charts.NO_VALUES_MESSAGE
    assert "グラフはありません" in charts.NO_VALUES_MESSAGE


@pytest.mark.django_db
def test_an_actual_of_zero_is_drawn_and_a_count_axis_ticks_whole_numbers(plan):
    """A 0件 bar has no height: a dash and 「0件」 show it; no tick at 0.5件."""
    indicator = kgi_with_targets(
        plan, "TEST-08", "件", dict.fromkeys(plan.fiscal_years, "0"), kind=Kind.DECREASE,
        baseline=Decimal(1), baseline_year=2025,
    )
    ActualFactory(indicator=indicator, fiscal_year=2026, value=Decimal(0), confirmed=True)
    ActualFactory(indicator=indicator, fiscal_year=2027, value=Decimal(1), confirmed=True)
    fig = chart_for("TEST-08")
    assert list(trace(fig, "実績").y) == [0.0, 1.0]
    zero = trace(fig, "実績（0）")
    assert list(zero.x) == ["R8"] and list(zero.y) == [0.0]
    assert list(zero.text) == ["0件"] and "text" in zero.mode and "markers" in zero.mode
    assert zero.showlegend is False
    yaxis = fig.layout.yaxis
    assert (yaxis.tick0, yaxis.dtick, yaxis.tickformat) == (0, 1, ",d")
    low, high = yaxis.range
    assert low < 0 < 1 < high


@pytest.mark.django_db
def test_a_count_axis_with_many_keeps_its_round_ticks(plan):
    kgi_with_targets(plan, "TEST-07", "名", {2026: "1300", 2027: "1400"}, baseline=Decimal(1000))
    yaxis = chart_for("TEST-07").layout.yaxis
    assert yaxis.dtick == 200 and yaxis.tickformat == ",d"


@pytest.mark.django_db
def test_decimal_values_or_units_keep_plotlys_own_ticks(hours, decrease):
    """時間 is not counted one by one; 3.00地点 or 0.0% are no counts either."""
    assert chart_for("TEST-02").layout.yaxis.dtick is None
    assert chart_for("TEST-01").layout.yaxis.dtick is None


@pytest.mark.parametrize(("span", "dtick"), [(1.1, 1), (8, 1), (9, 2), (16, 2), (17, 5),
                                             (40, 5), (41, 10), (1600, 200)])
def test_whole_number_ticks_are_one_two_or_five_times_ten(span, dtick):
    assert charts._whole_dtick(span) == dtick


def test_a_plan_without_kgis_has_no_counts_chart():
    """iga-2 before its KGIs are added: no empty 0–1 chart."""
    empty = [("基本方針 1 テスト", Counts(0, 0, 0, 0)), ("基本方針 2 テスト", Counts(0, 0, 0, 0))]
    assert charts.plan_counts_chart(rows_by_policy=empty) is None
    assert charts.plan_counts_chart(rows_by_policy=[]) is None


@pytest.mark.django_db
def test_indicator_chart_runs_no_queries(decrease, django_assert_num_queries):
    indicator = Indicator.objects.select_related("plan").get(code="TEST-01")
    rows = indicator_years(indicator=indicator)
    with django_assert_num_queries(0):
        charts.indicator_chart(rows=rows)


@pytest.mark.django_db
def test_static_chart_has_a_fixed_size_and_no_mode_bar(decrease):
    fig = chart_for("TEST-01", static=True)
    assert (fig.layout.width, fig.layout.height) == (680, 320)
    assert fig.layout.autosize is False
    config = charts.figure_json(fig)["config"]
    assert config["responsive"] is False
    assert config["displayModeBar"] is False and config["staticPlot"] is True


@pytest.mark.django_db
def test_interactive_chart_is_responsive(decrease):
    fig = chart_for("TEST-01")
    assert fig.layout.width is None
    config = charts.figure_json(fig)["config"]
    assert config["responsive"] is True
    assert config["displaylogo"] is False
    assert "staticPlot" not in config
    assert charts.figure_json(fig, static=True)["config"]["responsive"] is False


def test_no_ja_locale_is_set_because_plotly_js_bundles_none():
    bundle = (PLOTLY_PACKAGE_DATA / "plotly.min.js").read_text(encoding="utf-8")
    locales = set(re.findall(r'moduleType:"locale",name:"([^"]+)"', bundle))
    assert locales and "ja" not in locales
    assert "locale" not in charts.chart_config()


@pytest.fixture
def counted_plan() -> Plan:
    """A plan of three policies and six R8 rows: I (a title longer than a
    line) achieved, achieved, not achieved; II not measured, no actual;
    III achieved."""
    plan = PlanFactory(municipality__name="テスト市", code="counted-plan")
    titles = ["テスト用の長い基本方針を十六文字で折り返す", "テスト基本方針", "テスト基本方針"]
    policies = [BasicPolicyFactory(plan=plan, number=number, label=label, title=title)
                for number, (label, title) in enumerate(zip(["I", "II", "III"], titles,
                                                            strict=True), start=1)]
    rows = [(0, "12"), (0, "10"), (0, "8"), (1, None), (1, ""), (2, "15")]
    kgis_with_actuals(policies, rows)
    return plan


def policy_counts(plan: Plan) -> list[tuple[str, Counts]]:
    rows = plan_status(plan=plan, fiscal_year=2026)
    rows.sort(key=lambda row: row.indicator.measure.policy.number)
    return [
        (str(policy), rows_rollup(group))
        for policy, group in groupby(rows, key=lambda row: row.indicator.measure.policy)
    ]


@pytest.mark.django_db
def test_plan_counts_chart_stacks_every_evaluation_per_policy(counted_plan):
    rows_by_policy = policy_counts(counted_plan)
    fig = charts.plan_counts_chart(rows_by_policy=rows_by_policy)
    assert [t.name for t in fig.data] == ["達成", "未達成", "未入力", "評価対象外"]
    assert all(t.orientation == "h" for t in fig.data)
    assert fig.layout.barmode == "stack"
    # Long policy titles wrap onto lines of 16 characters.
    assert [y.replace("<br>", "") for y in fig.data[0].y] == [
        label for label, _counts in rows_by_policy
    ]
    assert fig.data[0].y[0] == "I テスト用の長い基本方針を十六<br>文字で折り返す"
    assert sum(sum(t.x) for t in fig.data) == 6
    for (_label, counts), *values in zip(
        rows_by_policy, *(t.x for t in fig.data), strict=True
    ):
        assert list(values) == [
            counts.achieved, counts.not_achieved, counts.pending, counts.not_measured
        ]
    assert fig.layout.yaxis.autorange == "reversed"
    assert fig.layout.xaxis.title.text == "指標数（件）"
    assert fig.layout.title.text == "基本方針別の評価"


def test_plan_counts_are_told_apart_without_colour():
    fig = charts.plan_counts_chart(rows_by_policy=[("基本方針1", Counts(1, 2, 3, 4))])
    styles = {(t.marker.color, t.marker.pattern.shape) for t in fig.data}
    assert len({shape for _colour, shape in styles}) == 4
    assert [t.marker.color for t in fig.data][:2] == ["#1b5e20", "#b71c1c"]
    assert fig.data[0].hovertemplate == "%{y}<br>達成：%{x}件<extra></extra>"
    # Whole-number ticks: 10 in all gives 0, 2, 4, … rather than 2.5.
    assert (fig.layout.xaxis.tick0, fig.layout.xaxis.dtick) == (0, 2)


def test_static_plan_counts_chart_is_fixed_size():
    fig = charts.plan_counts_chart(rows_by_policy=[("I", Counts(1, 0, 0, 0))], static=True)
    assert fig.layout.width == 680 and fig.layout.autosize is False


@pytest.mark.django_db
def test_figure_json_is_plain_json_with_data_layout_and_config(reduction):
    document = charts.figure_json(chart_for("TEST-03"))
    assert set(document) == {"data", "layout", "config"}
    text = json.dumps(document, ensure_ascii=False)
    assert "<script" not in text.lower()
    assert json.loads(text) == document
    # The "none" template keeps plotly's ~6 KB default styling out of pages.
    assert len(text) < 5000


HOSTILE = '</script><script>alert("x")</script>'


@pytest.mark.django_db
def test_chart_include_has_no_inline_script(decrease):
    indicator = Indicator.objects.select_related("plan").get(code="TEST-01")
    # Admin-entered text must not close the JSON element early.
    indicator.unit = HOSTILE[:16]
    chart = charts.figure_json(charts.indicator_chart(rows=indicator_years(indicator=indicator)))
    chart["layout"]["title"]["text"] = HOSTILE
    html = render_to_string(
        "includes/chart.html",
        {"chart": chart, "chart_id": "chart-test-01", "label": "TEST-01 の実績と目標のグラフ"},
    )
    scripts = re.findall(r"<script\b[^>]*>", html, flags=re.IGNORECASE)
    assert scripts == ['<script id="chart-test-01" type="application/json">']
    assert html.lower().count("</script") == 1
    match = re.search(r'<script id="chart-test-01" type="application/json">(.*?)</script>',
                      html, flags=re.DOTALL)
    assert json.loads(match.group(1)) == chart
    assert '<figure class="chart-figure" aria-label="TEST-01 の実績と目標のグラフ">' in html
    assert '<div class="chart" data-chart-json="chart-test-01"></div>' in html


def test_plotly_scripts_include_loads_our_own_files_only():
    html = render_to_string("includes/plotly_scripts.html")
    sources = re.findall(r'<script src="([^"]+)" defer></script>', html)
    assert sources == [static(f"{STATIC_PATH}"), static("js/charts.js")]
    assert "http" not in html and "//" not in "".join(sources)
    assert len(re.findall(r"<script\b", html)) == 2


def test_charts_js_draws_each_chart_and_survives_without_plotly():
    script = finders.find("js/charts.js")
    assert script is not None
    source = Path(script).read_text(encoding="utf-8")
    assert "Plotly.newPlot(" in source and "[data-chart-json]" in source
    assert "DOMContentLoaded" in source
    assert 'typeof window.Plotly === "undefined"' in source
    assert not re.search(r"https?://|fetch\(|XMLHttpRequest|import\(", source)


def test_copy_plotly_js_copies_the_installed_wheel_file():
    out = StringIO()
    call_command("copy_plotly_js", stdout=out)
    copied = plotly_js_destination()
    source = PLOTLY_PACKAGE_DATA / "plotly.min.js"
    assert copied.read_bytes() == source.read_bytes()
    assert f"plotly.js v{get_plotlyjs_version()}" in copied.read_text(encoding="utf-8")[:200]
    found = finders.find(STATIC_PATH)
    assert found is not None and found == str(copied)
    # The manifest storage links the copy named after a hash of its content.
    assert re.fullmatch(
        r"/static/vendor/plotly/plotly\.min\.[0-9a-f]{12}\.js", static(STATIC_PATH)
    )


def test_copy_plotly_js_writes_only_when_missing_or_different(tmp_path):
    source = tmp_path / "plotly.min.js"
    source.write_bytes(b"/** plotly.js v9.9.9 */")
    destination = tmp_path / "static" / "vendor" / "plotly" / "plotly.min.js"
    assert copy_if_changed(source=source, destination=destination) is True
    assert destination.read_bytes() == source.read_bytes()
    assert copy_if_changed(source=source, destination=destination) is False
    destination.write_bytes(b"/** plotly.js v1.0.0 */")
    assert copy_if_changed(source=source, destination=destination) is True
    assert destination.read_bytes() == source.read_bytes()
    # Nothing else is written: no temporary file is left behind.
    assert sorted(p.name for p in tmp_path.rglob("*") if p.is_file()) == [
        "plotly.min.js", "plotly.min.js"
    ]


@pytest.mark.django_db
def test_copied_plotly_js_is_served_from_our_static_files(client):
    call_command("copy_plotly_js", stdout=StringIO())
    response = client.get(static(STATIC_PATH))
    assert response.status_code == 200
    body = b"".join(response.streaming_content)
    assert body.startswith(b"/**\n* plotly.js v" + get_plotlyjs_version().encode())
