"""The one default-year rule (indicators.selectors.plan_default_years).

The shipped plans are the point here: ise-1 has its 令和7年度 results,
ise-2 only history years before its period, iga-2 nothing.
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from indicators.models import Actual, ActualState, Indicator
from indicators.selectors import plan_default_year, plan_default_years
from plans.models import Plan

pytestmark = pytest.mark.django_db


def add_actual(code: str, fiscal_year: int, value: str | None, **fields) -> Actual:
    return Actual.objects.create(
        indicator=Indicator.objects.get(code=code), fiscal_year=fiscal_year,
        value=None if value is None else Decimal(value), **fields,
    )


def test_default_years_ignore_history_and_fall_back_to_the_first_year(plans):
    years = plan_default_years(plans=Plan.objects.all())
    assert {Plan.objects.get(pk=pk).code: year for pk, year in years.items()} == {
        "ise-1": 2025, "ise-2": 2026, "iga-2": 2026,
    }


def test_a_not_measured_actual_counts_for_the_default_year(plans):
    add_actual("ISE2-04", 2028, None, state=ActualState.NOT_MEASURED, not_measured_reason="中止")
    assert plan_default_year(plan=Plan.objects.get(code="ise-2")) == 2028


def test_no_plans_no_query(django_assert_num_queries):
    with django_assert_num_queries(0):
        assert plan_default_years(plans=[]) == {}


