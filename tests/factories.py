"""factory_boy factories for tests whose point is not the plan documents.

A test about a rule builds the few rows it needs here, so correcting a
number in fixtures/ breaks only the tests about that number. Synthetic
names say so (「テスト市」); nothing here is taken from the documents.
"""

from __future__ import annotations

from decimal import Decimal

import factory
from factory.django import DjangoModelFactory

from indicators.models import Actual, ActualState, Indicator, Kind, Target
from plans.models import BasicPolicy, Department, Measure, Municipality, Plan


class MunicipalityFactory(DjangoModelFactory[Municipality]):
    class Meta:
        model = Municipality

    code = factory.Sequence(lambda n: f"test-city-{n}")
    name = factory.Sequence(lambda n: f"テスト市{n}")
    prefecture = "テスト県"


class DepartmentFactory(DjangoModelFactory[Department]):
    class Meta:
        model = Department

    municipality = factory.SubFactory(MunicipalityFactory)
    name = factory.Sequence(lambda n: f"テスト課{n}")
    division = "総務部"


class PlanFactory(DjangoModelFactory[Plan]):
    class Meta:
        model = Plan

    municipality = factory.SubFactory(MunicipalityFactory)
    code = factory.Sequence(lambda n: f"test-plan-{n}")
    name = factory.Sequence(lambda n: f"テスト計画{n}")
    start_year = 2026
    end_year = 2029


class BasicPolicyFactory(DjangoModelFactory[BasicPolicy]):
    class Meta:
        model = BasicPolicy

    plan = factory.SubFactory(PlanFactory)
    number = factory.Sequence(lambda n: n + 1)
    label = factory.LazyAttribute(lambda policy: str(policy.number))
    title = factory.Sequence(lambda n: f"テスト基本方針{n}")


class MeasureFactory(DjangoModelFactory[Measure]):
    class Meta:
        model = Measure

    policy = factory.SubFactory(BasicPolicyFactory)
    number = factory.Sequence(lambda n: n + 1)
    title = factory.Sequence(lambda n: f"テスト施策{n}")


class IndicatorFactory(DjangoModelFactory[Indicator]):
    """A KGI of its own plan; an increase KGI counted in 件 unless told."""

    class Meta:
        model = Indicator

    measure = factory.SubFactory(MeasureFactory)
    plan = factory.LazyAttribute(lambda indicator: indicator.measure.policy.plan)
    code = factory.Sequence(lambda n: f"TEST-{n:03d}")
    position = factory.Sequence(lambda n: n + 1)
    item = factory.Sequence(lambda n: f"テスト指標{n}")
    unit = "件"
    kind = Kind.INCREASE


class MilestoneFactory(IndicatorFactory):
    """A 完了型 KGI: no unit, no baseline."""

    unit = ""
    kind = Kind.MILESTONE
    baseline = None


class TargetFactory(DjangoModelFactory[Target]):
    class Meta:
        model = Target

    indicator = factory.SubFactory(IndicatorFactory)
    fiscal_year = 2026
    value = Decimal("10")


class ActualFactory(DjangoModelFactory[Actual]):
    class Meta:
        model = Actual

    indicator = factory.SubFactory(IndicatorFactory)
    fiscal_year = 2026
    state = ActualState.MEASURED
    value = Decimal("10")


def kgi_with_targets(plan: Plan, code: str, unit: str = "件",
                     targets: dict[int, str] | None = None, **fields) -> Indicator:
    """A KGI ``code`` of ``plan``, in a policy of its own, with ``targets``.

    ``targets`` maps a fiscal year to the value as typed ("30.0" keeps
    its one decimal place).
    """
    indicator = IndicatorFactory(measure__policy__plan=plan, code=code, unit=unit, **fields)
    for year, value in (targets or {}).items():
        TargetFactory(indicator=indicator, fiscal_year=year, value=Decimal(value),
                      value_places=len(value.partition(".")[2]))
    return indicator


def kgis_with_actuals(policies: list[BasicPolicy], rows: list[tuple[int, str | None]],
                      *, fiscal_year: int = 2026) -> list[Indicator]:
    """One KGI per row, in order: a target of 10 and the row's actual for ``fiscal_year``.

    A row is (index of its policy in ``policies``, actual): a number as
    typed, None for 評価対象外, or "" for no actual yet.
    """
    indicators = []
    for position, (policy, value) in enumerate(rows, start=1):
        indicator = IndicatorFactory(measure__policy=policies[policy], position=position)
        TargetFactory(indicator=indicator, fiscal_year=fiscal_year, value=Decimal(10))
        if value is None:
            ActualFactory(indicator=indicator, fiscal_year=fiscal_year, value=None,
                          state=ActualState.NOT_MEASURED, not_measured_reason="調査を休止")
        elif value:
            ActualFactory(indicator=indicator, fiscal_year=fiscal_year, value=Decimal(value))
        indicators.append(indicator)
    return indicators
