"""What a department's page of a round shows, read in a constant number of queries.

One row per KGI the round asks the department for, in document order:
the target of the round's year and the evaluation of the *stored* value
(:func:`indicators.selectors.indicator_year_rows`, so the engine and the
wording are the dashboard's), last year's actual, and the office's
comments of the latest return (差戻し). The stored value is the year's
actual, or its outlook (見込み) in a round that collects outlooks, which is
then evaluated and printed as one (「22名（見込み）」). The home page's banner counts the
same KGIs for every open submission in one query
(:func:`submissions_with_progress`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.db.models import Case, Count, IntegerField, OuterRef, Subquery, Value, When
from django.db.models.functions import Coalesce

from indicators import wording
from indicators.evaluation import indicator_year
from indicators.models import Actual, Indicator, Kind, Outlook
from indicators.selectors import DOCUMENT_ORDER, indicator_year_rows
from ise_iga_dx.lib import wareki
from pages.display import StatusMark
from plans.models import Measure
from reporting.models import Purpose, ReturnNote, SubmissionStatus

if TYPE_CHECKING:
    from datetime import date

    from django.db.models import QuerySet

    from indicators.evaluation import IndicatorYear
    from reporting.models import Submission


def deadline_label(deadline: date, today: date) -> str:
    """Return how far the deadline is.

    「あと12日」, 「今日が期限です」, 「期限を3日過ぎています」.
    """
    days = (deadline - today).days
    if days > 0:
        return f"あと{days}日"
    if days == 0:
        return "今日が期限です"
    return f"期限を{-days}日過ぎています"


def progress_label(answered: int, asked: int) -> str:
    """Return 「3件中1件 入力済み」."""
    return f"{asked}件中{answered}件 入力済み"


@dataclass(frozen=True)
class EntryRow:
    """One KGI of the page: its year as the engine reads it, last year, the office's notes.

    ``stored`` is the round's own row, the one the page edits: the year's
    actual, or its outlook in an outlook round.
    """

    year: IndicatorYear
    stored: Actual | Outlook | None
    previous: Actual | None
    notes: tuple[ReturnNote, ...] = ()

    @property
    def indicator(self) -> Indicator:
        return self.year.indicator

    @property
    def milestone(self) -> bool:
        return self.indicator.kind == Kind.MILESTONE

    @property
    def title(self) -> str:
        """Return the 略称 where one is set, else the item as the document prints it."""
        return self.indicator.short_name or self.indicator.item

    @property
    def previous_label(self) -> str:
        """Return last year's actual as printed (「185名」), or 「－」 when there is none."""
        if self.previous is None:
            return wording.DASH
        return wording.actual_label(self.indicator, self.previous)

    @property
    def mark(self) -> StatusMark:
        return StatusMark(self.year.status)

    @property
    def evaluation_note(self) -> str:
        """Return what the mark leaves unsaid.

        「達成率 102.5%」, 「目標未設定」, 「未完了（期限：令和9年度）」; "" otherwise.
        An outlook's says so: 「達成率 110.0%（見込み）」.
        """
        rate = self.year.shown_rate
        if rate is not None:
            text = f"達成率 {rate}%"
            return wording.outlook_text(text) if self.year.shows_outlook else text
        label = self.year.evaluation_label
        return "" if label in (self.mark.label, wording.DASH) else label


@dataclass(frozen=True)
class EntryPage:
    """A submission with its rows, and the header's figures."""

    submission: Submission
    rows: list[EntryRow]
    general_notes: tuple[ReturnNote, ...]
    today: date

    @property
    def indicators(self) -> list[Indicator]:
        return [row.indicator for row in self.rows]

    @property
    def answered(self) -> int:
        return sum(row.stored is not None for row in self.rows)

    @property
    def progress_label(self) -> str:
        return progress_label(self.answered, len(self.rows))

    @property
    def deadline_text(self) -> str:
        return wareki.date_text(self.submission.round.deadline)

    @property
    def deadline_label(self) -> str:
        return deadline_label(self.submission.round.deadline, self.today)

    @property
    def overdue(self) -> bool:
        return self.submission.round.deadline < self.today

    @property
    def actual_versions(self) -> list[tuple[int, int]]:
        """Return (pk, version) of every value shown (actual or outlook), to confirm."""
        return [(row.stored.pk, row.stored.version) for row in self.rows if row.stored]


