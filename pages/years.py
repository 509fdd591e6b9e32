"""The 年度推移 of a plan: every KGI × every year of the plan period.

For each KGI, in the document's order and grouped by 基本方針 and 施策
as the dashboard and the print page group them: its baseline (現状値),
then for each plan year its target, its actual (or the outlook, 見込み,
where no actual exists yet) and the evaluation, worded by
:class:`indicators.evaluation.IndicatorYear` and :mod:`indicators.wording`.
A year with nothing reported prints 「－」. Built from
:func:`indicators.selectors.plan_period_rows`: five queries (the KGIs,
their targets, actuals and outlooks of the period, the plan's measures)
whatever the number of KGIs and years.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import TYPE_CHECKING

from indicators import wording
from indicators.selectors import plan_period_rows
from pages.display import StatusMark, policy_heading
from plans.models import Measure

if TYPE_CHECKING:
    from indicators.evaluation import IndicatorYear
    from indicators.models import Indicator
    from plans.models import BasicPolicy, Plan


@dataclass(frozen=True)
class YearCell:
    """One KGI in one plan year: target, actual (or 見込み) and evaluation."""

    row: IndicatorYear

    @property
    def fiscal_year(self) -> int:
        return self.row.fiscal_year

    @property
    def reported(self) -> bool:
        """Whether the year has an actual, or an outlook standing in for it."""
        return self.row.reported is not None

    @property
    def target_label(self) -> str:
        return self.row.target_label

    @property
    def actual_label(self) -> str:
        """Return the actual as printed, 「…（見込み）」 for an outlook, else 「－」."""
        return self.row.actual_label if self.reported else wording.DASH

    @property
    def evaluation_label(self) -> str:
        """Return 「達成《達成率：112.5%》」 as the engine's result prints, else 「－」."""
        return self.row.evaluation_label if self.reported else wording.DASH

    @property
    def mark(self) -> StatusMark | None:
        """Return the status as a symbol and a word; none for a year not reported."""
        return StatusMark(self.row.status) if self.reported else None


@dataclass(frozen=True)
class KgiYears:
    """A KGI with its baseline and one cell per plan year, oldest first."""

    indicator: Indicator
    years: list[YearCell]

    @property
    def number(self) -> int:
        """Return the KGI's No. as its document numbers it (its position)."""
        return self.indicator.position

    @property
    def baseline_label(self) -> str:
        return self.indicator.baseline_label


@dataclass(frozen=True)
class MeasureYears:
    """A measure (施策) with its KGIs; a measure may have none yet."""

    measure: Measure
    rows: list[KgiYears]


@dataclass(frozen=True)
class PolicyYears:
    """A basic policy (基本方針) with its measures."""

    policy: BasicPolicy
    measures: list[MeasureYears]

    @property
    def heading(self) -> str:
        """Return 「基本方針 II …」 as the print page heads the policy."""
        return policy_heading(self.policy.label, self.policy.title)


@dataclass(frozen=True)
class PlanYearTable:
    """A plan's 年度推移: its years and its KGIs by policy and measure."""

    plan: Plan
    years: list[int]
    policies: list[PolicyYears]

    @property
    def rows(self) -> list[KgiYears]:
        """Return every KGI in document order."""
        return [
            row for policy in self.policies for group in policy.measures for row in group.rows
        ]

    def _cells(self) -> list[YearCell]:
        return [cell for row in self.rows for cell in row.years]

    @property
    def outlooks(self) -> int:
        """Return how many KGI-years show an outlook (見込み): no actual yet."""
        return sum(cell.row.shows_outlook for cell in self._cells())

    @property
    def provisional(self) -> int:
        """Return how many KGI-years' actuals are still 速報 (not confirmed)."""
        return sum(cell.row.provisional for cell in self._cells())


def plan_year_table(*, plan: Plan) -> PlanYearTable:
    """Return ``plan``'s 年度推移: every KGI evaluated for every plan year.

    Every measure is listed, with or without KGIs, as on the print page.
    Five queries whatever the number of KGIs.
    """
    by_measure: dict[int, list[KgiYears]] = defaultdict(list)
    for cells in plan_period_rows(plan=plan, outlooks=True):
        indicator = cells[0].indicator
        by_measure[indicator.measure_id].append(
            KgiYears(indicator=indicator, years=[YearCell(row=cell) for cell in cells])
        )
    measures = (
        Measure.objects.filter(policy__plan=plan)
        .select_related("policy")
        .order_by("policy__number", "number")
    )
    policies: dict[int, PolicyYears] = {}
    for measure in measures:
        group = policies.setdefault(
            measure.policy_id, PolicyYears(policy=measure.policy, measures=[])
        )
        group.measures.append(MeasureYears(measure=measure, rows=by_measure[measure.pk]))
    return PlanYearTable(
        plan=plan, years=list(plan.fiscal_years), policies=list(policies.values())
    )
