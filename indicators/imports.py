"""Importing actuals (実績値) from the spreadsheets departments send.

One path for every caller: :func:`preview_actuals` reads and checks every
row without writing, :func:`apply_actuals` writes a clean preview in one
transaction, and :func:`assign_actual` is the one place an uploaded row
becomes an :class:`~indicators.models.Actual` (the admin's
django-import-export resource calls it too). A file with any bad row is
refused whole: nothing is written.
"""

from __future__ import annotations

import unicodedata
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from indicators import achievement
from indicators.models import Actual, ActualState, Indicator, Kind, outside_period_message
from indicators.spreadsheets import (
    Cell,
    CellError,
    ParsedActual,
    SpreadsheetError,
    normalise_header,
    parse_actual,
    parse_fiscal_year,
    parse_text,
    read_sheet,
)

if TYPE_CHECKING:
    from indicators.spreadsheets import Sheet

# Column key -> accepted header texts (compared after normalise_header).
ACTUAL_COLUMNS: dict[str, tuple[str, ...]] = {
    "code": ("指標コード", "code"),
    "fiscal_year": ("年度", "fiscal_year"),
    "actual": ("実績値", "actual"),
    "note": ("備考", "note"),
}
REQUIRED_ACTUAL_COLUMNS = ("code", "fiscal_year", "actual")
COLUMN_LABELS = {key: names[0] for key, names in ACTUAL_COLUMNS.items()}
# A dash in the file says "not measured"; the model wants a reason.
DEFAULT_NOT_MEASURED_REASON = "取込ファイルで「－」（評価対象外）と入力されました。"


class Action(StrEnum):
    NEW = "new"
    CHANGED = "changed"
    UNCHANGED = "unchanged"
    SKIPPED = "skipped"

    @property
    def label(self) -> str:
        return ACTION_LABELS[self]


ACTION_LABELS = {
    Action.NEW: "新規",
    Action.CHANGED: "変更",
    Action.UNCHANGED: "変更なし",
    Action.SKIPPED: "空欄（未入力のまま）",
}


class ImportRefused(Exception):
    """The file cannot be imported; ``str()`` is a Japanese message."""


@dataclass(frozen=True)
class RowError:
    """One reason a row is refused, named as the user sees the sheet."""

    row: int
    column: str
    code: str
    reason: str

    def __str__(self) -> str:
        code = f"（{self.code}）" if self.code else ""
        return f"{self.row}行目 {self.column}{code}：{self.reason}"


@dataclass
class ActualRow:
    """One row of the file, checked, with what importing it would do."""

    row: int
    code: str
    fiscal_year: int
    indicator: Indicator
    parsed: ParsedActual | None
    note: str | None
    existing: Actual | None
    action: Action

    @property
    def fiscal_year_label(self) -> str:
        return achievement.fiscal_year_label(self.fiscal_year)

    @property
    def old_label(self) -> str:
        if self.existing is None:
            return "未入力"
        return actual_text(self.indicator, self.existing.state, self.existing.value,
                           self.existing.value_places)

    @property
    def new_label(self) -> str:
        if self.parsed is None:
            return "未入力"
        return actual_text(self.indicator, self.parsed.state, self.parsed.value,
                           self.parsed.places)


@dataclass
class ActualImport:
    """The outcome of reading a file: rows to import, or the errors."""

    filename: str
    rows: list[ActualRow] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def counts(self) -> dict[Action, int]:
        tally = Counter(row.action for row in self.rows)
        return {action: tally.get(action, 0) for action in Action}

    def summary(self) -> str:
        counts = self.counts
        return (
            f"新規 {counts[Action.NEW]}件 / 変更 {counts[Action.CHANGED]}件 / "
            f"変更なし {counts[Action.UNCHANGED]}件 / 空欄 {counts[Action.SKIPPED]}件"
        )


