"""Reading uploaded spreadsheets: .xlsx and CSV files into rows of cells."""

from __future__ import annotations

import io
import zipfile
from decimal import Decimal as D

import pytest
from openpyxl import Workbook, load_workbook
from openpyxl.workbook.workbook import Workbook as LoadedWorkbook

from indicators.achievement import ActualState
from spreadsheets import reading
from spreadsheets.cells import Cell, CellError, ParsedActual, parse_actual, parse_number
from spreadsheets.reading import SpreadsheetError, read_sheet

HEADER = ["指標コード", "年度", "実績値", "備考"]
FORMULA_MESSAGE = "数式の計算結果が保存されていません。Excelで開いて保存し直してください。"


def xlsx(rows: list[list[object]], formats: dict[str, str] | None = None) -> bytes:
    """Return an .xlsx whose first sheet holds ``rows`` from A1."""
    workbook = Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(row)
    for coordinate, number_format in (formats or {}).items():
        sheet[coordinate].number_format = number_format
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def values(sheet: reading.Sheet) -> list[tuple[int, list[object]]]:
    """Return each row's number and cell values."""
    return [(row.number, [cell.value for cell in row.cells]) for row in sheet.rows]


def sheet_refused(data: bytes, filename: str, **kwargs: int) -> str:
    """Return the message read_sheet refuses the file with."""
    with pytest.raises(SpreadsheetError) as info:
        read_sheet(data, filename, **kwargs)
    return str(info.value)


@pytest.fixture
def workbook_spy(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, object]]:
    """Record every workbook read_sheet opens and whether it was closed."""
    opened: list[dict[str, object]] = []

    def spy(*args: object, **kwargs: object) -> LoadedWorkbook:
        workbook = load_workbook(*args, **kwargs)
        record: dict[str, object] = {"data_only": kwargs["data_only"], "closed": False}
        close = workbook.close

        def tracked_close() -> None:
            record["closed"] = True
            close()

        workbook.close = tracked_close
        opened.append(record)
        return workbook

    monkeypatch.setattr(reading, "load_workbook", spy)
    return opened




# read_sheet: xlsx ------------------------------------------------------------


def test_xlsx_headers_rows_and_padding() -> None:
    data = xlsx(
        [
            [" 指標コード ", None, "実績値", "備考", None, None],
            ["ise-1", "Ｒ８", 12, "全角のメモ　ＡＢＣ"],
            ["ise-2", "R8"],
            ["ise-3", "R8", 3, "x", "見出しのない列"],
        ]
    )

    sheet = read_sheet(data, "actuals.xlsx")

    # Trailing columns without a heading are dropped; an inner one stays "".
    assert sheet.headers == ("指標コード", "", "実績値", "備考")
    assert values(sheet) == [
        (2, ["ise-1", "Ｒ８", 12, "全角のメモ　ＡＢＣ"]),
        (3, ["ise-2", "R8", None, None]),
        (4, ["ise-3", "R8", 3, "x"]),
    ]


def test_xlsx_blank_rows_are_dropped_but_keep_excel_numbers() -> None:
    data = xlsx([HEADER, ["ise-1", "R8", 1], [], [None, "  ", None], ["ise-2", "R8", 2]])

    sheet = read_sheet(data, "actuals.xlsx")

    assert [row.number for row in sheet.rows] == [2, 5]


def test_xlsx_with_a_wrong_saved_size_is_read_in_full() -> None:
    # Some exporters write <dimension ref="A1"/> whatever the sheet holds.
    source = zipfile.ZipFile(io.BytesIO(xlsx([HEADER, ["ise-1", "R8", 1, "メモ"]])))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as target:
        for item in source.infolist():
            content = source.read(item)
            if item.filename == "xl/worksheets/sheet1.xml":
                assert b'<dimension ref="A1:D2" />' in content
                content = content.replace(b'<dimension ref="A1:D2" />', b'<dimension ref="A1" />')
            target.writestr(item, content)

    sheet = read_sheet(buffer.getvalue(), "actuals.xlsx")

    assert sheet.headers == tuple(HEADER)
    assert values(sheet) == [(2, ["ise-1", "R8", 1, "メモ"])]


