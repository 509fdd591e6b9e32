"""The public pages read as a citizen would: the plan-year, a KGI, the long view."""

from __future__ import annotations

import re

import pytest

from tests.public.conftest import ISE1_YEAR, publish

pytestmark = pytest.mark.django_db


def page(client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, url
    html = response.content.decode()
    assert '<html lang="ja">' in html
    assert "<script" not in html and "csrfmiddlewaretoken" not in html
    return html


def test_the_index_and_the_city_list_what_is_published(ise1_published, client):
    index = page(client, "/public/")
    assert 'href="/public/ise/"' in index and "令和7年度（2025）" in index
    city = page(client, "/public/ise/")
    assert "伊勢市デジタル行政推進ビジョン（第1期）" in city
    assert 'href="/public/ise/ise-1/2025/"' in city
    plan = page(client, "/public/ise/ise-1/")
    assert "令和8年7月31日" in plan
    assert "達成 12 / 未達成 7 / 評価対象外 1 / 未公表 0（達成割合 63.2%）" in plan


def test_the_plan_year_page(ise1_published, client):
    html = page(client, ISE1_YEAR)
    assert "令和8年6月10日 第1回 伊勢市デジタル推進本部員会議（令和8年6月10日）" in html
    assert "令和8年7月31日" in html
    assert "評価の内訳（20指標）" in html
    # The chart and its table hold the same counts.
    assert re.search(r'<svg class="pub-chart"[^>]*role="img"', html)
    assert "<desc id=\"counts-chart-desc\">達成 12 / 未達成 7 / 評価対象外 1 / 未公表 0" in html
    assert '<tr><th scope="row">達成</th><td class="pub-num">12件</td></tr>' in html
    # Every KGI links to its page, with the document's figures.
    assert len(re.findall(r'href="/public/ise/ise-1/2025/ISE1-\d\d/"', html)) == 20
    row = html[html.index("ISE1-01/"):html.index("ISE1-02/")]
    assert "120件《累計》" in row and "142件" in row and "◎</span> 達成" in row
    assert 'href="/public/ise/ise-1/2025/242039_dx_kgi_2025.csv"' in html
    assert "CC-BY-4.0" in html


def test_a_kgi_page_without_a_published_successor(ise1_published, client):
    html = page(client, ISE1_YEAR + "ISE1-01/")
    assert "増加型（実績が目標以上で達成）" in html and "達成率＝実績値÷目標値×100" in html
    assert "累計" in html
    assert "年度ごとの推移" in html and "まだ公表されていません" in html
    assert "第1期からの推移" not in html
    # No long view: the KGI's own years only, R3 to R7.
    series = html[html.index("実績と目標の推移（表）"):]
    assert series.count('<th scope="row" data-label="年度">') == 5


def test_the_long_view_joins_both_published_periods(ise2_published, client):
    html = page(client, ISE1_YEAR + "ISE1-01/")
    assert "第1期からの推移（R3〜R11）" in html
    assert "第1期 No.1「オンライン化した手続き数」の令和7年度末実績" in html
    series = html[html.index("実績と目標の推移（表）"):]
    years = re.findall(r'<th scope="row" data-label="年度">([^<]+)</th>', series)
    assert years[0] == "令和3年度（2021）" and years[-1] == "令和11年度（2029）"
    assert len(years) == 9
    assert "第2期 ISE2-13" in series and "170件" in series
    # Bars for the two published actuals (R7 142件, R8 170件), one dashed target line each.
    assert html.count('<rect class="pub-bar pub-bar--series') == 2
    assert html.count('<polyline class="pub-target') == 2
    assert "第2期から" in html
    # Each side says which way the link runs.
    assert "次の計画期間の指標に引き継がれています" in html
    assert "前の計画期間の指標を引き継いでいます" not in html
    # And from the later plan's side.
    later = page(client, "/public/ise/ise-2/2026/ISE2-13/")
    assert "第1期からの推移（R3〜R11）" in later and "142件" in later
    assert "前の計画期間の指標を引き継いでいます" in later


def test_comments_on_the_kgi_page_only_when_published(plans, client):
    publish("ise-1", 2025, with_comments=True)
    html = page(client, ISE1_YEAR + "ISE1-01/")
    assert "取組状況" in html and "今後の方向性" in html


def test_the_accessibility_statement(client, db):
    html = page(client, "/public/accessibility/")
    assert "JIS X 8341-3:2016" in html and "レベルAA 一部準拠" in html
    assert "axe-core" in html and "320CSSピクセル" in html
    assert html.count('data-label="達成基準"') == 38
