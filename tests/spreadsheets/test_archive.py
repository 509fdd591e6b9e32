"""The checks an upload passes before it is parsed (spreadsheets.archive and the reader).

Each limit is tried on a small file just inside it and one just past it,
with small limits where the defaults would need a large file. The
hostile files at full size, and what reading them costs in memory, are
in test_hostile_uploads.py.
"""

from __future__ import annotations

import io
import zlib

import pytest
from openpyxl import Workbook

from spreadsheets.archive import (
    MAX_CELL_CHARS,
    MAX_COLUMNS,
    MAX_MEMBERS,
    MAX_OTHER_ELEMENTS,
    Limits,
    UnsafeUpload,
    check_package,
)
from spreadsheets.reading import SpreadsheetError, read_sheet
from tests.spreadsheets.hostile_files import (
    CSV_HEADER,
    HEADER_ROW,
    MAIN,
    SHEET_HEAD,
    SHEET_TAIL,
    STRINGS_HEAD,
    STRINGS_TAIL,
    Member,
    member,
    package,
    repeated_member,
    sheet_xml,
    small_workbook,
    workbook,
)

DAMAGED = (
    "Excelファイル（.xlsx）が壊れています（中身が、ファイルに記録された大きさや検査値と一致しません）。"
    "Excelで開いて保存し直してください。"
)
NOT_XLSX = "Excelファイル（.xlsx）として読めません。"
COLUMNS = "列数が上限（256列）を超えています。表の右にある不要な列を削除して保存し直してください。"
TOO_LONG = "行目：セルの文字数が多すぎます（上限 32,767文字）。"


def refused(data: bytes, filename: str = "actuals.xlsx", **limits: int) -> str:
    with pytest.raises(SpreadsheetError) as info:
        read_sheet(data, filename, **limits)
    return str(info.value)


def package_refused(data: bytes, limits: Limits | None = None) -> str:
    with pytest.raises(UnsafeUpload) as info:
        check_package(data, limits or Limits())
    return str(info.value)


def data_rows(count: int, *, first: int = 2) -> bytes:
    return b"".join(
        b'<row r="%d"><c r="A%d" t="inlineStr"><is><t>ISE2-01</t></is></c><c r="B%d"><v>2026</v>'
        b'</c><c r="C%d"><v>%d</v></c></row>' % (n, n, n, n, n)
        for n in range(first, first + count)
    )


def blank_rows(first: int, count: int) -> bytes:
    return b"".join(b'<row r="%d"/>' % n for n in range(first, first + count))


def openpyxl_file(rows: list[list[object]]) -> bytes:
    book = Workbook()
    for row in rows:
        book.active.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


# The limits ----------------------------------------------------------------------


def test_every_limit_is_derived_from_the_upload_and_row_limits():
    limits = Limits()
    assert (limits.max_bytes, limits.max_rows) == (5 * 1024 * 1024, 20_000)
    assert limits.sheet_rows == 22_000
    assert limits.cells == 22_001 * 12
    assert limits.strings == 22_001 * 2
    assert limits.unpacked_bytes == 50 * 1024 * 1024
    assert limits.sheet_bytes == 20 * 1024 * 1024
    assert limits.strings_bytes == 10 * 1024 * 1024
    small = Limits(max_bytes=1_000, max_rows=10)
    # A small row limit still leaves 100 blank rows.
    assert small.sheet_rows == 110
    assert small.unpacked_bytes == 10_000


def test_a_file_the_bombs_are_built_on_reads():
    sheet = read_sheet(small_workbook(), "x.xlsx")
    assert sheet.headers == ("指標コード", "年度", "実績値")
    assert [cell.value for cell in sheet.rows[0].cells] == ["ISE2-01", 2026, 42.5]


def test_the_scan_finds_formulas_and_percent_formats():
    plain = check_package(openpyxl_file([["a"], [1]]), Limits())
    assert not plain.formulas and not plain.percent_formats
    book = Workbook()
    book.active.append(["a", "b"])
    book.active.append(["=1+1", 0.5])
    book.active["B2"].number_format = "0%"
    buffer = io.BytesIO()
    book.save(buffer)
    facts = check_package(buffer.getvalue(), Limits())
    assert facts.formulas and facts.percent_formats


# The zip's directory --------------------------------------------------------------


