"""The database refuses what the rules forbid, whoever writes.

Rules of the models, not numbers of the documents: the rows come from
factories (tests/factories.py), a plan of R8–R11 unless a test says so.
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from indicators.models import Actual, Kind, Target
from tests.factories import (
    ActualFactory,
    IndicatorFactory,
    MeasureFactory,
    MilestoneFactory,
    TargetFactory,
)

pytestmark = pytest.mark.django_db


def refused(**fields) -> bool:
    try:
        with transaction.atomic():
            Actual.objects.create(**fields)
    except IntegrityError:
        return True
    return False


def test_one_actual_per_indicator_and_year():
    indicator = IndicatorFactory()
    Actual.objects.create(indicator=indicator, fiscal_year=2026, value=41)
    assert refused(indicator=indicator, fiscal_year=2026, value=42)


def test_one_target_per_indicator_and_year():
    target = TargetFactory(fiscal_year=2026, value=Decimal(40))
    with pytest.raises(IntegrityError), transaction.atomic():
        Target.objects.create(indicator=target.indicator, fiscal_year=2026, value=50)


@pytest.mark.parametrize(
    "fields",
    [
        {"state": "measured", "value": None},
        {"state": "not_measured", "value": Decimal("1")},
        {"state": "done", "value": Decimal("1")},
        {"state": "measured", "value": Decimal("-1")},
        {"state": "bogus", "value": None},
    ],
    ids=["measured-without-value", "not-measured-with-value", "done-with-value", "negative",
         "unknown-state"],
)
def test_database_constraints_on_actuals(fields):
    assert refused(indicator=IndicatorFactory(), fiscal_year=2026, **fields)


def test_a_reduction_indicator_needs_a_baseline():
    indicator = IndicatorFactory(kind=Kind.REDUCTION, unit="枚", baseline=Decimal(1000))
    indicator.baseline = None
    with pytest.raises(ValidationError, match="0 より大きい現状値"):
        indicator.full_clean()
    with pytest.raises(IntegrityError), transaction.atomic():
        indicator.save()


def test_an_indicator_cannot_hang_off_another_plans_measure():
    indicator = IndicatorFactory()
    indicator.measure = MeasureFactory()
    with pytest.raises(ValidationError, match="この計画の施策"):
        indicator.full_clean()


def test_a_target_outside_the_plan_period_is_refused():
    target = Target(indicator=IndicatorFactory(), fiscal_year=2030, value=1)
    with pytest.raises(ValidationError, match="計画期間"):
        target.full_clean()


def test_a_milestone_target_has_no_value():
    target = Target(indicator=MilestoneFactory(), fiscal_year=2028, value=1)
    with pytest.raises(ValidationError, match="完了型の指標には目標値を入力できません"):
        target.full_clean()


def test_an_actual_after_the_plan_is_refused_but_history_is_kept():
    indicator = IndicatorFactory()
    with pytest.raises(ValidationError, match="計画期間"):
        Actual(indicator=indicator, fiscal_year=2030, value=0).full_clean()
    ActualFactory(indicator=indicator, fiscal_year=2022, value=Decimal(3)).full_clean()


def test_values_keep_the_decimals_entered():
    actual = Actual.objects.create(
        indicator=IndicatorFactory(), fiscal_year=2026,
        value=Decimal("39.98"), value_places=2,
    )
    actual.refresh_from_db()
    assert f"{actual.value_as_entered:f}" == "39.98"


def test_a_target_year_before_any_era_label_still_gets_a_message():
    target = Target(indicator=IndicatorFactory(), fiscal_year=1900, value=1)
    with pytest.raises(ValidationError, match="1900年度は計画期間"):
        target.clean()
