"""The entry sheet (記入用シート), the review table (評価表) and their downloads."""

from __future__ import annotations

import re
import zipfile
from decimal import Decimal
from io import BytesIO
from urllib.parse import quote

import openpyxl
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from indicators.models import Actual, Indicator, Target
from indicators.selectors import plan_status
from plans.models import Department, Measure, Plan
from spreadsheets import entry_sheet, status_table, xlsx
from spreadsheets.actuals import preview_actuals
from spreadsheets.rows import Action, read_upload

pytestmark = pytest.mark.django_db

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
ENTRY_HEADERS = [
    "指標コード", "年度", "基本方針", "施策", "項目", "単位", "目標値", "実績値", "備考",
]
STATUS_HEADERS = ["No.", "施策名称", "数値目標(KGI)", "実績", "評価《達成率》"]
ISE2_CODES = [f"ISE2-{n:02d}" for n in range(1, 17)]
ISE1_TITLE = "伊勢市デジタル行政推進ビジョン（第1期）　令和7年度（2025）"
INPUT_COLUMNS = ("H", "I")
HAS_NOTE = any(field.name == "note" for field in Actual._meta.get_fields())


def load(data: bytes) -> openpyxl.Workbook:
    return openpyxl.load_workbook(BytesIO(data))


def entry_workbook(code: str = "ise-2", **kwargs) -> openpyxl.Workbook:
    return load(entry_sheet.entry_sheet(plan=Plan.objects.get(code=code), **kwargs))


def status_workbook(code: str = "ise-1", fiscal_year: int = 2025) -> openpyxl.Workbook:
    plan = Plan.objects.get(code=code)
    return load(status_table.status_table(plan=plan, fiscal_year=fiscal_year))


def entry_rows(sheet) -> dict[tuple[str, int], tuple]:
    """Map (code, year) to the cells of each data row."""
    return {(row[0].value, row[1].value): row for row in sheet.iter_rows(min_row=2)}


def status_rows(sheet) -> dict[str, tuple]:
    """Map indicator codes to the cells of their review-table row."""
    return {
        row[0].value: row
        for row in sheet.iter_rows(min_row=3)
        if isinstance(row[0].value, str) and re.fullmatch(r"[A-Z0-9]+-\d+", row[0].value)
    }


def sheet_xml(data: bytes) -> str:
    with zipfile.ZipFile(BytesIO(data)) as archive:
        return archive.read("xl/worksheets/sheet1.xml").decode()


def rgb(cell) -> str:
    return cell.fill.fgColor.rgb if cell.fill.fill_type == "solid" else ""


def entry_url(code: str = "ise-2", query: str = "") -> str:
    return reverse("spreadsheets:entry_sheet", args=[code]) + query


def status_url(code: str = "ise-1", year: int = 2025) -> str:
    return reverse("spreadsheets:status_table", args=[code, year])


def body(response) -> bytes:
    return b"".join(response.streaming_content)


# write_text --------------------------------------------------------------


def written(text: str):
    """Return the cell ``text`` becomes after a save and a reload."""
    workbook = openpyxl.Workbook()
    xlsx.write_text(workbook.active["A1"], text)
    buffer = BytesIO()
    workbook.save(buffer)
    return load(buffer.getvalue()).active["A1"]


@pytest.mark.parametrize(
    "text", ['=HYPERLINK("http://x")', "@SUM(1)", "+81-596-00-0000", "-1+2", "=1+1"]
)
def test_formula_like_text_stays_text(text):
    cell = written(text)
    assert (cell.value, cell.data_type, cell.quotePrefix) == (text, "s", True)


@pytest.mark.parametrize("text", ["－", "-", "#N/A", "移行完了"])
def test_dashes_and_plain_text_are_written_as_they_are(text):
    cell = written(text)
    assert (cell.value, cell.data_type, cell.quotePrefix) == (text, "s", False)


def test_characters_xml_cannot_hold_are_dropped_and_empty_text_leaves_a_blank():
    assert written("a\x01b\x1fc").value == "abc"
    assert written("").value is None


# Entry sheet -------------------------------------------------------------


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


def test_entry_sheet_locks_every_cell_but_the_actual_and_the_note(plans):
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


def test_entry_sheet_validates_actuals_by_kind_with_few_validations(plans):
    sheet = entry_workbook("ise-1", fiscal_year=2025).worksheets[0]
    validations = sheet.data_validations.dataValidation
    assert len(validations) == 2
    by_type = {validation.type: validation for validation in validations}
    milestone, number = by_type["list"], by_type["decimal"]
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
    expected = ("「－」", "評価対象外", "「完了」", "「未完了」", "空欄", "45.0", "指標コード")
    for words in expected:
        assert words in text, words


def test_exports_refuse_a_year_outside_the_plan_period(plans):
    plan = Plan.objects.get(code="ise-2")
    with pytest.raises(ValueError):
        entry_sheet.entry_sheet(plan=plan, fiscal_year=2030)
    with pytest.raises(ValueError):
        status_table.status_table(plan=plan, fiscal_year=2025)


