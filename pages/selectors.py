"""Queries behind the pages: dashboards, one KGI's years, a department.

Each page runs a fixed number of queries whatever the number of
indicators: rows come from :mod:`indicators.selectors` (three queries),
and 進捗率 from two more (the actuals and the final-year targets).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, replace
from functools import cached_property
from typing import TYPE_CHECKING

from django.db.models import Count, F, Q

from indicators import achievement, wording
from indicators.continuations import Series, linked_series
from indicators.evaluation import IndicatorYear
from indicators.models import Actual, ActualState, Indicator, Target
from indicators.selectors import (
    indicator_years,
    indicators_for_rows,
    plan_default_years,
    plan_status,
    plan_year_counts,
    plan_year_rows,
    rows_rollup,
)
from indicators.wording import percent_label
from pages.display import StatusMark, formula_lines, kgi_print_text, policy_heading
from plans.models import Department, Measure, Plan

if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence
    from decimal import Decimal

    from django.db.models import QuerySet

    from plans.models import BasicPolicy


@dataclass(frozen=True)
class KgiRow:
    """An indicator-year as the pages list it, with its 進捗率."""

    row: IndicatorYear
    progress: Decimal | None = None
    # The footnote number of a revised target on the print page (注1, 注2 …).
    note: int | None = None

    @property
    def indicator(self) -> Indicator:
        return self.row.indicator

    @property
    def mark(self) -> StatusMark | None:
        """Return the status mark; none outside the plan period."""
        if not self.row.in_period:
            return None
        return StatusMark(self.row.status)

    @property
    def progress_label(self) -> str:
        return percent_label(self.progress)

    @property
    def number(self) -> int:
        """Return the KGI's No. as its document numbers it (1–16 for ise-2, 1–20 for ise-1)."""
        return self.indicator.position

    @property
    def remarks(self) -> str:
        """Return the print page's 備考: 評価対象外 and why, the actual's 備考, ※ marks.

        The ※ notes themselves are printed under the policy's rows
        (:attr:`PolicyGroup.footnotes`); the 備考 names their marks.
        """
        return wording.remarks_text(
            actual=self.row.actual, notes=self.indicator.notes, notes_below=True
        )

    @property
    def print_label(self) -> str:
        """Return 数値目標（KGI） for paper, accumulation said once."""
        return kgi_print_text(
            item=self.indicator.item, target_label=self.row.target_label,
            milestone=self.indicator.kind == achievement.Kind.MILESTONE,
        )


@dataclass(frozen=True)
class MeasureGroup:
    """A measure (施策) with its KGI rows; rows may be empty."""

    measure: Measure
    rows: list[KgiRow]


@dataclass(frozen=True)
class PolicyGroup:
    """A basic policy with its measures and the counts of its rows."""

    policy: BasicPolicy
    measures: list[MeasureGroup]
    counts: achievement.Counts

    @property
    def heading(self) -> str:
        """Return 「基本方針 II …」 or 「基本方針 1 …」: the word once (Iga's labels carry it)."""
        return policy_heading(self.policy.label, self.policy.title)

    @property
    def rows(self) -> list[KgiRow]:
        return [row for group in self.measures for row in group.rows]

    @property
    def footnotes(self) -> list[Footnote]:
        """Return the ※ notes of the policy's KGIs, for paper.

        The review table prints them under each policy's table (ise-1's
        ※1, ※2); the print page does the same. The reason for 評価対象外
        is in the row's 備考 (:attr:`KgiRow.remarks`), not repeated here.
        """
        return [
            Footnote(number=kgi.number, text=kgi.indicator.notes)
            for kgi in self.rows if kgi.indicator.notes
        ]


@dataclass(frozen=True)
class Footnote:
    """A note printed under a policy's rows: the No. it belongs to and its text."""

    number: int
    text: str


@dataclass(frozen=True)
class PlanSummary:
    """A plan's headline for one fiscal year (the home page)."""

    plan: Plan
    fiscal_year: int
    counts: achievement.Counts
    mismatches: int


