"""The admin lists on an instance of many municipalities (issue 6).

Listed in full, the municipality and plan filters of the actual list were
485 KB of links at national size, and the 年度 filter read every actual.

Rules of the lists, not numbers of the documents: the cities, plans and
rows a test counts come from factories (tests/factories.py) and the
demo's synthetic generator. A system administrator's list spans the whole
database, so its counts are the database's own (the shipped plans are
always loaded); the 年度 filter is checked through a factory city's office.
"""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.roles import Role
from demo.synthetic import synthetic_generate
from plans.models import Municipality, Plan
from tests.factories import (
    ActualFactory,
    IndicatorFactory,
    MunicipalityFactory,
    PlanFactory,
    TargetFactory,
)
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


def city_with_two_plans() -> Municipality:
    """「テスト市」 with two plans, each with a KGI and an R8 actual."""
    city = MunicipalityFactory(name="テスト市")
    for _ in range(2):
        ActualFactory(indicator__measure__policy__plan__municipality=city, fiscal_year=2026)
    return city


@pytest.fixture
def many():
    """「テスト市」 and its two plans among 100 synthetic municipalities and
    plans, beside what else is there: over the filters' 100 choices."""
    city = city_with_two_plans()
    synthetic_generate(municipalities=100, indicators=1, years=4)
    return city


def test_few_municipalities_are_all_listed(admin_client_ja):
    city_with_two_plans()
    municipalities, plans = Municipality.objects.count(), Plan.objects.count()
    assert municipalities <= 100 and plans <= 100
    body = admin_client_ja.get(ACTUALS).content.decode()
    assert len(set(filter_links(body, "indicator__plan__municipality__id__exact"))) == municipalities
    assert len(set(filter_links(body, "indicator__plan__id__exact"))) == plans
    assert "省略" not in body


def test_many_municipalities_are_left_out_with_a_count(many, admin_client_ja):
    municipalities, plans = Municipality.objects.count(), Plan.objects.count()
    body = admin_client_ja.get(ACTUALS).content.decode()
    assert filter_links(body, "indicator__plan__municipality__id__exact") == []
    assert f"ほか{municipalities}件は省略（検索欄で名前から絞り込めます）" in body
    assert f"ほか{plans}件は省略（検索欄で名前から絞り込めます）" in body
    assert len(body) < 150_000


def test_a_chosen_municipality_stays_listed_and_narrows_the_plans(many, admin_client_ja):
    city = many
    municipalities, plans = Municipality.objects.count(), Plan.objects.count()
    response = admin_client_ja.get(
        ACTUALS, {"indicator__plan__municipality__id__exact": city.pk})
    body = response.content.decode()
    assert set(filter_links(body, "indicator__plan__municipality__id__exact")) == {str(city.pk)}
    assert f"ほか{municipalities - 1}件は省略" in body
    # Only the city's two plans are offered, in full.
    own = Plan.objects.filter(municipality=city).values_list("pk", flat=True)
    assert len(own) == 2
    assert sorted(map(int, set(filter_links(body, "indicator__plan__id__exact")))) == sorted(own)
    assert f"ほか{plans}件" not in body


@pytest.mark.parametrize("value", ["abc", "²", "9" * 30, "-1", "1,2"])
def test_an_unusable_chosen_id_is_no_500(many, admin_client_ja, value):
    response = admin_client_ja.get(ACTUALS, {"indicator__plan__municipality__id__exact": value})
    assert response.status_code in (200, 302)


def test_search_finds_actuals_by_municipality_name(many, admin_client_ja):
    body = admin_client_ja.get(ACTUALS, {"q": "合成自治体00042"}).content.decode()
    codes = set(re.findall(r"SYN00042-\d{3}", body))
    assert codes == {"SYN00042-001"}
    others = Plan.objects.filter(municipality=many).values_list("indicators__code", flat=True)
    assert "SYN00041" not in body and not any(code in body for code in others)


def test_year_filter_offers_earliest_to_latest_and_filters():
    city = MunicipalityFactory(name="テスト市")
    # A plan of R3–R7 (2021–2025) and one of R8–R11 (2026–2029).
    earlier = IndicatorFactory(measure__policy__plan=PlanFactory(
        municipality=city, start_year=2021, end_year=2025))
    current = IndicatorFactory(measure__policy__plan=PlanFactory(municipality=city))
    TargetFactory(indicator=earlier, fiscal_year=2025)
    for year in range(2026, 2030):
        TargetFactory(indicator=current, fiscal_year=year)
    # Actuals from R4 (2022, the current plan's history) to R7, R5 missing.
    for year in (2022, 2025):
        ActualFactory(indicator=earlier, fiscal_year=year)
    for year in (2022, 2024, 2025):
        ActualFactory(indicator=current, fiscal_year=year)
    office = client_for(user_with_role(Role.OFFICE, municipality=city.code))
    body = office.get(ACTUALS).content.decode()
    assert filter_links(body, "fiscal_year__exact") == ["2022", "2023", "2024", "2025"]
    assert "令和4年度（2022）" in body
    only_2025 = office.get(ACTUALS, {"fiscal_year__exact": "2025"}).content.decode()
    assert "R7" in only_2025 or "令和7年度" in only_2025
    assert not re.search(r"<td[^>]*>令和6年度", only_2025)
    targets = office.get(TARGETS).content.decode()
    # Targets: the earlier plan's final year R7 to the R11 of the current plan.
    assert filter_links(targets, "fiscal_year__exact") == [str(year) for year in range(2025, 2030)]


def test_the_year_filter_shows_an_office_only_its_own_years():
    city_with_two_plans()
    quiet = IndicatorFactory(measure__policy__plan__municipality__name="別テスト市")
    office = client_for(user_with_role(
        Role.OFFICE, municipality=quiet.plan.municipality.code, username="quiet-o"))
    # The city has no actuals yet: no years to offer, and no other city's.
    body = office.get(ACTUALS).content.decode()
    assert filter_links(body, "fiscal_year__exact") == []


@pytest.mark.parametrize("url", [ACTUALS, TARGETS, KGIS])
def test_admin_list_queries_do_not_grow_with_municipalities(admin_client_ja, url):
    city = city_with_two_plans()
    few = queries(admin_client_ja, url)
    synthetic_generate(municipalities=120, indicators=2, years=4)
    assert queries(admin_client_ja, url) == few
    if url != TARGETS:  # the target list has no municipality filter
        prefix = "" if url == KGIS else "indicator__"
        chosen = f"{url}?{prefix}plan__municipality__id__exact={city.pk}"
        # Reading the chosen municipality apart: one query more, at any size.
        assert queries(admin_client_ja, chosen) == few + 1