def actual_text(indicator: Indicator, state: str, value: Decimal | None, places: int) -> str:
    if state == ActualState.NOT_MEASURED:
        return achievement.DASH
    if state == ActualState.DONE:
        return indicator.done_label or "完了"
    if state == ActualState.NOT_DONE:
        return "未完了"
    return achievement.format_number(value, indicator.unit, places)


def max_upload_bytes() -> int:
    return int(settings.KPI_IMPORT_MAX_BYTES)


def max_rows() -> int:
    return int(settings.KPI_IMPORT_MAX_ROWS)


def read_upload(data: bytes, filename: str) -> Sheet:
    """Read an uploaded file within the size and row limits."""
    limit = max_upload_bytes()
    if len(data) > limit:
        raise ImportRefused(
            f"ファイルが大きすぎます（{len(data):,}バイト）。上限は{limit:,}バイトです。"
        )
    try:
        return read_sheet(data, filename, max_rows=max_rows())
    except SpreadsheetError as error:
        raise ImportRefused(str(error)) from None


def column_indexes(headers: tuple[str, ...]) -> dict[str, int]:
    """Map column keys to positions; refuse a file missing a required one."""
    wanted = {
        normalise_header(name): key for key, names in ACTUAL_COLUMNS.items() for name in names
    }
    found: dict[str, int] = {}
    for index, header in enumerate(headers):
        key = wanted.get(normalise_header(header))
        if key is not None and key not in found:
            found[key] = index
    missing = [COLUMN_LABELS[key] for key in REQUIRED_ACTUAL_COLUMNS if key not in found]
    if missing:
        raise ImportRefused(
            f"1行目に必要な列がありません：{'、'.join(missing)}"
            "（英語の列名 code, fiscal_year, actual, note も使えます）。"
        )
    return found


def normalise_code(cell: Cell) -> str:
    return unicodedata.normalize("NFKC", parse_text(cell)).strip().upper()


def preview_actuals(*, sheet: Sheet, filename: str = "") -> ActualImport:
    """Check every row of ``sheet`` and say what importing it would do.

    Two queries whatever the number of rows: the indicators named, and
    their existing actuals.
    """
    columns = column_indexes(sheet.headers)
    result = ActualImport(filename=filename)
    codes = {normalise_code(row.cells[columns["code"]]) for row in sheet.rows}
    indicators = {
        indicator.code: indicator
        for indicator in Indicator.objects.filter(code__in=codes).select_related("plan")
    }
    existing = {
        (actual.indicator_id, actual.fiscal_year): actual
        for actual in Actual.objects.filter(indicator__code__in=codes)
    }
    seen: dict[tuple[str, int], int] = {}
    for sheet_row in sheet.rows:
        errors: list[RowError] = []

        def refuse(key: str, reason: str, code: str) -> None:
            errors.append(RowError(sheet_row.number, COLUMN_LABELS[key], code, reason))

        cell = sheet_row.cells.__getitem__
        code = normalise_code(cell(columns["code"]))
        indicator = indicators.get(code)
        if not code:
            refuse("code", "指標コードが空欄です。", "")
        elif indicator is None:
            refuse("code", f"指標コード「{code}」は登録されていません。", code)
        fiscal_year = None
        try:
            fiscal_year = parse_fiscal_year(cell(columns["fiscal_year"]))
        except CellError as error:
            refuse("fiscal_year", str(error), code)
        if indicator is not None and fiscal_year is not None:
            if fiscal_year not in indicator.plan.fiscal_years:
                refuse("fiscal_year", outside_period_message(fiscal_year, indicator.plan), code)
            first = seen.setdefault((code, fiscal_year), sheet_row.number)
            if first != sheet_row.number:
                refuse("fiscal_year", f"同じ指標・年度が{first}行目にもあります。", code)
        parsed = None
        try:
            parsed = parse_actual(cell(columns["actual"]))
        except CellError as error:
            refuse("actual", str(error), code)
        if parsed is not None and indicator is not None:
            reason = kind_mismatch(indicator, parsed)
            if reason:
                refuse("actual", reason, code)
        note = parse_text(cell(columns["note"])) if "note" in columns else None
        if errors:
            result.errors.extend(errors)
            continue
        current = existing.get((indicator.pk, fiscal_year))
        result.rows.append(
            ActualRow(
                row=sheet_row.number, code=code, fiscal_year=fiscal_year, indicator=indicator,
                parsed=parsed, note=note, existing=current,
                action=row_action(parsed, note, current),
            )
        )
    return result


