"""The review table (評価表) in the document's layout, A4 landscape, and its
進捗管理シート.

Every evaluation is the engine's, worded by :mod:`indicators.wording`, as
on the print page. The workbook has two sheets: 「評価表」, the document's
five columns and a 備考, and 「進捗管理シート」, the same KGIs with
取組状況・要因分析・今後の方向性 (「（未記入）」 where blank). The comments
are a sheet of their own rather than three more columns of the 評価表: a
paragraph of commentary beside each row would make the review table too
wide to read on one A4 sheet, and it keeps the document's layout."""

from __future__ import annotations

from typing import TYPE_CHECKING

from openpyxl import Workbook
from openpyxl.styles import Font

from indicators import wording
from indicators.selectors import plan_status, rows_rollup
from indicators.wording import counts_line
from ise_iga_dx.lib import wareki
from spreadsheets.xlsx import (
    BORDER,
    HEADER_FONT,
    MISMATCH_FILL,
    POLICY_FILL,
    TOP_LEFT_WRAPPED,
    check_year,
    filename_part,
    print_landscape,
    set_widths,
    workbook_bytes,
    write_header,
    write_text,
)

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    from openpyxl.worksheet.worksheet import Worksheet

    from indicators.evaluation import IndicatorYear
    from plans.models import Plan


STATUS_SHEET_TITLE = "評価表"
STATUS_HEADERS = ("No.", "施策名称", "数値目標(KGI)", "実績", "評価《達成率》", "備考")
STATUS_WIDTHS = (10, 28, 52, 16, 24, 40)
PROGRESS_SHEET_TITLE = "進捗管理シート"
PROGRESS_HEADERS = (
    "No.", "数値目標(KGI)", "実績", "評価《達成率》", *(
        heading for _field, heading in wording.COMMENTARY_FIELDS
    ), "備考",
)
# Wide enough for a paragraph per comment, narrow enough that A4 landscape,
# one page wide, still prints at about three quarters of full size.
PROGRESS_WIDTHS = (10, 30, 12, 18, 34, 34, 34, 24)


def status_table_filename(*, plan: Plan, fiscal_year: int) -> str:
    """Return "伊勢市デジタル行政推進ビジョン（第1期）_評価表_令和7年度.xlsx"."""
    parts = [plan.name, "評価表", wareki.fiscal_year_era(fiscal_year)]
    return "_".join(filename_part(part) for part in parts) + ".xlsx"


def summary_text(rows: list[IndicatorYear]) -> str:
    return counts_line(rows_rollup(rows))


def write_full_width(
    sheet: Worksheet, row: int, text: str, *, columns: int = len(STATUS_HEADERS),
    **style: object,
) -> None:
    """Write ``text`` in a row merged across the table's ``columns``."""
    cell = sheet.cell(row, 1)
    write_text(cell, text)
    for name, value in style.items():
        setattr(cell, name, value)
    sheet.merge_cells(start_row=row, start_column=1, end_row=row, end_column=columns)


def status_remark(row: IndicatorYear) -> str:
    """Return the 備考 of a review-table row.

    Mismatch, 速報 and target revision first, then 評価対象外 and why, the
    actual's 備考 and the KGI's ※ notes in full (the sheet has no notes
    under its rows). The marks go here rather than into 実績 or
    数値目標(KGI), which keep the document's wording.
    """
    flags = []
    if row.mismatch:
        flags.append(f"公表値と相違（文書：{row.published_label}）")
    if row.provisional:
        flags.append("速報（未確定の実績値）")
    if row.target_revised:
        flags.append(
            f"{row.revision_label}：当初 {row.original_target_label}（{row.revised_on_label}決定。"
            f"理由：{row.revision_reason}）"
        )
    return wording.remarks_text(actual=row.reported, notes=row.indicator.notes, flags=flags)


def progress_texts(row: IndicatorYear) -> list[str]:
    """Return a 進捗管理シート row: the KGI, its evaluation, the three comments, 備考.

    The 備考 here is 評価対象外 and why and the actual's 備考; the ※ notes
    are on the 評価表.
    """
    return [
        row.indicator.code,
        row.kgi_label,
        row.actual_label,
        row.evaluation_label,
        *(text for _heading, text in wording.commentary(row.reported)),
        wording.remarks_text(actual=row.reported),
    ]


def write_rows(
    sheet: Worksheet, rows: Sequence[IndicatorYear], *, columns: int,
    texts: Callable[[IndicatorYear], list[str]],
) -> int:
    """Write ``rows`` from row 3 under merged policy headings; return the next row.

    A row whose published evaluation differs from the computed one is
    filled.
    """
    number = 3
    policy = None
    for row in rows:
        indicator = row.indicator
        if indicator.measure.policy_id != policy:
            policy = indicator.measure.policy_id
            write_full_width(
                sheet, number, f"◆ {indicator.measure.policy}", columns=columns,
                font=HEADER_FONT, fill=POLICY_FILL, border=BORDER,
            )
            number += 1
        for column, text in enumerate(texts(row), start=1):
            cell = sheet.cell(number, column)
            write_text(cell, text)
            cell.border = BORDER
            cell.alignment = TOP_LEFT_WRAPPED
            if row.mismatch:
                cell.fill = MISMATCH_FILL
        number += 1
    return number


def status_texts(row: IndicatorYear) -> list[str]:
    """Return a 評価表 row as the document prints it, with its 備考."""
    return [
        row.indicator.code,
        row.indicator.measure.title,
        row.kgi_label,
        row.actual_label,
        row.evaluation_label,
        status_remark(row),
    ]


def write_progress_sheet(
    workbook: Workbook, *, title: str, rows: Sequence[IndicatorYear]
) -> None:
    """Add the 「進捗管理シート」 sheet: one row per KGI with its commentary."""
    sheet = workbook.create_sheet(PROGRESS_SHEET_TITLE)
    columns = len(PROGRESS_HEADERS)
    write_full_width(
        sheet, 1, f"{title}　{PROGRESS_SHEET_TITLE}", columns=columns,
        font=Font(bold=True, size=14),
    )
    write_header(sheet, 2, PROGRESS_HEADERS)
    write_rows(sheet, rows, columns=columns, texts=progress_texts)
    set_widths(sheet, PROGRESS_WIDTHS)
    sheet.freeze_panes = "B3"
    print_landscape(sheet, title_rows="1:2")


def status_table(*, plan: Plan, fiscal_year: int) -> bytes:
    """Return the document's review table (評価表) for one fiscal year.

    The rows and evaluations are those of ``manage.py kpi_status``; a row
    whose published evaluation differs is noted and filled. A second
    sheet, 「進捗管理シート」, carries the commentary. Raise ValueError for
    a year outside the plan period.
    """
    check_year(plan, fiscal_year)
    # As the print page: a year without an actual shows its outlook (見込み).
    rows = plan_status(plan=plan, fiscal_year=fiscal_year, outlooks=True)
    title = f"{plan.name}　{wareki.fiscal_year_label(fiscal_year)}"

    workbook = Workbook()
    workbook.properties.title = title
    sheet = workbook.active
    sheet.title = STATUS_SHEET_TITLE
    write_full_width(sheet, 1, title, font=Font(bold=True, size=14))
    write_header(sheet, 2, STATUS_HEADERS)
    number = write_rows(sheet, rows, columns=len(STATUS_HEADERS), texts=status_texts)

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
    write_progress_sheet(workbook, title=title, rows=rows)
    return workbook_bytes(workbook)
