"""The long view: one KGI's series across the plan periods its links join.

A :class:`~indicators.models.Continuation` says that a KGI of a later plan
continues one of an earlier plan (ISE1-01 → ISE2-13). :func:`linked_series`
returns every fiscal year from the earliest year either KGI holds (at the
latest, the earlier plan's first year) to the later plan's end, each year
as the engine's own :class:`~indicators.evaluation.IndicatorYear` of one of
the KGIs: its target, actual and evaluation, nothing computed here.

Which KGI's row a year shows (docs/cross-period-links.md):

1. the KGI whose plan period holds the year: its targets and evaluation
   are that year's, even where the other KGI also holds a value (ISE2-12
   records R7 as part of its 現状値; ISE1-20 evaluates R7). A differing
   value held by the other KGI is named in the year's note;
2. where that KGI holds no value for the year but another does (ISE2-12's
   R4–R6, the 実績の推移 before its plan), the other KGI's row, noted:
   the value shows, evaluated as that KGI evaluates it (計画期間外);
3. a year within no plan's period shows whichever KGI holds a value,
   the earlier first, else the earlier KGI's empty row.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from indicators import achievement, wording
from indicators.evaluation import IndicatorYear, indicator_year
from indicators.selectors import indicator_years, indicators_for_rows

if TYPE_CHECKING:
    from django.db.models import QuerySet

    from indicators.models import Continuation, Indicator
    from plans.models import Plan

# What the KGI page's query joins, so that a KGI without a link costs no query.
LINKS = ("continuation", "continues")


def with_links(indicators: QuerySet[Indicator]) -> QuerySet[Indicator]:
    """Return ``indicators`` with their links to earlier and later KGIs joined."""
    return indicators.select_related(*LINKS)


def plan_label(plan: Plan) -> str:
    """Return 「第1期」: the plan's short name, else its name."""
    return plan.short_name or plan.name


@dataclass(frozen=True)
class SeriesYear:
    """One fiscal year of a series: the row shown and why it is that one."""

    fiscal_year: int
    row: IndicatorYear
    # The year lies outside the period of the KGI whose row is shown.
    borrowed: bool = False
    note: str = ""

    @property
    def indicator(self) -> Indicator:
        return self.row.indicator

    @property
    def plan_label(self) -> str:
        return f"{plan_label(self.indicator.plan)}（{self.indicator.code}）"


@dataclass(frozen=True)
class Series:
    """One measure across plan periods: the linked KGIs, oldest plan first."""

    indicators: list[Indicator]
    links: list[Continuation]
    years: list[SeriesYear]

    @property
    def first_plan_label(self) -> str:
        return plan_label(self.indicators[0].plan)

    @property
    def accumulation_differs(self) -> bool:
        """Whether the KGIs are labelled differently (累計 vs 単年度): shown, not fixed."""
        return len({indicator.accumulation for indicator in self.indicators}) > 1

    @property
    def rows(self) -> list[IndicatorYear]:
        return [year.row for year in self.years]

    @property
    def members(self) -> list[tuple[Indicator, str]]:
        """Return each KGI with how it reads in the series' heading lines."""
        return [(indicator, kgi_label(indicator)) for indicator in self.indicators]


def linked_series(*, indicator: Indicator, visible: QuerySet[Indicator]) -> Series | None:
    """Return ``indicator``'s series across its linked KGIs, or None without one.

    ``indicator`` comes with its targets, actuals and outlooks prefetched
    and its links joined (:func:`with_links`). Only the linked KGIs within
    ``visible`` take part: a user who may not see the other plan's KGI gets
    no series (None) rather than its rows. Four queries with a link (the
    other KGIs, their targets, actuals and outlooks), none without.
    """
    links = [
        link for link in (
            getattr(indicator, name, None) for name in ("continues", "continuation")
        ) if link is not None
    ]
    if not links:
        return None
    other_ids = {
        link.earlier_id if link.later_id == indicator.pk else link.later_id for link in links
    }
    others = list(indicators_for_rows(visible.filter(pk__in=other_ids)).prefetch_related(
        "targets", "actuals", "outlooks"
    ))
    if not others:
        return None
    by_pk = {kgi.pk: kgi for kgi in [indicator, *others]}
    shown = [link for link in links if {link.earlier_id, link.later_id} <= by_pk.keys()]
    for link in shown:
        # The KGIs already fetched, so that naming them reads nothing more.
        link.earlier, link.later = by_pk[link.earlier_id], by_pk[link.later_id]
    indicators = sorted(by_pk.values(), key=lambda kgi: kgi.plan.start_year)
    return Series(indicators=indicators, links=shown, years=series_years(indicators))


