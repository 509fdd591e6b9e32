"""A DX office member enters an R8 actual in a real browser."""

from __future__ import annotations

import re

import pytest

from indicators.models import Actual
from tests.browser.helpers import log_in

pytestmark = pytest.mark.django_db(transaction=True)


def test_entering_an_r8_actual_shows_the_evaluation_at_once(
    plans, live_server, page, office_login
):
    log_in(page, live_server, office_login, "/admin/")
    page.get_by_role("link", name="指標（KGI）").first.click()
    page.get_by_role("link", name="ISE2-01").click()
    page.click("#actuals-group .add-row a")
    page.select_option("select[name=actuals-0-fiscal_year]", "2026")
    page.fill("input[name=actuals-0-value]", "４２．５")
    page.click("input[name=_continue]")
    messages = re.sub(r"\s+", " ", page.inner_text("ul.messagelist"))
    assert "ISE2-01 令和8年度（2026）の評価：達成《達成率：106.3%》" in messages
    evaluation = page.inner_text("#actuals-0 .field-evaluation .readonly")
    assert "達成《達成率：106.3%》" in evaluation and "目標 40.0%" in evaluation
    actual = Actual.objects.get(indicator__code="ISE2-01", fiscal_year=2026)
    assert f"{actual.value_as_entered:f}" == "42.5"


def test_a_bad_value_is_a_japanese_error_in_the_browser(plans, live_server, page, office_login):
    log_in(page, live_server, office_login, "/admin/")
    page.goto(f"{live_server.url}/admin/indicators/indicator/?q=ISE2-02")
    page.get_by_role("link", name="ISE2-02").click()
    page.click("#actuals-group .add-row a")
    page.select_option("select[name=actuals-0-fiscal_year]", "2026")
    page.fill("input[name=actuals-0-value]", "-3")
    page.click("input[name=_continue]")
    assert "実績値に負の値は入力できません。" in page.inner_text("#actuals-group")
    assert not Actual.objects.filter(indicator__code="ISE2-02").exists()
