"""Rows for several plans at once, and 進捗率.

Rules of the selectors, not numbers of the documents: plans, KGIs,
targets and actuals come from factories (tests/factories.py). The counts'
cross-check also runs over the shipped plans, whose review table is the
one place printed (published) mismatches come from.
"""

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
from tests.factories import (
    ActualFactory,
    BasicPolicyFactory,
    IndicatorFactory,
    MeasureFactory,
    MunicipalityFactory,
    PlanFactory,
    TargetFactory,
)
from tests.helpers import user_with_role

pytestmark = pytest.mark.django_db


def add_actual(code: str, fiscal_year: int, value: str | None, **fields) -> Actual:
    return Actual.objects.create(
        indicator=Indicator.objects.get(code=code), fiscal_year=fiscal_year,
        value=None if value is None else Decimal(value), **fields,
    )


def kgi_with(plan: Plan, fiscal_year: int, target: str, actual: str | None) -> Indicator:
    """Add an increase KGI to ``plan`` with a target and, unless None, an actual."""
    indicator = IndicatorFactory(measure__policy__plan=plan)
    TargetFactory(indicator=indicator, fiscal_year=fiscal_year, value=Decimal(target))
    if actual is not None:
        ActualFactory(indicator=indicator, fiscal_year=fiscal_year, value=Decimal(actual))
    return indicator


def test_plan_year_rows_match_plan_status_for_each_plan():
    city = MunicipalityFactory()
    first = PlanFactory(municipality=city, code="test-plan-a")
    second = PlanFactory(municipality=city, code="test-plan-b")
    left_out = PlanFactory(municipality=city, code="test-plan-c")
    # Achieved, not achieved and not entered; the third plan is not asked for.
    for plan, year in ((first, 2026), (second, 2027), (left_out, 2026)):
        kgi_with(plan, year, "10", "12")
        kgi_with(plan, year, "10", "5")
        kgi_with(plan, year, "10", None)
    years = {first.pk: 2026, second.pk: 2027}
    rows = plan_year_rows(
        indicators=Indicator.objects.filter(plan__in=[first, second, left_out])
        .order_by("plan", "position"),
        fiscal_years=years,
    )
    expected = [
        *plan_status(plan=first, fiscal_year=2026),
        *plan_status(plan=second, fiscal_year=2027),
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


def test_progress_uses_the_latest_measured_plan_year_up_to_the_year_shown():
    kgi = IndicatorFactory(baseline=Decimal(20), baseline_year=2025)
    plan = kgi.plan
    for year, target in zip(plan.fiscal_years, ("40", "60", "80", "100"), strict=True):
        TargetFactory(indicator=kgi, fiscal_year=year, value=Decimal(target))
    add_actual(kgi.code, 2026, "40")
    add_actual(kgi.code, 2027, "60")
    add_actual(kgi.code, 2028, None, state=ActualState.NOT_MEASURED, not_measured_reason="未実施")

    def progress(year: int) -> Decimal | None:
        return selectors.kgi_rows(plan_status(plan=plan, fiscal_year=year))[0].progress

    # Baseline 20, final target 100.
    assert progress(2026) == Decimal(25)
    assert progress(2027) == Decimal(50)
    assert progress(2028) == Decimal(50)  # not measured: the 2027 figure stands


def test_progress_ignores_history_years():
    # 2022–2025 actuals (R8–R11 plan), but nothing within the plan yet.
    kgi = IndicatorFactory(baseline=Decimal(20), baseline_year=2025)
    TargetFactory(indicator=kgi, fiscal_year=2029, value=Decimal(100))
    for year, value in ((2022, "30"), (2023, "40"), (2024, "50"), (2025, "60")):
        add_actual(kgi.code, year, value)
    rows = selectors.kgi_rows(plan_status(plan=kgi.plan, fiscal_year=2026))
    assert {row.indicator.code: row.progress for row in rows}[kgi.code] is None


def test_dashboard_groups_rows_by_policy_and_measure_in_document_order():
    plan = PlanFactory()
    # Entered out of order: policies, measures and KGIs.
    second = BasicPolicyFactory(plan=plan, number=2, label="II")
    first = BasicPolicyFactory(plan=plan, number=1, label="I")
    measures = {
        (2, 2): MeasureFactory(policy=second, number=2),
        (1, 2): MeasureFactory(policy=first, number=2),
        (2, 1): MeasureFactory(policy=second, number=1),
        (1, 1): MeasureFactory(policy=first, number=1),
    }
    # KGI positions 1–6: one under 1-①, two under 1-②, three under 2-①, none under 2-②.
    where = {1: (1, 1), 2: (1, 2), 3: (1, 2), 4: (2, 1), 5: (2, 1), 6: (2, 1)}
    codes = {position: IndicatorFactory(measure=measures[where[position]],
                                        position=position).code
             for position in (5, 2, 6, 1, 4, 3)}
    dashboard = selectors.plan_dashboard(plan=plan, fiscal_year=2026)
    assert [group.policy.label for group in dashboard.policies] == ["I", "II"]
    assert [[len(m.rows) for m in group.measures] for group in dashboard.policies] == [
        [1, 2], [3, 0],
    ]
    assert [row.indicator.code for row in dashboard.rows] == [
        codes[n] for n in range(1, 7)
    ]


def test_plans_are_visible_by_role_and_city(django_user_model):
    def codes(user):
        return list(plans_visible_to(user=user).values_list("code", flat=True))

    city = MunicipalityFactory(code="test-city-a")
    other = MunicipalityFactory(code="test-city-b")
    PlanFactory(municipality=city, code="test-a-2")
    PlanFactory(municipality=city, code="test-a-1")
    PlanFactory(municipality=other, code="test-b-1")
    # The system administrator: every plan there is, these and any other.
    assert codes(user_with_role(Role.SYSTEM, municipality=None)) == list(
        Plan.objects.values_list("code", flat=True)
    )
    assert codes(user_with_role(Role.VIEWER, municipality=city.code)) == ["test-a-1", "test-a-2"]
    assert codes(user_with_role(Role.OFFICE, municipality=other.code)) == ["test-b-1"]
    # A department reads its own KGIs, not whole plans; no role, nothing.
    assert codes(user_with_role(Role.DEPARTMENT, municipality=city.code)) == []
    assert codes(django_user_model.objects.create_user("kacho")) == []


def test_a_home_page_over_more_than_a_thousand_plans_is_one_query_per_year():
    """Each plan's year used to be its own SQL condition: past ~1,000 plans,
    SQLite refused the expression ("Expression tree is too large")."""
    before = Plan.objects.count()
    synthetic_generate(municipalities=1100, indicators=1, years=2)
    all_plans = Plan.objects.order_by("code")
    summaries = selectors.plan_summaries(plans=all_plans)
    assert len(summaries) == all_plans.count() == before + 1100
