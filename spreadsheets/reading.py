"""Read uploaded spreadsheets of actuals and parse cells as staff type them.

Departments send .xlsx files or CSV saved by Excel on Japanese Windows, so
cells hold full-width digits, 「R8」 for a fiscal year and 「－」 for an
indicator that was not measured. Every refusal is a short Japanese message
that quotes the offending text, because it is shown to the person who
uploaded the file. No Django imports: the importer and tests use this as
plain Python.
"""

from __future__ import annotations

import csv
import io
import math
import re
import unicodedata
import zipfile
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Context, Decimal, localcontext
from functools import lru_cache
from typing import TYPE_CHECKING, NamedTuple

from openpyxl import load_workbook
from openpyxl.worksheet.formula import ArrayFormula, DataTableFormula

from indicators.achievement import ActualState
from ise_iga_dx.lib.decimals import MAX_PLACES
from ise_iga_dx.lib.wareki import MAX_YEAR, MIN_YEAR, year_from_text

if TYPE_CHECKING:
    from collections.abc import Iterable

    from openpyxl.workbook.workbook import Workbook
    from openpyxl.worksheet._read_only import ReadOnlyWorksheet

__all__ = [
    "Cell",
    "CellError",
    "CellValue",
    "ParsedActual",
    "Sheet",
    "SheetRow",
    "SpreadsheetError",
    "normalise_header",
    "parse_actual",
    "parse_fiscal_year",
    "parse_number",
    "parse_text",
    "read_sheet",
]

CellValue = str | int | float | Decimal | datetime | date | time | timedelta | None

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
_FORMULA = "数式の計算結果が保存されていません。Excelで開いて保存し直してください。"

# Dashes staff type for 「測定なし」. Checked before and after NFKC, which
# folds some (full-width 「－」) into others. U+2212 is what the macOS IME
# gives for a full-width minus, U+2013 what Word and Mac autocorrect give.
_DASHES = frozenset("－-―ー‐—−–")
_DONE = "完了"
_NOT_DONE = "未完了"
# A leading minus in any of the forms NFKC leaves alone, plus 「▲」 and 「△」,
# which Japanese public documents use for negative numbers.
_NEGATIVE_MARKS = ("-", "−", "▲", "△")
_NUMBER = re.compile(r"(?P<int>\d{1,3}(?:,\d{3})+|\d+)?(?:\.(?P<frac>\d*))?", re.ASCII)
_MAX_INTEGER_DIGITS = 15
_TOO_LARGE = Decimal(10) ** _MAX_INTEGER_DIGITS
# Excel keeps 15 significant digits; a cached formula result such as
# 0.1 + 0.2 is stored as 0.30000000000000004 but shown as 0.3.
_EXCEL_DIGITS = 15
_EXCEL_ERRORS = frozenset(
    {"#NULL!", "#DIV/0!", "#VALUE!", "#REF!", "#NAME?", "#NUM!", "#N/A", "#GETTING_DATA"}
)

_YEAR_EXAMPLES = "（例：2026、R8、令和8年度）"
# A fixed context, as in achievement.py: the caller's precision or traps must
# not change how a cell is read.
_CONTEXT = Context(prec=28)
_HUNDRED = Decimal(100)
_QUOTE_LIMIT = 40


class SpreadsheetError(Exception):
    """The whole file is refused; ``str(error)`` is a Japanese message."""


class CellError(ValueError):
    """One cell is refused; ``str(error)`` is the Japanese reason."""


class Cell(NamedTuple):
    """One cell as read, before any parsing.

    A named tuple rather than a frozen dataclass: a file of 10,000 rows
    builds 40,000 of them, and the admin keeps the read sheet between its
    preview and its confirmation (pickled), both several times cheaper so.
    """

    value: CellValue
    # An .xlsx number whose format shows it as a percentage: 0.45 is 45%.
    percent: bool = False
    # An .xlsx formula saved without its result; value is then None.
    formula: bool = False

    @property
    def blank(self) -> bool:
        """Return True for an empty cell; a formula cell is never blank."""
        if self.value is None:
            return not self.formula
        return isinstance(self.value, str) and not self.value.strip()


