"""Status marks, percentages and formulas in words (no database)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from indicators.achievement import Kind, Status
from pages.display import ROUNDING_NOTE, StatusMark, formula_lines, kgi_print_text, policy_heading


@pytest.mark.parametrize(
    ("status", "text", "css_class"),
    [
        (Status.ACHIEVED, "◎ 達成", "status-achieved"),
        (Status.NEAR, "○ 未達成（90%以上）", "status-near"),
        (Status.BELOW, "△ 未達成", "status-below"),
        (Status.PENDING, "… 未入力", "status-pending"),
        (Status.NOT_MEASURED, "－ 評価対象外", "status-not-measured"),
    ],
)
def test_status_mark_is_a_symbol_and_a_word(status, text, css_class):
    mark = StatusMark(status)
    assert str(mark) == f"{mark.symbol} {mark.label}" == text
    assert mark.css_class == css_class


@pytest.mark.parametrize(
    ("kind", "targets", "expected"),
    [
        (Kind.INCREASE, [Decimal(40)], ["増加型：実績が目標以上で達成。達成率＝実績÷目標×100"]),
        (Kind.DECREASE, [Decimal(0), Decimal(0)], ["ゼロ目標の減少型：実績が0なら達成、達成率なし"]),
        (Kind.DECREASE, [Decimal(5)], [
            "減少型：実績が目標以下で達成。達成率＝目標÷実績×100（実績が0のときは達成、達成率なし）",
        ]),
        (Kind.DECREASE, [Decimal(5), Decimal(0)], [
            "減少型：実績が目標以下で達成。達成率＝目標÷実績×100（実績が0のときは達成、達成率なし）",
            "ゼロ目標の減少型：実績が0なら達成、達成率なし",
        ]),
        (Kind.REDUCTION, [Decimal(2)], [
            "削減率型：削減率＝(現状値−実績)÷現状値×100、達成率＝削減率÷目標削減率×100",
            "削減率が目標削減率以上で達成。実績が現状値を上回ったときの達成率は0.0%",
        ]),
        (Kind.MILESTONE, [None], ["完了型：完了で達成、達成率なし"]),
    ],
)
def test_formula_lines_name_the_rule_used(kind, targets, expected):
    lines = formula_lines(kind=kind, targets=targets)
    has_rate = any("達成率＝" in line for line in expected)
    assert lines == expected + ([ROUNDING_NOTE] if has_rate else [])


@pytest.mark.parametrize(
    ("label", "heading"),
    [
        ("II", "基本方針 II デジタル技術を活用した"),
        ("基本方針 1", "基本方針 1 デジタル技術を活用した"),
    ],
)
def test_policy_heading_says_basic_policy_once(label, heading):
    assert policy_heading(label, "デジタル技術を活用した") == heading


@pytest.mark.parametrize(
    ("item", "target", "milestone", "text"),
    [
        # ise-2 (ISE2-02): the item says 【累計】; the target does not repeat it.
        ("認定した職員の数【累計】", "20名《累計》", False, "認定した職員の数【累計】：20名"),
        # ise-1's review table: the mark follows the target.
        ("オンライン化した手続き数", "120件《累計》", False, "オンライン化した手続き数：120件《累計》"),
        ("セッション数【累計】", "1,050,000件《暦年目標》", False,
         "セッション数【累計】：1,050,000件《暦年目標》"),
        ("指定業務に関するシステム移行完了", "移行完了", True, "指定業務に関するシステム移行完了"),
    ],
)
def test_kgi_print_text_says_the_accumulation_once(item, target, milestone, text):
    assert kgi_print_text(item=item, target_label=target, milestone=milestone) == text
