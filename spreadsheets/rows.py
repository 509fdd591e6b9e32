"""What every spreadsheet import shares: its columns, the actions a row can
take, the errors it reports (Excel row, column, code, reason), and the
checks of a row's code and year against the KGIs the user may change.

A file with any bad row is refused whole: nothing is written."""

from __future__ import annotations

import unicodedata
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from django.conf import settings

from audit.versions import stale_change
from indicators.models import Indicator
from indicators.wording import outside_period_message
from spreadsheets.cells import Cell, CellError, normalise_header, parse_fiscal_year, parse_text
from spreadsheets.reading import SpreadsheetError, read_sheet

if TYPE_CHECKING:
    from django.db.models import Model, QuerySet

    from spreadsheets.reading import Sheet


# Column key -> accepted header texts (compared after normalise_header).
ACTUAL_COLUMNS: dict[str, tuple[str, ...]] = {
    "code": ("指標コード", "code"),
    "fiscal_year": ("年度", "fiscal_year"),
    "actual": ("実績値", "actual"),
    "note": ("備考", "note"),
    # The commentary (取組評価); a file without these columns leaves it alone.
    "progress": ("取組状況", "progress"),
    "analysis": ("要因分析", "analysis"),
    "direction": ("今後の方向性", "direction"),
}
COMMENT_COLUMNS = ("progress", "analysis", "direction")
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
CONFIRMED_HINT = (
    "変更するには DX推進担当が確定を取り消してください（値が同じ行はそのまま取り込めます）。"
)
# A dash in the file says "not measured"; the model wants a reason.
DEFAULT_NOT_MEASURED_REASON = "取込ファイルで「－」（評価対象外）と入力されました。"


# The admin's preview lists at most this many rows: a department's file is
# well within it, and 10,000 rendered rows are 3 MB of HTML nobody reads.
PREVIEW_ROWS = 200


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
            f"新規 {counts[Action.NEW]:,}件 / 変更 {counts[Action.CHANGED]:,}件 / "
            f"変更なし {counts[Action.UNCHANGED]:,}件 / 空欄 {counts[Action.SKIPPED]:,}件"
        )

    def seen(self) -> dict[int, tuple[Any, ...]]:
        """Return what this preview showed of each row it would import, by Excel row.

        Each row's code, year and action, and the id and version of the
        stored row it would write (audit.versions). The admin keeps this
        from the preview step and compares it at the confirm step
        (:func:`moved_rows`): what is imported is what the user saw. The
        file is the same bytes at both steps, so a row reads the same
        unless its stored row moved; no value needs printing to tell.
        """
        return {
            row.row: (row.code, row.fiscal_year, row.action.value, *stored_version(row.existing))
            for row in self.rows if row.action != Action.SKIPPED
        }

    @property
    def shown_rows(self) -> list[Any]:
        """The rows the preview lists: all of them, or PREVIEW_ROWS of a long file.

        A long file lists the rows it changes first, then the new ones,
        then the rest, each in Excel row order: what an import overwrites
        is what the office must see (docs/spreadsheets.md). Every row is
        still checked, counted in :meth:`summary` and imported.
        """
        if len(self.rows) <= PREVIEW_ROWS:
            return self.rows
        order = {Action.CHANGED: 0, Action.NEW: 1}
        return sorted(self.rows, key=lambda row: (order.get(row.action, 2), row.row))[
            :PREVIEW_ROWS
        ]

    @property
    def hidden_rows_note(self) -> str:
        """Say how many rows a long file's preview leaves out ("" when none)."""
        hidden = len(self.rows) - PREVIEW_ROWS
        if hidden <= 0:
            return ""
        return (
            f"{len(self.rows):,}行のうち、変更・新規の行を優先して{PREVIEW_ROWS:,}行を表示しています"
            f"（表示していない行：{hidden:,}行）。確定すると、表示していない行も含めてすべて取り込みます。"
        )


def stored_version(obj: Any) -> tuple[Any, int]:
    """Return (id, version) of a stored row, or (None, 0) for none."""
    return (None, 0) if obj is None else (obj.pk, obj.version)


# Another writer stored one of the file's rows while it was being written.
CLASHED = (
    "取り込み中に他の人が同じ行を登録・変更したため、取り込みませんでした。"
    "もう一度アップロードして、最新の内容で確認してください。"
)
MOVED_SINCE_PREVIEW = (
    "取り込みませんでした。もう一度アップロードして、最新の内容で確認してください。"
)


def moved_rows(
    model: type[Model], before: dict[int, tuple[Any, ...]], after: dict[int, tuple[Any, ...]],
    *, limit: int = 5,
) -> str:
    """Say which rows changed between the preview step and the confirm step ("" if none).

    Both are :meth:`SheetImport.seen` (or DefinitionImport's); a row's
    stored id and version are its last two items. Who changed a stored
    row, when and what are read from the audit trail.
    """
    moved = sorted(number for number in before.keys() | after.keys()
                   if before.get(number) != after.get(number))
    if not moved:
        return ""
    lines = []
    for number in moved[:limit]:
        shown = before.get(number) or after[number]
        label = f"{number}行目（{shown[0]}）"
        pk, version = shown[-2], shown[-1]
        if pk is not None:
            lines.append(str(stale_change(model, pk, version, label=label)))
        else:
            lines.append(f"{label}は、このページを開いた後に登録・変更されました。")
    if len(moved) > limit:
        lines.append(f"ほか{len(moved) - limit}行も変わっています。")
    return "".join(lines) + MOVED_SINCE_PREVIEW


def refuser(errors: list[RowError], number: int) -> Callable[[str, str, str], None]:
    """Return ``refuse(key, reason, code)``, which records an error of row ``number``."""

    def refuse(key: str, reason: str, code: str) -> None:
        errors.append(RowError(number, COLUMN_LABELS[key], code, reason))

    return refuse


def max_upload_bytes() -> int:
    return int(settings.KPI_IMPORT_MAX_BYTES)


def max_rows() -> int:
    return int(settings.KPI_IMPORT_MAX_ROWS)


def read_upload(data: bytes, filename: str) -> Sheet:
    """Read an uploaded file within the size and row limits.

    The reader derives every other limit (what an .xlsx may inflate to,
    its cells and rows, blank ones included) from these two
    (:class:`spreadsheets.archive.Limits`).
    """
    limit = max_upload_bytes()
    if len(data) > limit:
        raise ImportRefused(
            f"ファイルが大きすぎます（{len(data):,}バイト）。上限は{limit:,}バイトです。"
        )
    try:
        return read_sheet(data, filename, max_rows=max_rows(), max_bytes=limit)
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
