"""Read-side queries: indicators with their target, actual and evaluation.

Everything that shows an evaluation (admin, ``kpi_status``, pages, exports)
goes through :func:`indicator_year_rows`, which runs a fixed number of
queries whatever the number of indicators and hands each row to the one
achievement engine.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.db.models import Case, F, IntegerField, Max, OuterRef, Q, Subquery, Value, When

from accounts.roles import scope_of
from indicators import achievement
from indicators.evaluation import IndicatorYear, due_year_of, indicator_year
from indicators.models import Actual, Indicator, Kind, Outlook, Target
from plans.models import Plan

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Mapping, Sequence

    from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
    from django.db.models import QuerySet


def with_due_year(indicators: QuerySet[Indicator]) -> QuerySet[Indicator]:
    """Annotate ``indicators`` with ``due_year`` (:func:`due_year_of`), in the same query."""
    first_target = Target.objects.filter(indicator=OuterRef("pk")).order_by(
        "fiscal_year").values("fiscal_year")[:1]
    return indicators.annotate(due_year=Case(
        When(kind=Kind.MILESTONE, then=Subquery(first_target)),
        default=None, output_field=IntegerField(),
    ))


def indicators_visible_to(*, user: AbstractBaseUser | AnonymousUser) -> QuerySet[Indicator]:
    """Return the KGIs ``user`` may see: their plans', or their departments' measures'."""
    return Indicator.objects.filter(scope_of(user).indicator_q())


def indicators_with_entry_by(
    *, user: AbstractBaseUser | AnonymousUser
) -> QuerySet[Indicator]:
    """Return the KGIs whose actuals ``user`` may enter (and import)."""
    return Indicator.objects.filter(scope_of(user).entry_q())


def plans_with_entry_by(*, user: AbstractBaseUser | AnonymousUser) -> QuerySet[Plan]:
    """Return the plans holding a KGI whose actuals ``user`` may enter."""
    indicators = Indicator.objects.filter(scope_of(user).entry_q()).values("plan_id")
    return Plan.objects.filter(pk__in=indicators).select_related("municipality").order_by(
        "municipality__code", "start_year", "code"
    )


def indicators_managed_by(*, user: AbstractBaseUser | AnonymousUser) -> QuerySet[Indicator]:
    """Return the KGIs whose definition and targets ``user`` may change."""
    return Indicator.objects.filter(scope_of(user).managed_plan_q("plan__"))


def indicators_for_rows(queryset: QuerySet[Indicator]) -> QuerySet[Indicator]:
    """Return ``queryset`` with what a row shows, and each milestone's ``due_year``."""
    return with_due_year(queryset.select_related(
        "plan", "plan__municipality", "measure", "measure__policy", "initiative"
    ))


def evaluated_rows(
    indicators: QuerySet[Indicator], *, which: Q, year_of: Callable[[Indicator], int],
    outlooks: bool = False,
) -> list[IndicatorYear]:
    """Return ``indicators`` evaluated with the target and actual ``which`` selects.

    ``which`` filters targets and actuals down to at most one year per
    indicator, the year ``year_of`` gives. Three queries (four with
    ``outlooks``: :func:`year_rows`).
    """
    indicator_list = list(indicators_for_rows(indicators))
    if not indicator_list:
        return []
    # The indicators as a subquery, not a list of ids for the driver to
    # send and the server to parse.
    return year_rows(indicator_list, chosen=indicators.order_by().values("pk"), which=which,
                     year_of=year_of, outlooks=outlooks)


def year_rows(
    indicator_list: Sequence[Indicator], *, chosen: QuerySet | list[int], which: Q,
    year_of: Callable[[Indicator], int], outlooks: bool = False,
) -> list[IndicatorYear]:
    """Return ``indicator_list`` evaluated with the targets and actuals ``which`` selects.

    ``chosen`` names the same indicators to the database. Two plain queries
    joined here rather than prefetch_related(): no prefetch cache on every
    indicator. The indicators need ``due_year`` (:func:`with_due_year`).
    With ``outlooks``, a third brings the year's outlooks (見込み), shown
    where a KGI has no actual yet (the pages; an export of actuals never).
    """
    targets, actuals, outlook_rows = stored_rows(chosen=chosen, which=which, outlooks=outlooks)
    rows = []
    for indicator in indicator_list:
        key = (indicator.pk, year_of(indicator))
        rows.append(indicator_year(
            indicator=indicator,
            fiscal_year=key[1],
            target=targets.get(key),
            actual=actuals.get(key),
            outlook=outlook_rows.get(key),
            due_year=indicator.due_year,
        ))
    return rows