def test_xlsx_reads_the_first_worksheet() -> None:
    workbook = Workbook()
    workbook.active.append(["first"])
    workbook.active.append(["a"])
    second = workbook.create_sheet("二枚目")
    second.append(["second"])
    buffer = io.BytesIO()
    workbook.save(buffer)

    sheet = read_sheet(buffer.getvalue(), "actuals.xlsx")

    assert sheet.headers == ("first",)


def test_xlsx_percent_cells() -> None:
    data = xlsx(
        [
            ["a", "b", "c", "d", "e"],
            [0.3998, 0.45, "45%", 45, 0.45],
        ],
        formats={"A2": "0.0%", "B2": "0%", "C2": "0.0%", "D2": '0"%"', "E2": "0.00"},
    )

    cells = read_sheet(data, "actuals.xlsx").rows[0].cells

    assert [cell.percent for cell in cells] == [True, True, False, False, False]
    assert parse_actual(cells[0]) == ParsedActual(ActualState.MEASURED, D("39.98"), 2)
    assert parse_actual(cells[1]) == ParsedActual(ActualState.MEASURED, D("45"), 0)
    # A quoted "%" is printed, not applied: the cell shows 45% and holds 45.
    assert parse_actual(cells[3]) == ParsedActual(ActualState.MEASURED, D("45"), 0)


@pytest.mark.parametrize(
    ("number_format", "value", "places"),
    [
        ("0.0%", D("16.0"), 1),
        ("0%", D("16"), 0),
        ("0.00%", D("16.00"), 2),
        ("#,##0.0%", D("16.0"), 1),
        ("0.0#%", D("16.0"), 1),
        ("[Red]0.0%;0%", D("16.0"), 1),
        # A number format that is no percentage is read as before.
        ("0.0", D("0.16"), 2),
    ],
)
def test_xlsx_percent_cell_keeps_the_decimals_its_format_shows(
    number_format: str, value: D, places: int
) -> None:
    data = xlsx([["a"], [0.16]], formats={"A2": number_format})

    cell = read_sheet(data, "actuals.xlsx").rows[0].cells[0]

    assert parse_actual(cell) == ParsedActual(ActualState.MEASURED, value, places)
    assert parse_number(cell) == (value, places)


@pytest.mark.parametrize(("number_format", "shown"), [("0%", D("45")), ("0.00%", D("45.00"))])
def test_xlsx_built_in_percent_format_alone(number_format: str, shown: D) -> None:
    """Excel's two built-in percent formats go by number, no "%" in the styles."""
    data = xlsx([["a", "b"], [0.45, 0.45]], formats={"A2": number_format})
    with zipfile.ZipFile(io.BytesIO(data)) as package:
        assert b"%" not in package.read("xl/styles.xml")

    cells = read_sheet(data, "actuals.xlsx").rows[0].cells

    assert [cell.percent for cell in cells] == [True, False]
    # With the decimals the format shows: 「45.00%」 is 45.00.
    assert parse_actual(cells[0]) == ParsedActual(
        ActualState.MEASURED, shown, -shown.as_tuple().exponent
    )
    assert parse_actual(cells[1]) == ParsedActual(ActualState.MEASURED, D("0.45"), 2)


def test_xlsx_formula_without_cached_value(workbook_spy: list[dict[str, object]]) -> None:
    data = xlsx(
        [
            HEADER,
            ["ise-1", "R8", 10, "通常"],
            ["ise-2", "R8", "=C2*2", None],
            ["ise-3", "R8", 30, "通常"],
        ]
    )

    sheet = read_sheet(data, "actuals.xlsx")

    formula_row = sheet.rows[1]
    assert formula_row.number == 3
    assert formula_row.cells[2] == Cell(None, formula=True)
    # The empty note beside it is still just empty.
    assert formula_row.cells[3] == Cell(None)
    assert formula_row.cells[3].blank
    assert sheet.rows[0].cells[2] == Cell(10)
    assert sheet.rows[2].cells[2] == Cell(30)
    with pytest.raises(CellError) as refusal:
        parse_actual(formula_row.cells[2])
    assert str(refusal.value) == FORMULA_MESSAGE
    assert [spy["data_only"] for spy in workbook_spy] == [True, False]
    assert all(spy["closed"] for spy in workbook_spy)


