"""A KGI's history as its page lists it: 「変更履歴（最近10件）」.

:func:`indicator_change_history` reads the latest changes of the KGI, its
targets and its actuals, each with who, when, what and why. What changed
is described by :mod:`audit.describe`, with the values worded as the
pages word them (:mod:`indicators.wording`: the KGI's unit, 「120件《累計》」,
「令和8年度（2026）」); texts are quoted and shortened.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from audit.describe import (
    BLANK,
    CREATED,
    DELETED,
    ChangeEntry,
    Shown,
    changed_lines,
    decimal_text,
    fields_of,
    previous_values,
    quoted,
    record_values,
    records_with_previous,
    shown,
    shown_fields,
)
from indicators import wording
from indicators.models import Actual, Indicator, Target
from indicators.wording import actual_text, target_text
from ise_iga_dx.lib import wareki

if TYPE_CHECKING:
    from collections.abc import Callable
    from decimal import Decimal

RECENT_CHANGES = 10
# Rows read per model: some may describe nothing the page shows (a save
# that changed only 更新日時), and the list should still be full.
READ_PER_MODEL = 3 * RECENT_CHANGES
INDICATOR_TEXTS = ("item", "unit", "done_label", "notes")
ACTUAL_TEXTS = ("remark", "not_measured_reason", "progress", "analysis", "direction", "note")


def year_text(year: int | None) -> str:
    return BLANK if year is None else wareki.fiscal_year_label(year)


def number_text(unit: str) -> Callable[[Any, int], str]:
    def text(value: Any, places: int) -> str:
        return BLANK if value is None else wording.format_number(value, unit, places)
    return text


def rate_text(rate: Decimal | None, places: int) -> str:
    return BLANK if rate is None else f"{decimal_text(rate, places)}%"


def related_mark(_id: Any) -> str:
    # The page names no related row: that would take a query per record.
    return "変更"


def indicator_shown(indicator: Indicator) -> list[Shown]:
    """What an indicator's change lines name; the formats use its own unit."""
    names = (
        "code", "measure", "initiative", "position", "item", "unit", "kind",
        "accumulation", "baseline", "baseline_year", "done_label", "notes",
    )
    return shown_fields(Indicator, names, {
        "measure": related_mark,
        "initiative": related_mark,
        "baseline": number_text(indicator.unit),
        "baseline_year": year_text,
        **dict.fromkeys(INDICATOR_TEXTS, quoted),
    })


def target_value(indicator: Indicator) -> Shown:
    return shown(Target, "value", lambda value, places: target_text(indicator, value, places))


def actual_value(indicator: Indicator) -> Shown:
    return shown(
        Actual, "value",
        lambda state, value, places: actual_text(indicator, state, value, places),
        fields=("state", "value", "value_places"),
    )


def target_shown(indicator: Indicator) -> list[Shown]:
    return [shown(Target, "fiscal_year", year_text), target_value(indicator)]


def actual_shown(indicator: Indicator) -> list[Shown]:
    return [
        shown(Actual, "fiscal_year", year_text),
        actual_value(indicator),
        *shown_fields(Actual, ACTUAL_TEXTS, dict.fromkeys(ACTUAL_TEXTS, quoted)),
        shown(Actual, "published_evaluation"),
        shown(Actual, "published_rate", rate_text),
    ]


def confirm_line(record: Any) -> list[str]:
    """Return the confirm step's change (確定 / 確定取消), if this record made one."""
    was, now = previous_values(record)("confirmed"), record.confirmed
    if was == now:
        return []
    return ["確定"] if now else ["確定取消"]


def year_row_changes(
    record: Any,
    *,
    value: Shown,
    shown: list[Shown],
    extra: Callable[[Any], list[str]] | None = None,
) -> list[str]:
    """Describe a target's or an actual's record, prefixed by its year.

    A created or deleted row is named with its value (``value``); a changed
    one lists each of ``shown`` that reads differently, old → new.
    """
    year = wareki.fiscal_year_label(record.fiscal_year)
    what = value.label
    current = value.read(record_values(record))
    if record.history_type == CREATED:
        return [f"{year} {what}を登録：{current}"]
    if record.history_type == DELETED:
        return [f"{year} {what}を削除（削除前：{current}）"]
    if record.previous_history_id is None:
        # The row's earlier records are not among this KGI's (it moved here).
        return [f"{year} {what}を変更：{current}"]
    lines = changed_lines(record, shown)
    if extra is not None:
        lines += extra(record)
    return [f"{year} {line}" for line in lines]


def indicator_changes(record: Any, shown: list[Shown]) -> list[str]:
    if record.history_type == CREATED:
        return ["指標を登録"]
    if record.history_type == DELETED:
        return ["指標を削除"]
    if record.previous_history_id is None:
        return ["指標を変更"]
    return [f"指標 {line}" for line in changed_lines(record, shown)]


def indicator_change_history(
    *, indicator: Indicator, limit: int = RECENT_CHANGES
) -> list[ChangeEntry]:
    """Return the latest changes of ``indicator``, its targets and its actuals.

    Three queries whatever the number of changes, KGIs or years (one per
    history table, the user joined). A deleted target or actual is listed
    too: its history rows keep the indicator's id.
    """
    indicator_fields = indicator_shown(indicator)
    target_fields = target_shown(indicator)
    actual_fields = actual_shown(indicator)
    sources = [
        (
            records_with_previous(
                Indicator.history.model, fields=fields_of(indicator_fields),
                limit=READ_PER_MODEL, id=indicator.pk,
            ),
            lambda record: indicator_changes(record, indicator_fields),
        ),
        (
            records_with_previous(
                Target.history.model, fields=fields_of(target_fields),
                limit=READ_PER_MODEL, indicator_id=indicator.pk,
            ),
            lambda record: year_row_changes(
                record, value=target_value(indicator), shown=target_fields
            ),
        ),
        (
            records_with_previous(
                Actual.history.model, fields=fields_of(actual_fields, "confirmed"),
                limit=READ_PER_MODEL, indicator_id=indicator.pk,
            ),
            lambda record: year_row_changes(
                record, value=actual_value(indicator), shown=actual_fields, extra=confirm_line
            ),
        ),
    ]
    entries = []
    for records, describe in sources:
        for record in records:
            changes = describe(record)
            if changes:
                entries.append((record.history_date, record.history_id,
                                ChangeEntry.of(record, changes)))
    entries.sort(key=lambda entry: entry[:2], reverse=True)
    return [entry for _when, _id, entry in entries[:limit]]
