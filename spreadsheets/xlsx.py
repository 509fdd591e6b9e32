"""Writing .xlsx files: text that never becomes a formula, styles, widths,
print set-up, validations, file names.

Every sheet this application writes (the entry sheet, the review table,
the definitions template) writes its text cells through :func:`write_text`,
which keeps plan and indicator texts from becoming spreadsheet formulas."""

from __future__ import annotations

import re
from io import BytesIO
from typing import TYPE_CHECKING

from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Border, Font, PatternFill, Protection, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from indicators import wording

if TYPE_CHECKING:
    from collections.abc import Iterable

    from openpyxl.cell.cell import Cell
    from openpyxl.worksheet.worksheet import Worksheet

    from plans.models import Plan


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


def without_export_escape(text: str) -> str:
    """Undo the apostrophe our exports put before text that looks like a formula.

    The admin's export writes 「'=1+1」 for a note 「=1+1」
    (resources.FormulaSafeExport); read back, the note is 「=1+1」 again,
    so exporting and re-importing changes nothing.
    """
    if text.startswith("'") and looks_like_formula(text[1:]):
        return text[1:]
    return text


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