@dataclass(frozen=True)
class PlanDashboard:
    """A plan for one fiscal year: counts overall and per policy, every KGI."""

    plan: Plan
    fiscal_year: int
    counts: achievement.Counts
    policies: list[PolicyGroup]
    mismatches: int

    @property
    def rows(self) -> list[KgiRow]:
        """Return every KGI row in document order."""
        return [row for policy in self.policies for group in policy.measures for row in group.rows]

    @property
    def provisional(self) -> int:
        """Return how many of the year's actuals are still 速報 (not confirmed)."""
        return sum(row.row.provisional for row in self.rows)

    @property
    def entered(self) -> int:
        """Return how many of the year's KGIs have an actual, confirmed or not."""
        return sum(row.row.actual is not None for row in self.rows)

    @property
    def outlooks(self) -> int:
        """Return how many KGIs are evaluated from their outlook (見込み): no actual yet."""
        return sum(row.row.shows_outlook for row in self.rows)

    @property
    def revisions(self) -> list[KgiRow]:
        """Return the rows with a revised target, in the order of their notes."""
        return sorted((row for row in self.rows if row.note), key=lambda row: row.note)


@dataclass(frozen=True)
class DepartmentSection:
    """The measures a department owns in one plan, for that plan's year."""

    plan: Plan
    fiscal_year: int
    counts: achievement.Counts
    measures: list[MeasureGroup]

    @property
    def provisional(self) -> int:
        """Return how many of the section's actuals are still 速報."""
        return sum(row.row.provisional for group in self.measures for row in group.rows)


@dataclass(frozen=True)
class IndicatorPage:
    """One KGI with every year it has (history and plan years)."""

    indicator: Indicator
    years: list[KgiRow]
    progress: Decimal | None
    final_year: int
    # The series across the plan periods its links join (第1期からの推移).
    series: Series | None = None

    @property
    def progress_label(self) -> str:
        return percent_label(self.progress)

    @cached_property
    def formula(self) -> list[str]:
        targets = [row.row.target.value for row in self.years if row.row.target]
        return formula_lines(kind=achievement.Kind(self.indicator.kind), targets=targets)

    @property
    def kind_label(self) -> str:
        return wording.KIND_LABELS[achievement.Kind(self.indicator.kind)]

    @property
    def accumulation_label(self) -> str:
        return wording.ACCUMULATION_LABELS[
            achievement.Accumulation(self.indicator.accumulation)
        ]

    @property
    def revisions(self) -> list[IndicatorYear]:
        """Return the years whose target was revised, oldest first."""
        return [item.row for item in self.years if item.row.target_revised]

    @property
    def provisional(self) -> bool:
        """Whether any year's actual is still 速報 (not confirmed)."""
        return any(item.row.provisional for item in self.years)

    @property
    def commentary(self) -> list[IndicatorYear]:
        """Return the years with 取組状況, 要因分析, 今後の方向性 or notes entered."""
        return [
            item.row for item in self.years
            if item.row.actual is not None and any((
                item.row.actual.progress, item.row.actual.analysis,
                item.row.actual.direction, item.row.actual.note,
                item.row.actual.not_measured_reason,
            ))
        ]


def progress_of(
    *, indicator: Indicator, actuals: Iterable[Actual], final_target: Target | None,
    up_to: int,
) -> Decimal | None:
    """Return the 進捗率 from the latest measured plan-year actual up to ``up_to``.

    Only years of the plan count: a history year (the baseline year
    itself, for instance) says nothing about progress within the plan.
    """
    plan = indicator.plan
    measured = [
        actual for actual in actuals
        if actual.state == ActualState.MEASURED
        and plan.start_year <= actual.fiscal_year <= min(up_to, plan.end_year)
    ]
    latest = max(measured, key=lambda actual: actual.fiscal_year, default=None)
    return achievement.progress_rate(
        kind=achievement.Kind(indicator.kind),
        baseline=indicator.baseline,
        latest_actual=latest.value if latest else None,
        final_target=final_target.value if final_target else None,
    )


