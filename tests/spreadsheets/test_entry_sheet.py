"""The entry sheet (記入用シート): headers, rows, locks, validations, prefills
and the guide; an untouched sheet re-imports as unchanged."""

from __future__ import annotations

from decimal import Decimal

import openpyxl
import pytest
from django.utils import timezone

from indicators.models import Actual, Indicator
from plans.models import Department, Plan
from spreadsheets import entry_sheet
from spreadsheets.actuals import preview_actuals
from spreadsheets.rows import Action, read_upload
from tests.helpers import entry_rows, load_xlsx, rgb

pytestmark = pytest.mark.django_db

ENTRY_HEADERS = [
    "指標コード", "年度", "基本方針", "施策", "項目", "単位", "目標値", "実績値", "備考",
    "取組状況", "要因分析", "今後の方向性",
]
ISE2_CODES = [f"ISE2-{n:02d}" for n in range(1, 17)]
# 実績値, 備考 and the three comments.
INPUT_COLUMNS = ("H", "I", "J", "K", "L")
HAS_NOTE = any(field.name == "note" for field in Actual._meta.get_fields())


def entry_workbook(code: str = "ise-2", **kwargs) -> openpyxl.Workbook:
    return load_xlsx(entry_sheet.entry_sheet(plan=Plan.objects.get(code=code), **kwargs))


def test_entry_sheet_has_the_importers_headers_and_the_rows_in_document_order(plans):
    workbook = entry_workbook(fiscal_year=2026)
    assert workbook.sheetnames == ["実績入力", "記入方法"]
    sheet = workbook.worksheets[0]
    assert [cell.value for cell in sheet[1]] == ENTRY_HEADERS
    rows = list(sheet.iter_rows(min_row=2))
    assert [row[0].value for row in rows] == ISE2_CODES
    for code, year, *_ in rows:
        assert (code.data_type, code.number_format) == ("s", "@")
        assert (year.value, year.data_type, year.number_format) == (2026, "n", "0")
    first = [cell.value for cell in rows[0]]
    assert first[2] == "I デジタルツールを使いこなし、新たな価値を創造できる人材の育成"
    assert first[3] == "① DX推進に向けた意識改革"
    assert first[4].startswith("職員向けデジタルスキルアンケート")
    assert first[5:8] == ["%", "40.0%", None]
    targets = {row[0].value: row[6].value for row in rows}
    assert targets["ISE2-02"] == "20名《累計》"
    assert targets["ISE2-11"] == "R7年度比 ▲2.0%"


def test_entry_sheet_without_a_year_lists_every_year_of_the_plan(plans):
    sheet = entry_workbook().worksheets[0]
    keys = [(row[0].value, row[1].value) for row in sheet.iter_rows(min_row=2)]
    assert keys == [(code, year) for code in ISE2_CODES for year in range(2026, 2030)]


def test_entry_sheet_locks_every_cell_but_the_actual_the_note_and_the_comments(plans):
    sheet = entry_workbook(fiscal_year=2026).worksheets[0]
    assert sheet.protection.sheet is True
    assert not sheet.protection.password
    assert all(cell.protection.locked for cell in sheet[1])
    for row in sheet.iter_rows(min_row=2):
        for cell in row:
            if cell.column_letter in INPUT_COLUMNS:
                assert not cell.protection.locked, cell.coordinate
                assert rgb(cell).endswith("FFF2CC"), cell.coordinate
            else:
                assert cell.protection.locked, cell.coordinate
                assert rgb(cell) == "", cell.coordinate
    assert rgb(sheet["A1"]) != ""
    assert sheet["A1"].font.bold


def test_entry_sheet_is_laid_out_for_reading(plans):
    sheet = entry_workbook(fiscal_year=2026).worksheets[0]
    assert sheet.freeze_panes == "A2"
    assert sheet.column_dimensions["E"].width >= 40
    assert sheet["E2"].alignment.wrap_text
    for column in ("J", "K", "L"):
        assert sheet.column_dimensions[column].width >= 40, column
        assert sheet[f"{column}2"].alignment.wrap_text, column
        assert sheet[f"{column}2"].number_format == "@", column


def test_entry_sheet_validates_actuals_by_kind_with_few_validations(plans):
    sheet = entry_workbook("ise-1", fiscal_year=2025).worksheets[0]
    validations = sheet.data_validations.dataValidation
    assert len(validations) == 3
    by_type = {validation.type: validation for validation in validations}
    milestone, number = by_type["list"], by_type["decimal"]
    # The comments: one stop on their length, over the three columns.
    comments = by_type["textLength"]
    assert (comments.operator, comments.formula1) == ("lessThanOrEqual", "2000")
    assert str(comments.sqref) == f"J2:L{sheet.max_row}"
    assert milestone.formula1 == '"完了,未完了,－"'
    assert number.operator == "greaterThanOrEqual" and number.formula1 == "0"
    assert number.errorStyle == "warning"
    assert number.prompt and number.error and milestone.prompt
    for (code, _year), row in entry_rows(sheet).items():
        actual = row[7].coordinate
        if code == "ISE1-14":
            assert actual in milestone.sqref and actual not in number.sqref
        else:
            assert actual in number.sqref and actual not in milestone.sqref
    # One range per run of rows, not one per cell.
    assert len(number.sqref.ranges) == 2


