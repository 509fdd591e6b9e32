"""Importing actuals (実績値) from the spreadsheets departments send.

One path for every caller, the ``import_actuals`` command and the admin's
django-import-export resource alike: :func:`preview_actuals` reads and
checks every row without writing, :func:`apply_actuals` writes a clean
preview in one transaction, and :func:`assign_actual` is the one place an
uploaded row becomes an :class:`~indicators.models.Actual`. A file with
any bad row is refused whole: nothing is written.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from audit.writers import history_create, import_reason
from indicators import wording
from indicators.evaluation import due_year_of, evaluate_indicator_year
from indicators.models import Actual, ActualState, Indicator, Kind, Target
from indicators.selectors import indicators_managed_by, indicators_with_entry_by
from indicators.services import revision_errors, revision_history_reason, target_record_revision
from indicators.wording import actual_text, outside_period_message, target_text
from ise_iga_dx.lib import wareki
from ise_iga_dx.lib.wareki import date_text
from spreadsheets.reading import (
    Cell,
    CellError,
    ParsedActual,
    SpreadsheetError,
    normalise_header,
    parse_actual,
    parse_fiscal_year,
    parse_number,
    parse_text,
    read_sheet,
)

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser
    from django.db.models import QuerySet

    from spreadsheets.reading import Sheet

# Column key -> accepted header texts (compared after normalise_header).
ACTUAL_COLUMNS: dict[str, tuple[str, ...]] = {
    "code": ("指標コード", "code"),
    "fiscal_year": ("年度", "fiscal_year"),
    "actual": ("実績値", "actual"),
    "note": ("備考", "note"),
}
REQUIRED_ACTUAL_COLUMNS = ("code", "fiscal_year", "actual")
TARGET_COLUMNS: dict[str, tuple[str, ...]] = {
    "code": ("指標コード", "code"),
    "fiscal_year": ("年度", "fiscal_year"),
    "target": ("目標値", "target"),
    # Needed only by rows that change a stored target (a revision).
    "revision_reason": ("変更理由", "revision_reason"),
    "revised_on": ("決定日", "revised_on"),
}
REQUIRED_TARGET_COLUMNS = ("code", "fiscal_year", "target")
COLUMN_LABELS = {
    key: names[0] for columns in (ACTUAL_COLUMNS, TARGET_COLUMNS) for key, names in columns.items()
}
REFUSED = "エラーのある行があるため、取り込みませんでした。"
CONFIRMED_HINT = "変更するには DX推進担当が確定を取り消してください（値が同じ行はそのまま取り込めます）。"
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
    target_value: Decimal | None = None
    # A milestone's first target year (selectors.due_year_of).
    due_year: int | None = None

    @property
    def fiscal_year_label(self) -> str:
        return wareki.fiscal_year_label(self.fiscal_year)

    @property
    def evaluation_label(self) -> str:
        """Return the evaluation the row will have once imported."""
        parsed = self.parsed
        if parsed is None:
            actual = self.existing
        else:
            actual = Actual(state=parsed.state, value=parsed.value, fiscal_year=self.fiscal_year)
        target = None if self.target_value is None else Target(value=self.target_value)
        return wording.format_evaluation(evaluate_indicator_year(
            indicator=self.indicator, target=target, actual=actual, due_year=self.due_year
        ))

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
class SheetImport:
    """The outcome of reading a file: rows to import, or the errors."""

    evaluates = False

    filename: str
    rows: list[Any] = field(default_factory=list)
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


@dataclass
class ActualImport(SheetImport):
    """The outcome of reading an actuals file."""

    # The preview shows each row's evaluation once imported.
    evaluates = True


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


def column_indexes(
    headers: tuple[str, ...],
    columns: dict[str, tuple[str, ...]] = ACTUAL_COLUMNS,
    required: tuple[str, ...] = REQUIRED_ACTUAL_COLUMNS,
) -> dict[str, int]:
    """Map column keys to positions; refuse a file missing a required one."""
    wanted = {normalise_header(name): key for key, names in columns.items() for name in names}
    found: dict[str, int] = {}
    for index, header in enumerate(headers):
        key = wanted.get(normalise_header(header))
        if key is not None and key not in found:
            found[key] = index
    missing = [columns[key][0] for key in required if key not in found]
    if missing:
        english = ", ".join(names[-1] for names in columns.values())
        raise ImportRefused(
            f"1行目に必要な列がありません：{'、'.join(missing)}"
            f"（英語の列名 {english} も使えます）。"
        )
    return found


def target_column_indexes(headers: tuple[str, ...]) -> dict[str, int]:
    return column_indexes(headers, TARGET_COLUMNS, REQUIRED_TARGET_COLUMNS)


def normalise_code(cell: Cell) -> str:
    return unicodedata.normalize("NFKC", parse_text(cell)).strip().upper()


@dataclass
class RowKey:
    """The indicator and fiscal year a row is about, once checked."""

    code: str
    indicator: Indicator | None
    fiscal_year: int | None


def check_row_key(
    cells: tuple[Cell, ...],
    columns: dict[str, int],
    *,
    indicators: dict[str, Indicator],
    seen: dict[tuple[str, int], int],
    number: int,
    refuse: Callable[[str, str, str], None],
    scoped: bool = False,
) -> RowKey:
    """Check a row's 指標コード and 年度: known, in the plan, not repeated.

    In a ``scoped`` import a code outside the user's scope gets the same
    message as an unknown one, so that another city's codes do not leak.
    """
    code = normalise_code(cells[columns["code"]])
    not_found = (
        f"指標コード「{code}」は、取り込める指標にありません（登録されていないか、担当外の指標です）。"
        if scoped else f"指標コード「{code}」は登録されていません。"
    )
    indicator = indicators.get(code)
    if not code:
        refuse("code", "指標コードが空欄です。", "")
    elif indicator is None:
        refuse("code", not_found, code)
    fiscal_year = None
    try:
        fiscal_year = parse_fiscal_year(cells[columns["fiscal_year"]])
    except CellError as error:
        refuse("fiscal_year", str(error), code)
    if indicator is not None and fiscal_year is not None:
        if fiscal_year not in indicator.plan.fiscal_years:
            refuse("fiscal_year", outside_period_message(fiscal_year, indicator.plan), code)
        first = seen.setdefault((code, fiscal_year), number)
        if first != number:
            refuse("fiscal_year", f"同じ指標・年度が{first}行目にもあります。", code)
    return RowKey(code, indicator, fiscal_year)


def named_indicators(
    sheet: Sheet, columns: dict[str, int], within: QuerySet[Indicator] | None = None
) -> dict[str, Indicator]:
    """Return the KGIs the file names, among ``within`` (None: every KGI)."""
    codes = {normalise_code(row.cells[columns["code"]]) for row in sheet.rows}
    source = Indicator.objects.all() if within is None else within
    return {
        indicator.code: indicator
        for indicator in source.filter(code__in=codes).select_related("plan")
    }


def plan_ids(indicators: dict[str, Indicator]) -> set[int]:
    """Return the plans of ``indicators``.

    Rows of a file are looked up by plan, a handful of ids, rather than by
    thousands of indicator ids: a long IN list costs more to send than the
    few extra rows of the same plans.
    """
    return {indicator.plan_id for indicator in indicators.values()}


def preview_actuals(
    *, sheet: Sheet, filename: str = "", user: AbstractBaseUser | None = None
) -> ActualImport:
    """Check every row of ``sheet`` and say what importing it would do.

    With ``user``, a row of a KGI whose actuals they may not enter is
    refused by its row. Three queries whatever the number of rows (plus
    the user's scope): the indicators named, and their existing actuals
    and targets.
    """
    columns = column_indexes(sheet.headers)
    result = ActualImport(filename=filename)
    within = None if user is None else indicators_with_entry_by(user=user)
    indicators = named_indicators(sheet, columns, within)
    plans = plan_ids(indicators)
    existing = {
        (actual.indicator_id, actual.fiscal_year): actual
        for actual in Actual.objects.filter(indicator__plan_id__in=plans)
    }
    # Only the value is needed, for the preview's evaluation: no model rows.
    targets = {
        (indicator_id, fiscal_year): value
        for indicator_id, fiscal_year, value in Target.objects.filter(
            indicator__plan_id__in=plans
        ).values_list("indicator_id", "fiscal_year", "value")
    }
    target_years: dict[int, list[int]] = {}
    for indicator_id, fiscal_year in targets:
        target_years.setdefault(indicator_id, []).append(fiscal_year)
    seen: dict[tuple[str, int], int] = {}
    for sheet_row in sheet.rows:
        errors: list[RowError] = []

        def refuse(key: str, reason: str, code: str) -> None:
            errors.append(RowError(sheet_row.number, COLUMN_LABELS[key], code, reason))

        cell = sheet_row.cells.__getitem__
        key = check_row_key(sheet_row.cells, columns, indicators=indicators, seen=seen,
                            number=sheet_row.number, refuse=refuse, scoped=user is not None)
        code, indicator, fiscal_year = key.code, key.indicator, key.fiscal_year
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
        action = row_action(parsed, note, current)
        if action == Action.CHANGED and current.confirmed:
            refuse("actual", confirmed_message(indicator, current), code)
            result.errors.extend(errors)
            continue
        result.rows.append(
            ActualRow(
                row=sheet_row.number, code=code, fiscal_year=fiscal_year, indicator=indicator,
                parsed=parsed, note=note, existing=current, action=action,
                target_value=targets.get((indicator.pk, fiscal_year)),
                due_year=due_year_of(indicator, target_years.get(indicator.pk, ())),
            )
        )
    return result


def confirmed_message(indicator: Indicator, actual: Actual) -> str:
    """Say why a row may not change a confirmed actual, quoting the stored one."""
    stored = actual_text(indicator, actual.state, actual.value, actual.value_places)
    return f"確定済みの実績値（{stored}）は変更できません。{CONFIRMED_HINT}"


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
    if parsed.state == ActualState.NOT_MEASURED:
        actual.not_measured_reason = (
            row.note or actual.not_measured_reason or DEFAULT_NOT_MEASURED_REASON
        )


def insert_actuals(actuals: list[Actual], *, now: datetime) -> None:
    """Insert new actuals the fastest way each database offers.

    bulk_create() spends most of an import's time preparing every field of
    every row through its model field. These rows were checked already, so
    their values go to the driver as they are: PostgreSQL takes them by
    COPY, SQLite by executemany() of one prepared INSERT (measured in
    docs/performance.md; both drivers adapt Decimal). Every row gets
    ``now`` as its time stamps, by which :func:`record_actual_history`
    finds them again (neither way returns their ids).
    """
    fields = [f for f in Actual._meta.concrete_fields if not f.primary_key]
    stamp = now if connection.vendor == "postgresql" else (
        connection.ops.adapt_datetimefield_value(now)
    )
    rows = [
        [stamp if f.name in ("created_at", "updated_at") else getattr(actual, f.attname)
         for f in fields]
        for actual in actuals
    ]
    quote = connection.ops.quote_name
    table = quote(Actual._meta.db_table)
    columns = ", ".join(quote(f.column) for f in fields)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            with cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
        else:
            placeholders = ", ".join(["%s"] * len(fields))
            cursor.executemany(f"INSERT INTO {table} ({columns}) VALUES ({placeholders})", rows)


def record_actual_history(
    *,
    new: list[Actual],
    changed: list[Actual],
    user: AbstractBaseUser | None,
    reason: str,
    when: datetime,
    batch_size: int = 1000,
) -> None:
    """Record the actuals an import wrote, one statement per batch of rows.

    New rows are found again by their (indicator, fiscal year) and the
    import's time stamp ``when``; changed ones by their ids.
    """
    for start in range(0, len(new), batch_size):
        batch = new[start:start + batch_size]
        copy_to_history(
            Actual.objects.filter(
                created_at=when,
                indicator_id__in={actual.indicator_id for actual in batch},
                fiscal_year__in={actual.fiscal_year for actual in batch},
            ),
            history_type="+", user=user, reason=reason, when=when,
        )
    for start in range(0, len(changed), batch_size):
        batch = changed[start:start + batch_size]
        copy_to_history(
            Actual.objects.filter(pk__in=[actual.pk for actual in batch]),
            history_type="~", user=user, reason=reason, when=when,
        )


def copy_to_history(
    rows: QuerySet[Any],
    *,
    history_type: str,
    user: AbstractBaseUser | None,
    reason: str,
    when: datetime,
) -> None:
    """Write the history rows of ``rows`` in the database: INSERT … SELECT.

    The rows simple-history's bulk_history_create() would write (the
    values, "+" or "~", who, when, why), copied from the stored rows
    without bringing them into Python: for 10,000 actuals the bulk helper
    took longer than the rest of the import (docs/performance.md).
    ``rows`` may filter only on the table's own columns.
    """
    model = rows.model
    quote = connection.ops.quote_name
    columns = ", ".join(quote(f.column) for f in model._meta.concrete_fields)
    where, params = rows.query.get_compiler(connection=connection).compile(rows.query.where)
    recorded = ", ".join(
        quote(name) for name in
        ("history_date", "history_change_reason", "history_type", "history_user_id")
    )
    sql = (
        f"INSERT INTO {quote(model.history.model._meta.db_table)} ({columns}, {recorded}) "
        f"SELECT {columns}, %s, %s, %s, %s FROM {quote(model._meta.db_table)} WHERE {where}"
    )
    stamp = connection.ops.adapt_datetimefield_value(when)
    with connection.cursor() as cursor:
        cursor.execute(sql, [stamp, reason, history_type, getattr(user, "pk", None), *params])


def prepare_writes(
    preview: SheetImport,
    *,
    model: type[Actual | Target],
    assign: Callable[[Any, Any], None],
    column: str,
) -> tuple[list[Any], list[Any]]:
    """Return the new and the changed model rows of a clean preview.

    The parser already bounds every value (digits, decimals, sign) and the
    file's uniqueness was checked as a whole, so only the model's own rules
    run here: no query, and no per-field validators, which cost more than
    the insert (see docs/performance.md). A row they refuse joins
    ``preview.errors`` and ImportRefused is raised: nothing is written.
    """
    if not preview.ok:
        raise ImportRefused(REFUSED)
    new: list[Any] = []
    changed: list[Any] = []
    for row in preview.rows:
        if row.action not in (Action.NEW, Action.CHANGED):
            continue
        if row.existing is not None:
            # clean() reads the indicator and its plan: the preview's, loaded
            # once, rather than two queries per changed row.
            row.existing.indicator = row.indicator
        instance = row.existing or model(indicator=row.indicator, fiscal_year=row.fiscal_year)
        assign(instance, row)
        try:
            instance.clean()
        except ValidationError as error:
            preview.errors += [
                RowError(row.row, COLUMN_LABELS[column], row.code, message)
                for message in error.messages
            ]
        (changed if row.existing else new).append(instance)
    if not preview.ok:
        raise ImportRefused(REFUSED)
    return new, changed


@contextmanager
def writing() -> Iterator[None]:
    """Write in one transaction; a clash with another writer keeps nothing."""
    try:
        with transaction.atomic():
            yield
    except IntegrityError as error:
        raise ImportRefused(
            f"取り込み中にデータが変更されたため、取り込みませんでした（{error}）。"
            "もう一度お試しください。"
        ) from None


def apply_actuals(
    preview: ActualImport, *, user: AbstractBaseUser | None = None
) -> dict[Action, int]:
    """Write every new and changed row in one transaction, or nothing.

    Each row written gets a history row in the same transaction, recorded
    as ``user``'s, with 「ファイル取込：<file name>」 as the reason.
    """
    new, changed = prepare_writes(preview, model=Actual, assign=assign_actual, column="actual")
    now = timezone.now()
    for actual in changed:
        # bulk_update() skips auto_now.
        actual.updated_at = now
    with writing():
        insert_actuals(new, now=now)
        Actual.objects.bulk_update(
            changed,
            ["state", "value", "value_places", "note", "not_measured_reason", "updated_at"],
            batch_size=1000,
        )
        record_history(preview, model=Actual, new=new, changed=changed, user=user, when=now)
    return preview.counts


def record_history(
    preview: SheetImport,
    *,
    model: type[Actual | Target],
    new: list[Any],
    changed: list[Any],
    user: AbstractBaseUser | None,
    when: datetime,
) -> None:
    """Record the rows an import wrote in the audit trail, as saves would.

    Actuals, which come by the ten thousand, are copied in the database;
    targets go through simple-history's own bulk helper. A row that carries
    its own reason (a target revision's) keeps it after the file's name.
    """
    reason = import_reason(preview.filename)
    if model is Actual:
        record_actual_history(new=new, changed=changed, user=user, reason=reason, when=when)
        return
    for rows, update in ((new, False), (changed, True)):
        for row in rows:
            detail = getattr(row, "_change_reason", "")
            if detail:
                row._change_reason = import_reason(preview.filename, detail=detail)
        history_create(
            rows, model=model, user=user, reason=reason, update=update, when=when
        )


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
    if indicator.kind == Kind.REDUCTION and isinstance(cell.value, str):
        cell = Cell(REDUCTION_WORDS.sub("", text))
    return parse_number(cell)


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
    seen: dict[tuple[str, int], int] = {}
    for sheet_row in sheet.rows:
        errors: list[RowError] = []

        def refuse(key: str, reason: str, code: str) -> None:
            errors.append(RowError(sheet_row.number, COLUMN_LABELS[key], code, reason))

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
        if target_row.revises:
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


# What assign_target() may set on a stored target: a revision keeps the
# first value, the reason and the decision date.
TARGET_WRITTEN_FIELDS = (
    "value", "value_places", "original_value", "original_value_places",
    "revision_reason", "revised_on",
)


def apply_targets(
    preview: TargetImport, *, user: AbstractBaseUser | None = None
) -> dict[Action, int]:
    """Write every new and changed target in one transaction, or nothing.

    Each target written gets a history row, as in :func:`apply_actuals`.
    """
    new, changed = prepare_writes(preview, model=Target, assign=assign_target, column="target")
    with writing():
        # bulk_create() sets the primary keys the history rows need.
        Target.objects.bulk_create(new, batch_size=1000)
        Target.objects.bulk_update(changed, TARGET_WRITTEN_FIELDS, batch_size=1000)
        record_history(
            preview, model=Target, new=new, changed=changed, user=user, when=timezone.now()
        )
    return preview.counts
