"""What the office's pages of a round show: the board's rows and counts, read-only.

:func:`round_board` builds the board of one round: one row per
(department, KGI), grouped by department, each KGI with its state
(未着手 / 入力中 / 提出済 / 差戻し / 確定, :func:`kgi_state`), value and
evaluation; the counts per state; the KGIs no department was asked for
(「所管課未設定」); and the round's recorded mail. Seven queries whatever
the number of departments and KGIs. :func:`round_list` and
:func:`submission_list` are the rounds page's rows, :func:`submission_kgis`
the return page's.

Nothing here writes or decides what an action may do: the rules are
:mod:`reporting.services`' (its state sets say which buttons to show).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.utils import timezone

from audit.describe import user_label
from indicators.evaluation import indicator_year
from indicators.models import Indicator
from indicators.selectors import DOCUMENT_ORDER, indicator_year_rows, plan_status
from ise_iga_dx.lib import wareki
from plans.models import Measure
from reporting import services
from reporting.models import Message, MessageStatus, SubmissionStatus

if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence
    from datetime import date

    from django.core.paginator import Page
    from django.db.models import QuerySet

    from indicators.evaluation import IndicatorYear
    from indicators.models import Actual, Outlook
    from reporting.models import ReturnNote, Round, Submission

# The states in the order a submission moves through them.
STATES = (
    SubmissionStatus.NOT_STARTED, SubmissionStatus.IN_PROGRESS, SubmissionStatus.SUBMITTED,
    SubmissionStatus.RETURNED, SubmissionStatus.CONFIRMED,
)
# A department is done when it has submitted; not done after the deadline is late.
DONE = frozenset({SubmissionStatus.SUBMITTED, SubmissionStatus.CONFIRMED})
MAIL_STATES = (MessageStatus.PENDING, MessageStatus.SENT, MessageStatus.FAILED)
# The failed addresses listed on the board; more are counted, not listed.
FAILED_SHOWN = 50
# Rounds (or a department's submissions) a page of the rounds list shows.
ROUNDS_PER_PAGE = 50
UNASSIGNED = "所管課未設定"


def kgi_state(actual: Actual | Outlook | None, submission_status: str) -> SubmissionStatus:
    """Return one KGI's state on the board.

    確定 once the year's actual (an outlook round: its outlook) is
    confirmed; else the submission's 提出済 or 差戻し; else 入力中 if the
    year has one; else 未着手.
    """
    if actual is not None and actual.confirmed:
        return SubmissionStatus.CONFIRMED
    if submission_status in (SubmissionStatus.SUBMITTED, SubmissionStatus.RETURNED):
        return SubmissionStatus(submission_status)
    if actual is not None:
        return SubmissionStatus.IN_PROGRESS
    return SubmissionStatus.NOT_STARTED


def state_class(status: str) -> str:
    """Return the CSS class of a state's mark: ``state--in-progress``."""
    return f"state--{status.replace('_', '-')}"


def is_overdue(submission: Submission, deadline: date, today: date) -> bool:
    """Whether the deadline has passed and the department has not submitted."""
    return today > deadline and submission.status not in DONE


def deadline_note(deadline: date, today: date) -> str:
    """Return 「あと12日」, 「今日が期限」 or 「期限を3日過ぎています」."""
    days = (deadline - today).days
    if days > 0:
        return f"あと{days}日"
    if days == 0:
        return "今日が期限"
    return f"期限を{-days}日過ぎています"


def round_rows(round_: Round, years: Sequence[IndicatorYear]) -> list[IndicatorYear]:
    """Return ``years`` as the round reads them: an outlook round shows its outlooks.

    A 見込み報告 asks for the year's outlooks; its rows show and evaluate
    the outlook (marked 「見込み」) even where the year has an actual. No
    query: ``years`` come with their outlooks (``outlooks=True``).
    """
    if not round_.collects_outlook:
        return list(years)
    return [
        indicator_year(indicator=year.indicator, fiscal_year=year.fiscal_year,
                       target=year.target, actual=None, outlook=year.outlook,
                       due_year=year.indicator.due_year)
        for year in years
    ]


