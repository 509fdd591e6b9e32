"""第1期からの推移 on the KGI page: the series across ise-1 and ise-2, its chart, scope, queries."""

from __future__ import annotations

import html
import json
import re
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.roles import Role
from indicators.models import Actual, Indicator
from plans.models import Department
from tests.factories import ActualFactory
from tests.helpers import client_for, user_with_role, visible_text

pytestmark = pytest.mark.django_db

SECTION = "第1期からの推移"


def page(client, code: str):
    return client.get(reverse("pages:indicator", args=[code]))


def series_table(response) -> list[list[str]]:
    """Return the 第1期からの推移 table's rows as their cells' text."""
    body = response.content.decode()
    table = re.search(r'<table class="year-table series-table">(.*?)</table>', body, re.S)
    assert table is not None
    rows = re.findall(r"<tr>(.*?)</tr>", table.group(1), re.S)
    return [
        [re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", cell))).strip()
         for cell in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, re.S)]
        for row in rows
    ]


@pytest.fixture
def office(plans):
    return client_for(user_with_role(Role.OFFICE))


def test_the_page_of_ise2_13_prints_both_periods_targets_and_the_r7_actual(office):
    response = page(office, "ISE2-13")
    assert response.status_code == 200
    rows = series_table(response)
    assert rows[0] == ["年度", "計画", "目標値", "実績値", "評価", "備考"]
    assert rows[1:] == [
        ["令和3年度（2021）", "第1期（ISE1-01）", "－", "未入力", "未入力", "－"],
        ["令和4年度（2022）", "第1期（ISE1-01）", "－", "未入力", "未入力", "－"],
        ["令和5年度（2023）", "第1期（ISE1-01）", "－", "未入力", "未入力", "－"],
        ["令和6年度（2024）", "第1期（ISE1-01）", "－", "未入力", "未入力", "－"],
        ["令和7年度（2025）", "第1期（ISE1-01）", "120件《累計》", "142件",
         "達成《達成率：118.3%》", "－"],
        ["令和8年度（2026）", "第2期（ISE2-13）", "170件", "未入力", "未入力", "－"],
        ["令和9年度（2027）", "第2期（ISE2-13）", "200件", "未入力", "未入力", "－"],
        ["令和10年度（2028）", "第2期（ISE2-13）", "230件", "未入力", "未入力", "－"],
        ["令和11年度（2029）", "第2期（ISE2-13）", "260件", "未入力", "未入力", "－"],
    ]
    text = visible_text(response)
    assert f"{SECTION} 第1期の指標 ISE1-01 オンライン化した手続き数（累計）" in text
    assert "第2期の指標 ISE2-13 オンライン化された行政手続きの数（単年度）（このページ）" in text
    assert "接続の根拠（ISE1-01 → ISE2-13） 第1期 No.1「オンライン化した手続き数」" in text
    assert "集計方法の表記が期によって異なります" in text
    body = response.content.decode()
    assert f'href="{reverse("pages:indicator", args=["ISE1-01"])}"' in body


def test_the_earlier_kgis_page_shows_its_continuation_too(office):
    response = page(office, "ISE1-01")
    assert series_table(response) == series_table(page(office, "ISE2-13"))
    text = visible_text(response)
    assert "第1期の指標 ISE1-01 オンライン化した手続き数（累計）（このページ）" in text
    assert "第2期の指標 ISE2-13 オンライン化された行政手続きの数（単年度）" in text


def test_ise2_12_shows_the_years_it_holds_before_its_plan_and_r7_once(office):
    rows = series_table(page(office, "ISE2-12"))[1:]
    assert [row[0] for row in rows].count("令和7年度（2025）") == 1
    assert rows[3] == [
        "令和6年度（2024）", "第2期（ISE2-12）", "－", "0件", "計画期間外",
        "第1期（ISE1-20）にはこの年度の実績値がないため、第2期のISE2-12に記録された値を表示しています。",
    ]
    assert rows[4] == ["令和7年度（2025）", "第1期（ISE1-20）", "0件", "1件", "未達成", "－"]
    Actual.objects.filter(indicator__code="ISE2-12", fiscal_year=2025).update(value=Decimal(2))
    rows = series_table(page(office, "ISE2-12"))[1:]
    assert rows[4][-1] == "第2期のISE2-12には2件と記録されています（表示はISE1-20の値）。"


def test_the_chart_shows_both_periods_and_the_table_carries_its_numbers(office):
    body = page(office, "ISE2-13").content.decode()
    assert 'data-chart-json="series-chart"' in body
    found = re.search(r'<script id="series-chart" type="application/json">(.*?)</script>',
                      body, re.S)
    chart = json.loads(found.group(1))
    traces = {trace["name"]: (trace["x"], trace["y"]) for trace in chart["data"]}
    assert traces["実績（第1期 ISE1-01）"] == (["R7"], [142.0])
    assert traces["目標（第1期 ISE1-01）"] == (["R7"], [120.0])
    assert traces["目標（第2期 ISE2-13）"] == (["R8", "R9", "R10", "R11"],
                                            [170.0, 200.0, 230.0, 260.0])
    assert chart["layout"]["xaxis"]["categoryarray"] == [f"R{n}" for n in range(3, 12)]
    assert chart["layout"]["annotations"][0]["text"] == "第2期から"
    assert "の期をまたぐ実績と目標のグラフ（数値は下の表にあります）" in body


def test_a_kgi_without_a_link_has_no_such_section(office):
    response = page(office, "ISE2-01")
    assert SECTION not in visible_text(response)
    assert "series-table" not in response.content.decode()


def test_a_department_that_cannot_see_the_earlier_kgi_gets_no_series(plans):
    registry = Department.objects.get(municipality__code="ise", name="戸籍住民課")
    registry.measures.add(Indicator.objects.get(code="ISE2-13").measure)
    client = client_for(user_with_role(Role.DEPARTMENT, departments=("戸籍住民課",)))
    response = page(client, "ISE2-13")
    assert response.status_code == 200
    assert SECTION not in visible_text(response)
    assert "ISE1-01" not in response.content.decode()
    assert page(client, "ISE1-01").status_code == 404


def test_another_citys_login_gets_404_for_a_linked_kgi(plans):
    client = client_for(user_with_role(Role.OFFICE, municipality="iga"))
    assert page(client, "ISE2-13").status_code == 404
    assert page(client, "ISE1-01").status_code == 404


def count_queries(client, code: str) -> int:
    page(client, code)  # warm caches (content types, session) outside the count
    with CaptureQueriesContext(connection) as context:
        response = page(client, code)
    assert response.status_code == 200
    return len(context.captured_queries)


def test_the_page_costs_four_more_queries_with_a_link_whatever_its_years(office):
    alone, linked = count_queries(office, "ISE2-01"), count_queries(office, "ISE2-13")
    assert linked == alone + 4
    for year in (2022, 2023, 2024):
        ActualFactory(indicator=Indicator.objects.get(code="ISE1-01"), fiscal_year=year)
    ActualFactory(indicator=Indicator.objects.get(code="ISE2-13"), fiscal_year=2026)
    ActualFactory(indicator=Indicator.objects.get(code="ISE2-01"), fiscal_year=2026)
    assert (count_queries(office, "ISE2-01"), count_queries(office, "ISE2-13")) == (alone, linked)
