"""axe-core finds no WCAG 2.1 A/AA violation on the pages people read."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from indicators.models import Actual, Indicator
from plans.models import Department, Measure

if TYPE_CHECKING:
    from playwright.sync_api import Page

pytestmark = pytest.mark.django_db(transaction=True)

WCAG_TAGS = {"wcag2a", "wcag2aa", "wcag21a", "wcag21aa"}


def log_in(page: Page, live_server, office_login, path: str) -> None:
    page.goto(f"{live_server.url}{path}")
    page.fill("#id_username", office_login[0])
    page.fill("#id_password", office_login[1])
    page.get_by_role("button", name="ログイン").click()
    page.wait_for_load_state("load")


def wcag_violations(page: Page) -> list[str]:
    """Return one line per WCAG 2.1 A/AA violation axe-core reports."""
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    return [
        f"{violation['id']} ({violation['impact']}): "
        + ", ".join(str(node["target"]) for node in violation["nodes"])
        for violation in results.response["violations"]
        if WCAG_TAGS & set(violation["tags"])
    ]


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
