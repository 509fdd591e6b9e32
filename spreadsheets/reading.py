"""Read uploaded spreadsheets: the first sheet of an .xlsx or a CSV file.

Departments send .xlsx files or CSV saved by Excel on Japanese Windows. The
format is decided from the content; each non-blank row becomes its cells
(:class:`spreadsheets.cells.Cell`, with an .xlsx number's percent format
and an uncached formula marked), which :mod:`spreadsheets.cells` parses.
A file that cannot be read is refused whole, with a short Japanese
message. An .xlsx package is checked by :mod:`spreadsheets.archive`
before openpyxl opens it, and both formats are read within the same
:class:`~spreadsheets.archive.Limits`: every row counts against them,
blank or not, and no cell may be longer than Excel allows. No Django
imports: the importer and tests use this as plain Python.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, NamedTuple

from openpyxl import load_workbook
from openpyxl.worksheet.formula import ArrayFormula, DataTableFormula

from spreadsheets.archive import (
    DEFAULT_MAX_BYTES,
    DEFAULT_MAX_ROWS,
    MAX_CELL_CHARS,
    MAX_COLUMNS,
    Limits,
    UnsafeUpload,
    check_package,
)
from spreadsheets.cells import Cell, shown_text

if TYPE_CHECKING:
    from collections.abc import Iterable

    from openpyxl.workbook.workbook import Workbook
    from openpyxl.worksheet._read_only import ReadOnlyWorksheet

    from spreadsheets.cells import CellValue

__all__ = [
    "Sheet",
    "SheetRow",
    "SpreadsheetError",
    "read_sheet",
]

_ZIP_MAGIC = b"PK\x03\x04"
_OLE2_MAGIC = b"\xd0\xcf\x11\xe0"
# Excel saves a password-protected .xlsx as an OLE2 file holding this stream.
_ENCRYPTED_PACKAGE = "EncryptedPackage".encode("utf-16-le")
_UTF8_BOM = b"\xef\xbb\xbf"
_UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")
_TEXT_SUFFIXES = (".csv", ".txt")

_NOT_SPREADSHEET = "スプレッドシート（.xlsx または .csv）ではありません。"
_NOT_XLSX = "Excelファイル（.xlsx）として読めません。"
_OLD_XLS = (
    "古い形式のExcelファイル（.xls）は読めません。"
    "Excelで開き「Excel ブック（.xlsx）」として保存し直してください。"
)
_ENCRYPTED = "パスワード付きのExcelファイルは読めません。パスワードを外して保存し直してください。"
_UNKNOWN_ENCODING = "文字コードを判別できません。UTF-8 か Shift_JIS（CP932）で保存してください。"
_EMPTY_FILE = "ファイルが空です。"
_NO_HEADER = "1行目に見出しがありません。"
# csv's own limit on a field (131,072 characters by default), which
# MAX_CELL_CHARS is well within; its error names no row.
_CSV_FIELD_LIMIT_ERROR = "field larger than field limit"


class SpreadsheetError(Exception):
    """The whole file is refused; ``str(error)`` is a Japanese message."""


class SheetRow(NamedTuple):
    """A data row: its number as Excel shows it and one cell per header."""

    number: int
    cells: tuple[Cell, ...]


@dataclass(frozen=True, slots=True)
class Sheet:
    """The header texts of row 1 and every non-blank row after it."""

    headers: tuple[str, ...]
    rows: tuple[SheetRow, ...]


_EMPTY = Cell(None)
_UNCACHED_FORMULA = Cell(None, formula=True)


# Reading files ------------------------------------------------------------


def read_sheet(
    data: bytes, filename: str, *, max_rows: int | None = None, max_bytes: int | None = None
) -> Sheet:
    """Return the first sheet of an .xlsx or CSV upload.

    The format is decided from the content; the name only allows text to
    be read as CSV. Raise SpreadsheetError when the file cannot be read,
    has more than ``max_rows`` data rows, or passes any limit derived from
    ``max_rows`` and ``max_bytes`` (the upload's size limit); either left
    out is the settings' default.
    """
    limits = Limits(
        max_bytes=DEFAULT_MAX_BYTES if max_bytes is None else max_bytes,
        max_rows=DEFAULT_MAX_ROWS if max_rows is None else max_rows,
    )
    if not data:
        raise SpreadsheetError(_EMPTY_FILE)
    if data.startswith(_ZIP_MAGIC):
        return _read_xlsx(data, limits)
    if data.startswith(_OLE2_MAGIC):
        raise SpreadsheetError(_ENCRYPTED if _ENCRYPTED_PACKAGE in data else _OLD_XLS)
    if not filename.strip().lower().endswith(_TEXT_SUFFIXES):
        raise SpreadsheetError(_NOT_SPREADSHEET)
    return _read_csv(_decode(data), limits)


def _read_xlsx(data: bytes, limits: Limits) -> Sheet:
    """Return the first worksheet, reading cached formula results only."""
    try:
        facts = check_package(data, limits)
    except UnsafeUpload as error:
        raise SpreadsheetError(str(error)) from None
    workbook = _open_workbook(data, data_only=True)
    try:
        headers, rows, uncached = _read_cells(
            workbook, limits, percent_formats=facts.percent_formats
        )
    except SpreadsheetError:
        raise
    except Exception as exc:
        # openpyxl reports a damaged package as whatever its XML and zip
        # layers raise (KeyError, ParseError, BadZipFile...).
        raise SpreadsheetError(_NOT_XLSX) from exc
    finally:
        workbook.close()

    if uncached and facts.formulas:
        # An empty cell and a formula without a cached result both read as
        # None, so only then pay for reading the file a second time.
        workbook = _open_workbook(data, data_only=False)
        try:
            _mark_formulas(workbook, rows, uncached)
        except Exception as exc:
            raise SpreadsheetError(_NOT_XLSX) from exc
        finally:
            workbook.close()

    return Sheet(
        headers=headers,
        rows=tuple(SheetRow(number, tuple(cells)) for number, cells in rows),
    )


def _open_workbook(data: bytes, *, data_only: bool) -> Workbook:
    """Return the workbook in ``data`` opened read-only."""
    try:
        # External links are of no use here, and one less part to parse.
        return load_workbook(
            io.BytesIO(data), read_only=True, data_only=data_only, keep_links=False
        )
    except Exception as exc:
        # A .docx, .ods or damaged file is a zip too; openpyxl refuses it
        # with many unrelated exception types.
        raise SpreadsheetError(_NOT_XLSX) from exc


def _first_worksheet(workbook: Workbook) -> ReadOnlyWorksheet:
    """Return the first worksheet, sized from its cells rather than its header."""
    if not workbook.worksheets:
        raise SpreadsheetError(_NO_HEADER)
    worksheet = workbook.worksheets[0]
    # Some writers store a wrong <dimension>, which would cut rows short.
    worksheet.reset_dimensions()
    return worksheet


def _read_cells(
    workbook: Workbook, limits: Limits, *, percent_formats: bool = True
) -> tuple[tuple[str, ...], list[tuple[int, list[Cell]]], dict[int, list[int]]]:
    """Return headers, non-blank rows and where those rows have None cells.

    Without ``percent_formats`` (the package has none) no number is scaled,
    and the values are read alone: openpyxl then builds no cell object.
    Rows are read as wide as the header, so that a stray cell far to the
    right costs nothing.
    """
    worksheet = _first_worksheet(workbook)
    rows: list[tuple[int, list[Cell]]] = []
    uncached: dict[int, list[int]] = {}
    values_only = not percent_formats
    first = next(
        worksheet.iter_rows(max_row=1, max_col=MAX_COLUMNS + 1, values_only=values_only), None
    )
    if first is None:
        raise SpreadsheetError(_NO_HEADER)
    headers = _headers(cell.value for cell in first) if percent_formats else _headers(first)
    width = len(headers)
    row_iter = worksheet.iter_rows(min_row=2, max_col=width, values_only=values_only)

    for number, source in enumerate(row_iter, start=2):
        _check_rows_read(number, limits)
        cells: list[Cell] = []
        blank = True
        for item in source:
            value = item.value if percent_formats else item
            if value is None:
                cells.append(_EMPTY)
            elif isinstance(value, str):
                if blank and value.strip():
                    blank = False
                if len(value) > MAX_CELL_CHARS:
                    raise SpreadsheetError(_too_long(number))
                cells.append(Cell(value))
            elif isinstance(value, (int, float)) and not isinstance(value, bool):
                blank = False
                shown = _percent_places(item.number_format) if percent_formats else None
                cells.append(
                    Cell(value) if shown is None
                    else Cell(value, percent=True, places=shown)
                )
            else:
                blank = False
                cells.append(Cell(value))
        if blank:
            continue
        cells.extend([_EMPTY] * (width - len(cells)))
        rows.append((number, cells))
        _check_row_count(len(rows), limits.max_rows)
        missing = [index for index, cell in enumerate(cells) if cell.value is None]
        if missing:
            uncached[number] = missing
    return headers, rows, uncached


def _mark_formulas(
    workbook: Workbook,
    rows: list[tuple[int, list[Cell]]],
    uncached: dict[int, list[int]],
) -> None:
    """Mark the None cells of ``rows`` that hold a formula in ``workbook``."""
    worksheet = _first_worksheet(workbook)
    formulas: dict[int, list[int]] = {}
    last = max(uncached)
    width = len(rows[0][1])
    for number, values in enumerate(
        worksheet.iter_rows(max_row=last, max_col=width, values_only=True), 1
    ):
        for index in uncached.get(number, ()):
            value = values[index] if index < len(values) else None
            if _is_formula(value):
                formulas.setdefault(number, []).append(index)
    if not formulas:
        return
    for number, cells in rows:
        for index in formulas.get(number, ()):
            cells[index] = _UNCACHED_FORMULA


def _is_formula(value: object) -> bool:
    """Return True for a cell value openpyxl reads as a formula."""
    if isinstance(value, (ArrayFormula, DataTableFormula)):
        return True
    return isinstance(value, str) and value.startswith("=")


@lru_cache(maxsize=256)
def _is_percent_format(number_format: str) -> bool:
    """Return True when ``number_format`` scales the number by 100.

    A "%" inside quotes or after a backslash (「0"%"」, 「0\\%」) is printed
    as is and does not scale, so 45 shown as 「45%」 stays 45.
    """
    return "%" in _unquoted(number_format)


@lru_cache(maxsize=256)
def _percent_places(number_format: str) -> int | None:
    """Return the decimals a percent format shows, None for any other format.

    「0%」 → 0, 「0.0%」 → 1, 「#,##0.00%」 → 2: the zeros after the decimal
    point of the first section (positive numbers), which Excel always
    prints; a 「#」 there prints only a digit that is not zero.
    """
    if not _is_percent_format(number_format):
        return None
    section = _unquoted(number_format).split(";", 1)[0]
    # [Red], [>=100], [$-411]: colours, conditions and locales.
    section = re.sub(r"\[[^\]]*\]", "", section)
    _, point, decimals = section.partition(".")
    if not point:
        return 0
    return len(re.match(r"0*", decimals).group())


def _unquoted(number_format: str) -> str:
    """Return ``number_format`` without its quoted text and escaped characters."""
    return re.sub(r'"[^"]*"|\\.', "", number_format)


def _decode(data: bytes) -> str:
    """Return CSV text decoded as UTF-8 (with or without BOM) or CP932."""
    if data.startswith(_UTF16_BOMS):
        # Excel's 「Unicode テキスト」; its content is fine but the encoding is not.
        raise SpreadsheetError(_UNKNOWN_ENCODING)
    if b"\x00" in data:
        raise SpreadsheetError(_NOT_SPREADSHEET)
    if data.startswith(_UTF8_BOM):
        encodings: tuple[str, ...] = ("utf-8-sig",)
    else:
        # Excel on Japanese Windows saves 「CSV（コンマ区切り）」 as CP932, a
        # superset of Shift_JIS with 「①」 and 「髙」.
        encodings = ("utf-8", "cp932")
    for encoding in encodings:
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise SpreadsheetError(_UNKNOWN_ENCODING)


def _read_csv(text: str, limits: Limits) -> Sheet:
    """Return the CSV ``text`` as a sheet, numbering rows as Excel shows them.

    Excel opens each record as one row, so a quoted line break does not
    shift the numbers of the rows after it. Every record counts against
    the rows' limit, an empty line too, and the delimiters bound the cells
    before any record is split (one record of a million commas would be a
    list of a million fields).
    """
    if not text:
        raise SpreadsheetError(_EMPTY_FILE)
    first_line = re.split(r"\r|\n", text, maxsplit=1)[0]
    # Excel's 「テキスト（タブ区切り）」 is a .txt with tabs and no commas.
    delimiter = "\t" if "\t" in first_line and "," not in first_line else ","
    if text.count(delimiter) > limits.cells:
        raise SpreadsheetError(limits.too_many_cells())
    # strict: an unclosed quote would otherwise swallow the rest of the file
    # into one cell without a word.
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    headers: tuple[str, ...] | None = None
    rows: list[SheetRow] = []
    number = 0
    while True:
        number += 1
        try:
            record = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            if _CSV_FIELD_LIMIT_ERROR in str(exc):
                raise SpreadsheetError(_too_long(number)) from None
            raise SpreadsheetError(
                f'{number}行目：CSVの引用符（"）が正しく閉じられていません。'
            ) from exc
        _check_rows_read(number, limits)
        if len(record) > MAX_COLUMNS:
            raise SpreadsheetError(limits.too_many_columns())
        if any(len(value) > MAX_CELL_CHARS for value in record):
            raise SpreadsheetError(_too_long(number))
        if headers is None:
            headers = _headers(record)
            continue
        width = len(headers)
        cells = [Cell(value) for value in record[:width]]
        if all(cell.blank for cell in cells):
            continue
        cells.extend([_EMPTY] * (width - len(cells)))
        rows.append(SheetRow(number, tuple(cells)))
        _check_row_count(len(rows), limits.max_rows)
    if headers is None:
        raise SpreadsheetError(_EMPTY_FILE)
    return Sheet(headers=headers, rows=tuple(rows))


def _headers(values: Iterable[CellValue]) -> tuple[str, ...]:
    """Return the stripped header texts, without trailing empty columns.

    Formatted but empty cells to the right of the table read as None, and a
    column without a heading cannot be matched to anything anyway.
    """
    headers = [shown_text(value) for value in values]
    while headers and not headers[-1]:
        headers.pop()
    if not headers:
        raise SpreadsheetError(_NO_HEADER)
    if len(headers) > MAX_COLUMNS:
        raise SpreadsheetError(Limits.too_many_columns())
    if any(len(header) > MAX_CELL_CHARS for header in headers):
        raise SpreadsheetError(_too_long(1))
    return tuple(headers)


def _check_row_count(count: int, max_rows: int) -> None:
    """Refuse the file once it has more than ``max_rows`` data rows."""
    if count > max_rows:
        raise SpreadsheetError(
            f"行数が上限（{max_rows:,}行）を超えています。ファイルを分けてください。"
        )


def _check_rows_read(number: int, limits: Limits) -> None:
    """Refuse the file once row ``number`` (as Excel shows it) is past the limit.

    Blank rows count as well: a sheet of a million blank rows, or a CSV
    of a million empty lines, is refused at the limit instead of read to
    its end. The limit leaves a margin over the data rows' limit for the
    blank rows Excel keeps below a table (:attr:`Limits.sheet_rows`).
    """
    if number > limits.sheet_rows + 1:
        raise SpreadsheetError(limits.too_many_rows())


def _too_long(number: int) -> str:
    return f"{number}行目：セルの文字数が多すぎます（上限 {MAX_CELL_CHARS:,}文字）。"
