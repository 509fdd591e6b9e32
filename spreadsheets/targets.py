"""Checking a targets (目標値) file: a changed stored target is a revision and
needs its reason (変更理由) and decision date (決定日) in the same row."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING

from indicators.models import Indicator, Kind, Target
from indicators.selectors import confirmed_plan_keys, indicators_managed_by
from indicators.services import (
    revision_errors,
    revision_history_reason,
    target_locked_message,
    target_record_revision,
)
from indicators.wording import target_text
from ise_iga_dx.lib import wareki
from ise_iga_dx.lib.wareki import date_text
from spreadsheets.cells import Cell, CellError, parse_number, parse_text
from spreadsheets.rows import (
    COLUMN_LABELS,
    Action,
    RowError,
    SheetImport,
    check_row_key,
    named_indicators,
    plan_ids,
    refuser,
    target_column_indexes,
)

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser

    from spreadsheets.reading import Sheet


# Targets (目標値): 指標コード, 年度, 目標値 ---------------------------------------

# 「R7年度比 ▲2.0%」 as the document prints a reduction target; stored 2.0.
REDUCTION_WORDS = re.compile(r"^(?:R\d+年度比|現状値比)?\s*[▲△]?\s*")


@dataclass
class TargetRow:
    """One row of a targets file, checked, with what importing it would do.

    A row changing a stored target is a revision: it carries the reason
    and the decision date (columns 変更理由 and 決定日).
    """

    row: int
    code: str
    fiscal_year: int
    indicator: Indicator
    value: Decimal | None
    places: int
    existing: Target | None
    action: Action
    revision_reason: str = ""
    revised_on: date | None = None

    @property
    def fiscal_year_label(self) -> str:
        return wareki.fiscal_year_label(self.fiscal_year)

    @property
    def revises(self) -> bool:
        return self.action == Action.CHANGED and self.existing is not None

    @property
    def old_label(self) -> str:
        if self.existing is None:
            return "未設定"
        return target_text(self.indicator, self.existing.value, self.existing.value_places)

    @property
    def new_label(self) -> str:
        text = target_text(self.indicator, self.value, self.places)
        if self.revises and self.revised_on is not None:
            text += f"（{date_text(self.revised_on)}決定。理由：{self.revision_reason}）"
        return text


@dataclass
class TargetImport(SheetImport):
    """The outcome of reading a targets file."""


def parse_target(cell: Cell, indicator: Indicator) -> tuple[Decimal | None, int] | None:
    """Return a target's value and decimals; None for a blank cell.

    A milestone takes 「完了」 (the year completion is due, no value); a
    reduction target may be written as the document prints it.
    """
    if cell.blank:
        return None
    text = unicodedata.normalize("NFKC", parse_text(cell)).strip()
    if indicator.kind == Kind.MILESTONE:
        if text == "完了":
            return None, 0
        raise CellError(f"完了型の指標の目標は「完了」と書きます：「{text}」")
    if indicator.kind == Kind.REDUCTION:
        # A reduction target is in percent (「R7年度比 ▲2.0%」), whatever
        # the unit of the actuals.
        if isinstance(cell.value, str):
            cell = Cell(REDUCTION_WORDS.sub("", text))
        return parse_number(cell, "%")
    # The KGI's own unit may follow the number: 「400名」.
    return parse_number(cell, indicator.unit)


# 2026-09-01, 2026/9/1, 2026年9月1日, 令和8年9月1日, R8.9.1 (after NFKC).
DATE_EXAMPLES = "（例：2026/9/1、令和8年9月1日、R8.9.1）"


def parse_decision_date(cell: Cell) -> date | None:
    """Return the date in a 決定日 cell; None when blank.

    Excel gives a date cell as a datetime; typed text may be western or
    令和/平成 (R8.9.1).
    """
    if cell.blank:
        return None
    value = cell.value
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    day = wareki.date_from_text(parse_text(cell))
    if day is not None:
        return day
    raise CellError(f"日付として読めません：「{parse_text(cell)[:40]}」{DATE_EXAMPLES}")


def check_revision(
    row: TargetRow, cells: tuple[Cell, ...], columns: dict[str, int],
    refuse: Callable[[str, str, str], None],
) -> None:
    """Read a revising row's 変更理由 and 決定日; refuse it without both."""
    missing = [COLUMN_LABELS[key] for key in ("revision_reason", "revised_on")
               if key not in columns]
    if missing:
        refuse(
            "target",
            f"登録済みの目標値（{row.old_label}）を変更するには、列「{'」「'.join(missing)}」"
            "に変更理由と決定日を書いてください。",
            row.code,
        )
        return
    try:
        row.revised_on = parse_decision_date(cells[columns["revised_on"]])
    except CellError as error:
        refuse("revised_on", str(error), row.code)
        return
    row.revision_reason = parse_text(cells[columns["revision_reason"]])
    for key, message in revision_errors(
        reason=row.revision_reason, decided_on=row.revised_on
    ).items():
        refuse("revision_reason" if key == "reason" else "revised_on", message, row.code)