class SheetRow(NamedTuple):
    """A data row: its number as Excel shows it and one cell per header."""

    number: int
    cells: tuple[Cell, ...]


@dataclass(frozen=True, slots=True)
class Sheet:
    """The header texts of row 1 and every non-blank row after it."""

    headers: tuple[str, ...]
    rows: tuple[SheetRow, ...]


@dataclass(frozen=True, slots=True)
class ParsedActual:
    """An actual (実績値) as entered: a measurement, 「－」, 完了 or 未完了."""

    state: ActualState
    value: Decimal | None
    places: int


_EMPTY = Cell(None)
_UNCACHED_FORMULA = Cell(None, formula=True)


# Reading files ------------------------------------------------------------


def read_sheet(data: bytes, filename: str, *, max_rows: int | None = None) -> Sheet:
    """Return the first sheet of an .xlsx or CSV upload.

    The format is decided from the content; the name only allows text to
    be read as CSV. Raise SpreadsheetError when the file cannot be read or
    has more than ``max_rows`` data rows.
    """
    if not data:
        raise SpreadsheetError(_EMPTY_FILE)
    if data.startswith(_ZIP_MAGIC):
        return _read_xlsx(data, max_rows)
    if data.startswith(_OLE2_MAGIC):
        raise SpreadsheetError(_ENCRYPTED if _ENCRYPTED_PACKAGE in data else _OLD_XLS)
    if not filename.strip().lower().endswith(_TEXT_SUFFIXES):
        raise SpreadsheetError(_NOT_SPREADSHEET)
    return _read_csv(_decode(data), max_rows)


def _read_xlsx(data: bytes, max_rows: int | None) -> Sheet:
    """Return the first worksheet, reading cached formula results only."""
    workbook = _open_workbook(data, data_only=True)
    try:
        headers, rows, uncached = _read_cells(
            workbook, max_rows, percent_formats=_has_percent_formats(data)
        )
    except SpreadsheetError:
        raise
    except Exception as exc:
        # openpyxl reports a damaged package as whatever its XML and zip
        # layers raise (KeyError, ParseError, BadZipFile...).
        raise SpreadsheetError(_NOT_XLSX) from exc
    finally:
        workbook.close()

    if uncached and _has_formulas(data):
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


def _has_formulas(data: bytes) -> bool:
    """Return whether any worksheet of the package holds a formula (<f>).

    Scanning the XML for the tag is far cheaper than a second openpyxl
    pass, and a sheet without formulas (the common case) needs none.
    """
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as package:
            for name in package.namelist():
                if name.startswith("xl/worksheets/") and name.endswith(".xml"):
                    xml = package.read(name)
                    if b"<f>" in xml or b"<f " in xml or b":f>" in xml or b":f " in xml:
                        return True
    except zipfile.BadZipFile:
        return True
    return False


# The built-in number formats 9 (0%) and 10 (0.00%), as a cell style names them.
_BUILTIN_PERCENT = re.compile(rb"""numFmtId\s*=\s*["']\s*(?:9|10)\s*["']""")


def _has_percent_formats(data: bytes) -> bool:
    """Return whether the package's styles may show a number as a percentage.

    openpyxl takes the styles from xl/styles.xml alone. Without a built-in
    percent format there or a "%" in it (or one escaped), no cell can be a
    percentage, and the cells' formats need not be read at all; any doubt
    reads them.
    """
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as package:
            xml = package.read("xl/styles.xml")
    except KeyError:
        return False
    except zipfile.BadZipFile:
        return True
    lowered = xml.lower()
    return (b"%" in xml or b"&#37;" in xml or b"&#x25;" in lowered
            or _BUILTIN_PERCENT.search(xml) is not None)


