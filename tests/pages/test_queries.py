"""No page's query count grows with the number of indicators.

Query counts, not numbers of the documents: the plans, KGIs and
department come from factories (tests/factories.py), a 「テスト市」 plan of
sixteen KGIs shaped like a real one (three policies, six measures;
increase, decrease and reduction KGIs; two with four years of history).
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from indicators.models import Indicator, Kind
from plans.models import Department, Measure, Plan
from tests.factories import (
    ActualFactory,
    BasicPolicyFactory,
    DepartmentFactory,
    IndicatorFactory,
    MeasureFactory,
    PlanFactory,
    TargetFactory,
    kgi_with_targets,
)
from tests.helpers import add_synthetic_kgis, visible_text

pytestmark = pytest.mark.django_db

# Session and user, then the page's own queries; a regression that adds a
# query per row fails the equality long before it reaches these bounds.
# The KGI page reads its change list from three history tables (+3); the
# home page counts the plans for its page links (+1); the dashboard, the
# department and KGI pages read the year's outlooks (見込み, +1).
MOST = {"home": 9, "plan": 10, "department": 11, "api": 6, "indicator": 9}


def count_queries(client, url: str) -> int:
    client.get(url)  # warm caches (content types, session) outside the count
    with CaptureQueriesContext(connection) as context:
        response = client.get(url)
    assert response.status_code == 200
    return len(context.captured_queries)


PLAN = "test-plan"


@pytest.fixture
def plan() -> Plan:
    """第2期テスト計画 (R8–R11): TEST-01 to TEST-16 over three policies of two
    measures, with targets for every year and no R8 actual; 13 increase, 2
    decrease (TEST-06, TEST-12: R4–R7 history) and 1 reduction (TEST-11)."""
    plan = PlanFactory(municipality__name="テスト市", code=PLAN, name="第2期テスト計画")
    policies = [BasicPolicyFactory(plan=plan, number=number) for number in (1, 2, 3)]
    measures = [MeasureFactory(policy=policy) for policy in policies for _ in range(2)]
    for position in range(1, 17):
        code = f"TEST-{position:02d}"
        kind = {6: Kind.DECREASE, 12: Kind.DECREASE, 11: Kind.REDUCTION}.get(position,
                                                                            Kind.INCREASE)
        indicator = IndicatorFactory(
            measure=measures[(position - 1) % len(measures)], code=code, position=position,
            kind=kind, baseline=Decimal(100), baseline_year=2025,
        )
        for year in plan.fiscal_years:
            TargetFactory(indicator=indicator, fiscal_year=year, value=Decimal(year - 2020))
        if kind == Kind.DECREASE:
            for year in range(2022, 2026):
                ActualFactory(indicator=indicator, fiscal_year=year, confirmed=True)
    return plan


@pytest.fixture
def policy_department(plan) -> Department:
    """テスト政策課, owning every measure of the plan and of an earlier one (R3–R7)."""
    past = PlanFactory(municipality=plan.municipality, code="past-plan",
                       start_year=2021, end_year=2025)
    kgi_with_targets(past, "TEST-21", "件", {2025: "10"})
    kgi_with_targets(past, "TEST-22", "件", {2025: "10"})
    department = DepartmentFactory(municipality=plan.municipality, name="テスト政策課")
    department.measures.add(*Measure.objects.filter(policy__plan__in=(plan, past)))
    return department


@pytest.fixture
def urls(policy_department) -> dict[str, str]:
    return {
        "home": reverse("pages:home"),
        "plan": reverse("pages:plan", args=[PLAN]) + "?year=2026",
        "department": reverse("pages:department", args=[policy_department.pk]),
        "api": reverse("api:plan_status", args=[PLAN]) + "?year=2026",
    }


def test_same_queries_for_16_and_200_kgis(admin_client_ja, urls):
    assert Indicator.objects.filter(plan__code=PLAN).count() == 16
    before = {name: count_queries(admin_client_ja, url) for name, url in urls.items()}
    add_synthetic_kgis(plan_code=PLAN, count=184)
    assert Indicator.objects.filter(plan__code=PLAN).count() == 200
    after = {name: count_queries(admin_client_ja, url) for name, url in urls.items()}
    assert after == before
    for name, count in after.items():
        assert count <= MOST[name], name


def test_synthetic_kgis_are_on_the_pages(admin_client_ja, urls):
    add_synthetic_kgis(plan_code=PLAN, count=184)
    response = admin_client_ja.get(urls["plan"])
    assert response.content.decode().count('href="/indicators/SYN-') == 184
    # Actuals 0…29 in turn against a target of 20: 60 of 184 reach it; the
    # plan's own 16 have no R8 actual.
    assert "達成 60 未達成 124 未入力 16 評価対象外 0" in visible_text(response)


def test_indicator_page_queries_do_not_grow_with_its_years(admin_client_ja, plan):
    # TEST-01 has the plan's four years; TEST-12 four years of history besides.
    few = count_queries(admin_client_ja, reverse("pages:indicator", args=["TEST-01"]))
    many = count_queries(admin_client_ja, reverse("pages:indicator", args=["TEST-12"]))
    assert few == many <= MOST["indicator"]
