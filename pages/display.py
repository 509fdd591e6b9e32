"""Words and marks the pages show beside the numbers.

Pure functions over the achievement engine's results: no queries, no
Django imports, so every page words a status or a formula the same way.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from indicators import wording
from indicators.achievement import Accumulation, Kind, Status

ROUNDING_NOTE = (
    "達成率は小数第2位を四捨五入して小数第1位まで表示します。"
    "未達成のときは100.0%以上を表示しません（99.9%）。"
)
ACCUMULATION_NOTES: dict[Accumulation, str] = {
    Accumulation.ANNUAL: "目標・実績はその年度だけの値です。",
    Accumulation.CUMULATIVE: "目標・実績は計画期間の初年度からの累計値です。",
    Accumulation.CALENDAR: "実績は暦年（1月〜12月）の値をその年度の実績とします。",
}


@dataclass(frozen=True)
class StatusMark:
    """A status as a symbol and a word, so it reads in greyscale too."""

    status: Status

    @property
    def symbol(self) -> str:
        return wording.STATUS_SYMBOLS[self.status]

    @property
    def label(self) -> str:
        return wording.STATUS_LABELS[self.status]

    @property
    def css_class(self) -> str:
        return f"status-{self.status.value.replace('_', '-')}"

    def __str__(self) -> str:
        return f"{self.symbol} {self.label}"


POLICY_WORD = "基本方針"
CUMULATIVE_ITEM = "【累計】"


def policy_heading(label: str, title: str) -> str:
    """Return a basic policy's heading on paper: 「基本方針 II …」, 「基本方針 1 …」.

    Iga's labels already say 基本方針 (「基本方針 1」); Ise's are numerals.
    """
    if label.startswith(POLICY_WORD):
        return f"{label} {title}"
    return f"{POLICY_WORD} {label} {title}"


def kgi_print_text(*, item: str, target_label: str, milestone: bool) -> str:
    """Return 数値目標（KGI） for paper: 「item：target」, accumulation said once.

    ise-2's items already end in 【累計】; their target then drops its
    《累計》 (「…職員の数【累計】：20名」, as the document prints the item).
    A milestone's item already says what completes.
    """
    if milestone:
        return item
    mark = wording.accumulation_suffix(Accumulation.CUMULATIVE)
    if CUMULATIVE_ITEM in item and target_label.endswith(mark):
        target_label = target_label.removesuffix(mark)
    return f"{item}：{target_label}"


def formula_lines(*, kind: Kind, targets: Iterable[Decimal | None]) -> list[str]:
    """Return how an indicator of ``kind`` is evaluated, in words.

    A decrease indicator whose targets are all 0 (ゼロ目標) has no rate;
    where some targets are 0 and some are not, both rules are listed.
    """
    if kind == Kind.INCREASE:
        lines = ["増加型：実績が目標以上で達成。達成率＝実績÷目標×100"]
    elif kind == Kind.DECREASE:
        values = [value for value in targets if value is not None]
        lines = []
        if not values or any(value > 0 for value in values):
            lines.append(
                "減少型：実績が目標以下で達成。達成率＝目標÷実績×100"
                "（実績が0のときは達成、達成率なし）"
            )
        if any(value == 0 for value in values):
            lines.append("ゼロ目標の減少型：実績が0なら達成、達成率なし")
    elif kind == Kind.REDUCTION:
        lines = [
            "削減率型：削減率＝(現状値−実績)÷現状値×100、達成率＝削減率÷目標削減率×100",
            "削減率が目標削減率以上で達成。実績が現状値を上回ったときの達成率は0.0%",
        ]
    else:
        lines = ["完了型：完了で達成、達成率なし"]
    if any("達成率＝" in line for line in lines):
        lines.append(ROUNDING_NOTE)
    return lines