def _open_workbook(data: bytes, *, data_only: bool) -> Workbook:
    """Return the workbook in ``data`` opened read-only."""
    try:
        return load_workbook(io.BytesIO(data), read_only=True, data_only=data_only)
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
    workbook: Workbook, max_rows: int | None, *, percent_formats: bool = True
) -> tuple[tuple[str, ...], list[tuple[int, list[Cell]]], dict[int, list[int]]]:
    """Return headers, non-blank rows and where those rows have None cells.

    Without ``percent_formats`` (the package has none) no number is scaled,
    and the values are read alone: openpyxl then builds no cell object.
    """
    worksheet = _first_worksheet(workbook)
    rows: list[tuple[int, list[Cell]]] = []
    uncached: dict[int, list[int]] = {}
    row_iter = iter(worksheet.iter_rows(values_only=not percent_formats))
    first = next(row_iter, None)
    if first is None:
        raise SpreadsheetError(_NO_HEADER)
    headers = _headers(cell.value for cell in first) if percent_formats else _headers(first)
    width = len(headers)

    for number, source in enumerate(row_iter, start=2):
        cells: list[Cell] = []
        blank = True
        for item in source[:width]:
            value = item.value if percent_formats else item
            if value is None:
                cells.append(_EMPTY)
            elif isinstance(value, str):
                if blank and value.strip():
                    blank = False
                cells.append(Cell(value))
            elif isinstance(value, (int, float)) and not isinstance(value, bool):
                blank = False
                cells.append(Cell(
                    value, percent=percent_formats and _is_percent_format(item.number_format)
                ))
            else:
                blank = False
                cells.append(Cell(value))
        if blank:
            continue
        cells.extend([_EMPTY] * (width - len(cells)))
        rows.append((number, cells))
        _check_row_count(len(rows), max_rows)
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
    for number, values in enumerate(worksheet.iter_rows(max_row=last, values_only=True), 1):
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
    unquoted = re.sub(r'"[^"]*"|\\.', "", number_format)
    return "%" in unquoted


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


def _read_csv(text: str, max_rows: int | None) -> Sheet:
    """Return the CSV ``text`` as a sheet, numbering rows as Excel shows them.

    Excel opens each record as one row, so a quoted line break does not
    shift the numbers of the rows after it.
    """
    if not text:
        raise SpreadsheetError(_EMPTY_FILE)
    first_line = re.split(r"\r|\n", text, maxsplit=1)[0]
    # Excel's 「テキスト（タブ区切り）」 is a .txt with tabs and no commas.
    delimiter = "\t" if "\t" in first_line and "," not in first_line else ","
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
            raise SpreadsheetError(
                f'{number}行目：CSVの引用符（"）が正しく閉じられていません。'
            ) from exc
        if headers is None:
            headers = _headers(record)
            continue
        width = len(headers)
        cells = [Cell(value) for value in record[:width]]
        if all(cell.blank for cell in cells):
            continue
        cells.extend([_EMPTY] * (width - len(cells)))
        rows.append(SheetRow(number, tuple(cells)))
        _check_row_count(len(rows), max_rows)
    if headers is None:
        raise SpreadsheetError(_EMPTY_FILE)
    return Sheet(headers=headers, rows=tuple(rows))


def _headers(values: Iterable[CellValue]) -> tuple[str, ...]:
    """Return the stripped header texts, without trailing empty columns.

    Formatted but empty cells to the right of the table read as None, and a
    column without a heading cannot be matched to anything anyway.
    """
    headers = [_text_of(value) for value in values]
    while headers and not headers[-1]:
        headers.pop()
    if not headers:
        raise SpreadsheetError(_NO_HEADER)
    return tuple(headers)


def _check_row_count(count: int, max_rows: int | None) -> None:
    """Refuse the file once it has more than ``max_rows`` data rows."""
    if max_rows is not None and count > max_rows:
        raise SpreadsheetError(
            f"行数が上限（{max_rows:,}行）を超えています。ファイルを分けてください。"
        )


# Parsing cells -------------------------------------------------------------


