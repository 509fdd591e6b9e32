"""The shipped plans hold exactly what the two documents print."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.apps import apps
from django.core.management import call_command

from indicators.models import Actual, Indicator, Target
from indicators.selectors import plan_status
from plans.models import BasicPolicy, Initiative, Measure, Plan
from tests.conftest import SHIPPED

pytestmark = pytest.mark.django_db

# ISE2-01 … ISE2-16 from chapter 3: (unit, kind, accumulation, baseline, R8–R11 targets).
ISE2 = {
    "ISE2-01": ("%", "increase", "annual", "24.0", ("40.0", "60.0", "80.0", "100.0")),
    "ISE2-02": ("名", "increase", "cumulative", None, ("20", "40", "60", "80")),
    "ISE2-03": ("名", "increase", "cumulative", None, ("160", "320", "480", "640")),
    "ISE2-04": ("%", "increase", "annual", "9.9", ("25.0", "50.0", "75.0", "100.0")),
    "ISE2-05": ("%", "increase", "annual", "5.8", ("15.0", "30.0", "45.0", "60.0")),
    "ISE2-06": ("%", "decrease", "annual", "0.0", ("0.0", "0.0", "0.0", "0.0")),
    "ISE2-07": ("%", "increase", "annual", "26.6", ("40.0", "55.0", "70.0", "85.0")),
    "ISE2-08": ("時間", "increase", "annual", "5639.8", ("6300.0", "6500.0", "6700.0", "6900.0")),
    "ISE2-09": ("%", "increase", "annual", "43.9", ("45.0", "50.0", "55.0", "60.0")),
    "ISE2-10": ("名", "increase", "cumulative", "161", ("200", "250", "300", "350")),
    "ISE2-11": ("枚", "reduction", "annual", "5828872", ("2.0", "4.0", "6.0", "8.0")),
    "ISE2-12": ("件", "decrease", "annual", "1", ("0", "0", "0", "0")),
    "ISE2-13": ("件", "increase", "annual", "142", ("170", "200", "230", "260")),
    "ISE2-14": ("%", "increase", "annual", "83.4", ("89.0", "93.0", "97.0", "100.0")),
    "ISE2-15": ("部署", "increase", "cumulative", None, ("15", "30", "45", "60")),
    "ISE2-16": ("名", "increase", "annual", "47272", ("53000", "56000", "59000", "62000")),
}

# The chapter 2 review table as printed: No. -> (evaluation, rate or None).
ISE1_PRINTED = {
    1: ("achieved", "118.3"), 2: ("achieved", "111.3"), 3: ("not_achieved", "66.7"),
    4: ("achieved", "112.8"), 5: ("achieved", "112.6"), 6: ("not_achieved", "83.4"),
    7: ("achieved", "106.2"), 8: ("not_measured", None), 9: ("not_achieved", "91.2"),
    10: ("achieved", "151.4"), 11: ("achieved", "100.7"), 12: ("achieved", "100"),
    13: ("achieved", "94.0"), 14: ("achieved", None), 15: ("achieved", "270"),
    16: ("achieved", "100"), 17: ("achieved", "132.9"), 18: ("not_achieved", "33.0"),
    19: ("not_achieved", "73.2"), 20: ("not_achieved", None),
}


def model_counts() -> dict[str, int]:
    return {
        model._meta.label: model.objects.count()
        for app in ("plans", "indicators")
        for model in apps.get_app_config(app).get_models()
    }


def test_loading_twice_creates_no_duplicates(plans):
    first = model_counts()
    call_command("loaddata", *SHIPPED, verbosity=0)
    assert model_counts() == first
    assert first["plans.Plan"] == 3
    assert first["indicators.Indicator"] == 36


def test_every_loaded_object_passes_model_validation(plans):
    for app in ("plans", "indicators"):
        for model in apps.get_app_config(app).get_models():
            if model.__name__.startswith("Historical"):
                continue  # the audit trail's rows, written by django-simple-history
            for obj in model.objects.all():
                obj.full_clean()


def test_ise2_structure_follows_chapter_3(plans):
    plan = Plan.objects.get(code="ise-2")
    assert (plan.start_year, plan.end_year) == (2026, 2029)
    policies = BasicPolicy.objects.filter(plan=plan)
    assert [p.label for p in policies] == ["I", "II", "III"]
    assert [Measure.objects.filter(policy=p).count() for p in policies] == [3, 5, 3]
    assert Initiative.objects.filter(measure__policy__plan=plan).count() == 16
    codes = list(Indicator.objects.filter(plan=plan).values_list("code", flat=True))
    assert codes == [f"ISE2-{n:02d}" for n in range(1, 17)]
    first = Indicator.objects.get(code="ISE2-01")
    assert first.measure.title == "DX推進に向けた意識改革"
    assert first.initiative.purpose.startswith("「現状維持」から脱却し")


@pytest.mark.parametrize("code", ISE2)
def test_ise2_indicator_matches_document(plans, code):
    unit, kind, accumulation, baseline, targets = ISE2[code]
    indicator = Indicator.objects.get(code=code)
    assert (indicator.unit, indicator.kind, indicator.accumulation) == (unit, kind, accumulation)
    if baseline is None:
        assert indicator.baseline is None
    else:
        assert f"{indicator.baseline_as_entered:f}" == baseline
        assert indicator.baseline_year == 2025
    stored = Target.objects.filter(indicator=indicator).order_by("fiscal_year")
    assert [t.fiscal_year for t in stored] == [2026, 2027, 2028, 2029]
    assert tuple(f"{t.value_as_entered:f}" for t in stored) == targets


@pytest.mark.parametrize(
    ("code", "history"),
    [
        ("ISE2-06", {2022: "0.8", 2023: "19.5", 2024: "6.4", 2025: "0.0"}),
        ("ISE2-12", {2022: "1", 2023: "1", 2024: "0", 2025: "1"}),
    ],
)
def test_ise2_history_years_are_actuals_of_those_years(plans, code, history):
    actuals = Actual.objects.filter(indicator__code=code).order_by("fiscal_year")
    assert {a.fiscal_year: f"{a.value_as_entered:f}" for a in actuals} == history


def test_ise2_10_keeps_the_370_person_reference(plans):
    assert "370人" in Indicator.objects.get(code="ISE2-10").notes


def test_iga2_has_policies_and_directions_but_no_indicators(plans):
    plan = Plan.objects.get(code="iga-2")
    assert plan.basic_philosophy == "暮らしいきいきデジタル社会のまちづくり"
    assert (plan.start_year, plan.end_year) == (2026, 2029)
    assert BasicPolicy.objects.filter(plan=plan).count() == 3
    assert Measure.objects.filter(policy__plan=plan).count() == 10
    assert not Indicator.objects.filter(plan=plan).exists()


def test_ise1_review_table_is_reproduced_with_two_printed_errors(plans):
    rows = plan_status(plan=Plan.objects.get(code="ise-1"), fiscal_year=2025)
    assert [row.indicator.code for row in rows] == [f"ISE1-{n:02d}" for n in range(1, 21)]
    as_printed = []
    for number, row in enumerate(rows, start=1):
        evaluation, rate = ISE1_PRINTED[number]
        printed_rate = None if rate is None else Decimal(rate)
        if (row.result.evaluation.value, row.result.shown_rate) == (evaluation, printed_rate):
            as_printed.append(number)
            assert not row.mismatch
        else:
            assert row.mismatch
    assert len(as_printed) == 18
    by_number = dict(enumerate(rows, start=1))
    assert by_number[13].evaluation_label == "未達成《達成率：94.0%》"
    assert by_number[15].evaluation_label == "達成《達成率：195.0%》"
    assert by_number[13].mismatch and by_number[15].mismatch
    assert by_number[20].evaluation_label == "未達成"
    assert by_number[8].evaluation_label == "－"
    assert by_number[14].evaluation_label == "達成"