def kind_mismatch(indicator: Indicator, parsed: ParsedActual) -> str:
    milestone = indicator.kind == Kind.MILESTONE
    if milestone and parsed.state == ActualState.MEASURED:
        return f"完了型の指標です。数値ではなく「完了」か「未完了」と書いてください（{parsed.value}）。"
    if not milestone and parsed.state in (ActualState.DONE, ActualState.NOT_DONE):
        return "「完了」「未完了」は完了型の指標だけに書けます。"
    return ""


def row_action(parsed: ParsedActual | None, note: str | None, current: Actual | None) -> Action:
    if parsed is None:
        return Action.SKIPPED
    if current is None:
        return Action.NEW
    # Numerically equal values are the same actual: an Excel number cell
    # cannot carry the decimals typed (45 and 45.0 read alike).
    same = (
        parsed.state == current.state
        and parsed.value == current.value
        and (note is None or note == current.note)
    )
    return Action.UNCHANGED if same else Action.CHANGED


def assign_actual(actual: Actual, row: ActualRow) -> None:
    """Set ``actual`` from an imported row (the one place this happens)."""
    parsed = row.parsed
    if parsed is None:
        raise ValueError("a blank row is not imported")
    if parsed.value is None or parsed.value != actual.value:
        actual.value_places = parsed.places
    actual.state = parsed.state
    actual.value = parsed.value
    if row.note is not None:
        actual.note = row.note
    if parsed.state == ActualState.NOT_MEASURED and not actual.not_measured_reason:
        actual.not_measured_reason = row.note or DEFAULT_NOT_MEASURED_REASON


def apply_actuals(preview: ActualImport) -> dict[Action, int]:
    """Write every new and changed row in one transaction, or nothing."""
    if not preview.ok:
        raise ImportRefused("エラーのある行があるため、取り込みませんでした。")
    new: list[Actual] = []
    changed: list[Actual] = []
    errors: list[RowError] = []
    now = timezone.now()
    for row in preview.rows:
        if row.action not in (Action.NEW, Action.CHANGED):
            continue
        actual = row.existing or Actual(indicator=row.indicator, fiscal_year=row.fiscal_year)
        assign_actual(actual, row)
        try:
            # Uniqueness was checked for the whole file; the rules of one
            # row need no query (the indicator and its plan are loaded).
            actual.clean_fields(exclude={"indicator"})
            actual.clean()
        except ValidationError as error:
            errors += [
                RowError(row.row, COLUMN_LABELS["actual"], row.code, message)
                for message in error.messages
            ]
        if row.existing:
            # bulk_update() skips auto_now.
            actual.updated_at = now
            changed.append(actual)
        else:
            new.append(actual)
    if errors:
        preview.errors.extend(errors)
        raise ImportRefused("エラーのある行があるため、取り込みませんでした。")
    try:
        with transaction.atomic():
            Actual.objects.bulk_create(new, batch_size=1000)
            Actual.objects.bulk_update(
                changed,
                ["state", "value", "value_places", "note", "not_measured_reason", "updated_at"],
                batch_size=1000,
            )
    except IntegrityError as error:
        # Someone saved the same indicator-year meanwhile: nothing was kept.
        raise ImportRefused(
            f"取り込み中にデータが変更されたため、取り込みませんでした（{error}）。"
            "もう一度お試しください。"
        ) from None
    return preview.counts
