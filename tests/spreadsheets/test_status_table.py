"""The review table (評価表): the kpi_status rows, policy headings, flagged
printed errors, the counts and the print layout."""

from __future__ import annotations

import openpyxl
import pytest

from indicators.selectors import plan_status
from plans.models import Plan
from spreadsheets import status_table
from tests.helpers import ISE1_TITLE, load_xlsx, rgb, status_rows

pytestmark = pytest.mark.django_db

STATUS_HEADERS = ["No.", "施策名称", "数値目標(KGI)", "実績", "評価《達成率》"]


def status_workbook(code: str = "ise-1", fiscal_year: int = 2025) -> openpyxl.Workbook:
    plan = Plan.objects.get(code=code)
    return load_xlsx(status_table.status_table(plan=plan, fiscal_year=fiscal_year))


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