def test_a_member_past_its_declared_limit_is_refused_before_inflating():
    limits = Limits(max_bytes=10_000)
    sheet = sheet_xml(blank_rows(2, 4_000))
    assert limits.sheet_bytes < len(sheet) < limits.unpacked_bytes
    assert package_refused(workbook(sheet), limits) == (
        "シートが大きすぎます（展開すると58KB、上限39KB）。"
        "不要なシート・画像・書式を削除するか、ファイルを分けてください。"
    )
    strings = STRINGS_HEAD + b"<si><t>x</t></si>" * 3_000 + STRINGS_TAIL
    assert package_refused(workbook(sheet_xml(b""), strings=strings), limits).startswith(
        "文字列の一覧（共有文字列）が大きすぎます"
    )
    styles = f'<styleSheet xmlns="{MAIN}"><!-- {"a" * 20_000} --></styleSheet>'.encode()
    assert package_refused(workbook(sheet_xml(b""), styles=styles), limits).startswith(
        "ファイルの部品が大きすぎます"
    )


def test_the_whole_package_has_a_limit_too():
    limits = Limits(max_bytes=10_000)
    parts = [member(f"xl/media/part{n}.xml", b"<a/>" * 2_400) for n in range(12)]
    data = package([*parts, *_parts_of(small_workbook())])
    assert package_refused(data, limits).startswith(
        "ファイルが大きすぎます（展開すると115KB、上限98KB）。"
    )


def _parts_of(data: bytes) -> list[Member]:
    import zipfile

    with zipfile.ZipFile(io.BytesIO(data)) as source:
        return [member(info.filename, source.read(info)) for info in source.infolist()]


def test_a_large_member_compressed_too_well_is_refused():
    styles = repeated_member("xl/styles.xml", f'<styleSheet xmlns="{MAIN}"><!--'.encode(),
                             b"A" * 1024, b"--></styleSheet>", compressed_bytes=4_000)
    assert 1024 * 1024 < styles.size < Limits().part_bytes
    assert package_refused(workbook(sheet_xml(b""), styles=styles)) == (
        "ファイルの圧縮率が異常に高いため、安全のため読みません。"
        "Excelで開いて「Excel ブック（.xlsx）」として保存し直してください。"
    )


def test_too_many_members():
    parts = [member(f"xl/media/{n}.bin", b"") for n in range(MAX_MEMBERS)]
    data = package([*parts, *_parts_of(small_workbook())])
    assert package_refused(data) == (
        "ファイルを構成する部品の数が上限（1,000個）を超えています。"
        "Excelで開いて「Excel ブック（.xlsx）」として保存し直してください。"
    )


@pytest.mark.parametrize("change", [
    {"declared_size": 10},  # the sheet inflates to more than declared
    {"declared_size": 100_000},  # to less
    {"declared_raw_size": 10},  # its compressed data is cut short
    {"crc": 12345},  # its bytes are not those the directory vouches for
], ids=["larger", "smaller", "cut-short", "crc"])
def test_a_directory_that_lies_is_refused(change):
    sheet = member("xl/worksheets/sheet1.xml", sheet_xml(data_rows(20)))
    fields = {"name": sheet.name, "raw": sheet.raw, "crc": sheet.crc, "size": sheet.size,
              **change}
    assert refused(workbook(Member(**fields))) == DAMAGED


def test_a_stored_member_that_lies_is_refused():
    sheet = member("xl/worksheets/sheet1.xml", sheet_xml(data_rows(3)), stored=True)
    liar = Member(sheet.name, sheet.raw, sheet.crc, sheet.size, method=0,
                  declared_size=sheet.size + 1)
    assert refused(workbook(liar)) == DAMAGED


@pytest.mark.parametrize("liar", [
    Member("xl/worksheets/sheet1.xml", b"x", 0, 1, method=12),  # bzip2
    Member("xl/worksheets/sheet1.xml", b"x", 0, 1, method=14),  # LZMA
], ids=["bzip2", "lzma"])
def test_a_compression_excel_never_uses_is_refused(liar):
    assert refused(workbook(liar)) == NOT_XLSX


def test_a_dtd_is_refused():
    strings = (b'<?xml version="1.0"?><!DOCTYPE sst [<!ENTITY a "b">]>'
               + STRINGS_HEAD + b"<si><t>&a;</t></si>" + STRINGS_TAIL)
    assert refused(workbook(sheet_xml(b""), strings=strings)) == NOT_XLSX


def test_a_damaged_directory_is_not_an_excel_file():
    assert refused(b"PK\x03\x04" + bytes(100)) == NOT_XLSX
    data = small_workbook()
    assert refused(data[: len(data) - 30]) == NOT_XLSX


# Rows ------------------------------------------------------------------------------