def test_formula_text_from_the_database_is_never_a_formula(plans):
    measure = Indicator.objects.get(code="ISE2-01").measure
    measure.title = '=HYPERLINK("http://x")'
    measure.save()
    Indicator.objects.filter(code="ISE2-02").update(item="@SUM(1)")
    plan = Plan.objects.get(code="ise-2")

    data = entry_sheet.entry_sheet(plan=plan, fiscal_year=2026)
    rows = entry_rows(load(data).worksheets[0])
    title, item = rows["ISE2-01", 2026][3], rows["ISE2-02", 2026][4]
    assert (title.value, title.data_type) == ('① =HYPERLINK("http://x")', "s")
    assert (item.value, item.data_type, item.quotePrefix) == ("@SUM(1)", "s", True)
    assert "<f>" not in sheet_xml(data)

    data = status_table.status_table(plan=plan, fiscal_year=2026)
    title = status_rows(load(data).active)["ISE2-01"][1]
    assert (title.value, title.data_type, title.quotePrefix) == (
        '=HYPERLINK("http://x")', "s", True
    )
    assert "<f>" not in sheet_xml(data)


# Status table ------------------------------------------------------------


def test_status_table_reproduces_the_kpi_status_rows(plans):
    sheet = status_workbook().active
    assert sheet["A1"].value == ISE1_TITLE
    assert [cell.value for cell in sheet[2]][:5] == STATUS_HEADERS
    expected = plan_status(plan=Plan.objects.get(code="ise-1"), fiscal_year=2025)
    rows = status_rows(sheet)
    assert [(code, row[4].value) for code, row in rows.items()] == [
        (row.indicator.code, row.evaluation_label) for row in expected
    ]
    assert [cell.value for cell in rows["ISE1-01"][1:5]] == [
        "来庁を不要とする行政手続き 新たなプラットフォームを活用した手続き",
        "オンライン化した手続き数：120件《累計》",
        "142件",
        "達成《達成率：118.3%》",
    ]
    assert [cell.value for cell in rows["ISE1-14"][2:5]] == [
        "指定業務に関するシステム移行完了", "移行完了", "達成",
    ]
    assert rows["ISE1-10"][3].value == "1,589,989件"
    assert rows["ISE1-08"][4].value == "－"


def test_status_table_groups_rows_under_merged_policy_headings(plans):
    sheet = status_workbook().active
    headings = [
        row[0] for row in sheet.iter_rows(min_row=3)
        if str(row[0].value or "").startswith("◆")
    ]
    assert [cell.value for cell in headings] == [
        "◆ II デジタル技術を活用した、人に優しいサービスの提供",
        "◆ III 利用者が身近に感じられるデジタル環境の整備",
        "◆ IV 高い利便性と信頼性を両立した信頼される行政運営",
    ]
    merged = {str(cells) for cells in sheet.merged_cells.ranges}
    for cell in headings:
        assert f"A{cell.row}:F{cell.row}" in merged
    assert sheet[headings[0].row + 1][0].value == "ISE1-01"
    assert sheet[headings[1].row - 1][0].value == "ISE1-06"


def test_status_table_flags_the_two_printed_errors(plans):
    rows = status_rows(status_workbook().active)
    flagged = {code for code, row in rows.items() if row[5].value}
    assert flagged == {"ISE1-13", "ISE1-15"}
    assert rows["ISE1-13"][5].value == "公表値と相違（文書：達成《達成率：94.0%》）"
    assert rows["ISE1-15"][5].value == "公表値と相違（文書：達成《達成率：270%》）"
    for code, row in rows.items():
        if code in flagged:
            assert all(rgb(cell) for cell in row), code
        else:
            assert not any(rgb(cell) for cell in row), code


def test_status_table_ends_with_the_counts(plans):
    values = [row[0].value for row in status_workbook().active.iter_rows()]
    assert "達成 12 / 未達成 7 / 未入力 0 / 評価対象外 1（達成割合 63.2%）" in values
    assert "公表値と計算値が異なる指標：2件" in values


def test_status_table_prints_on_a4_landscape_with_the_header_repeated(plans):
    sheet = status_workbook().active
    assert sheet.page_setup.orientation == "landscape"
    assert int(sheet.page_setup.paperSize) == 9  # A4
    assert sheet.sheet_properties.pageSetUpPr.fitToPage
    assert (int(sheet.page_setup.fitToWidth), int(sheet.page_setup.fitToHeight)) == (1, 0)
    assert sheet.print_title_rows.replace("$", "") == "1:2"


# Downloads ---------------------------------------------------------------


def assert_xlsx_download(response, filename: str) -> bytes:
    assert response.status_code == 200
    assert response["Content-Type"] == XLSX
    disposition = response["Content-Disposition"]
    assert disposition.startswith("attachment;")
    # RFC 5987: the charset name is case-insensitive; Django writes utf-8.
    assert "filename*=utf-8''" in disposition.lower()
    assert disposition.endswith(quote(filename))
    return body(response)


