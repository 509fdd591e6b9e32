"""第1期からの推移 on a KGI page: both charts drawn, and axe finds no WCAG 2.1 A/AA violation."""

from __future__ import annotations

import pytest

from tests.browser.helpers import log_in, wcag_violations

pytestmark = pytest.mark.django_db(transaction=True)


def test_linked_indicator_page(plans, live_server, page, office_login):
    log_in(page, live_server, office_login, "/indicators/ISE2-12/")
    page.wait_for_selector("[data-chart-json='indicator-chart'] .main-svg")
    page.wait_for_selector("[data-chart-json='series-chart'] .main-svg")
    assert page.locator("table.series-table tbody tr").count() == 9
    violations = wcag_violations(page)
    assert violations == [], "\n".join(violations)
