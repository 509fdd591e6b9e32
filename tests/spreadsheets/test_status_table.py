"""The review table (評価表): the kpi_status rows, policy headings, flagged
printed errors, the counts and the print layout."""

from __future__ import annotations

from decimal import Decimal

import openpyxl
import pytest

from indicators.models import Actual, ActualState, Indicator
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
    flagged = {code for code, row in rows.items() if "公表値と相違" in (row[5].value or "")}
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


# 備考 and the 進捗管理シート (issue 14) ------------------------------------------

UNWRITTEN = "（未記入）"
PROGRESS_HEADERS = [
    "No.", "数値目標(KGI)", "実績", "評価《達成率》", "取組状況", "要因分析", "今後の方向性", "備考",
]
ISE1_NOTE_1 = (
    "※1 R8.3月末時点で、交付枚数から死亡や有効期限切れ等により廃止されたカードの枚数を除いた"
    "保有率は、81.2%となります。\n【保有率】人口に対する有効なカードの割合"
)
ISE1_REASON = (
    "評価対象外：Google Analyticsのアクセス数カウント方法が変更され、正確なアクセス数が"
    "R5年度に計測不能となったことから、R4年度で進行管理終了"
)


def commented_ise2() -> None:
    """ise-2's R8 with ISE2-01 fully commented, ISE2-02 partly, ISE2-03 評価対象外."""
    Actual.objects.create(
        indicator=Indicator.objects.get(code="ISE2-01"), fiscal_year=2026,
        value=Decimal("42.5"), value_places=1,
        progress="DX研修を4回実施した。", analysis="参加者が管理職に偏った。",
        direction="=若手職員向けの回を増やす。", note="アンケート回収率 80%",
    )
    Actual.objects.create(
        indicator=Indicator.objects.get(code="ISE2-02"), fiscal_year=2026,
        value=Decimal(8), progress="認定制度を周知した。", analysis="  ",
    )
    Actual.objects.create(
        indicator=Indicator.objects.get(code="ISE2-03"), fiscal_year=2026,
        state=ActualState.NOT_MEASURED, not_measured_reason="調査を休止",
    )


def test_status_table_remarks_say_why_not_measured_and_explain_the_notes(plans):
    sheet = status_workbook().active
    rows = status_rows(sheet)
    assert rows["ISE1-08"][5].value == ISE1_REASON
    # The review table prints no notes under its rows: the ※ note is the 備考.
    assert rows["ISE1-02"][5].value.startswith(ISE1_NOTE_1)
    assert rows["ISE1-06"][5].value.startswith("※2 UI(User Interface")
    assert rows["ISE1-17"][5].value.startswith("※ RPA(Robotic Process Automation")
    assert rows["ISE1-01"][5].value is None
    assert rows["ISE1-08"][5].alignment.wrap_text
    assert sheet.column_dimensions["F"].width >= 40


def test_status_table_remarks_join_flags_reason_and_note(plans):
    commented_ise2()
    rows = status_rows(status_workbook("ise-2", 2026).active)
    assert rows["ISE2-03"][5].value == "速報（未確定の実績値）／評価対象外：調査を休止"
    assert rows["ISE2-01"][5].value == "速報（未確定の実績値）／アンケート回収率 80%"
    assert rows["ISE2-04"][5].value is None


def test_progress_sheet_is_the_second_sheet_with_the_commentary(plans):
    commented_ise2()
    workbook = status_workbook("ise-2", 2026)
    assert workbook.sheetnames == ["評価表", "進捗管理シート"]
    sheet = workbook["進捗管理シート"]
    assert sheet["A1"].value == "第2期 伊勢市デジタル行政推進ビジョン　令和8年度（2026）　進捗管理シート"
    assert [cell.value for cell in sheet[2]] == PROGRESS_HEADERS
    rows = status_rows(sheet)
    # Every KGI, in the 評価表's (document) order.
    assert list(rows) == list(status_rows(workbook["評価表"])) == [
        f"ISE2-{n:02d}" for n in range(1, 17)
    ]
    assert [cell.value for cell in rows["ISE2-01"][2:8]] == [
        "42.5%", "達成《達成率：106.3%》",
        "DX研修を4回実施した。", "参加者が管理職に偏った。", "=若手職員向けの回を増やす。",
        "アンケート回収率 80%",
    ]
    # Typed text that looks like a formula stays text.
    assert (rows["ISE2-01"][6].data_type, rows["ISE2-01"][6].quotePrefix) == ("s", True)
    # Blank or whitespace-only comments, and KGIs with no actual yet, say so.
    assert [cell.value for cell in rows["ISE2-02"][4:7]] == ["認定制度を周知した。", UNWRITTEN,
                                                             UNWRITTEN]
    assert [cell.value for cell in rows["ISE2-16"][4:7]] == [UNWRITTEN] * 3
    assert rows["ISE2-16"][2].value == "未入力"
    assert rows["ISE2-03"][7].value == "評価対象外：調査を休止"
    assert rows["ISE2-03"][3].value == "－"


def test_progress_sheet_has_no_blank_comment_on_ise1(plans):
    sheet = status_workbook()["進捗管理シート"]
    rows = status_rows(sheet)
    assert len(rows) == 20
    for code, row in rows.items():
        assert [cell.value for cell in row[4:7]] == [UNWRITTEN] * 3, code
    assert rows["ISE1-01"][3].value == "達成《達成率：118.3%》"
    assert rows["ISE1-08"][7].value == ISE1_REASON
    # The ※ notes are on the 評価表, not repeated beside the comments.
    assert rows["ISE1-02"][7].value is None
    assert rows["ISE1-13"][0].fill.fgColor.rgb == status_rows(
        status_workbook().active)["ISE1-13"][0].fill.fgColor.rgb != "00000000"


def test_progress_sheet_wraps_and_prints_on_a4_landscape(plans):
    sheet = status_workbook()["進捗管理シート"]
    rows = status_rows(sheet)
    assert all(cell.alignment.wrap_text and cell.alignment.vertical == "top"
               for row in rows.values() for cell in row)
    widths = {letter: sheet.column_dimensions[letter].width for letter in "ABCDEFGH"}
    # Each comment column holds a paragraph; No. stays narrow.
    assert min(widths["E"], widths["F"], widths["G"]) >= 30
    assert widths["A"] <= 12
    assert sheet.page_setup.orientation == "landscape"
    assert int(sheet.page_setup.paperSize) == 9  # A4
    assert (int(sheet.page_setup.fitToWidth), int(sheet.page_setup.fitToHeight)) == (1, 0)
    assert sheet.print_title_rows.replace("$", "") == "1:2"
    assert sheet.freeze_panes == "B3"
    headings = [row[0].value for row in sheet.iter_rows(min_row=3)
                if str(row[0].value or "").startswith("◆")]
    assert len(headings) == 3
    merged = {str(cells) for cells in sheet.merged_cells.ranges}
    assert "A1:H1" in merged
