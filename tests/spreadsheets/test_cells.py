"""Parsing cells as Japanese staff type them: years, actuals, numbers, text."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from decimal import Decimal as D

import pytest

from indicators.achievement import ActualState
from spreadsheets.cells import (
    Cell,
    CellError,
    ParsedActual,
    normalise_header,
    parse_actual,
    parse_fiscal_year,
    parse_number,
    parse_text,
)

FORMULA_MESSAGE = "数式の計算結果が保存されていません。Excelで開いて保存し直してください。"


def refused(cell: Cell, parse: Callable[[Cell], object] = parse_actual) -> str:
    """Return the message ``parse`` refuses ``cell`` with."""
    with pytest.raises(CellError) as info:
        parse(cell)
    return str(info.value)


# Cell ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("cell", "blank"),
    [
        (Cell(None), True),
        (Cell(""), True),
        (Cell(" \t"), True),
        (Cell("\u3000"), True),
        (Cell(None, formula=True), False),
        (Cell("0"), False),
        (Cell(0), False),
        (Cell(0.0, percent=True), False),
    ],
)
def test_cell_blank(cell: Cell, blank: bool) -> None:
    assert cell.blank is blank


# normalise_header ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Code", "code"),
        ("ｃｏｄｅ", "code"),
        (" CODE ", "code"),
        (" 指標コード ", "指標コード"),
        ("指標　 コード", "指標 コード"),
        ("実績値\n（R8）", "実績値 (r8)"),
        ("ｼﾞｯｾｷ", "ジッセキ"),
    ],
)
def test_normalise_header(text: str, expected: str) -> None:
    assert normalise_header(text) == expected


# parse_fiscal_year ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "year"),
    [
        (2026, 2026),
        (2026.0, 2026),
        (D("2026"), 2026),
        ("2026", 2026),
        (" 2026 ", 2026),
        ("２０２６", 2026),
        ("2026年度", 2026),
        ("２０２６年度", 2026),
        ("R8", 2026),
        ("r8", 2026),
        ("R8年度", 2026),
        ("R 8", 2026),
        ("Ｒ８", 2026),
        ("ｒ８年度", 2026),
        ("令和8年度", 2026),
        ("令和８年度", 2026),
        ("令和8", 2026),
        ("令和 8 年度", 2026),
        ("令和元年度", 2019),
        ("令和元", 2019),
        ("R1", 2019),
        ("H30", 2018),
        ("h30年度", 2018),
        ("平成30年度", 2018),
        ("平成元年度", 1989),
        ("令和8年度（2026）", 2026),
        (1989, 1989),
        (2200, 2200),
    ],
)
def test_parse_fiscal_year(value: object, year: int) -> None:
    assert parse_fiscal_year(Cell(value)) == year


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        ("abc", "abc"),
        ("R", "R"),
        ("R0", "R0"),
        ("令和", "令和"),
        ("8", "8"),
        ("FY2026", "FY2026"),
        ("2026/4", "2026/4"),
        ("令和8年度（2025）", "令和8年度（2025）"),
        (2026.5, "2026.5"),
        (True, "TRUE"),
        (datetime(2026, 4, 1), "2026/04/01"),
    ],
)
def test_parse_fiscal_year_refuses(value: object, shown: str) -> None:
    assert refused(Cell(value), parse_fiscal_year) == (
        f"年度として読めません：「{shown}」（例：2026、R8、令和8年度）"
    )


@pytest.mark.parametrize(("value", "shown"), [(1988, "1988"), ("2201", "2201"), ("H0", None)])
def test_parse_fiscal_year_out_of_range(value: object, shown: str | None) -> None:
    message = refused(Cell(value), parse_fiscal_year)

    if shown is None:
        assert message.startswith("年度として読めません：「H0」")
    else:
        assert message == f"年度が範囲外です：「{shown}」（1989年度～2200年度）"


def test_parse_fiscal_year_blank_and_formula() -> None:
    assert refused(Cell(" "), parse_fiscal_year) == "年度が入力されていません。"
    assert refused(Cell(None, formula=True), parse_fiscal_year) == FORMULA_MESSAGE


# parse_actual --------------------------------------------------------------------------

MEASURED_CASES = [
    (Cell(45), D("45"), 0),
    (Cell(45.0), D("45"), 0),
    (Cell(100.0), D("100"), 0),
    (Cell(39.98), D("39.98"), 2),
    (Cell(0.30000000000000004), D("0.3"), 1),
    (Cell(0), D("0"), 0),
    (Cell(-0.0), D("0"), 0),
    (Cell(D("45.50")), D("45.50"), 2),
    (Cell(D("1E+2")), D("100"), 0),
    (Cell(0.45, percent=True), D("45"), 0),
    (Cell(0.3998, percent=True), D("39.98"), 2),
    (Cell(1, percent=True), D("100"), 0),
    (Cell(0.123456, percent=True), D("12.3456"), 4),
    # The decimals the percent format shows are kept: 0.16 as 「16.0%」 is 16.0.
    (Cell(0.16, percent=True, places=1), D("16.0"), 1),
    (Cell(0.16, percent=True, places=0), D("16"), 0),
    (Cell(0.16, percent=True, places=2), D("16.00"), 2),
    (Cell(1, percent=True, places=1), D("100.0"), 1),
    # Never fewer than the number has: 0.3998 shown 「40.0%」 stays 39.98.
    (Cell(0.3998, percent=True, places=1), D("39.98"), 2),
    (Cell(0.16, percent=True, places=9), D("16.0000"), 4),
    (Cell("45"), D("45"), 0),
    (Cell(" 45 "), D("45"), 0),
    (Cell("45.0"), D("45.0"), 1),
    (Cell("45.0%"), D("45.0"), 1),
    (Cell("45%"), D("45"), 0),
    (Cell("45 %"), D("45"), 0),
    (Cell("４５．０％"), D("45.0"), 1),
    (Cell("１，４６７"), D("1467"), 0),
    (Cell("1,467"), D("1467"), 0),
    (Cell("1,234,567.25"), D("1234567.25"), 2),
    (Cell("0.1234"), D("0.1234"), 4),
    (Cell(".5"), D("0.5"), 1),
    (Cell("+5"), D("5"), 0),
    (Cell("-0"), D("0"), 0),
    (Cell("999999999999999"), D("999999999999999"), 0),
    (Cell("　１２　"), D("12"), 0),
]


@pytest.mark.parametrize(("cell", "value", "places"), MEASURED_CASES)
def test_parse_actual_numbers(cell: Cell, value: D, places: int) -> None:
    parsed = parse_actual(cell)

    assert parsed == ParsedActual(ActualState.MEASURED, value, places)
    # Compare the digits too: Decimal("45") == Decimal("45.0").
    assert str(parsed.value) == str(value)


@pytest.mark.parametrize(
    "text", ["－", "-", "―", "ー", "‐", "—", "−", "–", "ｰ", " － ", "\u3000-\u3000"]
)
def test_parse_actual_dashes(text: str) -> None:
    assert parse_actual(Cell(text)) == ParsedActual(ActualState.NOT_MEASURED, None, 0)


@pytest.mark.parametrize(
    ("text", "state"),
    [
        ("完了", ActualState.DONE),
        (" 完了\u3000", ActualState.DONE),
        ("未完了", ActualState.NOT_DONE),
    ],
)
def test_parse_actual_milestones(text: str, state: ActualState) -> None:
    assert parse_actual(Cell(text)) == ParsedActual(state, None, 0)


@pytest.mark.parametrize("cell", [Cell(None), Cell(""), Cell("  "), Cell("\u3000")])
def test_parse_actual_blank_is_pending(cell: Cell) -> None:
    assert parse_actual(cell) is None


REFUSED_CASES = [
    (Cell("abc"), "数値として読めません：「abc」"),
    (Cell("45件"), "数値として読めません：「45件」"),
    (Cell("12,34"), "数値として読めません：「12,34」"),
    (Cell("1,2345"), "数値として読めません：「1,2345」"),
    (Cell("1 467"), "数値として読めません：「1 467」"),
    (Cell("1.23E+5"), "数値として読めません：「1.23E+5」"),
    (Cell("%"), "数値として読めません：「%」"),
    (Cell("--"), "数値として読めません：「--」"),
    (Cell("済"), "数値として読めません：「済」"),
    (Cell(True), "数値として読めません：「TRUE」"),
    (Cell(float("nan")), "数値として読めません：「nan」"),
    (Cell(datetime(2026, 4, 1)), "数値として読めません：「2026/04/01」"),
    (Cell("#DIV/0!"), "Excelのエラー値です：「#DIV/0!」"),
    (Cell("-3"), "負の値は入力できません：「-3」"),
    (Cell("－３"), "負の値は入力できません：「－３」"),
    (Cell("▲3"), "負の値は入力できません：「▲3」"),
    (Cell(-3.0), "負の値は入力できません：「-3」"),
    (Cell(-0.03, percent=True), "負の値は入力できません：「-3%」"),
    (Cell("0.12345"), "小数点以下は4桁までです：「0.12345」"),
    (Cell("45.00000"), "小数点以下は4桁までです：「45.00000」"),
    (Cell(0.12345), "小数点以下は4桁までです：「0.12345」"),
    (Cell(0.1234567, percent=True), "小数点以下は4桁までです：「12.34567%」"),
    (Cell("1234567890123456"), "数値が大きすぎます：「1234567890123456」（整数部は15桁まで）"),
    (Cell(1e16), "数値が大きすぎます：「10000000000000000」（整数部は15桁まで）"),
    (Cell(None, formula=True), FORMULA_MESSAGE),
]


@pytest.mark.parametrize(("cell", "message"), REFUSED_CASES)
def test_parse_actual_refuses(cell: Cell, message: str) -> None:
    assert refused(cell) == message


@pytest.mark.parametrize(
    ("text", "unit", "value", "places"),
    [
        ("205名", "名", D("205"), 0),
        ("２０５ 名", "名", D("205"), 0),
        ("２０５\u3000名", "名", D("205"), 0),
        ("1,234件", "件", D("1234"), 0),
        ("１，２３４ 件", "件", D("1234"), 0),
        ("5,639.8時間", "時間", D("5639.8"), 1),
        ("45.0%", "%", D("45.0"), 1),
        ("４５．０％", "%", D("45.0"), 1),
        ("45.0％", "％", D("45.0"), 1),
        # The unit may be left out, as before.
        ("205", "名", D("205"), 0),
    ],
)
def test_a_number_may_carry_the_kgis_own_unit(text: str, unit: str, value: D, places: int) -> None:
    assert parse_actual(Cell(text), unit) == ParsedActual(ActualState.MEASURED, value, places)
    assert parse_number(Cell(text), unit) == (value, places)


@pytest.mark.parametrize(
    ("text", "unit"),
    [("205人", "名"), ("45%", "名"), ("1,234名", "件"), ("45時間", "%"), ("205名名", "名"),
     ("名205", "名"), ("名", "名"), ("45%", "")],
)
def test_any_other_unit_is_refused(text: str, unit: str) -> None:
    with pytest.raises(CellError) as info:
        parse_actual(Cell(text), unit)
    assert str(info.value) == f"数値として読めません：「{text}」"


def test_a_negative_number_with_its_unit_is_refused_as_negative() -> None:
    with pytest.raises(CellError, match="負の値は入力できません：「▲3名」"):
        parse_actual(Cell("▲3名"), "名")


def test_refusal_quotes_long_text_briefly() -> None:
    note = "前年度の集計方法を見直したため、" * 5

    message = refused(Cell(note))

    assert message == f"数値として読めません：「{note[:40]}…」"


# parse_number -----------------------------------------------------------------------


@pytest.mark.parametrize(("cell", "value", "places"), MEASURED_CASES)
def test_parse_number_numbers(cell: Cell, value: D, places: int) -> None:
    parsed = parse_number(cell)

    assert parsed == (value, places)
    assert str(parsed[0]) == str(value)


@pytest.mark.parametrize(("cell", "message"), REFUSED_CASES)
def test_parse_number_refuses_like_actuals(cell: Cell, message: str) -> None:
    assert refused(cell, parse_number) == message


@pytest.mark.parametrize("text", ["－", "-", "ー", "—", "完了", "未完了"])
def test_parse_number_refuses_states(text: str) -> None:
    assert refused(Cell(text), parse_number) == f"数値として読めません：「{text}」"


@pytest.mark.parametrize("cell", [Cell(None), Cell(" ")])
def test_parse_number_blank(cell: Cell) -> None:
    assert parse_number(cell) is None


# parse_text ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (None, ""),
        ("\u3000", ""),
        ("  ise-1 ", "ise-1"),
        ("ＫＰＩ－１", "ＫＰＩ－１"),
        (2026, "2026"),
        (2026.0, "2026"),
        (1e16, "10000000000000000"),
        (39.98, "39.98"),
        (D("2026.0"), "2026"),
        (D("1.50"), "1.50"),
        (True, "TRUE"),
        (datetime(2026, 4, 1), "2026/04/01"),
        (datetime(2026, 4, 1, 9, 30), "2026/04/01 09:30"),
    ],
)
def test_parse_text(value: object, text: str) -> None:
    assert parse_text(Cell(value)) == text


def test_parse_text_refuses_formula() -> None:
    assert refused(Cell(None, formula=True), parse_text) == FORMULA_MESSAGE