def kgi_rows(rows: Sequence[IndicatorYear]) -> list[KgiRow]:
    """Return ``rows`` with their 進捗率 toward each plan's final target.

    Two queries whatever the number of rows: the measured actuals within
    the plan periods, and the targets of the plans' last years.
    """
    ids = [row.indicator.pk for row in rows]
    if not ids:
        return []
    actuals: dict[int, list[Actual]] = defaultdict(list)
    for actual in Actual.objects.filter(
        indicator_id__in=ids,
        state=ActualState.MEASURED,
        fiscal_year__gte=F("indicator__plan__start_year"),
        fiscal_year__lte=F("indicator__plan__end_year"),
    ).only("indicator_id", "fiscal_year", "state", "value"):
        actuals[actual.indicator_id].append(actual)
    finals = {
        target.indicator_id: target
        for target in Target.objects.filter(
            indicator_id__in=ids, fiscal_year=F("indicator__plan__end_year")
        ).only("indicator_id", "fiscal_year", "value")
    }
    return [
        KgiRow(
            row=row,
            progress=progress_of(
                indicator=row.indicator, actuals=actuals[row.indicator.pk],
                final_target=finals.get(row.indicator.pk), up_to=row.fiscal_year,
            ),
        )
        for row in rows
    ]


def group_by_measure(
    rows: Iterable[KgiRow], measures: Iterable[Measure]
) -> list[MeasureGroup]:
    """Return ``measures`` in order, each with its rows in document order."""
    by_measure: dict[int, list[KgiRow]] = defaultdict(list)
    for row in rows:
        by_measure[row.indicator.measure_id].append(row)
    return [MeasureGroup(measure=measure, rows=by_measure[measure.pk]) for measure in measures]


def numbered_revisions(rows: Sequence[KgiRow]) -> list[KgiRow]:
    """Return ``rows`` with a note number on each revised target.

    Numbered in the order the tables list them (policy, measure, position),
    so 注1 comes first on paper.
    """
    revised = sorted(
        (row for row in rows if row.row.target_revised),
        key=lambda row: (row.indicator.measure.policy.number, row.indicator.measure.number,
                         row.indicator.position),
    )
    numbers = {row.indicator.pk: number for number, row in enumerate(revised, start=1)}
    return [replace(row, note=numbers.get(row.indicator.pk)) for row in rows]


def plan_dashboard(*, plan: Plan, fiscal_year: int) -> PlanDashboard:
    """Return the plan's KGIs for one year, grouped by policy and measure.

    Every measure is listed, with or without KGIs, so a plan whose KGIs
    are still to be added (iga-2) shows its structure.
    """
    # A year without an actual shows its outlook (見込み), marked, until the actual exists.
    rows = numbered_revisions(kgi_rows(
        plan_status(plan=plan, fiscal_year=fiscal_year, outlooks=True)
    ))
    measures = list(
        Measure.objects.filter(policy__plan=plan)
        .select_related("policy")
        .order_by("policy__number", "number")
    )
    policies: dict[int, tuple[BasicPolicy, list[Measure]]] = {}
    for measure in measures:
        policies.setdefault(measure.policy_id, (measure.policy, []))[1].append(measure)
    groups = []
    for policy, policy_measures in policies.values():
        measure_groups = group_by_measure(rows, policy_measures)
        policy_rows = [row.row for group in measure_groups for row in group.rows]
        groups.append(
            PolicyGroup(policy=policy, measures=measure_groups, counts=rows_rollup(policy_rows))
        )
    year_rows = [row.row for row in rows]
    return PlanDashboard(
        plan=plan,
        fiscal_year=fiscal_year,
        counts=rows_rollup(year_rows),
        policies=groups,
        mismatches=sum(row.mismatch for row in year_rows),
    )


def search_plans(*, plans: QuerySet[Plan], query: str) -> QuerySet[Plan]:
    """Return those of ``plans`` whose name, code, municipality or prefecture has ``query``."""
    if not query:
        return plans
    return plans.filter(
        Q(name__icontains=query) | Q(code__icontains=query)
        | Q(municipality__name__icontains=query) | Q(municipality__prefecture__icontains=query)
    )