# Stored rows by (KGI id, fiscal year).
Stored = dict[tuple[int, int], Any]


def stored_rows(
    *, chosen: QuerySet | list[int], which: Q, outlooks: bool
) -> tuple[Stored, Stored, Stored]:
    """Return the targets, actuals and outlooks ``which`` selects, by (KGI id, year).

    Two plain queries (three with ``outlooks``; none for outlooks without).
    """
    targets = {(row.indicator_id, row.fiscal_year): row
               for row in Target.objects.filter(which, indicator__in=chosen)}
    actuals = {(row.indicator_id, row.fiscal_year): row
               for row in Actual.objects.filter(which, indicator__in=chosen)}
    outlook_rows = {
        (row.indicator_id, row.fiscal_year): row
        for row in Outlook.objects.filter(which, indicator__in=chosen)
    } if outlooks else {}
    return targets, actuals, outlook_rows


def indicator_year_rows(
    *, indicators: QuerySet[Indicator], fiscal_year: int, outlooks: bool = False
) -> list[IndicatorYear]:
    """Return every indicator of ``indicators`` evaluated for one year.

    Three queries: the indicators, their targets of the year, their
    actuals of the year (and their outlooks, with ``outlooks``).
    """
    return evaluated_rows(
        indicators, which=Q(fiscal_year=fiscal_year), year_of=lambda _indicator: fiscal_year,
        outlooks=outlooks,
    )


def plans_year_condition(fiscal_years: Mapping[int, int]) -> Q:
    """Return the condition selecting each plan's target or actual of its own year.

    The year is one CASE over the plans, grouped by year: a condition per
    plan built an SQL expression deeper than SQLite allows (a 500 over
    1,741 plans), and an OR of one condition per year led SQLite to read
    every row of those years through the year index (measured in
    docs/performance.md, issue 6).
    """
    plans_by_year: dict[int, list[int]] = {}
    for plan_id, year in fiscal_years.items():
        plans_by_year.setdefault(year, []).append(plan_id)
    # The plans again as a plain condition, so that PostgreSQL reaches the
    # KGIs by their plan index rather than reading them all for the CASE.
    return Q(indicator__plan_id__in=list(fiscal_years), fiscal_year=Case(
        *(When(indicator__plan_id__in=plan_ids, then=Value(year))
          for year, plan_ids in sorted(plans_by_year.items())),
        output_field=IntegerField(),
    ))


def listed_rows(
    indicators: Sequence[Indicator], *, fiscal_years: Mapping[int, int]
) -> list[IndicatorYear]:
    """Return ``indicators``, already fetched, each evaluated for its plan's year.

    For a page of an admin list: the KGIs come from its own query (with
    :func:`with_due_year`); ``fiscal_years`` maps their plans to years. Two
    queries.
    """
    if not indicators:
        return []
    years = {indicator.plan_id: fiscal_years[indicator.plan_id] for indicator in indicators}
    return year_rows(
        indicators, chosen=[indicator.pk for indicator in indicators],
        which=plans_year_condition(years), year_of=lambda indicator: years[indicator.plan_id],
    )


def plan_year_rows(
    *, indicators: QuerySet[Indicator], fiscal_years: Mapping[int, int], outlooks: bool = False
) -> list[IndicatorYear]:
    """Return ``indicators`` each evaluated for its own plan's year.

    ``fiscal_years`` maps plan ids to years (pages show several plans at
    once, each for its own year); indicators of other plans are left out.
    Three queries whatever the number of plans or indicators.
    """
    if not fiscal_years:
        return []
    return evaluated_rows(
        indicators.filter(plan_id__in=fiscal_years),
        which=plans_year_condition(fiscal_years),
        year_of=lambda indicator: fiscal_years[indicator.plan_id],
        outlooks=outlooks,
    )


