"""Every text as the plan documents print it: one place for the words.

Pages, the admin, the print page, the Excel sheets, the commands and the
audit trail word a value, a target, an evaluation or a count through
here, so the same result reads the same everywhere
(shared/spec/achievement.md, "Rounding and display"; docs/achievement-rules.md).
Pure functions over the engine's results and the rows' values: no queries,
no Django imports. The engine (:mod:`indicators.achievement`) computes;
this module prints.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from indicators.achievement import (
    Accumulation,
    ActualState,
    Counts,
    Evaluation,
    Kind,
    PendingReason,
    Result,
    Status,
    round_half_up,
)
from ise_iga_dx.lib.decimals import as_entered, places_of
from ise_iga_dx.lib.wareki import date_text, fiscal_year_era, fiscal_year_label, reiwa

if TYPE_CHECKING:
    from collections.abc import Iterable
    from datetime import date
    from decimal import Decimal

    from indicators.models import Actual, Indicator, Target
    from plans.models import Plan

# How the documents write "nothing here" (not measured, no target).
DASH = "－"
DONE = "完了"
NOT_DONE = "未完了"

KIND_LABELS: dict[Kind, str] = {
    Kind.INCREASE: "増加型",
    Kind.DECREASE: "減少型",
    Kind.REDUCTION: "削減率型",
    Kind.MILESTONE: "完了型",
}
ACCUMULATION_LABELS: dict[Accumulation, str] = {
    Accumulation.ANNUAL: "単年度",
    Accumulation.CUMULATIVE: "累計",
    Accumulation.CALENDAR: "暦年",
}
EVALUATION_LABELS: dict[Evaluation, str] = {
    Evaluation.ACHIEVED: "達成",
    Evaluation.NOT_ACHIEVED: "未達成",
    Evaluation.NOT_MEASURED: "評価対象外",
    Evaluation.PENDING: "未入力",
    Evaluation.NOT_DUE: "期限前",
}
STATUS_LABELS: dict[Status, str] = {
    Status.ACHIEVED: "達成",
    Status.NEAR: "未達成（90%以上）",
    Status.BELOW: "未達成",
    Status.PENDING: "未入力",
    Status.NOT_MEASURED: "評価対象外",
    Status.NOT_DUE: "期限前（未完了）",
}
STATUS_SYMBOLS: dict[Status, str] = {
    Status.ACHIEVED: "◎",
    Status.NEAR: "○",
    Status.BELOW: "△",
    Status.PENDING: "…",
    Status.NOT_MEASURED: "－",
    Status.NOT_DUE: "□",
}
PENDING_LABELS: dict[PendingReason, str] = {
    PendingReason.NO_ACTUAL: "未入力",
    PendingReason.NO_TARGET: "目標未設定",
    PendingReason.NO_BASELINE: "基準値未設定",
}


# Numbers -----------------------------------------------------------------


def format_rate(rate: Decimal) -> str:
    """Return ``rate`` with one decimal, rounded half up: ``"106.3"``."""
    return f"{round_half_up(rate):f}"


def percent_label(value: Decimal | None) -> str:
    """Return a percentage with one decimal, rounded half up, or 「－」."""
    if value is None:
        return DASH
    return f"{format_rate(value)}%"


def format_number(value: Decimal, unit: str = "", places: int | None = None) -> str:
    """Return ``value`` with thousands separators and ``unit``: "5,639.8時間".

    Without ``places``, keep the decimals the value was entered with.
    """
    if places is None:
        places = places_of(value)
    # Round here so str.format() does not apply its own half-even rounding.
    rounded = round_half_up(value, places)
    if rounded.is_zero():
        rounded = rounded.copy_abs()
    return f"{rounded:,.{places}f}{unit}"


# Evaluations -------------------------------------------------------------


def format_evaluation(result: Result) -> str:
    """Return the evaluation as printed: 「達成《達成率：118.3%》」."""
    if result.evaluation == Evaluation.NOT_MEASURED:
        return DASH
    if result.evaluation == Evaluation.PENDING:
        reason = result.pending_reason or PendingReason.NO_ACTUAL
        return PENDING_LABELS[reason]
    if result.evaluation == Evaluation.NOT_DUE:
        return f"{NOT_DONE}（期限：{fiscal_year_era(result.due_year)}）"
    label = EVALUATION_LABELS[result.evaluation]
    if result.shown_rate is None:
        return label
    return f"{label}《達成率：{format_rate(result.shown_rate)}%》"


def published_label(actual: Actual) -> str:
    """Return what the document printed (公表値), in the document's words.

    As printed: a published 「270%」 is not re-rounded to 「270.0%」.
    """
    if not actual.published_evaluation:
        return ""
    label = EVALUATION_LABELS[Evaluation(actual.published_evaluation)]
    if actual.published_rate is None:
        if actual.published_evaluation == Evaluation.NOT_MEASURED:
            return DASH
        return label
    rate = as_entered(actual.published_rate, actual.published_rate_places)
    return f"{label}《達成率：{rate:f}%》"


def counts_line(counts: Counts) -> str:
    """Return 「達成 3 / 未達成 1 / 未入力 0 / 評価対象外 0（達成割合 75.0%）」.

    期限前 (milestones not yet due) appears only when there are some, so
    plans without milestones keep the document's four counts.
    """
    text = (
        f"達成 {counts.achieved} / 未達成 {counts.not_achieved} / 未入力 {counts.pending}"
        f" / 評価対象外 {counts.not_measured}"
    )
    if counts.not_due:
        text += f" / 期限前 {counts.not_due}"
    share = counts.share_achieved
    if share is not None:
        text += f"（達成割合 {format_rate(share)}%）"
    return text


# Targets -----------------------------------------------------------------


def accumulation_suffix(accumulation: Accumulation) -> str:
    """Return the mark the document prints after a target: 《累計》."""
    if accumulation == Accumulation.CUMULATIVE:
        return "《累計》"
    if accumulation == Accumulation.CALENDAR:
        return "《暦年目標》"
    return ""


def format_target(
    *,
    kind: Kind,
    value: Decimal | None,
    unit: str,
    accumulation: Accumulation,
    places: int | None = None,
    baseline_year: int | None = None,
    milestone_text: str = "",
) -> str:
    """Return a target as printed: "120件《累計》", "R7年度比 ▲2.0%"."""
    if kind == Kind.MILESTONE:
        return milestone_text or DONE
    if value is None:
        return DASH
    suffix = accumulation_suffix(accumulation)
    if kind == Kind.REDUCTION:
        # The target is a percentage whatever the indicator's unit (枚).
        # Without a baseline year a page still needs a readable target.
        base = "現状値比" if baseline_year is None else f"R{reiwa(baseline_year)}年度比"
        return f"{base} ▲{format_number(value, places=places)}%{suffix}"
    return f"{format_number(value, unit, places)}{suffix}"


def target_text(indicator: Indicator, value: Decimal | None, places: int | None) -> str:
    """Return a target of ``indicator`` as printed: "120件《累計》", "R7年度比 ▲2.0%"."""
    return format_target(
        kind=Kind(indicator.kind),
        value=value,
        unit=indicator.unit,
        accumulation=Accumulation(indicator.accumulation),
        places=places,
        baseline_year=indicator.baseline_year,
        milestone_text=indicator.done_label,
    )


def revision_label(indicator: Indicator, target: Target) -> str:
    """Return 「上方修正」 or 「目標値変更」 for a revised target.

    上方修正, as the plans call it, is a more ambitious target: higher for
    an increase or reduction KGI, lower for a decrease one. A target made
    easier, or a milestone's, is just 「目標値変更」.
    """
    new, old = target.value, target.original_value
    if new is not None and old is not None:
        kind = indicator.kind
        raised = new > old if kind in (Kind.INCREASE, Kind.REDUCTION) else new < old
        if kind != Kind.MILESTONE and raised:
            return "上方修正"
    return "目標値変更"


def revision_summary(target: Target) -> str:
    """Return 「当初 200件（令和8年9月1日 上方修正）」, or 「－」 for an unrevised target."""
    if target.pk is None or target.revised_on is None:
        return DASH
    indicator = target.indicator
    original = target_text(indicator, target.original_value, target.original_value_places)
    return (
        f"当初 {original}（{date_text(target.revised_on)} "
        f"{revision_label(indicator, target)}）"
    )


def kgi_text(indicator: Indicator, target_label: str) -> str:
    """Return 数値目標（KGI） as the review table prints it: 「item：target」.

    A milestone's item already says what completes (「…システム移行完了」).
    """
    if indicator.kind == Kind.MILESTONE:
        return indicator.item
    return f"{indicator.item}：{target_label}"


# Actuals and baselines ---------------------------------------------------


def actual_text(indicator: Indicator, state: str, value: Decimal | None, places: int) -> str:
    """Return an actual's value as printed: "1,589,989件", "－", "移行完了"."""
    if state == ActualState.NOT_MEASURED:
        return DASH
    if state == ActualState.DONE:
        return indicator.done_label or DONE
    if state == ActualState.NOT_DONE:
        return NOT_DONE
    return format_number(value, indicator.unit, places)