def round_row(year: IndicatorYear) -> Actual | Outlook | None:
    """Return the stored row the round writes for ``year`` (from :func:`round_rows`)."""
    return year.actual if year.actual is not None else year.outlook


def moment_text(moment: object) -> str:
    """Return a time as 「令和9年4月15日 9:00」 (local time)."""
    local = timezone.localtime(moment)
    return f"{wareki.date_text(local.date())} {local.hour}:{local.minute:02d}"


@dataclass(frozen=True)
class StateCount:
    """How many departments or KGIs are in one state."""

    status: str
    label: str
    count: int

    @property
    def css_class(self) -> str:
        return state_class(self.status)


def state_counts(statuses: Iterable[str]) -> list[StateCount]:
    tally = dict.fromkeys(STATES, 0)
    for status in statuses:
        tally[SubmissionStatus(status)] += 1
    return [StateCount(status.value, status.label, count) for status, count in tally.items()]


@dataclass(frozen=True)
class BoardKgi:
    """One KGI of one department on the board."""

    year: IndicatorYear
    state: SubmissionStatus

    @property
    def indicator(self) -> Indicator:
        return self.year.indicator

    @property
    def actual(self) -> Actual | Outlook | None:
        """The row the round writes: the year's actual, or its outlook (見込み報告)."""
        return round_row(self.year)

    @property
    def state_label(self) -> str:
        return self.state.label

    @property
    def state_class(self) -> str:
        return state_class(self.state.value)

    @property
    def value_label(self) -> str:
        """The value as printed (「45.0%」, 「－」, 「完了」); "" before one is entered."""
        return "" if self.actual is None else self.year.actual_label

    @property
    def evaluation_label(self) -> str:
        return "" if self.actual is None else self.year.evaluation_label


@dataclass(frozen=True)
class BoardDepartment:
    """One department's submission and its KGIs."""

    submission: Submission
    kgis: list[BoardKgi]
    overdue: bool
    round_open: bool

    @property
    def state_label(self) -> str:
        return self.submission.get_status_display()

    @property
    def state_class(self) -> str:
        return state_class(self.submission.status)

    @property
    def changed_by_label(self) -> str:
        return user_label(self.submission.changed_by)

    @property
    def changed_at_label(self) -> str:
        return moment_text(self.submission.changed_at)

    @property
    def can_return(self) -> bool:
        return self.round_open and self.submission.status in services.RETURNABLE

    @property
    def can_confirm(self) -> bool:
        return self.round_open and self.submission.status in services.CONFIRMABLE

    @property
    def actual_versions(self) -> list[tuple[int, int]]:
        """The (id, version) of each actual shown: what 「確定する」 posts."""
        return [(kgi.actual.pk, kgi.actual.version) for kgi in self.kgis
                if kgi.actual is not None]


@dataclass(frozen=True)
class UnassignedKgi:
    """A KGI of the plan that no submission of the round covers."""

    year: IndicatorYear
    # The departments that own it now but were not asked (set after opening).
    owners: tuple[str, ...] = ()

    @property
    def indicator(self) -> Indicator:
        return self.year.indicator

    @property
    def reason(self) -> str:
        if not self.owners:
            return UNASSIGNED
        return f"{'・'.join(self.owners)}（実績報告の開始後に所管課に設定）"


@dataclass(frozen=True)
class FailedMessage:
    to: str
    subject: str
    attempts: int


@dataclass(frozen=True)
class MailSummary:
    """The round's recorded e-mail: counts per status, and where sending failed."""

    counts: list[tuple[str, str, int]]
    failed: list[FailedMessage]

    @property
    def total(self) -> int:
        return sum(count for _status, _label, count in self.counts)

    @property
    def failed_count(self) -> int:
        return next(count for status, _label, count in self.counts
                    if status == MessageStatus.FAILED)

    @property
    def failed_more(self) -> int:
        return max(0, self.failed_count - len(self.failed))


