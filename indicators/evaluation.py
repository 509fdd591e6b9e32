"""The one bridge from rows (KGI, target, actual) to the engine and back.

:func:`evaluate_indicator_year` turns model rows into the engine's inputs;
:class:`IndicatorYear` carries one KGI-year with its result and words it
through :mod:`indicators.wording`. Selectors build these; pages, the
admin, the exports and the commands read them. No queries here: every row
is already fetched.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING

from django.conf import settings

from indicators import achievement, wording
from indicators.models import Kind
from ise_iga_dx.lib.wareki import date_text

if TYPE_CHECKING:
    from collections.abc import Iterable

    from indicators.models import Actual, Indicator, Outlook, Target


def near_threshold() -> Decimal:
    return Decimal(str(settings.KPI_NEAR_THRESHOLD))


def evaluate_indicator_year(
    *, indicator: Indicator, target: Target | None, actual: Actual | None,
    due_year: int | None = None,
) -> achievement.Result:
    """Evaluate one indicator-year from its rows (either may be missing).

    ``due_year`` is a milestone's first target year (:func:`due_year_of`).
    """
    return achievement.evaluate(
        kind=achievement.Kind(indicator.kind),
        target=target.value if target else None,
        state=achievement.ActualState(actual.state) if actual else None,
        actual=actual.value if actual else None,
        baseline=indicator.baseline,
        fiscal_year=actual.fiscal_year if actual else None,
        due_year=due_year,
    )


def due_year_of(indicator: Indicator, target_years: Iterable[int]) -> int | None:
    """Return the year a milestone KGI's completion is due: its first target year.

    A milestone's target rows carry no value; they name the year (or years)
    completion is due. None for other kinds, or a milestone without targets.
    """
    if indicator.kind != Kind.MILESTONE:
        return None
    return min(target_years, default=None)


@dataclass(frozen=True)
class IndicatorYear:
    """One indicator in one fiscal year, with what the engine made of it."""

    indicator: Indicator
    fiscal_year: int
    target: Target | None
    actual: Actual | None
    result: achievement.Result
    # The year's outlook (見込み), when the caller asked for outlooks. Shown
    # and evaluated only while the year has no actual (shows_outlook).
    outlook: Outlook | None = None

    @property
    def shows_outlook(self) -> bool:
        """Whether the row shows the outlook (見込み): no actual yet, an outlook."""
        return self.actual is None and self.outlook is not None

    @property
    def reported(self) -> Actual | Outlook | None:
        """The row whose value and commentary the year shows: the actual, else the outlook."""
        return self.actual if self.actual is not None else self.outlook

    @property
    def in_period(self) -> bool:
        return self.fiscal_year in self.indicator.plan.fiscal_years

    @property
    def evaluation_label(self) -> str:
        if not self.in_period:
            return "計画期間外"
        text = wording.format_evaluation(self.result)
        return wording.outlook_text(text) if self.shows_outlook else text

    @property
    def shown_rate(self) -> str | None:
        rate = self.result.shown_rate
        return None if rate is None else wording.format_rate(rate)

    @property
    def status(self) -> achievement.Status:
        return achievement.status_of(self.result, threshold=near_threshold())

    @property
    def target_label(self) -> str:
        target = self.target
        if target is None:
            # A milestone's target row is its due year: 「完了」 only there.
            return wording.DASH
        return wording.target_text(self.indicator, target.value, target.value_places)

    @property
    def kgi_label(self) -> str:
        """Return 数値目標（KGI） as the review table prints it (print page, Excel)."""
        return wording.kgi_text(self.indicator, self.target_label)

    @property
    def actual_label(self) -> str:
        if self.shows_outlook:
            return wording.outlook_text(
                wording.actual_label(self.indicator, self.outlook, self.result)
            )
        if self.actual is None and not self.in_period:
            return wording.DASH
        return wording.actual_label(self.indicator, self.actual, self.result)

    @property
    def published_label(self) -> str:
        """Return what the document printed, in the document's words."""
        return "" if self.actual is None else wording.published_label(self.actual)

    @property
    def mismatch(self) -> bool:
        actual = self.actual
        if actual is None or not actual.published_evaluation:
            return False
        return achievement.published_mismatch(
            self.result,
            published_evaluation=achievement.Evaluation(actual.published_evaluation),
            published_rate=actual.published_rate,
        )

    @property
    def provisional(self) -> bool:
        """Whether the actual is still 入力中: shown as 速報, yet evaluated."""
        return self.actual is not None and not self.actual.confirmed

    @property
    def target_revised(self) -> bool:
        """Whether the target in force replaced the plan's first one."""
        return self.target is not None and self.target.revised_on is not None

    @property
    def revision_label(self) -> str:
        """Return 「上方修正」 for a more ambitious target, else 「目標値変更」."""
        if not self.target_revised:
            return ""
        return wording.revision_label(self.indicator, self.target)

    @property
    def original_target_label(self) -> str:
        """Return the plan's first target (当初目標値) as printed."""
        target = self.target
        if not self.target_revised:
            return ""
        return wording.target_text(
            self.indicator, target.original_value, target.original_value_places
        )

    @property
    def revised_on_label(self) -> str:
        """Return the date the revision was decided: 「令和8年9月1日」."""
        return date_text(self.target.revised_on) if self.target_revised else ""

    @property
    def revision_reason(self) -> str:
        return self.target.revision_reason if self.target_revised else ""


def indicator_year(
    *, indicator: Indicator, fiscal_year: int, target: Target | None, actual: Actual | None,
    due_year: int | None = None, outlook: Outlook | None = None,
) -> IndicatorYear:
    """Evaluate one indicator-year from rows already fetched.

    Without an actual, an ``outlook`` (見込み) is evaluated in its place,
    by the same rules; the row then says 「見込み」 wherever it prints.
    """
    return IndicatorYear(
        indicator=indicator,
        fiscal_year=fiscal_year,
        target=target,
        actual=actual,
        outlook=outlook,
        result=evaluate_indicator_year(
            indicator=indicator, target=target, actual=actual if actual is not None else outlook,
            due_year=due_year,
        ),
    )