def actual_label(indicator: Indicator, actual: Actual | None, result: Result | None = None) -> str:
    """Return an actual as the document prints it, with its remark: "100.2%(※1)"."""
    if actual is None:
        return PENDING_LABELS[PendingReason.NO_ACTUAL]
    text = actual_text(indicator, actual.state, actual.value, actual.value_places)
    if result is not None and result.reduction is not None:
        # A reduction KGI's actual is in its raw unit (枚); show the change too.
        reduction = round_half_up(result.reduction)
        sign = "▲" if reduction >= 0 else "＋"
        text += f"（{sign}{abs(reduction):f}%）"
    return f"{text}{actual.remark}"


OUTLOOK = "見込み"


def outlook_text(text: str) -> str:
    """Mark a value or evaluation read from an outlook: 「175名（見込み）」."""
    return f"{text}（{OUTLOOK}）"


def entry_text(state: str, value: Decimal | None, places: int) -> str:
    """Return an actual as staff type it into a sheet: 45.0, 「－」, 完了, 未完了.

    The form the spreadsheets read back (no unit, no separators), so an
    exported sheet imports again unchanged.
    """
    if state == ActualState.NOT_MEASURED:
        return DASH
    if state == ActualState.DONE:
        return DONE
    if state == ActualState.NOT_DONE:
        return NOT_DONE
    return f"{as_entered(value, places):f}"


