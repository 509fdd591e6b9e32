"""Parse cells as staff type them: fiscal years, actuals, numbers and text.

Departments type full-width digits, 「R8」 for a fiscal year, 「－」 for an
indicator that was not measured and 「▲」 for a minus. Every refusal is a
short Japanese message that quotes the offending text, because it is shown
to the person who uploaded the file. :mod:`spreadsheets.reading` reads the
files into these cells. No Django imports: the importer and tests use this
as plain Python.
"""

from __future__ import annotations

import math
import re
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Context, Decimal, localcontext
from typing import NamedTuple

from indicators.achievement import ActualState
from ise_iga_dx.lib.decimals import MAX_PLACES
from ise_iga_dx.lib.wareki import MAX_YEAR, MIN_YEAR, year_from_text

__all__ = [
    "Cell",
    "CellError",
    "CellValue",
    "ParsedActual",
    "normalise_header",
    "parse_actual",
    "parse_fiscal_year",
    "parse_number",
    "parse_text",
    "shown_text",
]

CellValue = str | int | float | Decimal | datetime | date | time | timedelta | None

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
    # The decimals a percent format shows (「0.0%」 → 1): 0.16 shown as
    # 「16.0%」 is kept as 16.0, the precision the person saw.
    places: int = 0

    @property
    def blank(self) -> bool:
        """Return True for an empty cell; a formula cell is never blank."""
        if self.value is None:
            return not self.formula
        return isinstance(self.value, str) and not self.value.strip()


@dataclass(frozen=True, slots=True)
class ParsedActual:
    """An actual (実績値) as entered: a measurement, 「－」, 完了 or 未完了."""

    state: ActualState
    value: Decimal | None
    places: int


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


def parse_actual(cell: Cell, unit: str | None = None) -> ParsedActual | None:
    """Return the actual in ``cell``, or None when it is blank (still pending).

    ``unit`` is the KGI's own unit (単位): a number typed with it, 「205名」
    or 「２０５ 名」, is read as the number; any other unit is refused.
    Without ``unit`` (the KGI is not known) only a trailing 「%」 is read.
    """
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
    value, places = _number(cell, unit)
    return ParsedActual(ActualState.MEASURED, value, places)


def parse_number(cell: Cell, unit: str | None = None) -> tuple[Decimal, int] | None:
    """Return a target or baseline and its decimals, or None when blank.

    The rules are those of parse_actual(), ``unit`` included, but 「－」 and
    完了 are no numbers.
    """
    _refuse_formula(cell)
    if cell.blank:
        return None
    return _number(cell, unit)


def parse_text(cell: Cell) -> str:
    """Return the cell as stripped text: 2026 rather than 「2026.0」; "" when blank."""
    _refuse_formula(cell)
    return shown_text(cell.value)


def _refuse_formula(cell: Cell) -> None:
    """Refuse a formula whose result Excel did not save."""
    if cell.formula:
        raise CellError(_FORMULA)


def _number(cell: Cell, unit: str | None = None) -> tuple[Decimal, int]:
    """Return the non-negative number in a non-blank cell and its decimals."""
    value = cell.value
    if isinstance(value, str):
        number = _number_from_text(value, unit)
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
    if cell.percent and not isinstance(value, str) and cell.places > -_exponent(number):
        # The decimals the cell's format showed (0.16 as 「16.0%」), never
        # fewer than the number has: 0.3998 as 「40.0%」 stays 39.98.
        with localcontext(_CONTEXT):
            number = number.quantize(Decimal(1).scaleb(-min(cell.places, MAX_PLACES)))
    places = max(0, -_exponent(number))
    if places > MAX_PLACES:
        raise CellError(f"小数点以下は{MAX_PLACES}桁までです：{_quote(cell)}")
    if _exponent(number) > 0:
        # Decimal("1E+2") from a caller: keep the digits plain.
        number = Decimal(int(number))
    # -0 reads as 0; a sign there means nothing.
    return number.copy_abs(), places


def _number_from_text(text: str, unit: str | None = None) -> Decimal:
    """Return the number typed in ``text``: 「1,467」, 「４５．０％」, 「-3」.

    With the KGI's ``unit``, the number may be followed by that unit
    (「205名」, 「1,234 件」); 「%」 only when the unit is 「%」. Without one,
    「%」 alone may follow.
    """
    folded = unicodedata.normalize("NFKC", text).strip()
    if folded.upper() in _EXCEL_ERRORS:
        raise CellError(f"Excelのエラー値です：{_quote_text(text)}")
    body = folded
    suffix = "%" if unit is None else unicodedata.normalize("NFKC", unit).strip()
    if suffix and body.endswith(suffix):
        # The KGI's own unit, or points: 「45.0%」 is 45.0, not a fraction.
        body = body[:-len(suffix)].rstrip()
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


def shown_text(value: CellValue) -> str:
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
    return _quote_text(shown_text(value))


def _quote_text(text: str) -> str:
    """Return ``text`` stripped, in 「」, cut short if a whole note was pasted."""
    text = text.strip()
    if len(text) > _QUOTE_LIMIT:
        text = text[:_QUOTE_LIMIT] + "…"
    return f"「{text}」"