def test_blank_rows_count_and_a_margin_is_left_for_them():
    limits = {"max_rows": 10}  # 10 data rows, 100 blank ones
    fits = sheet_xml(data_rows(10) + blank_rows(12, 100))
    assert len(read_sheet(workbook(fits), "x.xlsx", **limits).rows) == 10
    past = sheet_xml(data_rows(10) + blank_rows(12, 101))
    message = "空行を含めた行数が上限（見出しを除いて110行）を超えています。"
    assert refused(workbook(past), **limits).startswith(message)
    csv = CSV_HEADER + b"ISE2-01,R8,1\r\n" * 10
    assert len(read_sheet(csv + b"\r\n" * 100, "x.csv", **limits).rows) == 10
    assert refused(csv + b"\r\n" * 101, "x.csv", **limits).startswith(message)


def test_a_few_data_rows_too_many_say_so():
    assert refused(workbook(sheet_xml(data_rows(11))), max_rows=10) == (
        "行数が上限（10行）を超えています。ファイルを分けてください。"
    )


def test_a_row_far_below_counts_the_rows_between():
    """No dimension and one row at 1,000: the reader counts the 998 rows between."""
    data = workbook(sheet_xml(data_rows(1, first=1_000)))
    assert refused(data, max_rows=10).startswith("空行を含めた行数が上限（見出しを除いて110行）")


def test_a_declared_dimension_past_the_limits_is_refused():
    rows = sheet_xml(b"", dimension="A1:C5000")
    assert refused(workbook(rows), max_rows=10).startswith("空行を含めた行数が上限")
    wide = sheet_xml(b"", dimension="A1:IW2")
    assert refused(workbook(wide)) == COLUMNS
    # A dimension that is too small is ignored: some writers store "A1".
    small = sheet_xml(data_rows(3), dimension="A1")
    assert len(read_sheet(workbook(small), "x.xlsx").rows) == 3


# Cells and columns ------------------------------------------------------------------


def test_cells_are_counted_twice_in_a_sheet_that_declares_no_size():
    limits = Limits(max_rows=10)  # 111 rows: 1,332 cells
    rows = data_rows(110)  # 333 cells and the header's 3
    assert check_package(workbook(sheet_xml(rows, dimension="A1:C111")), limits)
    assert check_package(workbook(sheet_xml(rows)), limits)
    wide = b"".join(b"<row>" + b"<c><v>1</v></c>" * 8 + b"</row>" for _ in range(100))
    assert check_package(workbook(sheet_xml(wide, dimension="A1:H101")), limits)
    assert package_refused(workbook(sheet_xml(wide)), limits) == (
        "セルの数が上限（すべてのシートで1,332個）を超えています。"
        "不要な列・シートを削除するか、ファイルを分けてください。"
    )


def test_a_row_of_more_than_256_cells_is_refused():
    fits = b"<row>" + b"<c><v>1</v></c>" * MAX_COLUMNS + b"</row>"
    assert len(read_sheet(workbook(sheet_xml(fits)), "x.xlsx").rows) == 1
    past = b"<row>" + b"<c><v>1</v></c>" * (MAX_COLUMNS + 1) + b"</row>"
    assert refused(workbook(sheet_xml(past))) == COLUMNS


def test_a_header_past_column_256_is_refused_and_a_stray_cell_is_ignored():
    header = b'<row r="1"><c r="A1" t="inlineStr"><is><t>code</t></is></c>' \
             b'<c r="IW1" t="inlineStr"><is><t>far</t></is></c></row>'
    data = workbook(SHEET_HEAD + header + SHEET_TAIL)
    assert refused(data) == COLUMNS
    stray = data_rows(1) + b'<row r="3"><c r="A3" t="inlineStr"><is><t>x</t></is></c>' \
                           b'<c r="XFD3"><v>1</v></c></row>'
    sheet = read_sheet(workbook(sheet_xml(stray)), "x.xlsx")
    assert [len(row.cells) for row in sheet.rows] == [3, 3]


def test_shared_strings_are_counted():
    limits = Limits(max_rows=10)  # 222 strings
    strings = STRINGS_HEAD + b"<si><t>x</t></si>" * 222 + STRINGS_TAIL
    assert check_package(workbook(sheet_xml(b""), strings=strings), limits)
    strings = STRINGS_HEAD + b"<si/>" * 223 + STRINGS_TAIL
    assert package_refused(workbook(sheet_xml(b""), strings=strings), limits) == (
        "文字列の数が上限（222個）を超えています。不要なシートや文字を削除するか、ファイルを分けてください。"
    )


