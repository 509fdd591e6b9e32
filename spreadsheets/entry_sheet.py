"""The entry sheet (実績入力): one row per KGI and year, current actuals
and their commentary (取組状況・要因分析・今後の方向性) filled in, input
cells highlighted, codes locked.

Read through :mod:`indicators.selectors`, so every number is the one the
pages show; an untouched sheet imports again as all unchanged."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.utils import timezone
from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from indicators import wording
from indicators.models import COMMENT_MAX_LENGTH, ActualState, Indicator, Kind
from indicators.selectors import DOCUMENT_ORDER, document_order_key, indicator_year_rows
from ise_iga_dx.lib import wareki
from spreadsheets.actuals import note_column
from spreadsheets.rows import COLUMN_LABELS, COMMENT_COLUMNS
from spreadsheets.xlsx import (
    BORDER,
    HEADER_FONT,
    INPUT_FILL,
    TOP_LEFT,
    TOP_LEFT_WRAPPED,
    UNLOCKED,
    add_validation,
    check_year,
    filename_part,
    number_format,
    print_landscape,
    set_widths,
    workbook_bytes,
    write_header,
    write_text,
)

if TYPE_CHECKING:
    from collections.abc import Iterable
    from datetime import date

    from django.db.models import QuerySet
    from openpyxl.cell.cell import Cell
    from openpyxl.worksheet.worksheet import Worksheet

    from indicators.evaluation import IndicatorYear
    from plans.models import Department, Plan


ENTRY_SHEET_TITLE = "実績入力"
GUIDE_SHEET_TITLE = "記入方法"

# The actuals importer finds its columns by these names in row 1.
# 取組状況, 要因分析, 今後の方向性: the commentary, by Actual field.
COMMENT_HEADERS = tuple(COLUMN_LABELS[key] for key in COMMENT_COLUMNS)
ENTRY_HEADERS = (
    "指標コード", "年度", "基本方針", "施策", "項目", "単位", "目標値", "実績値", "備考",
    *COMMENT_HEADERS,
)
ENTRY_WIDTHS = (11, 8, 28, 28, 48, 8, 20, 14, 32, 44, 44, 44)
ENTRY_COLUMNS = {header: number for number, header in enumerate(ENTRY_HEADERS, start=1)}
ACTUAL_COLUMN = ENTRY_COLUMNS["実績値"]
NOTE_COLUMN = ENTRY_COLUMNS["備考"]
COMMENT_COLUMN_NUMBERS = {key: ENTRY_COLUMNS[COLUMN_LABELS[key]] for key in COMMENT_COLUMNS}
# The cells a department fills in (yellow, unlocked, typed as text but the value).
INPUT_COLUMNS = (ACTUAL_COLUMN, NOTE_COLUMN, *COMMENT_COLUMN_NUMBERS.values())
TEXT_COLUMNS = (NOTE_COLUMN, *COMMENT_COLUMN_NUMBERS.values())
# Columns whose text is long enough to need wrapping.
ENTRY_WRAPPED = frozenset(
    ENTRY_COLUMNS[header]
    for header in ("基本方針", "施策", "項目", "目標値", "備考", *COMMENT_HEADERS)
)

MILESTONE_CHOICES = (wording.DONE, wording.NOT_DONE, wording.DASH)


def entry_sheet_filename(
    *, plan: Plan, fiscal_year: int | None = None, department: Department | None = None
) -> str:
    """Return "第2期伊勢市デジタル行政推進ビジョン_実績入力_令和8年度.xlsx"."""
    if fiscal_year is None:
        first, last = plan.start_year, plan.end_year
        years = f"{wareki.fiscal_year_era(first)}〜{wareki.fiscal_year_era(last)}"
    else:
        years = wareki.fiscal_year_era(fiscal_year)
    parts = [plan.name, "実績入力", years]
    if department is not None:
        parts.append(department.name)
    return "_".join(filename_part(part) for part in parts) + ".xlsx"


def milestone_validation() -> DataValidation:
    return DataValidation(
        type="list",
        formula1='"{}"'.format(",".join(MILESTONE_CHOICES)),
        allow_blank=True,
        promptTitle="実績値（完了型）",
        prompt="「完了」「未完了」、計測しなかった年は「－」を選んでください。",
        errorTitle="実績値（完了型）",
        error="一覧の「完了」「未完了」「－」から選んでください。",
        showInputMessage=True,
        showErrorMessage=True,
    )


def number_validation() -> DataValidation:
    # A warning, not a stop: 「－」 (not measured) is text and must stay
    # possible after the warning.
    return DataValidation(
        type="decimal",
        operator="greaterThanOrEqual",
        formula1="0",
        allow_blank=True,
        errorStyle="warning",
        promptTitle="実績値",
        prompt="単位を付けずに数値で入力してください（45.0% なら 45.0）。"
        "計測しなかった年は「－」。",
        errorTitle="実績値の確認",
        error="0以上の数値ではありません。評価対象外（計測なし）の「－」なら"
        "「はい」で確定してください。",
        showInputMessage=True,
        showErrorMessage=True,
    )


def comment_validation() -> DataValidation:
    """Stop a comment longer than the import accepts, as it is typed."""
    return DataValidation(
        type="textLength",
        operator="lessThanOrEqual",
        formula1=str(COMMENT_MAX_LENGTH),
        allow_blank=True,
        promptTitle="取組状況・要因分析・今後の方向性",
        prompt=f"{COMMENT_MAX_LENGTH:,}文字以内。セル内の改行は Alt+Enter です。",
        errorTitle="文字数の上限",
        error=f"{COMMENT_MAX_LENGTH:,}文字以内で入力してください。",
        showInputMessage=True,
        showErrorMessage=True,
    )


def write_actual(cell: Cell, row: IndicatorYear) -> None:
    """Prefill the current actual so an untouched sheet re-imports unchanged."""
    actual = row.actual
    if actual is None:
        return
    if actual.state == ActualState.MEASURED:
        # A number with the decimals as entered: 45.0 stays 45.0 points and
        # is never shown as a percent (the 単位 column says %).
        cell.value = actual.value_as_entered
        cell.number_format = number_format(actual.value_places)
    else:
        write_text(cell, wording.entry_text(actual.state, None, 0))


def entry_rows(
    *, plan: Plan, years: Iterable[int], department: Department | None,
    within: QuerySet[Indicator] | None = None,
) -> list[IndicatorYear]:
    """Return the plan's indicator-years in document order, then by year.

    ``within`` limits the rows to the KGIs a user may enter.
    """
    source = Indicator.objects.all() if within is None else within
    indicators = source.filter(plan=plan).order_by(*DOCUMENT_ORDER)
    if department is not None:
        indicators = indicators.filter(measure__departments=department)
    # Three queries a year, whatever the number of indicators.
    rows = [
        row for year in years
        for row in indicator_year_rows(indicators=indicators, fiscal_year=year)
    ]
    rows.sort(key=lambda row: (document_order_key(row.indicator), row.fiscal_year))
    return rows


def write_entry_rows(sheet: Worksheet, rows: list[IndicatorYear]) -> None:
    milestone_rows: list[int] = []
    number_rows: list[int] = []
    for number, row in enumerate(rows, start=2):
        indicator = row.indicator
        actual = row.actual
        texts = {
            "指標コード": indicator.code,
            "基本方針": str(indicator.measure.policy),
            "施策": str(indicator.measure),
            "項目": indicator.item,
            "単位": indicator.unit,
            "目標値": row.target_label,
            # A not-measured year's reason, so it comes back on import.
            "備考": note_column(actual) if actual else "",
        }
        # The stored commentary: a cell left as written imports unchanged,
        # a cell emptied clears it.
        texts.update({
            COLUMN_LABELS[key]: getattr(actual, key) if actual else ""
            for key in COMMENT_COLUMNS
        })
        for header, text in texts.items():
            write_text(sheet.cell(number, ENTRY_COLUMNS[header]), text)
        # Text format keeps Excel from reading a typed code, note or
        # comment as a number, date or formula.
        for column in (ENTRY_COLUMNS["指標コード"], *TEXT_COLUMNS):
            sheet.cell(number, column).number_format = "@"
        year = sheet.cell(number, ENTRY_COLUMNS["年度"], row.fiscal_year)
        year.number_format = "0"
        write_actual(sheet.cell(number, ACTUAL_COLUMN), row)
        for column in range(1, len(ENTRY_HEADERS) + 1):
            cell = sheet.cell(number, column)
            cell.border = BORDER
            cell.alignment = TOP_LEFT_WRAPPED if column in ENTRY_WRAPPED else TOP_LEFT
        for column in INPUT_COLUMNS:
            cell = sheet.cell(number, column)
            cell.protection = UNLOCKED
            cell.fill = INPUT_FILL
        if indicator.kind == Kind.MILESTONE:
            milestone_rows.append(number)
        else:
            number_rows.append(number)
    add_validation(sheet, milestone_validation(), milestone_rows, ACTUAL_COLUMN)
    add_validation(sheet, number_validation(), number_rows, ACTUAL_COLUMN)
    if rows:
        # One range over the three adjacent comment columns.
        first = get_column_letter(min(COMMENT_COLUMN_NUMBERS.values()))
        last = get_column_letter(max(COMMENT_COLUMN_NUMBERS.values()))
        validation = comment_validation()
        validation.add(f"{first}2:{last}{len(rows) + 1}")
        sheet.add_data_validation(validation)


def guide_lines(
    *, plan: Plan, years: str, department: Department | None, today: date
) -> list[tuple[str, str]]:
    """Return the 記入方法 sheet as (label, text) lines."""
    instructions = [
        "黄色の欄（実績値・備考・取組状況・要因分析・今後の方向性）だけを記入してください。"
        "ほかの欄は変更できません。",
        "指標コードと年度は取り込みに使います。変更せず、行の追加・削除もしないでください。",
        "数値は単位を付けずに入力します（1,234件 → 1234、5,639.8時間 → 5639.8）。",
        "％の指標も数値のまま入力します（45.0% → 45.0）。"
        "0.45 や「45%」とは入力しないでください。",
        "《累計》の指標は計画開始からの累計値を、"
        "《暦年目標》の指標は暦年（1〜12月）の値を入力します。",
        "削減率型の指標（目標値が「R7年度比 ▲2.0%」など）は、"
        "削減率ではなく単位欄の実数（枚など）を入力します。",
        "計測しなかった年（評価対象外）は「－」と入力し、備考に理由を書いてください。",
        "完了型の指標は一覧から「完了」か「未完了」を選びます。",
        "実績がまだない指標は空欄のままにします（未入力として扱います）。",
        "すでに入っている値は登録済みの実績値です。変更がなければそのままにしてください。",
        "取組状況：その年度に行った取組とその進み具合を書きます。",
        "要因分析：目標を達成した（しなかった）理由を、実績値の動きとあわせて書きます。",
        "今後の方向性：次の年度以降にどう取り組むかを書きます。",
        f"取組状況・要因分析・今後の方向性は、それぞれ{COMMENT_MAX_LENGTH:,}文字以内です。"
        "セルの中で改行するときは Alt+Enter（Mac は option+return）を押します。",
        "取組状況・要因分析・今後の方向性に入っている文は登録済みの内容です。"
        "欄を空にして取り込むと、その内容は消えます。",
        "取組状況などを書くときは、実績値（計測しなかった年は「－」）も入力してください。",
    ]
    lines = [
        ("計画", plan.name),
        ("対象年度", years),
        ("所管課", str(department) if department is not None else "すべて"),
        ("出力日", wording.output_date(today)),
        ("", ""),
    ]
    lines += [(f"{number}.", text) for number, text in enumerate(instructions, start=1)]
    return lines


def write_guide(sheet: Worksheet, lines: list[tuple[str, str]]) -> None:
    title = sheet.cell(1, 1)
    write_text(title, "実績値の記入方法")
    title.font = Font(bold=True, size=14)
    for number, (label, text) in enumerate(lines, start=3):
        write_text(sheet.cell(number, 1), label)
        sheet.cell(number, 1).font = HEADER_FONT
        write_text(sheet.cell(number, 2), text)
        sheet.cell(number, 2).alignment = TOP_LEFT_WRAPPED
    set_widths(sheet, (10, 100))


def entry_sheet(
    *, plan: Plan, fiscal_year: int | None = None, department: Department | None = None,
    within: QuerySet[Indicator] | None = None,
) -> bytes:
    """Return the .xlsx a department fills in and the DX office imports again.

    One row per indicator (document order) and fiscal year: ``fiscal_year``,
    or every year of the plan period when it is None; only the measures
    ``department`` owns when it is given. Raise ValueError for a year
    outside the plan period.
    """
    if fiscal_year is None:
        years = list(plan.fiscal_years)
        years_label = (
            f"{wareki.fiscal_year_label(plan.start_year)}〜"
            f"{wareki.fiscal_year_label(plan.end_year)}"
        )
    else:
        check_year(plan, fiscal_year)
        years = [fiscal_year]
        years_label = wareki.fiscal_year_label(fiscal_year)
    rows = entry_rows(plan=plan, years=years, department=department, within=within)

    workbook = Workbook()
    workbook.properties.title = f"{plan.name} {ENTRY_SHEET_TITLE}"
    sheet = workbook.active
    sheet.title = ENTRY_SHEET_TITLE
    write_header(sheet, 1, ENTRY_HEADERS)
    write_entry_rows(sheet, rows)
    set_widths(sheet, ENTRY_WIDTHS)
    sheet.freeze_panes = "A2"
    # No password: the lock guards against slips, not against the office.
    sheet.protection.sheet = True
    # Still let users widen columns and rows to read long items.
    sheet.protection.formatColumns = False
    sheet.protection.formatRows = False
    print_landscape(sheet, title_rows="1:1")

    write_guide(
        workbook.create_sheet(GUIDE_SHEET_TITLE),
        guide_lines(
            plan=plan, years=years_label, department=department, today=timezone.localdate()
        ),
    )
    return workbook_bytes(workbook)
