"""The Iga office loads its action plan's KGIs in the admin, from the template.

The KGIs here are synthetic (テスト指標…): Iga's real action plan is not
among the project's documents.
"""

from __future__ import annotations

import io
import re

import openpyxl
import pytest
from django.contrib.auth.models import Group, Permission
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.urls import reverse

from accounts.roles import Role
from indicators.models import Indicator, Target
from plans.models import Plan
from tests.helpers import form_data, user_with_role

pytestmark = pytest.mark.django_db

IMPORT_URL = "admin:indicators_indicator_import"
PROCESS_URL = "admin:indicators_indicator_process_import"


def filled_template(client, rows: list[dict[str, object]]) -> bytes:
    """Download iga-2's template and type ``rows`` under its headings."""
    data = client.get(reverse("spreadsheets:definitions_template", args=["iga-2"])).getvalue()
    workbook = openpyxl.load_workbook(io.BytesIO(data))
    sheet = workbook.worksheets[0]
    headers = [cell.value for cell in sheet[1]]
    for number, values in enumerate(rows, start=2):
        for header, value in values.items():
            sheet.cell(row=number, column=headers.index(header) + 1, value=value)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


TWO_KGIS = [
    {"計画コード": "iga-2", "基本方針番号": 1, "施策番号": 1, "指標コード": "IGA2-01",
     "項目": "テスト指標1", "単位": "件", "評価の型": "増加型", "集計方法": "累計",
     "目標値 令和8年度（2026）": 10, "目標値 令和11年度（2029）": 40},
    {"計画コード": "iga-2", "基本方針番号": 3, "施策番号": 9, "施策名": "テスト施策",
     "指標コード": "IGA2-02", "項目": "テスト指標2", "単位": "%", "評価の型": "減少型",
     "現状値": 12.5, "目標値 令和8年度（2026）": "10.0"},
]


def upload(client, data: bytes):
    return client.post(reverse(IMPORT_URL), {
        "import_file": SimpleUploadedFile("IDXアクションプラン.xlsx", data),
        "format": "0", "resource": "0",
    })


def text(response) -> str:
    return re.sub(r"\s+", " ", response.content.decode())


def test_import_page_links_each_plans_template(plans, admin_client_ja):
    page = text(admin_client_ja.get(reverse(IMPORT_URL)))
    assert reverse("spreadsheets:definitions_template", args=["iga-2"]) in page
    assert "指標定義" in page or "テンプレート" in page


def test_iga_office_loads_kgis_from_the_template(plans, admin_client_ja):
    response = upload(admin_client_ja, filled_template(admin_client_ja, TWO_KGIS))
    page = text(response)
    assert "指標 新規 2件" in page and "新しい施策 1件" in page
    assert "IGA2-01" in page and "テスト指標2" in page
    assert not Indicator.objects.filter(plan__code="iga-2").exists()

    confirm = form_data(response.content.decode(), action=reverse(PROCESS_URL))
    response = admin_client_ja.post(reverse(PROCESS_URL), confirm, follow=True)
    assert "取り込みました：指標 新規 2件" in text(response)
    codes = list(Indicator.objects.filter(plan__code="iga-2").values_list("code", flat=True))
    assert codes == ["IGA2-01", "IGA2-02"]
    second = Indicator.objects.get(code="IGA2-02")
    assert second.kind == "decrease" and second.measure.title == "テスト施策"
    assert f"{Target.objects.get(indicator=second, fiscal_year=2026).value_as_entered:f}" == "10.0"


def test_a_bad_definitions_file_names_every_row_and_loads_nothing(plans, admin_client_ja):
    rows = [dict(TWO_KGIS[0]), dict(TWO_KGIS[1])]
    rows[0]["評価の型"] = "たぶん増加"
    rows[1]["基本方針番号"] = 7
    page = text(upload(admin_client_ja, filled_template(admin_client_ja, rows)))
    assert "取り込めません（2件のエラー）" in page
    assert "<td>2行目</td><td>評価の型</td><td>IGA2-01</td>" in page
    assert "<td>3行目</td><td>基本方針番号</td><td>IGA2-02</td>" in page
    assert reverse(PROCESS_URL) not in page
    assert not Indicator.objects.filter(plan__code="iga-2").exists()


def test_definitions_import_needs_its_own_permission(plans, client):
    user = user_with_role(Role.OFFICE, municipality="iga")
    office = Group.objects.get(name=Role.OFFICE.value)
    permission = Permission.objects.get(codename="import_indicator")
    office.permissions.remove(permission)
    client.force_login(user)
    assert client.get(reverse(IMPORT_URL)).status_code == 403
    office.permissions.add(permission)
    client.force_login(user_with_role(Role.OFFICE, municipality="iga", username="office2"))
    assert client.get(reverse(IMPORT_URL)).status_code == 200


def test_import_definitions_command(plans, admin_client_ja, tmp_path):
    path = tmp_path / "plan.xlsx"
    path.write_bytes(filled_template(admin_client_ja, TWO_KGIS))
    out = io.StringIO()
    call_command("import_definitions", str(path), "--dry-run", stdout=out)
    assert out.getvalue().startswith("確認のみ（変更していません）：指標 新規 2件")
    assert not Indicator.objects.filter(plan__code="iga-2").exists()
    call_command("import_definitions", str(path), stdout=io.StringIO())
    assert Indicator.objects.filter(plan__code="iga-2").count() == 2
    path.write_bytes(b"not a spreadsheet\x00")
    with pytest.raises(CommandError, match="スプレッドシート"):
        call_command("import_definitions", str(path))


def test_plan_list_links_its_definitions_template(plans, admin_client_ja):
    page = admin_client_ja.get(reverse("admin:plans_plan_changelist")).content.decode()
    assert reverse("spreadsheets:definitions_template", args=["iga-2"]) in page
    assert Plan.objects.count() == 3


def test_an_error_in_a_heading_alone_refuses_the_file(plans, admin_client_ja):
    """No data row carries the error: the file is refused all the same."""
    workbook = openpyxl.load_workbook(
        io.BytesIO(filled_template(admin_client_ja, TWO_KGIS[:1]))
    )
    for cell in workbook.worksheets[0][1]:
        if cell.value == "目標値 令和11年度（2029）":
            cell.value = "目標値 いつか"
    buffer = io.BytesIO()
    workbook.save(buffer)
    response = upload(admin_client_ja, buffer.getvalue())
    page = text(response)
    assert "取り込めません（1件のエラー）" in page
    assert "<td>1行目</td><td>目標値 いつか</td>" in page
    assert reverse(PROCESS_URL) not in page
    assert not Indicator.objects.filter(plan__code="iga-2").exists()
