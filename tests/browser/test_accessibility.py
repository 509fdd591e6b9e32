"""axe-core finds no WCAG 2.1 A/AA violation on the pages people read."""

from __future__ import annotations

import pytest

from indicators.models import Actual, Indicator
from plans.models import Department, Measure, Municipality
from tests.browser.helpers import log_in, wcag_violations

pytestmark = pytest.mark.django_db(transaction=True)


def test_login_page(live_server, page):
    page.goto(f"{live_server.url}/accounts/login/")
    violations = wcag_violations(page)
    assert violations == [], "\n".join(violations)


def test_home_page(plans, live_server, page, office_login):
    log_in(page, live_server, office_login, "/")
    page.wait_for_selector("main h1")
    violations = wcag_violations(page)
    assert violations == [], "\n".join(violations)


def test_dashboard(plans, live_server, page, office_login):
    Actual.objects.create(indicator=Indicator.objects.get(code="ISE2-01"), fiscal_year=2026,
                          value="42.5", value_places=1)
    log_in(page, live_server, office_login, "/plans/ise-2/")
    page.wait_for_selector("[data-chart-json='plan-chart'] .main-svg")
    violations = wcag_violations(page)
    assert violations == [], "\n".join(violations)


def test_indicator_page(plans, live_server, page, office_login):
    log_in(page, live_server, office_login, "/indicators/ISE2-06/")
    page.wait_for_selector("[data-chart-json='indicator-chart'] .main-svg")
    violations = wcag_violations(page)
    assert violations == [], "\n".join(violations)


def test_department_page(plans, live_server, page, office_login):
    department = Department.objects.get(name="デジタル政策課")
    department.measures.add(*Measure.objects.filter(policy__plan__code="ise-2"))
    log_in(page, live_server, office_login, f"/departments/{department.pk}/")
    page.wait_for_selector("main h1")
    violations = wcag_violations(page)
    assert violations == [], "\n".join(violations)


def test_measure_owners_action_page(plans, live_server, page, office_login):
    """The admin's 「選択した施策の所管課を設定」 page, reached as the office does."""
    ise = Municipality.objects.get(code="ise")
    log_in(page, live_server, office_login,
           f"/admin/plans/measure/?policy__plan__municipality__id__exact={ise.pk}")
    for box in page.locator("input.action-select").all()[:3]:
        box.check()
    page.select_option("select[name=action]", "set_departments")
    with page.expect_navigation():
        page.get_by_role("button", name="実行").click()
    assert "選択した施策の所管課を設定" in page.inner_text("h1")
    assert "次の施策（3件）に、伊勢市の所管課を設定します。" in page.inner_text("main")
    violations = wcag_violations(page)
    assert violations == [], "\n".join(violations)