def test_entry_sheet_download_for_one_year(plans, admin_client_ja):
    response = admin_client_ja.get(entry_url(query="?year=2026"))
    data = assert_xlsx_download(
        response, "第2期伊勢市デジタル行政推進ビジョン_実績入力_令和8年度.xlsx"
    )
    assert len(entry_rows(load(data).worksheets[0])) == 16


def test_entry_sheet_download_for_the_whole_period_and_a_department(plans, admin_client_ja):
    department = Department.objects.get(name="デジタル政策課")
    Indicator.objects.get(code="ISE2-08").measure.departments.add(department)
    response = admin_client_ja.get(entry_url(query=f"?department={department.pk}&year="))
    data = assert_xlsx_download(
        response,
        "第2期伊勢市デジタル行政推進ビジョン_実績入力_令和8年度〜令和11年度_デジタル政策課.xlsx",
    )
    codes = {code for code, _year in entry_rows(load(data).worksheets[0])}
    assert codes == {"ISE2-07", "ISE2-08"}


def test_status_table_download(plans, admin_client_ja):
    response = admin_client_ja.get(status_url())
    data = assert_xlsx_download(
        response, "伊勢市デジタル行政推進ビジョン（第1期）_評価表_令和7年度.xlsx"
    )
    assert load(data).active["A1"].value == ISE1_TITLE


@pytest.mark.parametrize(
    "url",
    [
        "/exports/plans/nope/entry.xlsx",
        "/exports/plans/ise-2/entry.xlsx?year=2025",
        "/exports/plans/ise-2/entry.xlsx?year=2030",
        "/exports/plans/ise-2/entry.xlsx?year=abc",
        "/exports/plans/ise-2/entry.xlsx?year=2026.0",
        "/exports/plans/ise-2/entry.xlsx?year=%EF%BC%92%EF%BC%90%EF%BC%92%EF%BC%96",
        "/exports/plans/ise-2/entry.xlsx?year=-2026",
        "/exports/plans/ise-2/entry.xlsx?department=999999",
        "/exports/plans/ise-2/entry.xlsx?department=x",
        "/exports/plans/ise-2/entry.xlsx?department=99999999999999999999999999",
        "/exports/plans/nope/status/2025.xlsx",
        "/exports/plans/ise-1/status/2026.xlsx",
        "/exports/plans/ise-2/status/2025.xlsx",
        "/exports/plans/ise-2/status/R8.xlsx",
        "/exports/plans/ise-2/status/99999999999999999999999.xlsx",
    ],
)
def test_bad_parameters_are_not_found(plans, admin_client_ja, url):
    assert admin_client_ja.get(url).status_code == 404


def test_a_department_of_another_municipality_is_not_found(plans, admin_client_ja):
    iga = Plan.objects.get(code="iga-2").municipality
    other = Department.objects.create(municipality=iga, name="DX推進課")
    response = admin_client_ja.get(entry_url(query=f"?department={other.pk}"))
    assert response.status_code == 404


def test_anonymous_users_are_sent_to_the_login_page_and_others_see_nothing(
    plans, client, django_user_model
):
    login = reverse("login")
    for url in (entry_url(), status_url()):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(login)
    # A login with no role: the plan is out of sight.
    client.force_login(django_user_model.objects.create_user("clerk", "", "pass-for-tests-1"))
    assert client.get(status_url()).status_code == 404
    assert client.get(entry_url()).status_code == 404


def test_downloads_only_answer_get(plans, admin_client_ja):
    assert admin_client_ja.post(status_url()).status_code == 405


def add_indicators(plan: Plan, count: int) -> None:
    measure = Measure.objects.filter(policy__plan=plan).first()
    for number in range(count):
        indicator = Indicator.objects.create(
            plan=plan, measure=measure, code=f"ISE2-9{number}", position=90 + number,
            item=f"追加の指標{number}", unit="件",
        )
        Target.objects.create(indicator=indicator, fiscal_year=2026, value=10)
        Actual.objects.create(indicator=indicator, fiscal_year=2026, value=5)


def count_queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as context:
        assert client.get(url).status_code == 200
    return len(context)


def test_downloads_run_as_many_queries_whatever_the_number_of_indicators(
    plans, admin_client_ja
):
    urls = (entry_url(), entry_url(query="?year=2026"), status_url("ise-2", 2026))
    for url in urls:
        admin_client_ja.get(url)
    before = [count_queries(admin_client_ja, url) for url in urls]
    add_indicators(Plan.objects.get(code="ise-2"), 5)
    after = [count_queries(admin_client_ja, url) for url in urls]
    assert after == before
    data = body(admin_client_ja.get(entry_url(query="?year=2026")))
    assert len(entry_rows(load(data).worksheets[0])) == 16 + 5
