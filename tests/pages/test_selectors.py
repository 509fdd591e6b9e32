"""Rows for several plans at once, and 進捗率."""

from __future__ import annotations

from decimal import Decimal

import pytest

from accounts.roles import Role
from demo.synthetic import synthetic_generate
from indicators.models import Actual, ActualState, Indicator
from indicators.selectors import (
    plan_default_years,
    plan_status,
    plan_year_counts,
    plan_year_rows,
    rows_rollup,
)
from pages import selectors
from plans.models import Plan
from plans.selectors import plans_visible_to
from tests.helpers import user_with_role

pytestmark = pytest.mark.django_db


def add_actual(code: str, fiscal_year: int, value: str | None, **fields) -> Actual:
    return Actual.objects.create(
        indicator=Indicator.objects.get(code=code), fiscal_year=fiscal_year,
        value=None if value is None else Decimal(value), **fields,
    )


def test_plan_year_rows_match_plan_status_for_each_plan(plans):
    add_actual("ISE2-01", 2027, "61.0")
    years = {Plan.objects.get(code="ise-1").pk: 2025, Plan.objects.get(code="ise-2").pk: 2027}
    rows = plan_year_rows(
        indicators=Indicator.objects.order_by("plan", "position"), fiscal_years=years
    )
    expected = [
        *plan_status(plan=Plan.objects.get(code="ise-1"), fiscal_year=2025),
        *plan_status(plan=Plan.objects.get(code="ise-2"), fiscal_year=2027),
    ]
    assert [(row.indicator.code, row.fiscal_year, row.evaluation_label) for row in rows] == [
        (row.indicator.code, row.fiscal_year, row.evaluation_label) for row in expected
    ]


def rolled_up(plan: Plan, year: int) -> tuple:
    rows = plan_status(plan=plan, fiscal_year=year)
    return rows_rollup(rows), sum(row.mismatch for row in rows if row.in_period)


def test_plan_year_counts_equal_the_rows_rolled_up_for_every_plan_and_year(plans):
    """The home page's counts from values agree with the dashboards' rows."""
    add_actual("ISE2-01", 2027, "61.0")
    add_actual("ISE2-04", 2027, None, state=ActualState.NOT_MEASURED, not_measured_reason="中止")
    # Every kind and accumulation, measured, pending and not measured.
    synthetic_generate(municipalities=3, indicators=12, years=8)
    checked = 0
    for plan in Plan.objects.all():
        for year in (plan.start_year - 1, *plan.fiscal_years):
            counts = plan_year_counts(plans=[plan], fiscal_years={plan.pk: year})[plan.pk]
            assert (counts.counts, counts.mismatches) == rolled_up(plan, year), (plan.code, year)
            checked += 1
    assert checked == 3 * 9 + 6 + 5 + 5
    # ise-1's final year is the document's review table: 2 printed mismatches.
    ise1 = Plan.objects.get(code="ise-1")
    assert plan_year_counts(plans=[ise1], fiscal_years={ise1.pk: 2025})[ise1.pk].mismatches == 2


def test_plan_year_counts_of_several_plans_in_three_queries(plans, django_assert_num_queries):
    synthetic_generate(municipalities=20, indicators=5, years=4)
    all_plans = list(Plan.objects.all())
    years = plan_default_years(plans=all_plans)
    with django_assert_num_queries(3):
        counts = plan_year_counts(plans=all_plans, fiscal_years=years)
    assert {plan.pk: (c.counts, c.mismatches) for plan, c in
            ((plan, counts[plan.pk]) for plan in all_plans)} == {
        plan.pk: rolled_up(plan, years[plan.pk]) for plan in all_plans
    }


def test_progress_uses_the_latest_measured_plan_year_up_to_the_year_shown(plans):
    plan = Plan.objects.get(code="ise-2")
    add_actual("ISE2-01", 2026, "43.0")
    add_actual("ISE2-01", 2027, "62.0")
    add_actual("ISE2-01", 2028, None, state=ActualState.NOT_MEASURED, not_measured_reason="未実施")

    def progress(year: int) -> Decimal | None:
        return selectors.kgi_rows(plan_status(plan=plan, fiscal_year=year))[0].progress

    # Baseline 24.0, final target 100.0.
    assert progress(2026) == Decimal(25)
    assert progress(2027) == Decimal(50)
    assert progress(2028) == Decimal(50)  # not measured: the 2027 figure stands


def test_progress_ignores_history_years(plans):
    # ISE2-12 has 2022–2025 actuals, but nothing within the plan yet.
    rows = selectors.kgi_rows(
        plan_status(plan=Plan.objects.get(code="ise-2"), fiscal_year=2026)
    )
    assert {row.indicator.code: row.progress for row in rows}["ISE2-12"] is None


def test_dashboard_groups_rows_by_policy_and_measure_in_document_order(plans):
    dashboard = selectors.plan_dashboard(plan=Plan.objects.get(code="ise-2"), fiscal_year=2026)
    assert [group.policy.label for group in dashboard.policies] == ["I", "II", "III"]
    assert [[len(m.rows) for m in group.measures] for group in dashboard.policies] == [
        [1, 2, 3], [2, 1, 1, 1, 1], [2, 1, 1],
    ]
    assert [row.indicator.code for row in dashboard.rows] == [
        f"ISE2-{n:02d}" for n in range(1, 17)
    ]


def test_plans_are_visible_by_role_and_city(plans, django_user_model):
    def codes(user):
        return list(plans_visible_to(user=user).values_list("code", flat=True))

    assert codes(user_with_role(Role.SYSTEM, municipality=None)) == ["iga-2", "ise-1", "ise-2"]
    assert codes(user_with_role(Role.VIEWER, municipality="ise")) == ["ise-1", "ise-2"]
    assert codes(user_with_role(Role.OFFICE, municipality="iga")) == ["iga-2"]
    # A department reads its own KGIs, not whole plans; no role, nothing.
    assert codes(user_with_role(Role.DEPARTMENT, municipality="ise")) == []
    assert codes(django_user_model.objects.create_user("kacho")) == []


def test_a_home_page_over_more_than_a_thousand_plans_is_one_query_per_year(plans):
    """Each plan's year used to be its own SQL condition: past ~1,000 plans,
    SQLite refused the expression ("Expression tree is too large")."""
    synthetic_generate(municipalities=1100, indicators=1, years=2)
    all_plans = Plan.objects.order_by("code")
    summaries = selectors.plan_summaries(plans=all_plans)
    assert len(summaries) == all_plans.count() == 1103
