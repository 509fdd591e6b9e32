"""The home page as each role first sees it after logging in."""

from __future__ import annotations

import pytest
from django.urls import reverse

from accounts.roles import Role
from plans.models import Department, Measure
from tests.helpers import client_for, user_with_role, visible_text

pytestmark = pytest.mark.django_db


def home_text(user) -> str:
    response = client_for(user).get(reverse("pages:home"))
    assert response.status_code == 200
    return visible_text(response)


def test_a_department_sees_its_own_department_and_no_plan(plans):
    text = home_text(
        user_with_role(Role.DEPARTMENT, municipality="ise", departments=("デジタル政策課",))
    )
    assert "担当の所管課 情報戦略局 デジタル政策課" in text
    assert "第2期 伊勢市デジタル行政推進ビジョン" not in text
    assert "所管課別の状況" not in text


def test_a_viewer_sees_the_plans_of_their_city_only(plans):
    text = home_text(user_with_role(Role.VIEWER, municipality="ise"))
    assert "第2期 伊勢市デジタル行政推進ビジョン" in text
    assert "伊賀" not in text


def test_a_login_without_role_is_told_whom_to_ask(plans, django_user_model):
    text = home_text(django_user_model.objects.create_user("new-staff"))
    assert "DX推進本部事務局に、役割と所属（自治体・所管課）の設定を依頼してください。" in text
    assert "伊勢" not in text and "伊賀" not in text


def test_the_department_page_links_its_entry_sheet_for_those_who_enter(plans):
    department = Department.objects.get(municipality__code="ise", name="デジタル政策課")
    Measure.objects.get(policy__plan__code="ise-2", indicators__code="ISE2-01").departments.add(
        department
    )
    page = reverse("pages:department", args=[department.pk])
    sheet = (
        reverse("spreadsheets:entry_sheet", args=["ise-2"])
        + f"?year=2026&amp;department={department.pk}"
    )
    own = user_with_role(Role.DEPARTMENT, municipality="ise", departments=("デジタル政策課",))
    html = client_for(own).get(page).content.decode()
    assert sheet in html
    response = client_for(own).get(sheet.replace("&amp;", "&"))
    assert response.status_code == 200
    viewer_html = client_for(user_with_role(Role.VIEWER, municipality="ise")).get(page)
    assert sheet not in viewer_html.content.decode()