@dataclass(frozen=True)
class Board:
    """Everything the board of one round shows."""

    round: Round
    today: date
    departments: list[BoardDepartment]
    unassigned: list[UnassignedKgi]
    mail: MailSummary

    @property
    def department_counts(self) -> list[StateCount]:
        return state_counts(row.submission.status for row in self.departments)

    @property
    def kgi_counts(self) -> list[StateCount]:
        return state_counts(kgi.state for row in self.departments for kgi in row.kgis)

    @property
    def overdue_count(self) -> int:
        return sum(1 for row in self.departments if row.overdue)

    @property
    def done_count(self) -> int:
        return sum(1 for row in self.departments if row.submission.status in DONE)

    @property
    def unassigned_count(self) -> int:
        return sum(1 for row in self.unassigned if not row.owners)

    @property
    def deadline_label(self) -> str:
        return wareki.date_text(self.round.deadline)

    @property
    def deadline_note(self) -> str:
        if not self.round.is_open:
            return ""
        return deadline_note(self.round.deadline, self.today)

    @property
    def past_deadline(self) -> bool:
        return self.today > self.round.deadline

    @property
    def opened_label(self) -> str:
        return f"{moment_text(self.round.opened_at)}（{user_label(self.round.opened_by)}）"

    @property
    def closed_label(self) -> str:
        if self.round.closed_at is None:
            return ""
        return f"{moment_text(self.round.closed_at)}（{user_label(self.round.closed_by)}）"


def round_board(*, round_: Round, today: date) -> Board:
    """Return the board of ``round_`` as of ``today`` (for 期限超過).

    Seven queries whatever the size: the submissions (with department and
    last editor), the plan's KGIs with their targets and actuals of the
    year (three; four for a 見込み報告, with the outlooks), which department
    owns which measure, and the mail's counts and failures (two).
    ``round_`` comes with its plan.
    """
    submissions = list(
        round_.submissions.select_related("department", "changed_by")
        .order_by("department__division", "department__name", "pk")
    )
    years = round_rows(round_, plan_status(plan=round_.plan, fiscal_year=round_.fiscal_year,
                                           outlooks=round_.collects_outlook))
    owners: dict[int, list[tuple[int, str]]] = {}
    links = Measure.departments.through.objects.filter(
        measure__policy__plan_id=round_.plan_id
    ).order_by("department__division", "department__name")
    for measure_id, department_id, name in links.values_list(
        "measure_id", "department_id", "department__name"
    ):
        owners.setdefault(measure_id, []).append((department_id, name))
    asked = {submission.department_id for submission in submissions}
    by_department: dict[int, list[IndicatorYear]] = {pk: [] for pk in asked}
    unassigned = []
    for year in years:
        departments = owners.get(year.indicator.measure_id, [])
        covered = [pk for pk, _name in departments if pk in asked]
        for pk in covered:
            by_department[pk].append(year)
        if not covered:
            unassigned.append(UnassignedKgi(year, tuple(name for _pk, name in departments)))
    rows = [
        BoardDepartment(
            submission=submission,
            kgis=[BoardKgi(year, kgi_state(round_row(year), submission.status))
                  for year in by_department[submission.department_id]],
            overdue=is_overdue(submission, round_.deadline, today),
            round_open=round_.is_open,
        )
        for submission in submissions
    ]
    return Board(round=round_, today=today, departments=rows, unassigned=unassigned,
                 mail=mail_summary(round_))


def mail_summary(round_: Round) -> MailSummary:
    """Count the round's messages by status and list the failed ones. Two queries."""
    tally = dict(Message.objects.filter(round=round_).order_by().values_list("status")
                 .annotate(count=Count("pk")))
    failed = [
        FailedMessage(to, subject, attempts)
        for to, subject, attempts in Message.objects.filter(
            round=round_, status=MessageStatus.FAILED
        ).order_by("to", "pk").values_list("to", "subject", "attempts")[:FAILED_SHOWN]
    ]
    return MailSummary(
        counts=[(status.value, status.label, tally.get(status.value, 0))
                for status in MAIL_STATES],
        failed=failed,
    )