def normalise_header(text: str) -> str:
    """Return ``text`` folded so 「Code」, 「ｃｏｄｅ」 and 「 code 」 compare equal."""
    return " ".join(unicodedata.normalize("NFKC", text).split()).casefold()


def parse_fiscal_year(cell: Cell) -> int:
    """Return the fiscal year in ``cell``: 2026, 「R8」, 「令和8年度」, 「H30」."""
    _refuse_formula(cell)
    if cell.blank:
        raise CellError("年度が入力されていません。")
    value = cell.value
    year: int | None = None
    if isinstance(value, bool):
        year = None
    elif isinstance(value, int):
        year = value
    elif isinstance(value, (float, Decimal)) and _finite(value) and value == int(value):
        year = int(value)
    elif isinstance(value, str):
        year = year_from_text(value)
    if year is None:
        raise CellError(f"年度として読めません：{_quote(cell)}{_YEAR_EXAMPLES}")
    if not MIN_YEAR <= year <= MAX_YEAR:
        raise CellError(f"年度が範囲外です：{_quote(cell)}（{MIN_YEAR}年度～{MAX_YEAR}年度）")
    return year


def parse_actual(cell: Cell) -> ParsedActual | None:
    """Return the actual in ``cell``, or None when it is blank (still pending)."""
    _refuse_formula(cell)
    if cell.blank:
        return None
    if isinstance(cell.value, str):
        raw = cell.value.strip()
        folded = unicodedata.normalize("NFKC", raw).strip()
        if raw in _DASHES or folded in _DASHES:
            return ParsedActual(ActualState.NOT_MEASURED, None, 0)
        if folded == _DONE:
            return ParsedActual(ActualState.DONE, None, 0)
        if folded == _NOT_DONE:
            return ParsedActual(ActualState.NOT_DONE, None, 0)
    value, places = _number(cell)
    return ParsedActual(ActualState.MEASURED, value, places)


def parse_number(cell: Cell) -> tuple[Decimal, int] | None:
    """Return a target or baseline and its decimals, or None when blank.

    The rules are those of parse_actual(), but 「－」 and 完了 are no numbers.
    """
    _refuse_formula(cell)
    if cell.blank:
        return None
    return _number(cell)


def parse_text(cell: Cell) -> str:
    """Return the cell as stripped text: 2026 rather than 「2026.0」; "" when blank."""
    _refuse_formula(cell)
    return _text_of(cell.value)


def _refuse_formula(cell: Cell) -> None:
    """Refuse a formula whose result Excel did not save."""
    if cell.formula:
        raise CellError(_FORMULA)


def _number(cell: Cell) -> tuple[Decimal, int]:
    """Return the non-negative number in a non-blank cell and its decimals."""
    value = cell.value
    if isinstance(value, str):
        number = _number_from_text(value)
    elif isinstance(value, (int, float, Decimal)) and not isinstance(value, bool):
        if not _finite(value):
            raise CellError(f"数値として読めません：{_quote(cell)}")
        number = _decimal_from_float(value) if isinstance(value, float) else Decimal(value)
    else:
        # TRUE/FALSE, or 「4/1」 that Excel turned into a date: say what it became.
        raise CellError(f"数値として読めません：{_quote(cell)}")

    with localcontext(_CONTEXT):
        if cell.percent and not isinstance(value, str):
            number = number * _HUNDRED
    if number < 0:
        raise CellError(f"負の値は入力できません：{_quote(cell)}")
    if number >= _TOO_LARGE:
        raise CellError(
            f"数値が大きすぎます：{_quote(cell)}（整数部は{_MAX_INTEGER_DIGITS}桁まで）"
        )
    if isinstance(value, float):
        # 45.0 from Excel is the integer 45; 「45.0」 typed as text keeps its
        # decimal, because the places typed are the places shown back.
        number = _without_trailing_zeros(number)
    places = max(0, -_exponent(number))
    if places > MAX_PLACES:
        raise CellError(f"小数点以下は{MAX_PLACES}桁までです：{_quote(cell)}")
    if _exponent(number) > 0:
        # Decimal("1E+2") from a caller: keep the digits plain.
        number = Decimal(int(number))
    # -0 reads as 0; a sign there means nothing.
    return number.copy_abs(), places


