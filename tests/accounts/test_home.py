"""The home page as each role first sees it after logging in.

What each role sees, not the documents: the cities, plans and department
come from factories (tests/factories.py), 「テスト市」 with 第2期テスト計画
and テスト政策課 (総務部), and 「別テスト町」 with a plan of its own. The
shipped plans are always loaded beside them, so Ise and Iga stay out too.
"""

from __future__ import annotations

import pytest
from django.urls import reverse

from accounts.roles import Role
from indicators.models import Indicator
from plans.models import Department, Plan
from tests.factories import DepartmentFactory, PlanFactory, kgi_with_targets
from tests.helpers import client_for, user_with_role, visible_text

pytestmark = pytest.mark.django_db


PLAN, PLAN_NAME, DEPARTMENT = "test-plan", "第2期テスト計画", "テスト政策課"


@pytest.fixture
def plan() -> Plan:
    """第2期テスト計画 (R8–R11) of 「テスト市」: TEST-01, with an R8 target, no
    actuals; and テスト政策課 (総務部), owning no measure yet."""
    plan = PlanFactory(municipality__name="テスト市", code=PLAN, name=PLAN_NAME)
    kgi_with_targets(plan, "TEST-01", "件", {2026: "10"})
    DepartmentFactory(municipality=plan.municipality, name=DEPARTMENT, division="総務部")
    return plan


@pytest.fixture
def other_city_plan() -> Plan:
    return PlanFactory(municipality__name="別テスト町", name="別テスト町計画")


def home_text(user) -> str:
    response = client_for(user).get(reverse("pages:home"))
    assert response.status_code == 200
    return visible_text(response)


def test_a_department_sees_its_own_department_and_no_plan(plan):
    text = home_text(user_with_role(Role.DEPARTMENT, municipality=plan.municipality.code,
                                    departments=(DEPARTMENT,)))
    assert "担当の所管課 総務部 テスト政策課" in text
    assert PLAN_NAME not in text
    assert "所管課別の状況" not in text


def test_a_viewer_sees_the_plans_of_their_city_only(plan, other_city_plan):
    text = home_text(user_with_role(Role.VIEWER, municipality=plan.municipality.code))
    assert PLAN_NAME in text
    assert "別テスト町" not in text
    assert "伊勢" not in text and "伊賀" not in text


def test_a_login_without_role_is_told_whom_to_ask(plan, django_user_model):
    text = home_text(django_user_model.objects.create_user("new-staff"))
    assert "DX推進本部事務局に、役割と所属（自治体・所管課）の設定を依頼してください。" in text
    assert "テスト市" not in text and PLAN_NAME not in text
    assert "伊勢" not in text and "伊賀" not in text


def test_the_department_page_links_its_entry_sheet_for_those_who_enter(plan):
    city = plan.municipality.code
    department = Department.objects.get(municipality=plan.municipality, name=DEPARTMENT)
    Indicator.objects.get(code="TEST-01").measure.departments.add(department)
    page = reverse("pages:department", args=[department.pk])
    # The plan's default year: its first, R8, without actuals.
    sheet = (
        reverse("spreadsheets:entry_sheet", args=[PLAN])
        + f"?year=2026&amp;department={department.pk}"
    )
    own = user_with_role(Role.DEPARTMENT, municipality=city, departments=(DEPARTMENT,))
    html = client_for(own).get(page).content.decode()
    assert sheet in html
    response = client_for(own).get(sheet.replace("&amp;", "&"))
    assert response.status_code == 200
    viewer_html = client_for(user_with_role(Role.VIEWER, municipality=city)).get(page)
    assert sheet not in viewer_html.content.decode()


# Each role is pointed only at what it can open (docs/roles.md): the admin's
# 施策 is the DX office's; a department enters actuals; a viewer has no admin.
ADMIN_MEASURES = "管理画面の「施策」"
ASK_OFFICE = "DX推進本部事務局が設定します"
ENTER_ACTUALS = "管理画面の「実績値」"


def test_a_viewer_is_not_sent_to_the_admin(plan):
    """Only the plan's own city shows: no department of テスト市 owns a measure."""
    text = home_text(user_with_role(Role.VIEWER, municipality=plan.municipality.code))
    assert f"施策を所管する課はまだ登録されていません（施策の所管課は {ASK_OFFICE}）。" in text
    assert "管理画面" not in text


def test_the_dx_office_is_sent_to_the_admins_measures(plan):
    text = home_text(user_with_role(Role.OFFICE, municipality=plan.municipality.code))
    assert f"施策を所管する課はまだ登録されていません（{ADMIN_MEASURES}で所管課を設定できます）。" in text
    assert ASK_OFFICE not in text and ENTER_ACTUALS not in text


def test_a_department_is_sent_to_the_actuals_it_enters(plan):
    user = user_with_role(Role.DEPARTMENT, municipality=plan.municipality.code,
                          departments=(DEPARTMENT,))
    client = client_for(user)
    html = client.get(reverse("pages:home")).content.decode()
    assert f'<a href="{reverse("admin:indicators_actual_changelist")}">{ENTER_ACTUALS}</a>' in html
    text = home_text(user)
    assert "DX推進本部事務局に施策の所管課の設定を依頼してください" in text
    assert ADMIN_MEASURES not in text
    # What it is pointed at opens; the measures it is not pointed at do not.
    assert client.get(reverse("admin:indicators_actual_changelist")).status_code == 200
    assert client.get(reverse("admin:plans_measure_changelist")).status_code == 403