def preview_targets(
    *, sheet: Sheet, filename: str = "", user: AbstractBaseUser | None = None
) -> TargetImport:
    """Check every row of a targets file; write nothing (two queries).

    With ``user``, only the KGIs of the plans they manage are accepted. A
    row changing a stored target needs 変更理由 and 決定日.
    """
    columns = target_column_indexes(sheet.headers)
    result = TargetImport(filename=filename)
    within = None if user is None else indicators_managed_by(user=user)
    indicators = named_indicators(sheet, columns, within)
    existing = {
        (target.indicator_id, target.fiscal_year): target
        for target in Target.objects.filter(indicator__plan_id__in=plan_ids(indicators))
    }
    # A target under a confirmed actual may not change (its evaluation would).
    confirmed = confirmed_plan_keys(plan_ids(indicators))
    seen: dict[tuple[str, int], int] = {}
    for sheet_row in sheet.rows:
        errors: list[RowError] = []
        refuse = refuser(errors, sheet_row.number)
        key = check_row_key(sheet_row.cells, columns, indicators=indicators, seen=seen,
                            number=sheet_row.number, refuse=refuse, scoped=user is not None)
        parsed = None
        if key.indicator is not None:
            try:
                parsed = parse_target(sheet_row.cells[columns["target"]], key.indicator)
            except CellError as error:
                refuse("target", str(error), key.code)
        if errors:
            result.errors.extend(errors)
            continue
        current = existing.get((key.indicator.pk, key.fiscal_year))
        value, places = parsed if parsed is not None else (None, 0)
        if parsed is None:
            action = Action.SKIPPED
        elif current is None:
            action = Action.NEW
        else:
            action = Action.UNCHANGED if current.value == value else Action.CHANGED
        target_row = TargetRow(
            row=sheet_row.number, code=key.code, fiscal_year=key.fiscal_year,
            indicator=key.indicator, value=value, places=places, existing=current,
            action=action,
        )
        if action in (Action.NEW, Action.CHANGED) and (
            (key.indicator.pk, key.fiscal_year) in confirmed
        ):
            refuse("target", target_locked_message(key.fiscal_year), key.code)
        elif target_row.revises:
            check_revision(target_row, sheet_row.cells, columns, refuse)
        if errors:
            result.errors.extend(errors)
            continue
        result.rows.append(target_row)
    return result


def assign_target(target: Target, row: TargetRow) -> None:
    """Set ``target`` from an imported row (the one place this happens).

    A changed stored target becomes a revision: the first value is kept as
    当初目標値, with the row's reason and decision date.
    """
    previous, previous_places = target.value, target.value_places
    if row.value is None or row.value != target.value:
        target.value_places = row.places
    target.value = row.value
    if target.pk is not None and row.value != previous and row.revised_on is not None:
        target_record_revision(
            target, previous_value=previous, previous_places=previous_places,
            reason=row.revision_reason, decided_on=row.revised_on,
        )
        # The history says why, as an edit's does, after the file's name
        # (record_history): 「ファイル取込：目標値.xlsx／目標値の変更：…」.
        target._change_reason = revision_history_reason(row.revision_reason)
