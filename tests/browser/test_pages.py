"""Department heads and the office read the dashboards in a real browser."""

from __future__ import annotations

import pytest

from indicators.models import Actual, Indicator
from tests.browser.helpers import log_in

pytestmark = pytest.mark.django_db(transaction=True)


def test_dashboard_draws_its_chart_and_switches_year(plans, live_server, page, office_login):
    Actual.objects.create(indicator=Indicator.objects.get(code="ISE2-01"), fiscal_year=2026,
                          value="42.5", value_places=1)
    errors = log_in(page, live_server, office_login, "/plans/ise-2/")
    page.wait_for_selector("[data-chart-json='plan-chart'] .main-svg")
    body = page.inner_text("main")
    assert "令和8年度（2026）" in body and "達成《達成率：106.3%》" in body
    page.select_option("#year-select", "2027")
    page.get_by_role("button", name="表示").click()
    page.wait_for_url("**/plans/ise-2/?year=2027")
    assert "令和9年度（2027）" in page.inner_text("main")
    page.wait_for_selector("[data-chart-json='plan-chart'] .main-svg")
    assert errors == []


def test_indicator_page_draws_history_and_targets(plans, live_server, page, office_login):
    errors = log_in(page, live_server, office_login, "/indicators/ISE2-06/")
    page.wait_for_selector("[data-chart-json='indicator-chart'] .main-svg")
    legend = page.inner_text("[data-chart-json='indicator-chart']")
    assert "現状値（R7）" in legend
    table = page.inner_text("table.year-table")
    assert "19.5%" in table and "令和5年度（2023）" in table
    assert errors == []


def test_a_national_home_page_pages_and_searches(plans, live_server, page, office_login):
    from demo.synthetic import synthetic_generate
    from tests.browser.helpers import wcag_violations

    synthetic_generate(municipalities=30, indicators=2, years=4)
    errors = log_in(page, live_server, office_login, "/")
    assert "全33件のうち 1〜20件目" in page.inner_text("main")
    assert page.locator("article.card").count() == 20
    page.get_by_role("link", name="次へ").click()
    page.wait_for_url("**/?page=2")
    assert page.locator("article.card").count() == 13
    assert page.locator("[aria-current='page']").inner_text() == "2"
    page.get_by_label("計画・自治体・都道府県名で絞り込み").fill("伊勢")
    page.get_by_role("button", name="検索").click()
    page.wait_for_url("**/?q=*")
    titles = page.locator("article.card h3").all_inner_texts()
    assert len(titles) == 2 and all("伊勢市" in title for title in titles)
    violations = wcag_violations(page)
    assert violations == [], "\n".join(violations)
    assert errors == []


def test_empty_states_say_why_instead_of_drawing_empty_charts(plans, live_server, page,
                                                              office_login):
    from tests.browser.helpers import wcag_violations

    errors = log_in(page, live_server, office_login, "/plans/iga-2/")
    main = page.inner_text("main")
    assert main.count("この計画にはKGIがまだ登録されていません。") == 1
    assert "KGIは未登録です。" not in main
    assert page.locator("[data-chart-json]").count() == 0
    assert page.get_by_role("link", name="定義テンプレート（Excel）をダウンロード").count() == 1
    violations = wcag_violations(page)
    assert violations == [], "\n".join(violations)
    page.goto(f"{live_server.url}/indicators/ISE1-08/")
    assert page.locator("[data-chart-json]").count() == 0
    assert "グラフはありません" in page.inner_text("main")
    # A 0件 target and a 1件 actual: ticks at whole numbers only.
    page.goto(f"{live_server.url}/indicators/ISE1-20/")
    page.wait_for_selector("[data-chart-json='indicator-chart'] .main-svg")
    ticks = page.eval_on_selector_all("[data-chart-json='indicator-chart'] .ytick text",
                                      "texts => texts.map(text => text.textContent)")
    assert ticks and all(tick.isdigit() for tick in ticks), ticks
    assert errors == []
