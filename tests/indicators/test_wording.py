"""Texts as the documents print them (indicators.wording), without the database."""

from __future__ import annotations

import datetime
from decimal import Decimal
from decimal import Decimal as D

import pytest

from indicators.achievement import (
    Accumulation,
    ActualState,
    Counts,
    Evaluation,
    Kind,
    PendingReason,
    Result,
)
from indicators.wording import (
    as_of_label,
    counts_line,
    entry_text,
    format_evaluation,
    format_number,
    format_rate,
    format_target,
    percent_label,
)

INC, DEC, RED, MIL = Kind.INCREASE, Kind.DECREASE, Kind.REDUCTION, Kind.MILESTONE
ACH, NOT, PEND, NM = (
    Evaluation.ACHIEVED,
    Evaluation.NOT_ACHIEVED,
    Evaluation.PENDING,
    Evaluation.NOT_MEASURED,
)


@pytest.mark.parametrize(
    ("result", "text"),
    [
        pytest.param(Result(ACH, D("106.25"), D("106.3")), "達成《達成率：106.3%》", id="achieved"),
        pytest.param(Result(NOT, D("99.95"), D("99.9")), "未達成《達成率：99.9%》", id="capped"),
        pytest.param(Result(ACH, D("100"), D("100")), "達成《達成率：100.0%》", id="one-decimal"),
        pytest.param(Result(ACH, None, None), "達成", id="achieved-no-rate"),
        pytest.param(Result(NOT, None, None), "未達成", id="not-achieved-no-rate"),
        pytest.param(Result(NM, None, None), "－", id="not-measured"),
        pytest.param(Result(PEND, None, None, PendingReason.NO_ACTUAL), "未入力", id="no-actual"),
        pytest.param(
            Result(PEND, None, None, PendingReason.NO_TARGET), "目標未設定", id="no-target"
        ),
        pytest.param(
            Result(PEND, None, None, PendingReason.NO_BASELINE), "基準値未設定", id="no-baseline"
        ),
    ],
)
def test_format_evaluation(result: Result, text: str) -> None:
    assert format_evaluation(result) == text


@pytest.mark.parametrize(
    ("rate", "text"),
    [("106.25", "106.3"), ("100", "100.0"), ("66.6666", "66.7"), ("0", "0.0")],
)
def test_format_rate(rate: str, text: str) -> None:
    assert format_rate(D(rate)) == text


@pytest.mark.parametrize(
    ("value", "unit", "places", "text"),
    [
        pytest.param("1589989", "件", None, "1,589,989件", id="separators"),
        pytest.param("5639.8", "時間", None, "5,639.8時間", id="decimal"),
        pytest.param("43.9", "%", None, "43.9%", id="percent"),
        pytest.param("6300.0", "時間", None, "6,300.0時間", id="keeps-trailing-zero"),
        pytest.param("45.0000", "", 1, "45.0", id="places-given"),
        pytest.param("3.00", "地点", None, "3.00地点", id="as-entered"),
        pytest.param("0.12345", "", None, "0.1235", id="capped-at-4-half-up"),
        pytest.param("1E+3", "枚", None, "1,000枚", id="exponent"),
        pytest.param("1234.5", "", 0, "1,235", id="rounds-half-up"),
    ],
)
def test_format_number(value: str, unit: str, places: int | None, text: str) -> None:
    assert format_number(D(value), unit, places) == text


@pytest.mark.parametrize(
    ("kwargs", "text"),
    [
        pytest.param(
            {"kind": INC, "value": D("120"), "unit": "件", "accumulation": Accumulation.CUMULATIVE},
            "120件《累計》",
            id="cumulative",
        ),
        pytest.param(
            {"kind": INC, "value": D("1050000"), "unit": "件", "accumulation": "calendar"},
            "1,050,000件《暦年目標》",
            id="calendar",
        ),
        pytest.param(
            {"kind": INC, "value": D("90"), "unit": "%", "accumulation": Accumulation.ANNUAL},
            "90%",
            id="annual",
        ),
        pytest.param(
            {
                "kind": RED,
                "value": D("2.0"),
                "unit": "枚",
                "accumulation": Accumulation.ANNUAL,
                "baseline_year": 2025,
            },
            "R7年度比 ▲2.0%",
            id="reduction",
        ),
        pytest.param(
            {"kind": RED, "value": D("2"), "unit": "枚", "accumulation": "annual", "places": 1},
            "現状値比 ▲2.0%",
            id="reduction-no-baseline-year",
        ),
        pytest.param(
            {"kind": MIL, "value": None, "unit": "", "accumulation": "annual"},
            "完了",
            id="milestone",
        ),
        pytest.param(
            {
                "kind": MIL,
                "value": None,
                "unit": "",
                "accumulation": "annual",
                "milestone_text": "指定業務に関するシステム移行完了",
            },
            "指定業務に関するシステム移行完了",
            id="milestone-text",
        ),
        pytest.param(
            {"kind": INC, "value": None, "unit": "件", "accumulation": "cumulative"},
            "－",
            id="no-target",
        ),
    ],
)
def test_format_target(kwargs: dict[str, object], text: str) -> None:
    assert format_target(**kwargs) == text  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        (None, "－"),
        (Decimal("24.342"), "24.3%"),
        (Decimal("106.25"), "106.3%"),
        (Decimal("-12.35"), "-12.4%"),
        (Decimal(0), "0.0%"),
    ],
)
def test_percent_label_rounds_half_up_to_one_decimal(value, shown):
    assert percent_label(value) == shown


@pytest.mark.parametrize(
    ("day", "label"),
    [
        (datetime.date(2026, 11, 22), "令和8年11月22日現在"),
        (datetime.date(2019, 5, 1), "令和元年5月1日現在"),
        (datetime.date(2019, 4, 30), "平成31年4月30日現在"),
    ],
)
def test_as_of_label(day, label):
    assert as_of_label(day) == label


def test_counts_line_as_the_review_table_closes() -> None:
    counts = Counts(achieved=3, not_achieved=1, pending=2, not_measured=1)
    assert counts_line(counts) == "達成 3 / 未達成 1 / 未入力 2 / 評価対象外 1（達成割合 75.0%）"
    nothing = Counts(achieved=0, not_achieved=0, pending=4, not_measured=0, not_due=1)
    assert counts_line(nothing) == "達成 0 / 未達成 0 / 未入力 4 / 評価対象外 0 / 期限前 1"


@pytest.mark.parametrize(
    ("state", "value", "places", "text"),
    [
        (ActualState.MEASURED, D("45.0000"), 1, "45.0"),
        (ActualState.MEASURED, D("1467.0000"), 0, "1467"),
        (ActualState.NOT_MEASURED, None, 0, "－"),
        (ActualState.DONE, None, 0, "完了"),
        (ActualState.NOT_DONE, None, 0, "未完了"),
    ],
)
def test_entry_text_is_what_a_sheet_reads_back(state, value, places, text) -> None:
    assert entry_text(state, value, places) == text
