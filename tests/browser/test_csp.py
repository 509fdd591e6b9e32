"""The Content Security Policy in a real Chromium: pages work, nothing is refused."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from indicators.models import Actual, Indicator
from tests.browser.helpers import log_in

if TYPE_CHECKING:
    from playwright.sync_api import Page

pytestmark = pytest.mark.django_db(transaction=True)

# Runs in every document before its own scripts: keeps each violation the
# browser reports, which the page itself cannot hide.
RECORD_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", function (event) {
  window.__cspViolations.push(
    event.violatedDirective + " blocked " + (event.blockedURI || "inline")
    + " at " + event.sourceFile + ":" + event.lineNumber
  );
});
"""


def open_logged_in(page: Page, live_server, office_login, path: str) -> list[str]:
    """Log in to ``path`` recording violations; return the console errors' list."""
    page.add_init_script(RECORD_VIOLATIONS)
    return log_in(page, live_server, office_login, path)


def violations(page: Page) -> list[str]:
    return page.evaluate("window.__cspViolations")


def test_the_browser_enforces_the_policy(plans, live_server, page, office_login):
    """An injected inline script is refused and reported: the checks below can fail."""
    from playwright.sync_api import Error

    errors = open_logged_in(page, live_server, office_login, "/")
    with pytest.raises(Error, match="Content Security Policy"):
        page.add_script_tag(content="window.__injected = true;")
    assert page.evaluate("window.__injected") is None
    assert any(v.startswith("script-src") for v in violations(page))
    assert any("Content Security Policy" in error for error in errors)


def test_dashboard_draws_its_chart(plans, live_server, page, office_login):
    Actual.objects.create(indicator=Indicator.objects.get(code="ISE2-01"), fiscal_year=2026,
                          value="42.5", value_places=1)
    errors = open_logged_in(page, live_server, office_login, "/plans/ise-2/")
    page.wait_for_selector("[data-chart-json='plan-chart'] .main-svg")
    page.hover("[data-chart-json='plan-chart'] .main-svg")  # plotly's hover styles
    assert violations(page) == []
    assert errors == []


def test_indicator_page_draws_its_chart(plans, live_server, page, office_login):
    errors = open_logged_in(page, live_server, office_login, "/indicators/ISE2-06/")
    page.wait_for_selector("[data-chart-json='indicator-chart'] .main-svg")
    assert violations(page) == []
    assert errors == []


def test_print_page(plans, live_server, page, office_login):
    errors = open_logged_in(page, live_server, office_login, "/plans/ise-1/print/2025/")
    page.wait_for_selector("table")
    page.emulate_media(media="print")
    assert violations(page) == []
    assert errors == []


def test_admin_kgi_change_page_adds_a_row(plans, live_server, page, office_login):
    indicator = Indicator.objects.get(code="ISE2-01")
    errors = open_logged_in(page, live_server, office_login,
                            f"/admin/indicators/indicator/{indicator.pk}/change/")
    page.click("#actuals-group .add-row a")  # the admin's inlines.js
    page.wait_for_selector("select[name=actuals-0-fiscal_year]")
    assert violations(page) == []
    assert errors == []


@pytest.mark.parametrize("path", [
    "/admin/",
    "/admin/indicators/actual/import/",
    "/admin/indicators/actual/",
    "/admin/auth/user/add/",
])
def test_admin_pages(plans, live_server, page, office_login, path):
    errors = open_logged_in(page, live_server, office_login, path)
    assert violations(page) == []
    assert errors == []


def test_admin_history_page(plans, live_server, page, office_login):
    indicator = Indicator.objects.get(code="ISE2-01")
    errors = open_logged_in(page, live_server, office_login,
                            f"/admin/indicators/indicator/{indicator.pk}/history/")
    assert "ISE2-01" in page.inner_text("#content")
    assert violations(page) == []
    assert errors == []


def test_export_page_select_all_still_works(plans, live_server, page, office_login):
    errors = open_logged_in(page, live_server, office_login, "/admin/indicators/actual/export/")
    fields = page.locator(".selectable-field-export-row input[type=checkbox]:visible")
    assert fields.count() > 1
    page.uncheck("input.select-toggle")
    assert all(not box.is_checked() for box in fields.all())
    page.check("input.select-toggle")
    assert all(box.is_checked() for box in fields.all())
    assert violations(page) == []
    assert errors == []


def test_the_lockout_page(live_server, page, office_login):
    """Five wrong passwords in a real browser: the Japanese page, no violation, WCAG clean."""
    from tests.browser.helpers import wcag_violations

    page.add_init_script(RECORD_VIOLATIONS)
    page.goto(f"{live_server.url}/accounts/login/")
    for _ in range(5):
        page.fill("#id_username", office_login[0])
        page.fill("#id_password", "wrong-password")
        page.press("#id_password", "Enter")
        page.wait_for_load_state("load")
    assert "ログインを一時停止しています" in page.inner_text("main")
    assert violations(page) == []
    found = wcag_violations(page)
    assert found == [], "\n".join(found)
