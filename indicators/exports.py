"""Spreadsheet exports: the entry sheet (記入用シート) and the review table (評価表).

Both read through :mod:`indicators.selectors`, so every number and
evaluation is the one shown on the other pages, and both write every text
cell through :func:`write_text`, which keeps plan and indicator texts from
becoming spreadsheet formulas.
"""

from __future__ import annotations

import re
from io import BytesIO
from typing import TYPE_CHECKING

from django.utils import timezone
from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Border, Font, PatternFill, Protection, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from indicators import wording
from indicators.models import ActualState, Indicator, Kind
from indicators.selectors import indicator_year_rows, plan_status, rows_rollup
from indicators.wording import counts_line
from ise_iga_dx.lib import wareki

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
STATUS_SHEET_TITLE = "評価表"

# The actuals importer finds its columns by these names in row 1.
ENTRY_HEADERS = (
    "指標コード", "年度", "基本方針", "施策", "項目", "単位", "目標値", "実績値", "備考",
)
ENTRY_WIDTHS = (11, 8, 28, 28, 48, 8, 20, 14, 32)
ENTRY_COLUMNS = {header: number for number, header in enumerate(ENTRY_HEADERS, start=1)}
ACTUAL_COLUMN = ENTRY_COLUMNS["実績値"]
NOTE_COLUMN = ENTRY_COLUMNS["備考"]
# Columns whose text is long enough to need wrapping.
ENTRY_WRAPPED = frozenset(
    ENTRY_COLUMNS[header] for header in ("基本方針", "施策", "項目", "目標値", "備考")
)

MILESTONE_CHOICES = (wording.DONE, wording.NOT_DONE, wording.DASH)

STATUS_HEADERS = ("No.", "施策名称", "数値目標(KGI)", "実績", "評価《達成率》", "備考")
STATUS_WIDTHS = (10, 28, 52, 16, 24, 34)

# Excel and LibreOffice read text starting with these as a formula once a
# user edits the cell (OWASP "CSV injection" adds tab and carriage return).
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
# A lone dash is how a not-measured year is written; it is not a formula.
SAFE_DASHES = frozenset({"-", wording.DASH})
# Characters Windows and macOS refuse in file names, and control characters.
UNSAFE_FILENAME_CHARS = re.compile(r'[\\/:*?"<>|\x00-\x1f\x7f]')

THIN = Side(style="thin", color="808080")
BORDER = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)
HEADER_FONT = Font(bold=True)
HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")
INPUT_FILL = PatternFill("solid", fgColor="FFF2CC")
POLICY_FILL = PatternFill("solid", fgColor="EDEDED")
MISMATCH_FILL = PatternFill("solid", fgColor="F8CBAD")
UNLOCKED = Protection(locked=False)
TOP_LEFT = Alignment(vertical="top")
TOP_LEFT_WRAPPED = Alignment(vertical="top", wrap_text=True)
HEADER_ALIGNMENT = Alignment(horizontal="center", vertical="center", wrap_text=True)


def looks_like_formula(text: str) -> bool:
    """Return whether a spreadsheet could take ``text`` for a formula."""
    return text.startswith(FORMULA_PREFIXES) and text not in SAFE_DASHES


def write_text(cell: Cell, text: str) -> None:
    """Write ``text`` as a string cell that never becomes a formula.

    openpyxl stores text starting with "=" as a formula and "#N/A" as an
    error, so the string type is forced after assignment; the exact text is
    kept. ``quotePrefix`` makes Excel keep text starting with "=", "+", "-"
    or "@" as text when a user edits the cell. Empty text leaves the cell
    empty, and characters that XML cannot hold are dropped.
    """
    text = ILLEGAL_CHARACTERS_RE.sub("", text)
    if not text:
        cell.value = None
        return
    cell.value = text
    cell.data_type = "s"
    if looks_like_formula(text):
        cell.quotePrefix = True


def number_format(places: int) -> str:
    """Return an Excel number format showing ``places`` decimals: "#,##0.0"."""
    return "#,##0." + "0" * places if places else "#,##0"


def filename_part(text: str) -> str:
    """Return ``text`` without spaces or characters file systems refuse."""
    return UNSAFE_FILENAME_CHARS.sub("_", "".join(text.split()))