def asked_indicators(submission: Submission) -> QuerySet[Indicator]:
    """Return the KGIs the round asks the submission's department for, in document order.

    The KGIs of ``services.round_indicators``, as a queryset: a subquery
    for the measures, so no KGI is repeated and no DISTINCT is needed.
    """
    owned = Measure.objects.filter(departments=submission.department_id).values("pk")
    return Indicator.objects.filter(
        plan_id=submission.round.plan_id, measure__in=owned
    ).order_by(*DOCUMENT_ORDER)


def latest_return_notes(submission: Submission) -> list[ReturnNote]:
    """Return the notes of the submission's latest return (差戻し), in one query."""
    latest = ReturnNote.objects.filter(submission=submission).order_by(
        "-returned_at").values("returned_at")[:1]
    return list(ReturnNote.objects.filter(submission=submission, returned_at=Subquery(latest)))


def submission_page(*, submission: Submission, today: date) -> EntryPage:
    """Return the page's rows for ``submission`` (its round and department loaded).

    Five queries whatever the number of KGIs: the KGIs, their targets and
    actuals of the round's year, last year's actuals, and, when the
    submission is returned, the latest return's notes; one more, the
    outlooks, in an outlook round.
    """
    year = submission.round.fiscal_year
    outlooks = submission.round.collects_outlook
    indicators = asked_indicators(submission)
    years = indicator_year_rows(indicators=indicators, fiscal_year=year, outlooks=outlooks)
    if outlooks:
        # The page is about the outlook: evaluated as such even where the
        # year already has an actual (the dashboard then shows the actual).
        years = [
            indicator_year(indicator=row.indicator, fiscal_year=year, target=row.target,
                           actual=None, outlook=row.outlook, due_year=row.indicator.due_year)
            for row in years
        ]
    previous = {
        actual.indicator_id: actual
        for actual in Actual.objects.filter(
            indicator__in=indicators.order_by().values("pk"), fiscal_year=year - 1
        )
    }
    notes: dict[int | None, list[ReturnNote]] = {}
    if submission.status == SubmissionStatus.RETURNED:
        for note in latest_return_notes(submission):
            notes.setdefault(note.indicator_id, []).append(note)
    rows = [
        EntryRow(
            year=row, stored=row.outlook if outlooks else row.actual,
            previous=previous.get(row.indicator.pk),
            notes=tuple(notes.get(row.indicator.pk, ())),
        )
        for row in years
    ]
    return EntryPage(submission=submission, rows=rows,
                     general_notes=tuple(notes.get(None, ())), today=today)


def submissions_with_progress(queryset: QuerySet[Submission]) -> QuerySet[Submission]:
    """Annotate each submission with ``asked_count`` and ``answered_count``, in the same query.

    ``asked_count`` is the number of KGIs its round asks its department
    for; ``answered_count`` those with a value for the round's year (an
    actual, or an outlook in an outlook round).
    """
    asked = Indicator.objects.filter(
        plan_id=OuterRef("round__plan_id"),
        measure__in=Measure.objects.filter(departments=OuterRef(OuterRef("department_id")))
        .values("pk"),
    )

    def answered(model: type[Actual] | type[Outlook]) -> QuerySet[Indicator]:
        return asked.filter(pk__in=model.objects.filter(
            fiscal_year=OuterRef(OuterRef("round__fiscal_year"))).values("indicator_id"))

    def count(indicators: QuerySet[Indicator]) -> Coalesce:
        return Coalesce(
            Subquery(
                indicators.order_by().annotate(one=Value(1)).values("one")
                .annotate(n=Count("pk")).values("n")[:1],
                output_field=IntegerField(),
            ),
            0,
        )

    return queryset.annotate(
        asked_count=count(asked),
        answered_count=Case(
            When(round__purpose=Purpose.OUTLOOK, then=count(answered(Outlook))),
            default=count(answered(Actual)),
        ),
    )