def plan_summaries(*, plans: Iterable[Plan]) -> list[PlanSummary]:
    """Return each plan's counts for its default year. Four queries in all.

    Every plan's KGIs are evaluated by the engine, so callers pass a page
    of plans (the home page shows 20), not a whole national instance.
    """
    plan_list = list(plans)
    years = plan_default_years(plans=plan_list)
    counts = plan_year_counts(plans=plan_list, fiscal_years=years)
    return [
        PlanSummary(
            plan=plan,
            fiscal_year=years[plan.pk],
            counts=counts[plan.pk].counts,
            mismatches=counts[plan.pk].mismatches,
        )
        for plan in plan_list
    ]


def departments_with_measures(*, departments: QuerySet[Department]) -> QuerySet[Department]:
    """Return those of ``departments`` that own measures, with counts."""
    return (
        departments.filter(measures__isnull=False)
        .select_related("municipality")
        .annotate(
            measure_count=Count("measures", distinct=True),
            indicator_count=Count("measures__indicators", distinct=True),
        )
        .order_by("municipality__code", "division", "name")
    )


def department_sections(
    *, department: Department, fiscal_year: int | None
) -> list[DepartmentSection]:
    """Return the measures ``department`` owns, plan by plan.

    Whoever may see the department may see its measures and their KGIs.
    Each plan is shown for ``fiscal_year`` where that year is within its
    period, else for its default year.
    """
    measures = list(
        Measure.objects.filter(
            departments=department, policy__plan__municipality_id=department.municipality_id
        )
        .select_related("policy__plan__municipality")
        .order_by("policy__plan__municipality__code", "policy__plan__start_year",
                  "policy__plan__code", "policy__number", "number")
    )
    section_plans: dict[int, Plan] = {}
    for measure in measures:
        section_plans.setdefault(measure.policy.plan_id, measure.policy.plan)
    years = plan_default_years(plans=section_plans.values())
    for plan_id, plan in section_plans.items():
        if fiscal_year in plan.fiscal_years:
            years[plan_id] = fiscal_year
    indicators = Indicator.objects.filter(measure__in=measures).order_by("plan", "position")
    rows = kgi_rows(plan_year_rows(indicators=indicators, fiscal_years=years, outlooks=True))
    sections = []
    for plan_id, plan in section_plans.items():
        plan_measures = [measure for measure in measures if measure.policy.plan_id == plan_id]
        groups = group_by_measure(
            [row for row in rows if row.indicator.plan_id == plan_id], plan_measures
        )
        sections.append(
            DepartmentSection(
                plan=plan,
                fiscal_year=years[plan_id],
                counts=rows_rollup(row.row for group in groups for row in group.rows),
                measures=groups,
            )
        )
    return sections


def indicators_for_page(*, indicators: QuerySet[Indicator]) -> QuerySet[Indicator]:
    """Return ``indicators`` with everything the KGI page shows."""
    return indicators_for_rows(indicators).prefetch_related("targets", "actuals", "outlooks")


def indicator_page(*, indicator: Indicator, visible: QuerySet[Indicator]) -> IndicatorPage:
    """Return one KGI's years from rows prefetched by :func:`indicators_for_page`.

    A KGI linked to one of an earlier or later plan (its links joined by
    :func:`indicators.continuations.with_links`) also gets the series across
    both periods, with only the linked KGIs ``visible`` holds.
    """
    years = indicator_years(indicator=indicator, outlooks=True)
    plan = indicator.plan
    final = next((row.target for row in years if row.fiscal_year == plan.end_year), None)
    progress = progress_of(
        indicator=indicator, actuals=[row.actual for row in years if row.actual],
        final_target=final, up_to=plan.end_year,
    )
    return IndicatorPage(
        indicator=indicator,
        years=[KgiRow(row=row) for row in years],
        progress=progress,
        final_year=plan.end_year,
        series=linked_series(indicator=indicator, visible=visible),
    )