def entry_sheet_filename(
    *, plan: Plan, fiscal_year: int | None = None, department: Department | None = None
) -> str:
    """Return "第2期伊勢市デジタル行政推進ビジョン_実績入力_令和8年度.xlsx"."""
    if fiscal_year is None:
        years = f"{wareki.fiscal_year_era(plan.start_year)}〜{wareki.fiscal_year_era(plan.end_year)}"
    else:
        years = wareki.fiscal_year_era(fiscal_year)
    parts = [plan.name, "実績入力", years]
    if department is not None:
        parts.append(department.name)
    return "_".join(filename_part(part) for part in parts) + ".xlsx"


def status_table_filename(*, plan: Plan, fiscal_year: int) -> str:
    """Return "伊勢市デジタル行政推進ビジョン（第1期）_評価表_令和7年度.xlsx"."""
    parts = [plan.name, "評価表", wareki.fiscal_year_era(fiscal_year)]
    return "_".join(filename_part(part) for part in parts) + ".xlsx"


def check_year(plan: Plan, fiscal_year: int) -> None:
    if fiscal_year not in plan.fiscal_years:
        raise ValueError(f"{fiscal_year} is outside the period of {plan.code}")


def workbook_bytes(workbook: Workbook) -> bytes:
    buffer = BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def set_widths(sheet: Worksheet, widths: Iterable[int]) -> None:
    for column, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(column)].width = width


def print_landscape(sheet: Worksheet, *, title_rows: str) -> None:
    """Print on A4 landscape, one page wide, repeating ``title_rows``."""
    sheet.page_setup.orientation = sheet.ORIENTATION_LANDSCAPE
    sheet.page_setup.paperSize = sheet.PAPERSIZE_A4
    sheet.page_setup.fitToWidth = 1
    # 0 = as many pages down as the rows need.
    sheet.page_setup.fitToHeight = 0
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
    sheet.print_title_rows = title_rows
    sheet.print_options.horizontalCentered = True
    sheet.oddFooter.center.text = "&P / &N"


def write_header(sheet: Worksheet, row: int, headers: Iterable[str]) -> None:
    for column, header in enumerate(headers, start=1):
        cell = sheet.cell(row, column)
        write_text(cell, header)
        cell.font = HEADER_FONT
        cell.fill = HEADER_FILL
        cell.alignment = HEADER_ALIGNMENT
        cell.border = BORDER


def row_runs(rows: Iterable[int]) -> list[tuple[int, int]]:
    """Group sorted row numbers into (first, last) runs: 2,3,4,7 -> (2,4),(7,7)."""
    runs: list[tuple[int, int]] = []
    for row in rows:
        if runs and runs[-1][1] == row - 1:
            runs[-1] = (runs[-1][0], row)
        else:
            runs.append((row, row))
    return runs


def add_validation(
    sheet: Worksheet, validation: DataValidation, rows: list[int], column: int
) -> None:
    """Attach ``validation`` to ``column`` of ``rows``, one range per run."""
    if not rows:
        return
    letter = get_column_letter(column)
    for first, last in row_runs(rows):
        validation.add(f"{letter}{first}:{letter}{last}")
    sheet.add_data_validation(validation)


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
    indicators = source.filter(plan=plan).order_by("position")
    if department is not None:
        indicators = indicators.filter(measure__departments=department)
    # Three queries a year, whatever the number of indicators.
    rows = [
        row for year in years
        for row in indicator_year_rows(indicators=indicators, fiscal_year=year)
    ]
    rows.sort(key=lambda row: (row.indicator.position, row.fiscal_year))
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
            # getattr: the export worked before Actual.note existed.
            "備考": getattr(actual, "note", "") if actual else "",
        }
        for header, text in texts.items():
            write_text(sheet.cell(number, ENTRY_COLUMNS[header]), text)
        # Text format keeps Excel from reading a typed code or note as a
        # number, date or formula.
        sheet.cell(number, ENTRY_COLUMNS["指標コード"]).number_format = "@"
        sheet.cell(number, NOTE_COLUMN).number_format = "@"
        year = sheet.cell(number, ENTRY_COLUMNS["年度"], row.fiscal_year)
        year.number_format = "0"
        write_actual(sheet.cell(number, ACTUAL_COLUMN), row)
        for column in range(1, len(ENTRY_HEADERS) + 1):
            cell = sheet.cell(number, column)
            cell.border = BORDER
            cell.alignment = TOP_LEFT_WRAPPED if column in ENTRY_WRAPPED else TOP_LEFT
        for column in (ACTUAL_COLUMN, NOTE_COLUMN):
            cell = sheet.cell(number, column)
            cell.protection = UNLOCKED
            cell.fill = INPUT_FILL
        if indicator.kind == Kind.MILESTONE:
            milestone_rows.append(number)
        else:
            number_rows.append(number)
    add_validation(sheet, milestone_validation(), milestone_rows, ACTUAL_COLUMN)
    add_validation(sheet, number_validation(), number_rows, ACTUAL_COLUMN)