def test_xlsx_without_empty_cells_is_read_once(workbook_spy: list[dict[str, object]]) -> None:
    # Blank rows and columns past the headings do not ask for a second pass.
    data = xlsx([HEADER, ["ise-1", "R8", 10, "a"], [], ["ise-2", "R8", 20, "b", None, "x"]])

    sheet = read_sheet(data, "actuals.xlsx")

    assert len(sheet.rows) == 2
    assert [spy["data_only"] for spy in workbook_spy] == [True]
    assert workbook_spy[0]["closed"]


# read_sheet: CSV ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "filename"),
    [
        ("指標コード,年度,実績値\r\nise-1,R8,45\r\n".encode(), "actuals.csv"),
        ("指標コード,年度,実績値\r\nise-1,R8,45\r\n".encode("utf-8-sig"), "actuals.csv"),
        ("指標コード,年度,実績値\nise-1,R8,45\n".encode("cp932"), "ACTUALS.CSV"),
        ("指標コード\t年度\t実績値\r\nise-1\tR8\t45\r\n".encode("cp932"), "actuals.txt"),
    ],
    ids=["utf-8", "utf-8-bom", "cp932", "tab-separated-txt"],
)
def test_csv_encodings_and_names(data: bytes, filename: str) -> None:
    sheet = read_sheet(data, filename)

    assert sheet.headers == ("指標コード", "年度", "実績値")
    assert values(sheet) == [(2, ["ise-1", "R8", "45"])]


def test_csv_cp932_characters_missing_from_shift_jis() -> None:
    text = "指標コード,担当,備考\r\nise-①,髙橋,4月～6月\r\n"
    with pytest.raises(UnicodeEncodeError):
        text.encode("shift_jis")

    sheet = read_sheet(text.encode("cp932"), "actuals.csv")

    assert values(sheet) == [(2, ["ise-①", "髙橋", "4月～6月"])]


def test_csv_quoted_comma_and_multiline_note() -> None:
    text = (
        "指標コード,年度,実績値,備考\r\n"
        'ise-1,R8,"1,467","一行目\n二行目\n三行目"\r\n'
        "ise-2,R8,12,\r\n"
        "\r\n"
        ",,,\r\n"
        "ise-3,R8,－,\r\n"
    )

    sheet = read_sheet(text.encode("utf-8-sig"), "actuals.csv")

    assert values(sheet) == [
        (2, ["ise-1", "R8", "1,467", "一行目\n二行目\n三行目"]),
        # Numbered as Excel shows the file: one row per record, so the
        # three-line note does not shift the rows after it.
        (3, ["ise-2", "R8", "12", ""]),
        (6, ["ise-3", "R8", "－", ""]),
    ]
    assert parse_number(sheet.rows[0].cells[2]) == (D("1467"), 0)


def test_csv_short_rows_are_padded_and_extra_fields_dropped() -> None:
    sheet = read_sheet(b"a,b,c,\nx\n1,2,3,4,5\n", "actuals.csv")

    assert sheet.headers == ("a", "b", "c")
    assert values(sheet) == [(2, ["x", None, None]), (3, ["1", "2", "3"])]


def test_csv_unclosed_quote() -> None:
    data = b'a,b\r\n1,2\r\n3,"never closed\r\n4,5\r\n'

    assert (
        sheet_refused(data, "actuals.csv") == '3行目：CSVの引用符（"）が正しく閉じられていません。'
    )


