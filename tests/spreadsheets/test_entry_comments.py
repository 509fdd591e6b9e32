"""The commentary (取組状況・要因分析・今後の方向性) goes out on the entry sheet
and comes back with the actuals: typed comments are saved and recorded in
the history, an emptied cell clears its comment, a file without the
columns leaves the comments alone, and a comment too long is refused
naming its row and column. On ise-2 as shipped."""

from __future__ import annotations

import io
import re
from decimal import Decimal

import openpyxl
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.roles import Role
from indicators.models import Actual, ActualState, Indicator, Kind
from plans.models import Department, Plan
from spreadsheets.actuals import preview_actuals
from spreadsheets.entry_sheet import entry_sheet
from spreadsheets.resources import ActualResource, SafeXLSX
from spreadsheets.rows import Action, read_upload
from spreadsheets.writer import apply_actuals
from tests.helpers import form_data, user_with_role, xlsx
from tests.spreadsheets.test_admin import PROCESS_URL, upload

pytestmark = pytest.mark.django_db

COMMENT_HEADER = ["指標コード", "年度", "実績値", "備考", "取組状況", "要因分析", "今後の方向性"]
COMMENTS = ("progress", "analysis", "direction")


def kgi(code: str) -> Indicator:
    return Indicator.objects.get(code=code)


def sheet_2026() -> bytes:
    return entry_sheet(plan=Plan.objects.get(code="ise-2"), fiscal_year=2026)


def typed(data: bytes, values: dict[str, dict[str, object]]) -> bytes:
    """Type ``values`` ({code: {header: value}}) into an entry sheet, as a user would."""
    workbook = openpyxl.load_workbook(io.BytesIO(data))
    sheet = workbook["実績入力"]
    headers = [cell.value for cell in sheet[1]]
    for row in sheet.iter_rows(min_row=2):
        for header, value in values.get(row[0].value, {}).items():
            row[headers.index(header)].value = value
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def imported(data: bytes, *, user=None, name: str = "部署回答.xlsx"):
    preview = preview_actuals(sheet=read_upload(data, name), filename=name, user=user)
    if preview.ok:
        apply_actuals(preview, user=user)
    return preview


@pytest.fixture
def stored(plans) -> Actual:
    """ISE2-01's R8 actual with its commentary, entered in the admin (CRLF line breaks)."""
    return Actual.objects.create(
        indicator=kgi("ISE2-01"), fiscal_year=2026, value=Decimal("42.5"), value_places=1,
        progress="研修を3回実施した。\r\n受講者は延べ120名。", analysis="受講しやすい時間帯にした。",
        direction="動画研修を増やす。",
    )


def test_typed_comments_are_saved_with_the_actual_and_recorded(plans):
    data = typed(sheet_2026(), {"ISE2-02": {
        "実績値": "２５", "取組状況": "窓口で案内を始めた。\n前年より周知が進んだ。",
        "要因分析": "案内の掲示が効いた。", "今後の方向性": "オンライン申請を広げる。",
    }})
    preview = imported(data)
    assert preview.errors == []
    assert preview.counts[Action.NEW] == 1
    actual = Actual.objects.get(indicator__code="ISE2-02", fiscal_year=2026)
    assert (actual.value, actual.progress, actual.analysis, actual.direction) == (
        25, "窓口で案内を始めた。\n前年より周知が進んだ。", "案内の掲示が効いた。",
        "オンライン申請を広げる。",
    )
    record = actual.history.latest()
    assert record.progress == actual.progress and record.direction == "オンライン申請を広げる。"
    assert record.history_change_reason == "ファイル取込：部署回答.xlsx"


def test_an_untouched_sheet_with_comments_imports_as_unchanged(stored):
    before = Actual.objects.filter(pk=stored.pk).values(*COMMENTS, "version").get()
    preview = imported(sheet_2026())
    assert preview.errors == []
    assert preview.counts[Action.UNCHANGED] == 1 and preview.counts[Action.CHANGED] == 0
    assert Actual.objects.filter(pk=stored.pk).values(*COMMENTS, "version").get() == before


def test_a_changed_comment_is_previewed_and_written_and_an_emptied_cell_clears(stored):
    data = typed(sheet_2026(), {"ISE2-01": {"要因分析": "時間帯の変更が効いた。", "今後の方向性": None}})
    preview = preview_actuals(sheet=read_upload(data, "a.xlsx"), filename="部署回答.xlsx")
    (row,) = [row for row in preview.rows if row.action == Action.CHANGED]
    assert row.new_label == "42.5%（要因分析・今後の方向性を変更）"
    apply_actuals(preview)
    stored.refresh_from_db()
    assert stored.analysis == "時間帯の変更が効いた。"
    assert stored.direction == ""
    # What is not touched stays as the admin stored it.
    assert stored.progress == "研修を3回実施した。\r\n受講者は延べ120名。"
    assert stored.value == Decimal("42.5")
    record = stored.history.latest()
    assert (record.history_type, record.analysis, record.direction) == (
        "~", "時間帯の変更が効いた。", ""
    )


def test_a_file_without_the_comment_columns_leaves_the_comments_alone(stored):
    preview = imported(xlsx([["ISE2-01", "R8", "45.0", None]]))
    assert preview.counts[Action.CHANGED] == 1
    stored.refresh_from_db()
    assert stored.value == Decimal("45.0")
    assert (stored.progress, stored.analysis, stored.direction) == (
        "研修を3回実施した。\r\n受講者は延べ120名。", "受講しやすい時間帯にした。",
        "動画研修を増やす。",
    )


