"""axe-core finds no WCAG 2.1 A/AA violation on the pages people read."""

from __future__ import annotations

import pytest

from indicators.models import Actual, Indicator
from plans.models import Department, Measure
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