@dataclass(frozen=True)
class PlanYearCounts:
    """A plan's results for one year, as a summary shows them."""

    counts: achievement.Counts
    mismatches: int


def plan_year_counts(
    *, plans: Iterable[Plan], fiscal_years: Mapping[int, int]
) -> dict[int, PlanYearCounts]:
    """Return each plan's counts and published mismatches for its own year, by plan id.

    What ``rows_rollup()`` of ``plan_year_rows()`` gives, for pages that
    show only the counts (the home page: 20 plans, 800 KGIs): the same
    engine calls on plain values, without building a model object per
    indicator, target and actual, which was most of that page's time.
    Three queries.
    """
    periods = {plan.pk: plan.fiscal_years for plan in plans}
    evaluations: dict[int, list[achievement.Evaluation]] = {plan_id: [] for plan_id in periods}
    mismatches = dict.fromkeys(periods, 0)
    if not periods:
        return {}
    which = plans_year_condition(fiscal_years)
    targets = dict(Target.objects.filter(which).values_list("indicator_id", "value"))
    actuals = {row[0]: row[1:] for row in Actual.objects.filter(which).values_list(
        "indicator_id", "state", "value", "published_evaluation", "published_rate")}
    for pk, plan_id, kind, baseline, due_year in with_due_year(Indicator.objects.filter(
        plan_id__in=periods
    )).order_by().values_list("pk", "plan_id", "kind", "baseline", "due_year"):
        year = fiscal_years[plan_id]
        if year not in periods[plan_id]:
            continue
        state, value, published, published_rate = actuals.get(pk, (None, None, "", None))
        result = achievement.evaluate(
            kind=achievement.Kind(kind), target=targets.get(pk),
            state=achievement.ActualState(state) if state else None, actual=value,
            baseline=baseline, fiscal_year=year, due_year=due_year,
        )
        evaluations[plan_id].append(result.evaluation)
        if published and achievement.published_mismatch(
            result, published_evaluation=achievement.Evaluation(published),
            published_rate=published_rate,
        ):
            mismatches[plan_id] += 1
    return {
        plan_id: PlanYearCounts(counts=achievement.rollup(evaluations[plan_id]),
                                mismatches=mismatches[plan_id])
        for plan_id in periods
    }


# The order a plan document lists its KGIs, as the pages group them: by
# basic policy (基本方針), then measure (施策), then position within the plan.
# A KGI's position alone is not enough: KGIs added later (iga-2's, from the
# action plan) may be numbered in the order they were entered.
DOCUMENT_ORDER = ("measure__policy__number", "measure__number", "position")


def document_order_key(indicator: Indicator) -> tuple[int, int, int]:
    """Return ``indicator``'s place in :data:`DOCUMENT_ORDER` (measure and policy loaded)."""
    return (indicator.measure.policy.number, indicator.measure.number, indicator.position)


def plan_status(
    *, plan: Plan, fiscal_year: int, outlooks: bool = False
) -> list[IndicatorYear]:
    """Return the plan's indicators for one year, in document order (DOCUMENT_ORDER)."""
    return indicator_year_rows(
        indicators=Indicator.objects.filter(plan=plan).order_by(*DOCUMENT_ORDER),
        fiscal_year=fiscal_year, outlooks=outlooks,
    )


def rows_rollup(rows: Iterable[IndicatorYear]) -> achievement.Counts:
    return achievement.rollup(row.result.evaluation for row in rows if row.in_period)


def plan_default_years(*, plans: Iterable[Plan]) -> dict[int, int]:
    """Return each plan's default fiscal year, by plan id: the one rule.

    The default is the latest year within the plan period that any of its
    indicators has an actual for, else the plan's first year. Every page,
    the admin's KGI list, the downloads and the commands open a plan on
    this year when none is asked for. One query.
    """
    plan_list = list(plans)
    latest = dict(
        Actual.objects.filter(
            indicator__plan__in=plan_list,
            fiscal_year__gte=F("indicator__plan__start_year"),
            fiscal_year__lte=F("indicator__plan__end_year"),
        )
        .order_by()
        .values("indicator__plan_id")
        .annotate(year=Max("fiscal_year"))
        .values_list("indicator__plan_id", "year")
    ) if plan_list else {}
    return {plan.pk: latest.get(plan.pk, plan.start_year) for plan in plan_list}