def series_years(indicators: list[Indicator]) -> list[SeriesYear]:
    """Return every year from the first any KGI holds to the last plan's end, one row each."""
    rows = {
        kgi.pk: {row.fiscal_year: row for row in indicator_years(indicator=kgi, outlooks=True)}
        for kgi in indicators
    }
    held = [year for by_year in rows.values() for year in by_year]
    first = min([indicators[0].plan.start_year, *held])
    last = max([indicators[-1].plan.end_year, *held])
    return [year_of(indicators, rows, year) for year in range(first, last + 1)]


def year_of(
    indicators: list[Indicator], rows: dict[int, dict[int, IndicatorYear]], year: int
) -> SeriesYear:
    """Return the row a series shows for ``year`` (the module's rules 1–3)."""
    holding = [
        rows[kgi.pk][year] for kgi in indicators
        if year in rows[kgi.pk] and rows[kgi.pk][year].reported is not None
    ]
    owner = next((kgi for kgi in indicators if year in kgi.plan.fiscal_years), None)
    if owner is not None:
        own = rows[owner.pk][year]
        others = [row for row in holding if row.indicator.pk != owner.pk]
        if own.reported is not None or not others:
            return SeriesYear(fiscal_year=year, row=own, note=differing_note(own, others))
        shown = others[0]
        return SeriesYear(
            fiscal_year=year, row=shown, borrowed=True,
            note=f"{plan_label(owner.plan)}（{owner.code}）にはこの年度の実績値がないため、"
                 f"{plan_label(shown.indicator.plan)}の{shown.indicator.code}に"
                 "記録された値を表示しています。",
        )
    if holding:
        return SeriesYear(fiscal_year=year, row=holding[0], borrowed=True)
    earlier = indicators[0]
    empty = rows[earlier.pk].get(year) or indicator_year(
        indicator=earlier, fiscal_year=year, target=None, actual=None
    )
    return SeriesYear(fiscal_year=year, row=empty, borrowed=True)


def differing_note(own: IndicatorYear, others: list[IndicatorYear]) -> str:
    """Name the other KGIs' values of the year that differ from the one shown."""
    shown = own.reported
    notes = []
    for row in others:
        other = row.reported
        if (other.state, other.value) == (shown.state, shown.value):
            continue
        notes.append(
            f"{plan_label(row.indicator.plan)}の{row.indicator.code}には"
            f"{row.actual_label}と記録されています（表示は{own.indicator.code}の値）。"
        )
    return "".join(notes)


def accumulation_label(indicator: Indicator) -> str:
    return wording.ACCUMULATION_LABELS[achievement.Accumulation(indicator.accumulation)]


def kgi_label(indicator: Indicator) -> str:
    """Return 「第1期の指標 ISE1-01 オンライン化した手続き数（累計）」."""
    return (
        f"{plan_label(indicator.plan)}の指標 {indicator.code} "
        f"{indicator.short_name or indicator.item}（{accumulation_label(indicator)}）"
    )


def link_summary(link: Continuation, *, side: str) -> str:
    """Return what a KGI's page says of its link, seen from ``side`` ("later" or "earlier").

    From the later KGI: 「第1期の指標 ISE1-01 オンライン化した手続き数（累計）から継続」;
    from the earlier: 「第2期の指標 ISE2-13 …（単年度）に継続」.
    """
    if side == "later":
        return f"{kgi_label(link.earlier)}から継続"
    return f"{kgi_label(link.later)}に継続"
