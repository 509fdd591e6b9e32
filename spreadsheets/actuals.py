"""Checking an actuals (実績値) file: :func:`preview_actuals` reads and checks
every row without writing, and :func:`assign_actual` is the one place an
uploaded row becomes an :class:`~indicators.models.Actual`.

One path for every caller, the ``import_actuals`` command and the admin's
django-import-export resource alike; :mod:`spreadsheets.writer` writes it.

Besides the value and its 備考, a row may carry the commentary (取組状況,
要因分析, 今後の方向性). The entry sheet is written with the stored
commentary, so a blank cell of such a column clears it; a file without
the column leaves it as stored."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING

from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

from indicators import entry_locks, wording
from indicators.evaluation import due_year_of, evaluate_indicator_year
from indicators.models import COMMENT_MAX_LENGTH, Actual, ActualState, Indicator, Kind, Target
from indicators.selectors import indicators_with_entry_by
from indicators.wording import actual_text
from ise_iga_dx.lib import wareki
from spreadsheets.cells import CellError, ParsedActual, parse_actual, parse_text
from spreadsheets.rows import (
    COLUMN_LABELS,
    COMMENT_COLUMNS,
    CONFIRMED_HINT,
    DEFAULT_NOT_MEASURED_REASON,
    Action,
    RowError,
    SheetImport,
    check_row_key,
    column_indexes,
    named_indicators,
    plan_ids,
    refuser,
)
from spreadsheets.xlsx import without_export_escape

if TYPE_CHECKING:
    from collections.abc import Callable

    from django.contrib.auth.models import AbstractBaseUser

    from spreadsheets.cells import Cell
    from spreadsheets.reading import Sheet


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
    # The commentary columns the file has, by field: 取組状況 → progress.
    comments: dict[str, str] = field(default_factory=dict)

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
        """Return the value once imported, and which comments the row changes."""
        if self.parsed is None:
            label = "未入力" if self.existing is None else self.old_label
        else:
            label = actual_text(self.indicator, self.parsed.state, self.parsed.value,
                                self.parsed.places)
        changed = self.changed_comments
        if changed:
            verb = "記入" if self.existing is None else "変更"
            label += f"（{'・'.join(COLUMN_LABELS[key] for key in changed)}を{verb}）"
        return label

    @property
    def changed_comments(self) -> list[str]:
        """The commentary fields this row changes (all it fills for a new actual)."""
        stored = self.existing
        return [
            key for key, text in self.comments.items()
            if (text if stored is None else not same_comment(getattr(stored, key), text))
        ]


@dataclass
class ActualImport(SheetImport):
    """The outcome of reading an actuals file."""

    # The preview shows each row's evaluation once imported.
    evaluates = True


def preview_actuals(
    *, sheet: Sheet, filename: str = "", user: AbstractBaseUser | None = None
) -> ActualImport:
    """Check every row of ``sheet`` and say what importing it would do.

    With ``user``, a row of a KGI whose actuals they may not enter is
    refused by its row, and so is a row that would write a KGI-year
    another rule closes to them (:mod:`indicators.entry_locks`: a
    department's submitted reporting round). Three queries whatever the
    number of rows (plus the user's scope, and one per registered lock
    for a department's file): the indicators named, and their existing
    actuals and targets.
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
        refuse = refuser(errors, sheet_row.number)
        cell = sheet_row.cells.__getitem__
        key = check_row_key(sheet_row.cells, columns, indicators=indicators, seen=seen,
                            number=sheet_row.number, refuse=refuse, scoped=user is not None)
        code, indicator, fiscal_year = key.code, key.indicator, key.fiscal_year
        parsed = None
        try:
            # 「205名」 for a KGI counted in 名: its own unit may follow the number.
            parsed = parse_actual(
                cell(columns["actual"]), None if indicator is None else indicator.unit
            )
        except CellError as error:
            refuse("actual", str(error), code)
        if parsed is not None and indicator is not None:
            reason = kind_mismatch(indicator, parsed)
            if reason:
                refuse("actual", reason, code)
        note = read_text(cell, columns, "note", refuse, code)
        current = (
            None if indicator is None or fiscal_year is None
            else existing.get((indicator.pk, fiscal_year))
        )
        comments = read_comments(cell, columns, refuse, code, current)
        if parsed is None and current is None and any(comments.values()):
            # Comments need an actual to live on: refused, never dropped.
            refuse("actual", NO_VALUE_FOR_COMMENTS, code)
        if errors:
            result.errors.extend(errors)
            continue
        action = row_action(parsed, note, current, comments)
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
                comments=comments,
            )
        )
    if user is not None:
        refuse_locked(result, user)
    return result


NO_VALUE_FOR_COMMENTS = (
    "取組状況・要因分析・今後の方向性を取り込むには、実績値（計測しなかった年は「－」）も"
    "入力してください。"
)


def refuse_locked(result: ActualImport, user: AbstractBaseUser) -> None:
    """Refuse the rows that would write a KGI-year closed to ``user``.

    Asked once for the whole file (indicators.entry_locks); a row that
    writes nothing (変更なし, 空欄) is never refused.
    """
    writes = [row for row in result.rows if row.action in (Action.NEW, Action.CHANGED)]
    refused = entry_locks.refusals(
        user, {(row.indicator.pk, row.fiscal_year) for row in writes}
    )
    if not refused:
        return
    locked = [row for row in writes if (row.indicator.pk, row.fiscal_year) in refused]
    result.errors += [
        RowError(row.row, COLUMN_LABELS["actual"], row.code,
                 refused[(row.indicator.pk, row.fiscal_year)])
        for row in locked
    ]
    result.errors.sort(key=lambda error: error.row)
    numbers = {row.row for row in locked}
    result.rows = [row for row in result.rows if row.row not in numbers]


