"""The 進捗管理シート of a plan-year: one block per KGI for the meeting paper.

Each block carries what the department reported and the office confirmed:
the KGI, its target and actual of the year, the evaluation as the status
table prints it, 取組状況・要因分析・今後の方向性 (「（未記入）」 when
blank), the reason for 評価対象外, a revised target and the 備考. Built
from :func:`pages.selectors.plan_dashboard`, so the sheet runs the same
fixed number of queries as the print page, whatever the number of KGIs.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from indicators import wording
from pages.selectors import plan_dashboard

if TYPE_CHECKING:
    from indicators import achievement
    from indicators.evaluation import IndicatorYear
    from indicators.models import Indicator
    from pages.display import StatusMark
    from pages.selectors import KgiRow
    from plans.models import Measure, Plan


@dataclass(frozen=True)
class SheetBlock:
    """One KGI-year of the 進捗管理シート, in the words of the print page."""

    kgi: KgiRow
    policy_heading: str
    measure: Measure

    @property
    def row(self) -> IndicatorYear:
        return self.kgi.row

    @property
    def indicator(self) -> Indicator:
        return self.kgi.indicator

    @property
    def number(self) -> int:
        return self.kgi.number

    @property
    def mark(self) -> StatusMark | None:
        return self.kgi.mark

    @property
    def unit_label(self) -> str:
        """Return the KGI's unit, or 「－」 (a milestone has none)."""
        return self.indicator.unit or wording.DASH

    @property
    def commentary(self) -> list[tuple[str, str]]:
        """Return 取組状況・要因分析・今後の方向性 as (heading, text), blanks 「（未記入）」."""
        return wording.commentary(self.row.reported)

    @property
    def not_measured_reason(self) -> str | None:
        """Return the reason for 評価対象外; None for a year that is not."""
        return wording.not_measured_reason(self.row.reported)

    @property
    def remarks(self) -> str:
        """Return the 備考: the actual's 備考 and the KGI's ※ notes in full.

        The reason for 評価対象外 has its own line on the sheet.
        """
        return wording.remarks_text(
            actual=self.row.reported, notes=self.indicator.notes, with_reason=False
        )


@dataclass(frozen=True)
class ProgressSheet:
    """A plan's 進捗管理シート for one fiscal year: its KGIs in document order."""

    plan: Plan
    fiscal_year: int
    counts: achievement.Counts
    blocks: list[SheetBlock]

    @property
    def provisional(self) -> int:
        """Return how many of the year's actuals are still 速報 (not confirmed)."""
        return sum(block.row.provisional for block in self.blocks)

    @property
    def unwritten(self) -> int:
        """Return how many KGIs have some comment still 「（未記入）」."""
        return sum(
            any(text == wording.UNWRITTEN for _heading, text in block.commentary)
            for block in self.blocks
        )


def progress_sheet(*, plan: Plan, fiscal_year: int) -> ProgressSheet:
    """Return ``plan``'s 進捗管理シート for ``fiscal_year``.

    The queries of :func:`pages.selectors.plan_dashboard` and no more: the
    commentary comes with the year's actuals.
    """
    dashboard = plan_dashboard(plan=plan, fiscal_year=fiscal_year)
    blocks = [
        SheetBlock(kgi=kgi, policy_heading=group.heading, measure=measure_group.measure)
        for group in dashboard.policies
        for measure_group in group.measures
        for kgi in measure_group.rows
    ]
    return ProgressSheet(
        plan=plan, fiscal_year=fiscal_year, counts=dashboard.counts, blocks=blocks
    )