def _number_from_text(text: str) -> Decimal:
    """Return the number typed in ``text``: 「1,467」, 「４５．０％」, 「-3」."""
    folded = unicodedata.normalize("NFKC", text).strip()
    if folded.upper() in _EXCEL_ERRORS:
        raise CellError(f"Excelのエラー値です：{_quote_text(text)}")
    body = folded
    if body.endswith("%"):
        # Points, not a fraction: 「45.0%」 is 45.0.
        body = body[:-1].rstrip()
    negative = body.startswith(_NEGATIVE_MARKS)
    if negative or body.startswith("+"):
        body = body[1:].lstrip()
    match = _NUMBER.fullmatch(body)
    if not match or not (match["int"] or match["frac"]):
        raise CellError(f"数値として読めません：{_quote_text(text)}")
    digits = (match["int"] or "0").replace(",", "")
    number = Decimal(f"{digits}.{match['frac']}" if match["frac"] else digits)
    if negative and not number.is_zero():
        raise CellError(f"負の値は入力できません：{_quote_text(text)}")
    return number


def _finite(value: float | Decimal) -> bool:
    """Return False for NaN and infinities of float or Decimal."""
    if isinstance(value, Decimal):
        return value.is_finite()
    return math.isfinite(value)


def _exponent(number: Decimal) -> int:
    """Return the exponent of a finite ``number``."""
    exponent = number.as_tuple().exponent
    if not isinstance(exponent, int):
        raise ValueError(f"not a finite number: {number}")
    return exponent


def _decimal_from_float(value: float) -> Decimal:
    """Return ``value`` as Excel shows it: 39.98, not 39.97999999999999687."""
    number = Decimal(repr(value))
    if len(number.as_tuple().digits) > _EXCEL_DIGITS:
        number = Decimal(f"{value:.{_EXCEL_DIGITS}g}")
    return number


def _without_trailing_zeros(number: Decimal) -> Decimal:
    """Return ``number`` without trailing fractional zeros: 45.00 -> 45."""
    if number == number.to_integral_value():
        # normalize() would write 100 as 1E+2.
        return Decimal(int(number))
    return number.normalize(_CONTEXT)


def _text_of(value: CellValue) -> str:
    """Return a cell value as text, the way Excel shows it by default."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, (float, Decimal)):
        if not _finite(value):
            return str(value)
        if isinstance(value, float):
            value = _decimal_from_float(value)
        elif value != value.to_integral_value():
            # A Decimal keeps the places it was given: 「1.50」.
            return f"{value:f}"
        return f"{_without_trailing_zeros(value):f}"
    if isinstance(value, datetime):
        if value.time() == time():
            return value.strftime("%Y/%m/%d")
        return value.strftime("%Y/%m/%d %H:%M")
    if isinstance(value, date):
        return value.strftime("%Y/%m/%d")
    if isinstance(value, time):
        return value.strftime("%H:%M")
    return str(value).strip()


def _quote(cell: Cell) -> str:
    """Return the cell as shown, in 「」, for a message."""
    value = cell.value
    if (
        cell.percent
        and isinstance(value, (int, float))
        and not isinstance(value, bool)
        and _finite(value)
    ):
        number = _decimal_from_float(value) if isinstance(value, float) else Decimal(value)
        with localcontext(_CONTEXT):
            shown = _without_trailing_zeros(number * _HUNDRED)
        return _quote_text(f"{shown:f}%")
    return _quote_text(_text_of(value))


def _quote_text(text: str) -> str:
    """Return ``text`` stripped, in 「」, cut short if a whole note was pasted."""
    text = text.strip()
    if len(text) > _QUOTE_LIMIT:
        text = text[:_QUOTE_LIMIT] + "…"
    return f"「{text}」"