def read_text(
    cell: Callable[[int], Cell], columns: dict[str, int], key: str,
    refuse: Callable[[str, str, str], None], code: str,
) -> str | None:
    """Return column ``key`` of the row as text, or None when the file has no such column.

    The apostrophe an export puts before formula-like text is dropped.
    """
    if key not in columns:
        return None
    try:
        text = parse_text(cell(columns[key]))
    except CellError as error:
        refuse(key, str(error), code)
        return None
    return without_export_escape(text)


def read_comments(
    cell: Callable[[int], Cell], columns: dict[str, int],
    refuse: Callable[[str, str, str], None], code: str, current: Actual | None,
) -> dict[str, str]:
    """Return the row's commentary by field, for the columns the file has.

    A comment longer than COMMENT_MAX_LENGTH is refused, unless it is the
    one stored (an untouched sheet always imports).
    """
    comments: dict[str, str] = {}
    for key in COMMENT_COLUMNS:
        text = read_text(cell, columns, key, refuse, code)
        if text is None:
            continue
        text = lines_text(text)
        stored = "" if current is None else getattr(current, key)
        if len(text) > COMMENT_MAX_LENGTH and not same_comment(stored, text):
            refuse(
                key,
                f"{COLUMN_LABELS[key]}は{COMMENT_MAX_LENGTH:,}文字以内で入力してください"
                f"（{len(text):,}文字）。",
                code,
            )
            continue
        comments[key] = text
    return comments


def lines_text(text: str) -> str:
    """Return ``text`` with LF line breaks (a browser's textarea sends CRLF)."""
    return text.replace("\r\n", "\n").replace("\r", "\n")


def same_comment(stored: str, typed: str) -> bool:
    """Whether a typed comment is the stored one as the sheet carries it.

    Line breaks, the edges and the characters a sheet cannot hold
    (xlsx.write_text drops them) aside: an untouched sheet is unchanged.
    """
    return lines_text(ILLEGAL_CHARACTERS_RE.sub("", stored)).strip() == lines_text(typed).strip()


def confirmed_message(indicator: Indicator, actual: Actual) -> str:
    """Say why a row may not change a confirmed actual, quoting the stored one."""
    stored = actual_text(indicator, actual.state, actual.value, actual.value_places)
    return f"確定済みの実績値（{stored}）は変更できません。{CONFIRMED_HINT}"


def kind_mismatch(indicator: Indicator, parsed: ParsedActual) -> str:
    milestone = indicator.kind == Kind.MILESTONE
    if milestone and parsed.state == ActualState.MEASURED:
        return (
            "完了型の指標です。数値ではなく「完了」か「未完了」と書いてください"
            f"（{parsed.value}）。"
        )
    if not milestone and parsed.state in (ActualState.DONE, ActualState.NOT_DONE):
        return "「完了」「未完了」は完了型の指標だけに書けます。"
    return ""


def note_column(actual: Actual) -> str:
    """Return what the 備考 column shows for ``actual`` (entry sheet, export).

    For an actual not measured (評価対象外) it is the reason, which an import
    records from that column (:func:`assign_actual`); for any other, the
    note. So a sheet exported and imported again changes nothing.
    """
    if actual.state == ActualState.NOT_MEASURED and actual.not_measured_reason.strip():
        return actual.not_measured_reason
    return actual.note


def row_action(
    parsed: ParsedActual | None, note: str | None, current: Actual | None,
    comments: dict[str, str] | None = None,
) -> Action:
    """Say what importing a row does.

    A blank 実績値 keeps a stored value; its comments, if they differ
    from the stored ones, still change the actual.
    """
    if current is None:
        return Action.SKIPPED if parsed is None else Action.NEW
    same_comments = all(
        same_comment(getattr(current, key), text) for key, text in (comments or {}).items()
    )
    if parsed is None:
        return Action.SKIPPED if same_comments else Action.CHANGED
    # Numerically equal values are the same actual: an Excel number cell
    # cannot carry the decimals typed (45 and 45.0 read alike).
    same = (
        parsed.state == current.state
        and parsed.value == current.value
        and (note is None or note == note_column(current) or kept_reason(parsed, note, current))
        and same_comments
    )
    return Action.UNCHANGED if same else Action.CHANGED


def kept_reason(parsed: ParsedActual, note: str, current: Actual) -> bool:
    """Whether a blank 備考 on a row still not measured changes nothing.

    The reason is kept (:func:`assign_actual`) and the note is blank already.
    """
    return (
        parsed.state == ActualState.NOT_MEASURED and not note.strip() and not current.note
    )


def assign_actual(actual: Actual, row: ActualRow) -> None:
    """Set ``actual`` from an imported row (the one place this happens).

    A blank 実績値 on a stored actual changes only its comments.
    """
    parsed = row.parsed
    if parsed is None and actual.pk is None:
        raise ValueError("a blank row is not imported")
    for key, text in row.comments.items():
        if not same_comment(getattr(actual, key), text):
            setattr(actual, key, text)
    if parsed is None:
        return
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