@pytest.mark.parametrize(
    "data",
    [
        # Valid in neither: 0x81 starts a CP932 pair that needs a second byte.
        b"code,value\r\nise-1,\x81\x20\r\n",
        # Excel's 「Unicode テキスト」.
        "code\tvalue\r\n".encode("utf-16"),
    ],
    ids=["undecodable", "utf-16"],
)
def test_csv_unknown_encoding(data: bytes) -> None:
    assert sheet_refused(data, "actuals.csv") == (
        "文字コードを判別できません。UTF-8 か Shift_JIS（CP932）で保存してください。"
    )


# read_sheet: refused files -------------------------------------------------------


def test_zip_that_is_not_a_workbook() -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("word/document.xml", "<w:document/>")

    # Refused from the content even when the name claims a spreadsheet.
    for filename in ("report.docx", "actuals.xlsx", "actuals.csv"):
        assert (
            sheet_refused(buffer.getvalue(), filename)
            == "Excelファイル（.xlsx）として読めません。"
        )


def test_old_xls() -> None:
    data = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504)

    message = sheet_refused(data, "actuals.xls")

    assert "（.xls）は読めません" in message
    assert ".xlsx" in message


def test_password_protected_xlsx() -> None:
    data = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(64) + "EncryptedPackage".encode("utf-16-le")

    assert "パスワード" in sheet_refused(data, "actuals.xlsx")


@pytest.mark.parametrize(
    ("data", "filename"),
    [
        (
            b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Length 4 >>\nstream\n\x00\x01\x02\x03",
            "a.pdf",
        ),
        # The name allows CSV, but NUL bytes are no text.
        (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\nstream\n\x00\x01\x02\x03", "a.csv"),
        # Text, but under a name that is no spreadsheet.
        (b"code,value\r\nise-1,45\r\n", "actuals.docx"),
    ],
    ids=["pdf", "pdf-named-csv", "text-named-docx"],
)
def test_not_a_spreadsheet(data: bytes, filename: str) -> None:
    assert sheet_refused(data, filename) == "スプレッドシート（.xlsx または .csv）ではありません。"


@pytest.mark.parametrize(
    ("data", "filename", "message"),
    [
        (b"", "actuals.csv", "ファイルが空です。"),
        (b"", "actuals.xlsx", "ファイルが空です。"),
        (b"\xef\xbb\xbf", "actuals.csv", "ファイルが空です。"),
        (b"\r\nise-1,45\r\n", "actuals.csv", "1行目に見出しがありません。"),
        (b" , ,\r\nise-1,45\r\n", "actuals.csv", "1行目に見出しがありません。"),
        (xlsx([]), "actuals.xlsx", "1行目に見出しがありません。"),
        (xlsx([[], ["ise-1", 45]]), "actuals.xlsx", "1行目に見出しがありません。"),
    ],
    ids=[
        "csv",
        "xlsx-bytes",
        "bom-only",
        "csv-blank-first",
        "csv-blank-headers",
        "xlsx",
        "xlsx-row-2",
    ],
)
def test_empty_or_headerless(data: bytes, filename: str, message: str) -> None:
    assert sheet_refused(data, filename) == message


def test_max_rows_counts_data_rows_only() -> None:
    rows = [HEADER] + [[f"ise-{n}", "R8", n] for n in range(1_000)]
    rows.insert(3, [])
    data = xlsx(rows)

    assert len(read_sheet(data, "actuals.xlsx", max_rows=1_000).rows) == 1_000
    assert sheet_refused(data, "actuals.xlsx", max_rows=999) == (
        "行数が上限（999行）を超えています。ファイルを分けてください。"
    )


def test_max_rows_stops_reading_once_exceeded() -> None:
    lines = ["code,value"] + [f"ise-{n},{n}" for n in range(1_001)]
    # Reading on would reach the broken quote and report that instead.
    data = ("\r\n".join(lines) + '\r\nise-x,"broken\r\n').encode()

    assert sheet_refused(data, "actuals.csv", max_rows=1_000) == (
        "行数が上限（1,000行）を超えています。ファイルを分けてください。"
    )