def test_a_blank_value_keeps_the_stored_one_while_its_comments_change(stored):
    data = xlsx([["ISE2-01", "R8", None, None, "研修を4回実施した。", "", ""]],
                header=COMMENT_HEADER)
    preview = imported(data)
    assert preview.counts[Action.CHANGED] == 1
    stored.refresh_from_db()
    assert (stored.value, stored.progress, stored.analysis) == (
        Decimal("42.5"), "研修を4回実施した。", ""
    )


def test_comments_without_any_value_are_refused_not_dropped(plans):
    preview = imported(xlsx([["ISE2-02", "R8", None, None, "窓口で案内を始めた。", "", ""]],
                            header=COMMENT_HEADER))
    assert [str(error) for error in preview.errors] == [
        "2行目 実績値（ISE2-02）：取組状況・要因分析・今後の方向性を取り込むには、"
        "実績値（計測しなかった年は「－」）も入力してください。"
    ]
    assert not Actual.objects.filter(fiscal_year=2026).exists()


def test_a_comment_over_2000_characters_is_refused_naming_row_and_column(plans):
    rows = [
        ["ISE2-01", "R8", "41", None, "", "", ""],
        ["ISE2-02", "R8", "25", None, "", "あ" * 2001, ""],
        ["ISE2-03", "R8", "158", None, "い" * 2000, "", ""],
    ]
    preview = imported(xlsx(rows, header=COMMENT_HEADER))
    assert [str(error) for error in preview.errors] == [
        "3行目 要因分析（ISE2-02）：要因分析は2,000文字以内で入力してください（2,001文字）。"
    ]
    assert not Actual.objects.filter(fiscal_year=2026).exists()


def test_a_confirmed_actuals_comments_are_locked_like_its_value(stored):
    Actual.objects.filter(pk=stored.pk).update(confirmed=True)
    preview = imported(typed(sheet_2026(), {"ISE2-01": {"取組状況": "書き換え"}}))
    assert [error.row for error in preview.errors] == [2]
    assert "確定済みの実績値（42.5%）は変更できません" in preview.errors[0].reason


def test_the_admin_export_carries_the_comments_and_imports_back_unchanged(stored):
    stored.note = "=SUM(A1)"
    stored.save()
    dataset = ActualResource().export(queryset=Actual.objects.filter(pk=stored.pk))
    assert dataset.headers[-3:] == ["取組状況", "要因分析", "今後の方向性"]
    assert dataset["取組状況"] == ["研修を3回実施した。\r\n受講者は延べ120名。"]
    preview = imported(SafeXLSX().export_data(dataset), name="export.xlsx")
    assert preview.errors == []
    assert [row.action for row in preview.rows] == [Action.UNCHANGED]


def test_the_admin_import_accepts_the_comment_columns(plans, admin_client_ja):
    data = xlsx([["ISE2-03", "R8", "158", None, "申請を受け付けた。", "周知が進んだ。", "継続する。"]],
                header=COMMENT_HEADER)
    response = upload(admin_client_ja, data)
    page = re.sub(r"\s+", " ", response.content.decode())
    assert "（取組状況・要因分析・今後の方向性を記入）" in page
    confirm = form_data(response.content.decode(), action=reverse(PROCESS_URL))
    admin_client_ja.post(reverse(PROCESS_URL), confirm)
    actual = Actual.objects.get(indicator__code="ISE2-03", fiscal_year=2026)
    assert (actual.progress, actual.analysis, actual.direction) == (
        "申請を受け付けた。", "周知が進んだ。", "継続する。"
    )


def department_queries(rows: int) -> int:
    """The queries of a department's preview of ``rows`` KGI-years with comments."""
    user = user_with_role(Role.DEPARTMENT, departments=("デジタル政策課",),
                          username=f"digital-{rows}")
    department = Department.objects.get(municipality__code="ise", name="デジタル政策課")
    for indicator in Indicator.objects.filter(plan__code="ise-2"):
        indicator.measure.departments.add(department)
    codes = list(Indicator.objects.filter(plan__code="ise-2").exclude(
        kind=Kind.MILESTONE).values_list("code", flat=True))
    keys = [(code, year) for year in (2026, 2027, 2028, 2029) for code in codes][:rows]
    data = xlsx([[code, year, "1", None, "取組", "分析", "方向性"] for code, year in keys],
                header=COMMENT_HEADER)
    sheet = read_upload(data, "x.xlsx")
    with CaptureQueriesContext(connection) as queries:
        preview = preview_actuals(sheet=sheet, filename="x.xlsx", user=user)
    assert preview.ok and preview.counts[Action.NEW] == rows
    return len(queries.captured_queries)


def test_a_departments_preview_takes_as_many_queries_for_50_rows_as_for_5(plans):
    assert department_queries(5) == department_queries(50)


def test_a_not_measured_row_keeps_its_reason_beside_new_comments(plans):
    Actual.objects.create(indicator=kgi("ISE2-04"), fiscal_year=2026, value=None,
                          state=ActualState.NOT_MEASURED, not_measured_reason="調査なし")
    data = typed(sheet_2026(), {"ISE2-04": {"今後の方向性": "来年度は調査する。"}})
    preview = imported(data)
    assert preview.counts[Action.CHANGED] == 1
    actual = Actual.objects.get(indicator__code="ISE2-04", fiscal_year=2026)
    assert (actual.not_measured_reason, actual.direction) == ("調査なし", "来年度は調査する。")