# The rounds page.


@dataclass(frozen=True)
class RoundRow:
    """One round on the office's list, with how many departments have submitted."""

    round: Round
    done: int
    total: int

    @property
    def deadline_label(self) -> str:
        return wareki.date_text(self.round.deadline)


def round_list(*, rounds: QuerySet[Round], page: str | None = None) -> Page:
    """Return a page of ``rounds``, newest year first, as RoundRows with their counts.

    Two queries (the count, the page). A page number out of range or not a
    number gives the last or the first page, as the home page's list does.
    """
    annotated = rounds.annotate(
        total=Count("submissions"),
        done=Count("submissions", filter=Q(submissions__status__in=list(DONE))),
    ).order_by("-fiscal_year", "plan__municipality__code", "plan__code", "-purpose", "pk")
    shown = Paginator(annotated, ROUNDS_PER_PAGE).get_page(page)
    shown.object_list = [RoundRow(round_, round_.done, round_.total)
                         for round_ in shown.object_list]
    return shown


@dataclass(frozen=True)
class SubmissionRow:
    """One of a department's submissions on its list of rounds."""

    submission: Submission
    overdue: bool

    @property
    def deadline_label(self) -> str:
        return wareki.date_text(self.submission.round.deadline)

    @property
    def state_class(self) -> str:
        return state_class(self.submission.status)


def submission_list(
    *, submissions: QuerySet[Submission], today: date, page: str | None = None
) -> Page:
    """Return a page of a department's ``submissions``, newest year first. Two queries."""
    ordered = submissions.order_by("-round__fiscal_year", "round__plan__code",
                                   "-round__purpose", "department__name", "pk")
    shown = Paginator(ordered, ROUNDS_PER_PAGE).get_page(page)
    shown.object_list = [
        SubmissionRow(submission, is_overdue(submission, submission.round.deadline, today))
        for submission in shown.object_list
    ]
    return shown


# The return page.


@dataclass(frozen=True)
class ShownNote:
    """An earlier comment of the office, with when and by whom."""

    comment: str
    label: str


@dataclass(frozen=True)
class ReturnKgi:
    """One KGI on the return page: what the department sent, and past comments."""

    year: IndicatorYear
    notes: list[ShownNote]

    @property
    def indicator(self) -> Indicator:
        return self.year.indicator

    @property
    def row(self) -> Actual | Outlook | None:
        """What the department sent: the year's actual, or its outlook."""
        return round_row(self.year)

    @property
    def value_label(self) -> str:
        return "（未入力）" if self.row is None else self.year.actual_label


def submission_kgis(*, submission: Submission) -> tuple[list[ReturnKgi], list[ShownNote]]:
    """Return the KGIs ``submission`` covers, and its earlier general comments.

    Each KGI carries the office's earlier comments on it. Four queries
    (five for a 見込み報告).
    """
    round_ = submission.round
    indicators = Indicator.objects.filter(
        plan_id=round_.plan_id, measure__departments=submission.department_id
    ).distinct().order_by(*DOCUMENT_ORDER)
    years = round_rows(round_, indicator_year_rows(
        indicators=indicators, fiscal_year=round_.fiscal_year,
        outlooks=round_.collects_outlook,
    ))
    notes: dict[int | None, list[ShownNote]] = {}
    for note in submission.return_notes.select_related("returned_by"):
        notes.setdefault(note.indicator_id, []).append(ShownNote(note.comment, note_label(note)))
    return ([ReturnKgi(year, notes.get(year.indicator.pk, [])) for year in years],
            notes.get(None, []))


def note_label(note: ReturnNote) -> str:
    """Return 「令和9年5月20日 10:00 伊勢 太郎」 for an earlier comment."""
    return f"{moment_text(note.returned_at)} {user_label(note.returned_by)}"


def comment_count(comments: Sequence[str]) -> int:
    """Count the comments that say something (as the return service keeps them)."""
    return sum(1 for text in comments if text and text.strip())
