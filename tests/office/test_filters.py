"""The admin lists on an instance of many municipalities (issue 6).

Listed in full, the municipality and plan filters of the actual list were
485 KB of links at national size, and the 年度 filter read every actual.
"""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.roles import Role
from demo.synthetic import synthetic_generate
from plans.models import Municipality, Plan
from tests.helpers import client_for, user_with_role

pytestmark = pytest.mark.django_db
ACTUALS = "/admin/indicators/actual/"
TARGETS = "/admin/indicators/target/"
KGIS = "/admin/indicators/indicator/"


def filter_links(body: str, parameter: str) -> list[str]:
    """Return the values the list's filter links set ``parameter`` to."""
    return re.findall(rf'href="\?[^"]*{re.escape(parameter)}=([^"&]+)', body)


def queries(client, url: str) -> int:
    client.get(url)
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


@pytest.fixture
def many(plans):
    """103 municipalities and 104 plans: over the filters' 100 choices."""
    synthetic_generate(municipalities=100, indicators=1, years=4)


def test_few_municipalities_are_all_listed(plans, admin_client_ja):
    body = admin_client_ja.get(ACTUALS).content.decode()
    assert len(set(filter_links(body, "indicator__plan__municipality__id__exact"))) == 2
    assert len(set(filter_links(body, "indicator__plan__id__exact"))) == 3
    assert "省略" not in body


def test_many_municipalities_are_left_out_with_a_count(many, admin_client_ja):
    body = admin_client_ja.get(ACTUALS).content.decode()
    assert filter_links(body, "indicator__plan__municipality__id__exact") == []
    assert "ほか102件は省略（検索欄で名前から絞り込めます）" in body
    assert "ほか103件は省略（検索欄で名前から絞り込めます）" in body
    assert len(body) < 150_000


def test_a_chosen_municipality_stays_listed_and_narrows_the_plans(many, admin_client_ja):
    ise = Municipality.objects.get(code="ise")
    response = admin_client_ja.get(
        ACTUALS, {"indicator__plan__municipality__id__exact": ise.pk})
    body = response.content.decode()
    assert set(filter_links(body, "indicator__plan__municipality__id__exact")) == {str(ise.pk)}
    assert "ほか101件は省略" in body
    # Only Ise's two plans are offered, in full.
    plans = Plan.objects.filter(municipality=ise).values_list("pk", flat=True)
    assert sorted(map(int, set(filter_links(body, "indicator__plan__id__exact")))) == sorted(plans)
    assert "ほか103件" not in body


@pytest.mark.parametrize("value", ["abc", "²", "9" * 30, "-1", "1,2"])
def test_an_unusable_chosen_id_is_no_500(many, admin_client_ja, value):
    response = admin_client_ja.get(ACTUALS, {"indicator__plan__municipality__id__exact": value})
    assert response.status_code in (200, 302)


def test_search_finds_actuals_by_municipality_name(many, admin_client_ja):
    body = admin_client_ja.get(ACTUALS, {"q": "合成自治体00042"}).content.decode()
    codes = set(re.findall(r"SYN00042-\d{3}", body))
    assert codes == {"SYN00042-001"}
    assert "SYN00041" not in body and "ISE2-" not in body


def test_year_filter_offers_earliest_to_latest_and_filters(plans, admin_client_ja):
    body = admin_client_ja.get(ACTUALS).content.decode()
    # The real plans' actuals run from R4 (2022, ise-2's history) to R7.
    assert filter_links(body, "fiscal_year__exact") == ["2022", "2023", "2024", "2025"]
    assert "令和4年度（2022）" in body
    only_2025 = admin_client_ja.get(ACTUALS, {"fiscal_year__exact": "2025"}).content.decode()
    assert "R7" in only_2025 or "令和7年度" in only_2025
    assert not re.search(r"<td[^>]*>令和6年度", only_2025)
    targets = admin_client_ja.get(TARGETS).content.decode()
    # Targets: ise-1's final year R7 to the R11 of the current plans.
    assert filter_links(targets, "fiscal_year__exact") == [str(year) for year in range(2025, 2030)]


def test_the_year_filter_shows_an_office_only_its_own_years(plans):
    iga = client_for(user_with_role(Role.OFFICE, municipality="iga", username="iga-o"))
    # Iga has no actuals yet: no years to offer, and no other city's.
    body = iga.get(ACTUALS).content.decode()
    assert filter_links(body, "fiscal_year__exact") == []


@pytest.mark.parametrize("url", [ACTUALS, TARGETS, KGIS])
def test_admin_list_queries_do_not_grow_with_municipalities(plans, admin_client_ja, url):
    few = queries(admin_client_ja, url)
    synthetic_generate(municipalities=120, indicators=2, years=4)
    assert queries(admin_client_ja, url) == few
    if url != TARGETS:  # the target list has no municipality filter
        ise = Municipality.objects.get(code="ise").pk
        prefix = "" if url == KGIS else "indicator__"
        chosen = f"{url}?{prefix}plan__municipality__id__exact={ise}"
        # Reading the chosen municipality apart: one query more, at any size.
        assert queries(admin_client_ja, chosen) == few + 1