def test_other_elements_are_counted():
    styles = f'<styleSheet xmlns="{MAIN}">'.encode() + b"<xf/>" * (MAX_OTHER_ELEMENTS - 100)
    assert check_package(workbook(sheet_xml(b""), styles=styles + b"</styleSheet>"), Limits())
    styles += b"<xf/>" * 200 + b"</styleSheet>"
    assert package_refused(workbook(sheet_xml(b""), styles=styles)).startswith(
        "書式・図形・入力規則などの情報が上限（20,000個）を超えています。"
    )


def test_a_sheet_under_another_name_counts_as_other_elements():
    """The workbook may point anywhere; only xl/worksheets/ is counted as cells."""
    rows = b"<row>" + b"<c/>" * 200 + b"</row>"
    data = package([member("xl/elsewhere.xml", rows * 101), *_parts_of(small_workbook())])
    assert package_refused(data).startswith("書式・図形・入力規則などの情報が上限")


def test_elements_split_across_pieces_are_counted_once():
    """Some 750 kB of rows, inflated in 256 kB pieces: exactly at the limit, then one past."""
    limits = Limits()
    rows = b"".join(b'<row r="%d"><c><v>1</v></c></row>' % n for n in range(2, 22_002))
    assert check_package(workbook(member("xl/worksheets/sheet1.xml", sheet_xml(rows))), limits)
    past = rows + b'<row r="22002"><c><v>1</v></c></row>'
    with pytest.raises(UnsafeUpload, match="空行を含めた行数が上限"):
        check_package(workbook(member("xl/worksheets/sheet1.xml", sheet_xml(past))), limits)


def test_a_row_split_across_pieces_is_counted_whole():
    """A row that starts 600 bytes before the first 256 kB piece ends."""
    def sheet(cells: int) -> Member:
        head = SHEET_HEAD + HEADER_ROW
        filler = 256 * 1024 - 600 - len(head) - len(b"<!---->")
        content = (head + b"<!--" + b"x" * filler + b"-->" + b"<row>" + b"<c/>" * cells
                   + b"</row>" + SHEET_TAIL)
        return member("xl/worksheets/sheet1.xml", content)

    assert check_package(workbook(sheet(MAX_COLUMNS)), Limits())
    with pytest.raises(UnsafeUpload, match="列数が上限"):
        check_package(workbook(sheet(MAX_COLUMNS + 1)), Limits())


# Long cells ---------------------------------------------------------------------------


def test_a_long_csv_field_names_its_row():
    fits = CSV_HEADER + b"ISE2-01,R8,1," + b"a" * MAX_CELL_CHARS + b"\r\n"
    assert read_sheet(fits, "x.csv").rows[0].cells[0].value == "ISE2-01"
    past = CSV_HEADER + b"ISE2-01,R8,1\r\n" + b"ISE2-02,R8,1," + b"a" * (MAX_CELL_CHARS + 1)
    assert refused(past, "x.csv") == f"3{TOO_LONG}"


def test_a_csv_field_past_pythons_own_limit_names_its_row():
    """Over csv.field_size_limit (131,072), csv's error is the same message."""
    data = (CSV_HEADER + b"ISE2-01,R8,1\r\n" * 3
            + b'ISE2-02,R8,1,"' + b"a\r\n" * 100_000 + b'"\r\nISE2-03,R8,1\r\n')
    assert refused(data, "x.csv") == f"5{TOO_LONG}"


def test_a_long_header_or_xlsx_cell_names_its_row():
    assert refused(b"a" * (MAX_CELL_CHARS + 1) + b",b\r\n", "x.csv") == f"1{TOO_LONG}"
    long_cell = b'<row r="4"><c r="A4" t="inlineStr"><is><t>' + b"a" * (MAX_CELL_CHARS + 1) \
        + b"</t></is></c></row>"
    assert refused(workbook(sheet_xml(data_rows(2) + long_cell))) == f"4{TOO_LONG}"


def test_csv_cells_and_columns_are_bounded_before_splitting():
    assert refused(CSV_HEADER + b"," * 264_013, "x.csv") == (
        "セルの数が上限（すべてのシートで264,012個）を超えています。"
        "不要な列・シートを削除するか、ファイルを分けてください。"
    )
    assert refused(CSV_HEADER + b"a," * MAX_COLUMNS + b"a\r\n", "x.csv") == COLUMNS


def test_deflate_bombs_are_built_as_they_claim():
    bomb = repeated_member("x", b"<a>", b"<b/>", b"</a>", compressed_bytes=3_000)
    content = zlib.decompress(bomb.raw, -zlib.MAX_WBITS)
    assert len(content) == bomb.size and zlib.crc32(content) == bomb.crc
    assert content.startswith(b"<a><b/><b/>") and content.endswith(b"<b/></a>")