def baseline_text(value: Decimal | None, unit: str, places: int) -> str:
    """Return a baseline (現状値) as printed: "5,639.8時間", or 「－」."""
    if value is None:
        return DASH
    return format_number(value, unit, places)


# Years, periods and dates ------------------------------------------------


def period_label(plan: Plan) -> str:
    """Return the plan period: 「令和8年度（2026）〜令和11年度（2029）」."""
    return f"{fiscal_year_label(plan.start_year)}〜{fiscal_year_label(plan.end_year)}"


def outside_period_message(fiscal_year: int, plan: Plan) -> str:
    """Return 「令和12年度（2030）は計画期間（…）の外です。」."""
    try:
        year = fiscal_year_label(fiscal_year)
    except ValueError:  # before 平成: no era label, but still a clear message
        year = f"{fiscal_year}年度"
    return f"{year}は計画期間（{period_label(plan)}）の外です。"


def as_of_label(day: date) -> str:
    """Return 「令和8年11月22日現在」, the print page's date."""
    return f"{date_text(day)}現在"


def output_date(day: date) -> str:
    """Return the 出力日 of a downloaded sheet: 「2026年11月22日」."""
    return f"{day.year}年{day.month}月{day.day}日"


# Commentary and 備考 (the meeting paper) ---------------------------------

# How an empty comment prints on paper: never a blank cell or box.
UNWRITTEN = "（未記入）"
# The three comments of a 進捗管理シート, as (Actual field, heading).
COMMENTARY_FIELDS = (
    ("progress", "取組状況"), ("analysis", "要因分析"), ("direction", "今後の方向性"),
)
NOT_MEASURED_WORD = "評価対象外"
# A footnote mark as the documents print it: 「※」, 「※1」, 「※２」.
NOTE_MARK = re.compile(r"※[0-9０-９]*")
NOTES_BELOW = "表の下の注記を参照"
REMARK_SEPARATOR = "／"


def written(text: str | None) -> str:
    """Return a comment as printed: its text, or 「（未記入）」 when blank."""
    text = (text or "").strip()
    return text or UNWRITTEN


def commentary(actual: Actual | None) -> list[tuple[str, str]]:
    """Return 取組状況, 要因分析 and 今後の方向性 as (heading, text), in that order.

    A comment not written, or a year without an actual, prints
    「（未記入）」, so a reader sees that nothing was reported.
    """
    return [
        (heading, written(getattr(actual, field) if actual is not None else ""))
        for field, heading in COMMENTARY_FIELDS
    ]


def not_measured_reason(actual: Actual | None) -> str | None:
    """Return why the year is 評価対象外, as printed; None for a year that is not.

    A reason left on an actual that is measured again says nothing about
    that year, so it is not printed.
    """
    if actual is None or actual.state != ActualState.NOT_MEASURED:
        return None
    return written(actual.not_measured_reason)


def note_marks(*texts: str) -> list[str]:
    """Return the footnote marks (「※1」, 「※」) in ``texts``, each once, in order."""
    marks: list[str] = []
    for text in texts:
        for mark in NOTE_MARK.findall(text or ""):
            if mark not in marks:
                marks.append(mark)
    return marks


def remarks_text(
    *, actual: Actual | None, notes: str = "", notes_below: bool = False,
    with_reason: bool = True, flags: Iterable[str] = (),
) -> str:
    """Return the 備考 of a KGI-year: 「評価対象外：調査を休止／…」, or "".

    In order: ``flags`` (what a sheet marks beside the row, such as a
    published mismatch), 「評価対象外：」 and the reason (unless
    ``with_reason`` is false, where the reason has a line of its own), the
    actual's 備考, and the KGI's ※ notes (``notes``). Where the notes are
    printed under the table (``notes_below``, the print page), the 備考
    names their marks instead: 「※1：表の下の注記を参照」.
    """
    parts = [flag for flag in flags if flag]
    reason = not_measured_reason(actual) if with_reason else None
    if reason is not None:
        parts.append(f"{NOT_MEASURED_WORD}：{reason}")
    if actual is not None and actual.note.strip():
        parts.append(actual.note.strip())
    notes = (notes or "").strip()
    if notes and notes_below:
        marks = note_marks(actual.remark if actual is not None else "", notes)
        parts.append(f"{'・'.join(marks)}：{NOTES_BELOW}" if marks else NOTES_BELOW)
    elif notes:
        parts.append(notes)
    return REMARK_SEPARATOR.join(parts)
