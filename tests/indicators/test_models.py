"""The database refuses what the rules forbid, whoever writes."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from indicators.models import Actual, Indicator, Target

pytestmark = pytest.mark.django_db


def refused(**fields) -> bool:
    try:
        with transaction.atomic():
            Actual.objects.create(**fields)
    except IntegrityError:
        return True
    return False


def test_one_actual_per_indicator_and_year(plans):
    indicator = Indicator.objects.get(code="ISE2-01")
    Actual.objects.create(indicator=indicator, fiscal_year=2026, value=41)
    assert refused(indicator=indicator, fiscal_year=2026, value=42)


def test_one_target_per_indicator_and_year(plans):
    with pytest.raises(IntegrityError), transaction.atomic():
        Target.objects.create(indicator=Indicator.objects.get(code="ISE2-01"), fiscal_year=2026,
                              value=50)


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
def test_database_constraints_on_actuals(plans, fields):
    assert refused(indicator=Indicator.objects.get(code="ISE2-02"), fiscal_year=2026, **fields)


def test_a_reduction_indicator_needs_a_baseline(plans):
    indicator = Indicator.objects.get(code="ISE2-11")
    indicator.baseline = None
    with pytest.raises(ValidationError, match="0 より大きい現状値"):
        indicator.full_clean()
    with pytest.raises(IntegrityError), transaction.atomic():
        indicator.save()


def test_an_indicator_cannot_hang_off_another_plans_measure(plans):
    indicator = Indicator.objects.get(code="ISE2-01")
    indicator.measure = Indicator.objects.get(code="ISE1-01").measure
    with pytest.raises(ValidationError, match="この計画の施策"):
        indicator.full_clean()


def test_a_target_outside_the_plan_period_is_refused(plans):
    target = Target(indicator=Indicator.objects.get(code="ISE2-01"), fiscal_year=2030, value=1)
    with pytest.raises(ValidationError, match="計画期間"):
        target.full_clean()


def test_a_milestone_target_has_no_value(plans):
    target = Target(indicator=Indicator.objects.get(code="ISE1-14"), fiscal_year=2024, value=1)
    with pytest.raises(ValidationError, match="完了型の指標には目標値を入力できません"):
        target.full_clean()


def test_an_actual_after_the_plan_is_refused_but_history_is_kept(plans):
    indicator = Indicator.objects.get(code="ISE2-12")
    with pytest.raises(ValidationError, match="計画期間"):
        Actual(indicator=indicator, fiscal_year=2030, value=0).full_clean()
    Actual.objects.get(indicator=indicator, fiscal_year=2022).full_clean()


def test_values_keep_the_decimals_entered(plans):
    actual = Actual.objects.create(
        indicator=Indicator.objects.get(code="ISE2-01"), fiscal_year=2026,
        value=Decimal("39.98"), value_places=2,
    )
    actual.refresh_from_db()
    assert f"{actual.value_as_entered:f}" == "39.98"


def test_a_target_year_before_any_era_label_still_gets_a_message(plans):
    target = Target(indicator=Indicator.objects.get(code="ISE2-01"), fiscal_year=1900, value=1)
    with pytest.raises(ValidationError, match="1900年度は計画期間"):
        target.clean()
