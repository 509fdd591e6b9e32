"""The home page over many plans: a page of 20 at a time, search, constant queries.

A national instance holds 1,741 municipalities' plans; evaluating them
all on one page took 11 s on PostgreSQL (docs/performance.md).
"""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.roles import Role
from demo.synthetic import synthetic_generate
from plans.models import Department, Measure
from tests.helpers import client_for, user_with_role, visible_text

pytestmark = pytest.mark.django_db
HOME = reverse("pages:home")


@pytest.fixture
def system(plans):
    return client_for(user_with_role(Role.SYSTEM, municipality=None, username="national"))


def plan_links(response) -> list[str]:
    """Return the plans' codes in the order their cards are shown."""
    body = response.content.decode()
    cards = body.split('<article class="card">')[1:]
    return [card.split('href="/plans/', 1)[1].split("/", 1)[0] for card in cards]


def queries(client, url: str) -> int:
    client.get(url)
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


def test_a_few_plans_are_one_page_without_search_or_page_links(system):
    response = system.get(HOME)
    assert plan_links(response) == ["iga-2", "ise-1", "ise-2"]
    body = response.content.decode()
    assert 'name="q"' not in body and 'class="pagination"' not in body


def test_many_plans_are_shown_twenty_at_a_time_real_plans_first(system):
    synthetic_generate(municipalities=25, indicators=2, years=4)
    first = system.get(HOME)
    assert plan_links(first)[:3] == ["iga-2", "ise-1", "ise-2"]
    assert len(plan_links(first)) == 20
    text = visible_text(first)
    assert "全28件のうち 1〜20件目" in text
    assert 'href="?page=2" rel="next">次へ</a>' in first.content.decode()
    second = system.get(HOME + "?page=2")
    assert plan_links(second) == [f"syn-{n:05d}-p" for n in range(18, 26)]
    assert "全28件のうち 21〜28件目" in visible_text(second)
    # Every card still carries its own counts.
    assert visible_text(second).count("の評価 達成") == 8


@pytest.mark.parametrize("page", ["abc", "0", "-1", "99999", "1e3", "²", "9" * 400])
def test_an_unusable_page_number_still_shows_a_page(system, page):
    synthetic_generate(municipalities=25, indicators=1, years=4)
    response = system.get(HOME, {"page": page})
    assert response.status_code == 200
    assert len(plan_links(response)) in (20, 8)


def test_query_count_does_not_grow_with_the_number_of_plans(system):
    few = queries(system, HOME)
    synthetic_generate(municipalities=45, indicators=3, years=4)
    assert queries(system, HOME) == few
    assert queries(system, HOME + "?page=3") == few
    assert queries(system, HOME + "?q=合成") == few


def test_search_by_municipality_prefecture_or_plan_name(system):
    synthetic_generate(municipalities=25, indicators=1, years=4)
    assert plan_links(system.get(HOME, {"q": "伊勢"})) == ["ise-1", "ise-2"]
    assert plan_links(system.get(HOME, {"q": "IDX"})) == ["iga-2"]
    by_prefecture = system.get(HOME, {"q": "合成データ"})
    assert "「合成データ」に当てはまる計画：全25件のうち 1〜20件目" in visible_text(by_prefecture)
    # The page links keep the search.
    assert 'href="?q=%E5%90%88%E6%88%90%E3%83%87%E3%83%BC%E3%82%BF&amp;page=2"' in (
        by_prefecture.content.decode()
    )
    nothing = visible_text(system.get(HOME, {"q": "存在しない市"}))
    assert "「存在しない市」に当てはまる計画はありません。" in nothing


def test_search_text_is_escaped_and_bounded(system):
    synthetic_generate(municipalities=21, indicators=1, years=4)
    response = system.get(HOME, {"q": "<script>alert(1)</script>" + "x" * 500})
    assert response.status_code == 200
    body = response.content.decode()
    assert "<script>alert(1)" not in body
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" + "x" * 75 + '"' in body


def test_departments_listed_are_those_of_the_plans_on_the_page(system):
    digital = Department.objects.get(name="デジタル政策課")
    digital.measures.add(*Measure.objects.filter(policy__plan__code="ise-2"))
    synthetic_generate(municipalities=25, indicators=1, years=4)
    first = visible_text(system.get(HOME))
    assert "情報戦略局 デジタル政策課 （伊勢市" in first
    assert "上に表示している計画の自治体の所管課です。" in first
    second = visible_text(system.get(HOME + "?page=2"))
    assert "デジタル政策課" not in second
    assert second.count("合成データ部 合成データ課") == 8


def test_a_city_office_sees_only_its_city_and_no_search(plans):
    client = client_for(user_with_role(Role.OFFICE, municipality="ise", username="ise-o"))
    synthetic_generate(municipalities=25, indicators=1, years=4)
    response = client.get(HOME)
    assert plan_links(response) == ["ise-1", "ise-2"]
    assert 'name="q"' not in response.content.decode()
    # Searching by hand still finds nothing outside its city.
    assert plan_links(client.get(HOME, {"q": "合成"})) == []