def guide_lines(
    *, plan: Plan, years: str, department: Department | None, today: date
) -> list[tuple[str, str]]:
    """Return the 記入方法 sheet as (label, text) lines."""
    instructions = [
        "黄色の欄（実績値・備考）だけを記入してください。ほかの欄は変更できません。",
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


def summary_text(rows: list[IndicatorYear]) -> str:
    return counts_line(rows_rollup(rows))


def write_full_width(sheet: Worksheet, row: int, text: str, **style: object) -> None:
    """Write ``text`` in a row merged across the table."""
    cell = sheet.cell(row, 1)
    write_text(cell, text)
    for name, value in style.items():
        setattr(cell, name, value)
    sheet.merge_cells(start_row=row, start_column=1, end_row=row, end_column=len(STATUS_HEADERS))


def status_remark(row: IndicatorYear) -> str:
    """Return the 備考 of a review-table row: mismatch, 速報, target revision.

    The marks go here rather than into 実績 or 数値目標(KGI), which keep
    the document's wording.
    """
    remarks = []
    if row.mismatch:
        remarks.append(f"公表値と相違（文書：{row.published_label}）")
    if row.provisional:
        remarks.append("速報（未確定の実績値）")
    if row.target_revised:
        remarks.append(
            f"{row.revision_label}：当初 {row.original_target_label}（{row.revised_on_label}決定。"
            f"理由：{row.revision_reason}）"
        )
    return "／".join(remarks)


def status_table(*, plan: Plan, fiscal_year: int) -> bytes:
    """Return the document's review table (評価表) for one fiscal year.

    The rows and evaluations are those of ``manage.py kpi_status``; a row
    whose published evaluation differs is noted and filled. Raise
    ValueError for a year outside the plan period.
    """
    check_year(plan, fiscal_year)
    rows = plan_status(plan=plan, fiscal_year=fiscal_year)
    title = f"{plan.name}　{wareki.fiscal_year_label(fiscal_year)}"

    workbook = Workbook()
    workbook.properties.title = title
    sheet = workbook.active
    sheet.title = STATUS_SHEET_TITLE
    write_full_width(sheet, 1, title, font=Font(bold=True, size=14))
    write_header(sheet, 2, STATUS_HEADERS)

    number = 3
    policy = None
    for row in rows:
        indicator = row.indicator
        if indicator.measure.policy_id != policy:
            policy = indicator.measure.policy_id
            write_full_width(
                sheet, number, f"◆ {indicator.measure.policy}",
                font=HEADER_FONT, fill=POLICY_FILL, border=BORDER,
            )
            number += 1
        texts = [
            indicator.code,
            indicator.measure.title,
            row.kgi_label,
            row.actual_label,
            row.evaluation_label,
            status_remark(row),
        ]
        for column, text in enumerate(texts, start=1):
            cell = sheet.cell(number, column)
            write_text(cell, text)
            cell.border = BORDER
            cell.alignment = TOP_LEFT_WRAPPED
            if row.mismatch:
                cell.fill = MISMATCH_FILL
        number += 1

    number += 1
    write_full_width(sheet, number, summary_text(rows), font=HEADER_FONT)
    mismatches = sum(row.mismatch for row in rows)
    if mismatches:
        number += 1
        write_full_width(sheet, number, f"公表値と計算値が異なる指標：{mismatches}件")
    provisional = sum(row.provisional for row in rows)
    if provisional:
        write_full_width(sheet, number + 1, f"未確定（速報値）の実績：{provisional}件")

    set_widths(sheet, STATUS_WIDTHS)
    sheet.freeze_panes = "A3"
    print_landscape(sheet, title_rows="1:2")
    return workbook_bytes(workbook)
