"""No page's query count grows with the number of indicators."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from indicators.models import Indicator
from plans.models import Department, Measure
from tests.helpers import add_synthetic_kgis, visible_text

pytestmark = pytest.mark.django_db

# Session and user, then the page's own queries; a regression that adds a
# query per row fails the equality long before it reaches these bounds.
# The KGI page reads its change list from three history tables (+3); the
# home page counts the plans for its page links (+1).
MOST = {"home": 9, "plan": 10, "department": 10, "api": 6, "indicator": 8}


def count_queries(client, url: str) -> int:
    client.get(url)  # warm caches (content types, session) outside the count
    with CaptureQueriesContext(connection) as context:
        response = client.get(url)
    assert response.status_code == 200
    return len(context.captured_queries)


@pytest.fixture
def digital_policy(plans) -> Department:
    department = Department.objects.get(name="デジタル政策課")
    department.measures.add(*Measure.objects.filter(policy__plan__code__in=("ise-1", "ise-2")))
    return department


@pytest.fixture
def urls(digital_policy) -> dict[str, str]:
    return {
        "home": reverse("pages:home"),
        "plan": reverse("pages:plan", args=["ise-2"]) + "?year=2026",
        "department": reverse("pages:department", args=[digital_policy.pk]),
        "api": reverse("api:plan_status", args=["ise-2"]) + "?year=2026",
    }


def test_same_queries_for_16_and_200_kgis(admin_client_ja, urls):
    assert Indicator.objects.filter(plan__code="ise-2").count() == 16
    before = {name: count_queries(admin_client_ja, url) for name, url in urls.items()}
    add_synthetic_kgis(plan_code="ise-2", count=184)
    assert Indicator.objects.filter(plan__code="ise-2").count() == 200
    after = {name: count_queries(admin_client_ja, url) for name, url in urls.items()}
    assert after == before
    for name, count in after.items():
        assert count <= MOST[name], name


def test_synthetic_kgis_are_on_the_pages(admin_client_ja, urls):
    add_synthetic_kgis(plan_code="ise-2", count=184)
    response = admin_client_ja.get(urls["plan"])
    assert response.content.decode().count('href="/indicators/SYN-') == 184
    # Actuals 0…29 in turn against a target of 20: 60 of 184 reach it.
    assert "達成 60 未達成 124 未入力 16 評価対象外 0" in visible_text(response)


def test_indicator_page_queries_do_not_grow_with_its_years(admin_client_ja, plans):
    few = count_queries(admin_client_ja, reverse("pages:indicator", args=["ISE2-01"]))
    many = count_queries(admin_client_ja, reverse("pages:indicator", args=["ISE2-12"]))
    assert few == many <= MOST["indicator"]
