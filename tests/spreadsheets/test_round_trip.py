"""Entry sheets go out, come back filled in, and import: the round trip."""

from __future__ import annotations

import io
import re

import openpyxl
import pytest
from django.core.management import call_command
from django.urls import reverse

from indicators.models import Indicator
from indicators.selectors import plan_status
from plans.models import Plan
from spreadsheets.entry_sheet import entry_sheet
from tests.spreadsheets.test_admin import upload

pytestmark = pytest.mark.django_db


def import_file(tmp_path, data: bytes) -> str:
    path = tmp_path / "entry.xlsx"
    path.write_bytes(data)
    out = io.StringIO()
    call_command("import_actuals", str(path), stdout=out)
    return out.getvalue()


def fill(data: bytes, values: dict[str, object]) -> bytes:
    """Type ``values`` into the 実績値 column, by 指標コード, as a user would."""
    workbook = openpyxl.load_workbook(io.BytesIO(data))
    sheet = workbook["実績入力"]
    headers = [cell.value for cell in sheet[1]]
    code_column, value_column = headers.index("指標コード"), headers.index("実績値")
    for row in sheet.iter_rows(min_row=2):
        code = row[code_column].value
        if code in values:
            row[value_column].value = values[code]
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def test_an_untouched_sheet_imports_as_all_unchanged(plans, tmp_path):
    plan = Plan.objects.get(code="ise-1")
    out = import_file(tmp_path, entry_sheet(plan=plan))
    # 20 KGIs × 5 years: the 20 R7 results come back unchanged, the rest blank.
    assert "新規 0件 / 変更 0件 / 変更なし 20件 / 空欄 80件" in out


def test_a_filled_in_sheet_imports_and_then_round_trips_unchanged(plans, tmp_path):
    plan = Plan.objects.get(code="ise-2")
    filled = fill(entry_sheet(plan=plan, fiscal_year=2026), {
        "ISE2-01": 42.5, "ISE2-04": "－", "ISE2-13": "１７５", "ISE2-16": "53,500",
        "ISE2-11": 5700000,
    })
    assert "新規 5件 / 変更 0件 / 変更なし 0件 / 空欄 11件" in import_file(tmp_path, filled)
    shown = {row.indicator.code: row.evaluation_label
             for row in plan_status(plan=plan, fiscal_year=2026)}
    assert shown["ISE2-01"] == "達成《達成率：106.3%》"
    assert shown["ISE2-04"] == "－"
    assert shown["ISE2-13"] == "達成《達成率：102.9%》"
    assert shown["ISE2-11"] == "達成《達成率：110.5%》"
    again = entry_sheet(plan=plan, fiscal_year=2026)
    assert "新規 0件 / 変更 0件 / 変更なし 5件 / 空欄 11件" in import_file(tmp_path, again)


def test_the_round_trip_through_the_admin(plans, admin_client_ja):
    plan = Plan.objects.get(code="ise-2")
    filled = fill(entry_sheet(plan=plan, fiscal_year=2027), {"ISE2-09": 50.5})
    page = re.sub(r"\s+", " ", upload(admin_client_ja, filled).content.decode())
    assert "新規 1件 / 変更 0件 / 変更なし 0件 / 空欄 15件" in page


def test_plan_list_offers_every_download_and_they_work(plans, admin_client_ja):
    page = admin_client_ja.get(reverse("admin:plans_plan_changelist")).content.decode()
    entry = reverse("spreadsheets:entry_sheet", args=["ise-2"])
    status = reverse("spreadsheets:status_table", args=["ise-1", 2025])
    assert f'href="{entry}"' in page and f'href="{status}"' in page
    for url in (entry, f"{entry}?year=2026", status):
        response = admin_client_ja.get(url)
        assert response.status_code == 200
        assert response["Content-Type"].startswith("application/vnd.openxmlformats")


def test_plan_actions_download_one_plan(plans, admin_client_ja):
    ise1 = Plan.objects.get(code="ise-1")
    response = admin_client_ja.post(
        reverse("admin:plans_plan_changelist"),
        {"action": "download_status_table", "_selected_action": [str(ise1.pk)]},
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("spreadsheets:status_table", args=["ise-1", 2025])
    both = [str(plan.pk) for plan in Plan.objects.all()]
    response = admin_client_ja.post(
        reverse("admin:plans_plan_changelist"),
        {"action": "download_entry_sheet", "_selected_action": both}, follow=True,
    )
    assert "計画を1件だけ選んでください。" in response.content.decode()


def test_indicator_list_for_a_plan_and_year_links_its_sheets(plans, admin_client_ja):
    plan = Plan.objects.get(code="ise-2")
    page = admin_client_ja.get(
        reverse("admin:indicators_indicator_changelist"),
        {"plan__id__exact": plan.pk, "fiscal_year": 2026},
    ).content.decode()
    assert "入力シート（R8）" in page and "評価表（R8）" in page
    assert reverse("spreadsheets:status_table", args=["ise-2", 2026]) in page


def test_department_list_links_the_departments_own_sheet(plans, admin_client_ja):
    from plans.models import Department

    department = Department.objects.get(name="デジタル政策課")
    measure = Indicator.objects.get(code="ISE2-13").measure
    measure.departments.add(department)
    page = admin_client_ja.get(reverse("admin:plans_department_changelist")).content.decode()
    url = f"{reverse('spreadsheets:entry_sheet', args=['ise-2'])}?department={department.pk}"
    assert url in page
    data = admin_client_ja.get(url).getvalue()
    codes = {row[0] for row in openpyxl.load_workbook(io.BytesIO(data))["実績入力"].iter_rows(
        min_row=2, values_only=True)}
    # ISE2-13 and ISE2-14 are the two KGIs of measure ① 各種手続きのスマート化.
    assert codes == {"ISE2-13", "ISE2-14"}