def test_entry_sheet_prefills_the_current_actual_with_its_decimals(plans):
    Actual.objects.create(
        indicator=Indicator.objects.get(code="ISE2-01"), fiscal_year=2026,
        value=Decimal("42.5"), value_places=1,
    )
    rows = entry_rows(entry_workbook(fiscal_year=2026).worksheets[0])
    actual = rows["ISE2-01", 2026][7]
    assert (actual.value, actual.data_type) == (42.5, "n")
    assert actual.number_format == "#,##0.0"
    assert rows["ISE2-02", 2026][7].value is None


def test_entry_sheet_writes_states_as_the_importer_reads_them(plans):
    rows = entry_rows(entry_workbook("ise-1", fiscal_year=2025).worksheets[0])
    assert rows["ISE1-14", 2025][7].value == "完了"
    assert rows["ISE1-08", 2025][7].value == "－"
    ise1_11 = rows["ISE1-11", 2025][7]
    assert (ise1_11.value, ise1_11.number_format) == (3.02, "#,##0.00")
    ise1_10 = rows["ISE1-10", 2025][7]
    assert (ise1_10.value, ise1_10.number_format) == (1589989, "#,##0")
    # 45.0 is points, never a percent of 1.
    assert not any("%" in row[7].number_format for row in rows.values())
    # The display suffix (※1) is not part of the value.
    assert rows["ISE1-02", 2025][7].value == 100.2


@pytest.mark.skipif(not HAS_NOTE, reason="Actual has no note field yet")
def test_entry_sheet_prefills_the_note_as_text(plans):
    Actual.objects.create(
        indicator=Indicator.objects.get(code="ISE2-01"), fiscal_year=2026,
        value=Decimal("42.5"), value_places=1, note="=cmd|'/c calc'!A1",
    )
    note = entry_rows(entry_workbook(fiscal_year=2026).worksheets[0])["ISE2-01", 2026][8]
    assert (note.value, note.data_type, note.quotePrefix) == ("=cmd|'/c calc'!A1", "s", True)


@pytest.mark.parametrize(("code", "fiscal_year"), [("ise-1", 2025), ("ise-2", None)])
def test_an_untouched_entry_sheet_re_imports_as_unchanged(plans, code, fiscal_year):
    data = entry_sheet.entry_sheet(plan=Plan.objects.get(code=code), fiscal_year=fiscal_year)
    preview = preview_actuals(sheet=read_upload(data, "entry.xlsx"), filename="entry.xlsx")
    assert preview.errors == []
    actions = {row.action for row in preview.rows}
    assert actions == ({Action.UNCHANGED} if code == "ise-1" else {Action.SKIPPED})


def test_entry_sheet_for_a_department_lists_only_its_measures(plans):
    department = Department.objects.get(name="デジタル政策課")
    for code in ("ISE2-09", "ISE2-01"):
        Indicator.objects.get(code=code).measure.departments.add(department)
    workbook = entry_workbook(fiscal_year=2026, department=department)
    codes = [row[0].value for row in workbook.worksheets[0].iter_rows(min_row=2)]
    assert codes == ["ISE2-01", "ISE2-09"]
    guide = [cell.value for row in workbook["記入方法"].iter_rows() for cell in row]
    assert "情報戦略局 デジタル政策課" in guide


def test_entry_sheet_explains_how_to_fill_it_in(plans):
    sheet = entry_workbook(fiscal_year=2026)["記入方法"]
    text = "\n".join(
        str(cell.value) for row in sheet.iter_rows() for cell in row if cell.value
    )
    today = timezone.localdate()
    assert "第2期 伊勢市デジタル行政推進ビジョン" in text
    assert "令和8年度（2026）" in text
    assert f"{today.year}年{today.month}月{today.day}日" in text
    expected = ("「－」", "評価対象外", "「完了」", "「未完了」", "空欄", "45.0", "指標コード",
                "取組状況：", "要因分析：", "今後の方向性：", "2,000文字以内", "Alt+Enter",
                "欄を空にして取り込むと、その内容は消えます")
    for words in expected:
        assert words in text, words


def test_entry_sheet_carries_the_stored_comments_as_text(plans):
    Actual.objects.create(
        indicator=Indicator.objects.get(code="ISE2-01"), fiscal_year=2026,
        value=Decimal("42.5"), value_places=1, progress="研修を3回実施した。\r\n受講者は増えた。",
        analysis="=1+1 のような文も文字のまま", direction="",
    )
    row = entry_rows(entry_workbook(fiscal_year=2026).worksheets[0])["ISE2-01", 2026]
    progress, analysis, direction = row[9], row[10], row[11]
    assert progress.value.replace("\r\n", "\n") == "研修を3回実施した。\n受講者は増えた。"
    assert (analysis.value, analysis.data_type, analysis.quotePrefix) == (
        "=1+1 のような文も文字のまま", "s", True
    )
    assert direction.value is None