def plan_default_year(*, plan: Plan) -> int:
    """Return ``plan``'s default fiscal year (:func:`plan_default_years`)."""
    return plan_default_years(plans=[plan])[plan.pk]


def indicator_years(*, indicator: Indicator, outlooks: bool = False) -> list[IndicatorYear]:
    """Return one indicator's history and plan years, oldest first.

    With ``outlooks``, a year without an actual shows its outlook (見込み).
    """
    targets = {target.fiscal_year: target for target in indicator.targets.all()}
    actuals = {actual.fiscal_year: actual for actual in indicator.actuals.all()}
    outlook_rows = (
        {outlook.fiscal_year: outlook for outlook in indicator.outlooks.all()}
        if outlooks else {}
    )
    years = sorted(set(indicator.plan.fiscal_years) | set(targets) | set(actuals))
    due_year = due_year_of(indicator, targets)
    return [
        indicator_year(
            indicator=indicator, fiscal_year=year, target=targets.get(year),
            actual=actuals.get(year), outlook=outlook_rows.get(year), due_year=due_year,
        )
        for year in years
    ]


# An actual of a year its plan evaluates (not the 実績の推移 before it).
IN_PLAN_PERIOD = Q(
    fiscal_year__gte=F("indicator__plan__start_year"),
    fiscal_year__lte=F("indicator__plan__end_year"),
)


def confirmed_years(
    indicator_ids: Iterable[int], *, lock: bool = False
) -> dict[int, list[int]]:
    """Return the plan years whose actual is confirmed (確定), by indicator id.

    Only the plan period counts: those are the years an evaluation reads
    the KGI's definition and targets for (years before the plan are its
    history, not evaluated). With ``lock``, every plan-year actual of the
    indicators is locked until the transaction ends, so that no actual is
    confirmed while a definition change is checked and written
    (``actuals_confirm`` locks the same rows).
    """
    rows = Actual.objects.filter(IN_PLAN_PERIOD, indicator_id__in=list(indicator_ids))
    if lock:
        rows = rows.select_for_update(of=("self",))
    years: dict[int, list[int]] = {}
    for indicator_id, fiscal_year, confirmed in rows.order_by(
        "indicator_id", "fiscal_year"
    ).values_list("indicator_id", "fiscal_year", "confirmed"):
        if confirmed:
            years.setdefault(indicator_id, []).append(fiscal_year)
    return years


def confirmed_plan_keys(plan_ids: Iterable[int]) -> set[tuple[int, int]]:
    """Return (indicator id, year) of every confirmed plan-year actual of the plans.

    What :func:`confirmed_years` says, for whole plans at once (an import).
    """
    return set(
        Actual.objects.filter(
            IN_PLAN_PERIOD, indicator__plan_id__in=list(plan_ids), confirmed=True
        ).values_list("indicator_id", "fiscal_year")
    )


def plan_period_rows(*, plan: Plan, outlooks: bool = False) -> list[list[IndicatorYear]]:
    """Return each KGI of ``plan`` evaluated for every year of the plan period.

    One list per KGI, in document order (:data:`DOCUMENT_ORDER`), each
    holding the plan's years oldest first: the 年度推移 table. Three
    queries whatever the number of KGIs and years: the KGIs, their targets
    of the period, their actuals of the period (and, with ``outlooks``, a
    fourth for the period's outlooks, shown where a year has no actual).
    """
    indicators = Indicator.objects.filter(plan=plan).order_by(*DOCUMENT_ORDER)
    indicator_list = list(indicators_for_rows(indicators))
    if not indicator_list:
        return []
    years = plan.fiscal_years
    targets, actuals, outlook_rows = stored_rows(
        chosen=indicators.order_by().values("pk"),
        which=Q(fiscal_year__gte=years.start, fiscal_year__lt=years.stop), outlooks=outlooks,
    )
    return [
        [
            indicator_year(
                indicator=indicator, fiscal_year=year,
                target=targets.get((indicator.pk, year)),
                actual=actuals.get((indicator.pk, year)),
                outlook=outlook_rows.get((indicator.pk, year)),
                due_year=indicator.due_year,
            )
            for year in years
        ]
        for indicator in indicator_list
    ]
