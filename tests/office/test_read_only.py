"""Read-only admin pages print values as the documents do.

A department user reads its KGIs and their targets without changing them,
and a confirmed actual; everyone reads past versions on the history pages.
None of these shows 「CHANGE REASON」「None」「20.0000」 or a bare 「2026」:
labels are the fields' Japanese names, numbers as printed (20名, 24.0%,
5,639.8時間), years as 令和8年度（2026）, nothing as 「－」.

The shipped plan ise-2 (fixtures/ise-2.json): ISE2-02 counts people (名 累計,
no baseline, R8 target 「20名《累計》」), ISE2-08 hours (baseline 5,639.8時間), ISE2-11
is a reduction (R8 target 「R7年度比 ▲2.0%」, baseline 5,828,872枚).
"""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from django.urls import reverse

from accounts.roles import Role
from indicators.models import Actual, Indicator, Target
from plans.models import Department
from tests.helpers import client_for, user_with_role, visible_text

pytestmark = pytest.mark.django_db

RAW = ("None", ".0000", "Change reason", "Decided on", "Seen version", "CHANGE REASON")


def assert_printed(text: str) -> None:
    for raw in RAW:
        assert raw not in text
    # A year is never bare: 「年度: 2026」 reads 「年度: 令和8年度（2026）」.
    assert not re.search(r"年度: \d{4}", text)


@pytest.fixture
def department_client(plans):
    """A department user owning the measures of ISE2-02, ISE2-08 and ISE2-11."""
    department = Department.objects.filter(municipality__code="ise").order_by("pk").first()
    for code in ("ISE2-02", "ISE2-08", "ISE2-11"):
        Indicator.objects.get(code=code).measure.departments.add(department)
    user = user_with_role(Role.DEPARTMENT, departments=(department.name,))
    return client_for(user)


def page_text(client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200
    return visible_text(response)


def test_a_target_read_by_a_department(department_client):
    target = Target.objects.get(indicator__code="ISE2-02", fiscal_year=2026)
    text = page_text(department_client, reverse("admin:indicators_target_change", args=[target.pk]))
    assert "年度: 令和8年度（2026） 目標値: 20名《累計》 " in text
    assert "当初目標値・変更: － 前回の変更理由: －" in text
    # The revision's inputs are for changing a target: not on a page that cannot.
    assert "変更理由（目標値を変えるとき）" not in text
    assert_printed(text)


def test_a_reduction_target_reads_as_the_document_prints_it(department_client):
    target = Target.objects.get(indicator__code="ISE2-11", fiscal_year=2026)
    text = page_text(department_client, reverse("admin:indicators_target_change", args=[target.pk]))
    assert "目標値: R7年度比 ▲2.0% " in text
    assert_printed(text)


def test_a_kgi_read_by_a_department(department_client):
    indicator = Indicator.objects.get(code="ISE2-02")
    Actual.objects.create(indicator=indicator, fiscal_year=2026, value=Decimal("175"))
    text = page_text(
        department_client, reverse("admin:indicators_indicator_change", args=[indicator.pk])
    )
    assert "現状値: － 現状値の年度: －" in text
    assert "令和8年度（2026） 20名《累計》 －" in text  # the targets' rows
    assert "年度: 令和8年度（2026） 区分: 数値 実績値: 175名" in text  # the actuals' row (stacked)
    assert_printed(text)

    hours = Indicator.objects.get(code="ISE2-08")
    text = page_text(
        department_client, reverse("admin:indicators_indicator_change", args=[hours.pk])
    )
    assert "現状値: 5,639.8時間 現状値の年度: 令和7年度（2025）" in text
    assert "令和8年度（2026） 6,300.0時間" in text
    assert_printed(text)


def test_a_confirmed_actual_read_by_a_department(department_client):
    actual = Actual.objects.create(
        indicator=Indicator.objects.get(code="ISE2-02"), fiscal_year=2026,
        value=Decimal("175"), confirmed=True,
    )
    text = page_text(department_client, reverse("admin:indicators_actual_change", args=[actual.pk]))
    assert "年度: 令和8年度（2026） 区分: 数値 実績値: 175名 " in text
    assert "公表された達成率: －" in text
    assert_printed(text)


def test_a_past_version_is_read_not_edited(plans, admin_client_ja):
    target = Target.objects.get(indicator__code="ISE2-11", fiscal_year=2026)
    record = target.history.earliest("history_date")
    url = reverse(
        "admin:indicators_target_simple_history", args=[target.pk, record.history_id]
    )
    response = admin_client_ja.get(url)
    assert response.status_code == 200
    text = visible_text(response)
    assert "年度: 令和8年度（2026） 目標値: R7年度比 ▲2.0% " in text
    assert_printed(text)
    assert 'name="value"' not in response.content.decode()

    plan = target.indicator.plan
    record = plan.history.earliest("history_date")
    text = page_text(
        admin_client_ja,
        reverse("admin:plans_plan_simple_history", args=[plan.pk, record.history_id]),
    )
    assert "計画期間（開始年度）: 令和8年度（2026） 計画期間（終了年度）: 令和11年度（2029）" in text
    assert_printed(text)


def test_the_target_list_prints_years_and_values(department_client):
    text = page_text(
        department_client,
        reverse("admin:indicators_target_changelist") + "?q=ISE2-02",
    )
    assert "令和8年度（2026） 20名《累計》" in text
    assert_printed(text)


def test_an_editable_page_keeps_its_inputs(plans, admin_client_ja):
    target = Target.objects.get(indicator__code="ISE2-02", fiscal_year=2026)
    html = admin_client_ja.get(
        reverse("admin:indicators_target_change", args=[target.pk])
    ).content.decode()
    assert 'name="value"' in html and 'name="change_reason"' in html
    assert 'name="fiscal_year"' in html
