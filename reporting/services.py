"""The reporting round's state machine: every change to a round goes through here.

The rules, in Japanese, are docs/reporting-round.md; this module is them
in code. The department page, the office's board and the reminder job
call these functions, and nothing else writes a round, a submission or
their mail. Each function runs in one transaction: the rows are locked,
checked against the versions the page showed, changed, recorded in the
audit trail, and the e-mail the change causes is recorded beside it
(:mod:`reporting.mail`), or nothing at all happens.

A submission (one department's answer to a round) moves so::

    未着手 ──保存──▶ 入力中 ──提出──▶ 提出済 ──確定──▶ 確定
                        ▲                 │
                        └──保存── 差戻し ◀─┘ 差戻し（DX推進担当）
                                   │
                                   └──提出──▶ 提出済

Only 未着手, 入力中 and 差戻し accept the department's values; only the
office returns, confirms, extends and closes. A closed round (締切済)
accepts no write at all.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from django.db import transaction
from django.utils import timezone

from accounts.roles import Role, scope_of
from audit.versions import StaleChange, stale_rows, stale_text
from audit.writers import history_create, update_in_bulk
from indicators.models import Actual, ActualState, Indicator, Outlook
from indicators.services import LOCKED_MESSAGE, StaleActuals, actuals_confirm
from ise_iga_dx.lib import wareki
from reporting import mail
from reporting.models import Purpose, ReturnNote, Round, RoundStatus, Submission, SubmissionStatus

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping, Sequence
    from datetime import date, datetime
    from decimal import Decimal

    from django.contrib.auth.models import AbstractBaseUser

    from plans.models import Department, Plan

NOT_ASKED = "この提出の対象ではない指標が含まれています。ページを開き直してください。"
RETURN_MAX_LENGTH = 500

# Which states accept which action (the table of docs/reporting-round.md).
EDITABLE = frozenset(
    {SubmissionStatus.NOT_STARTED, SubmissionStatus.IN_PROGRESS, SubmissionStatus.RETURNED}
)
SUBMITTABLE = EDITABLE
RETURNABLE = frozenset({SubmissionStatus.SUBMITTED})
CONFIRMABLE = frozenset({SubmissionStatus.SUBMITTED})

# The reasons the audit trail records.
OPEN_REASON = "実績報告の開始"
SAVE_REASON = "実績報告：所管課の入力"
SHEET_REASON = "実績報告：所管課の入力（ファイル取込）"
SUBMIT_REASON = "実績報告：提出"
RETURN_REASON = "実績報告：差戻し"
CONFIRM_REASON = "実績報告：確定"
EXTEND_REASON = "実績報告：期限の延長"
CLOSE_REASON = "実績報告：締切"
# The fields a department's save writes, on an actual or an outlook.
WRITTEN_FIELDS = ("state", "value", "value_places", "not_measured_reason", "progress",
                  "analysis", "direction", "updated_at", "version")


class RoundRefused(Exception):
    """The action is not possible now; ``str(error)`` says why, in Japanese."""


class StaleRound(RoundRefused):
    """A row changed since the page was shown; nothing was written."""

    def __init__(self, found: list[StaleChange]) -> None:
        super().__init__(stale_text(found))
        self.found = found


@dataclass(frozen=True)
class Entry:
    """One KGI's answer as the department page parsed it.

    ``state`` is None when the value was left blank (the KGI stays
    unanswered; its comments are still kept). ``seen`` is the version of
    the stored actual the page showed, None when it showed none.
    """

    indicator_id: int
    state: ActualState | None
    value: Decimal | None = None
    places: int = 0
    not_measured_reason: str = ""
    progress: str = ""
    analysis: str = ""
    direction: str = ""
    seen: int | None = None


@dataclass
class SaveOutcome:
    created: list[Actual | Outlook] = field(default_factory=list)
    updated: list[Actual | Outlook] = field(default_factory=list)
    unchanged: int = 0


def closed_message(round_: Round) -> str:
    """Say that a round no longer accepts writes, and whom to ask."""
    when = ""
    if round_.closed_at:
        when = f"（{wareki.date_text(timezone.localtime(round_.closed_at).date())}）"
    office = round_.plan.secretariat or "DX推進本部事務局"
    return (
        f"{round_.title}は締め切られました{when}。変更が必要な場合は、"
        f"{round_.plan.municipality.name}の DX推進担当（{office}）にお問い合わせください。"
    )


def state_message(submission: Submission, action: str) -> str:
    """Say why ``action`` is not possible in the submission's state."""
    state = submission.get_status_display()
    if action == "edit":
        if submission.status == SubmissionStatus.SUBMITTED:
            return (
                "提出済みのため変更できません。変更が必要な場合は DX推進担当に差戻しを"
                "依頼してください。"
            )
        return f"「{state}」の提出は変更できません。"
    words = {"submit": "提出", "return": "差戻し", "confirm": "確定"}
    return f"「{state}」の提出は{words[action]}できません。"


def result_model(round_: Round) -> type[Actual] | type[Outlook]:
    """Where a round's values live: the year's actuals, or its outlooks (見込み)."""
    return Outlook if round_.collects_outlook else Actual


def result_label(round_: Round, code: str) -> str:
    """Return 「ISE2-01 令和8年度（2026）の実績値」 (or …の見込み値) for a message."""
    return f"{code} {wareki.fiscal_year_label(round_.fiscal_year)}の{round_.value_word}"


def save_recorded(obj: Round | Submission, *, reason: str, user: AbstractBaseUser) -> None:
    """Save ``obj`` (compare-and-set on its version); its history names ``user`` and ``reason``."""
    obj._change_reason = reason
    obj._history_user = user
    obj.save()


def move(
    submission: Submission, status: SubmissionStatus, *, user: AbstractBaseUser,
    now: datetime, reason: str,
) -> None:
    """Put ``submission`` in ``status`` as changed by ``user`` now, and save it with ``reason``."""
    submission.status = status
    submission.changed_at = now
    submission.changed_by = user
    save_recorded(submission, reason=reason, user=user)


# Reading what a round asks for.


def round_indicators(round_: Round, department: Department | None = None) -> list[Indicator]:
    """Return the KGIs the round asks ``department`` for (all owned KGIs without one)."""
    queryset = Indicator.objects.filter(plan_id=round_.plan_id)
    if department is not None:
        queryset = queryset.filter(measure__departments=department)
    else:
        queryset = queryset.filter(measure__departments__isnull=False)
    return list(queryset.select_related("plan").distinct().order_by("position"))


def owning_departments(plan: Plan) -> list[Department]:
    """Return the departments that own a measure with a KGI of ``plan``."""
    from plans.models import Department

    return list(
        Department.objects.filter(
            municipality_id=plan.municipality_id, measures__indicators__plan=plan
        ).distinct().order_by("division", "name")
    )


# Opening, extending and closing a round (the office).


def round_open(
    *, plan: Plan, fiscal_year: int, deadline: date, user: AbstractBaseUser,
    purpose: Purpose = Purpose.ACTUAL, now: datetime | None = None,
) -> Round:
    """Open 「<year> 実績報告」 (or 見込み報告) for ``plan``: one submission per owning department.

    Each department's users get an e-mail with a link. Refused for a year
    outside the plan, a deadline in the past, a plan whose measures no
    department owns, or a year that already has a round.
    """
    now = now or timezone.now()
    if fiscal_year not in plan.fiscal_years:
        raise RoundRefused(
            f"{wareki.fiscal_year_label(fiscal_year)}は{plan.name}の計画期間"
            f"（{wareki.fiscal_year_label(plan.start_year)}～"
            f"{wareki.fiscal_year_label(plan.end_year)}）の外です。"
        )
    if deadline < timezone.localtime(now).date():
        raise RoundRefused(
            f"提出期限（{wareki.date_text(deadline)}）が過去の日付です。今日以降の日付を入力してください。"
        )
    with transaction.atomic():
        round_ = Round(
            plan=plan, fiscal_year=fiscal_year, purpose=purpose, deadline=deadline,
            opened_at=now, opened_by=user,
        )
        if Round.objects.filter(plan=plan, fiscal_year=fiscal_year, purpose=purpose).exists():
            raise RoundRefused(f"{plan.name}の{round_.title}はすでにあります。")
        departments = owning_departments(plan)
        if not departments:
            raise RoundRefused(
                "この計画の施策にはまだ所管課が設定されていません。管理画面の「施策」で"
                "所管課を設定してから開始してください。"
            )
        save_recorded(round_, reason=OPEN_REASON, user=user)
        submissions = Submission.objects.bulk_create(
            Submission(round=round_, department=department, changed_at=now, changed_by=user)
            for department in departments
        )
        history_create(submissions, model=Submission, reason=OPEN_REASON, user=user)
        mail.round_opened(round_, submissions, now=now)
    return round_


def round_extend(
    *, round_: Round, deadline: date, user: AbstractBaseUser, seen: int,
    now: datetime | None = None,
) -> Round:
    """Move the round's deadline; departments that have not submitted are told."""
    now = now or timezone.now()
    with transaction.atomic():
        current = locked_round(round_, seen)
        if not current.is_open:
            raise RoundRefused(closed_message(current))
        if deadline < timezone.localtime(now).date():
            raise RoundRefused(
                f"新しい提出期限（{wareki.date_text(deadline)}）が過去の日付です。"
                "今日以降の日付を入力してください。"
            )
        if deadline == current.deadline:
            raise RoundRefused("提出期限が今と同じです。新しい日付を入力してください。")
        previous = current.deadline
        current.deadline = deadline
        save_recorded(
            current, user=user,
            reason=f"{EXTEND_REASON}（{wareki.date_text(previous)}→{wareki.date_text(deadline)}）",
        )
        mail.deadline_changed(current, now=now)
    return current


def round_close(
    *, round_: Round, user: AbstractBaseUser, seen: int, now: datetime | None = None
) -> Round:
    """Close the round (締切): no department or office write is accepted after."""
    now = now or timezone.now()
    with transaction.atomic():
        current = locked_round(round_, seen)
        if not current.is_open:
            raise RoundRefused(closed_message(current))
        current.status = RoundStatus.CLOSED
        current.closed_at = now
        current.closed_by = user
        save_recorded(current, reason=CLOSE_REASON, user=user)
    return current


# The department's entries and submission.


def entries_save(
    *, submission: Submission, entries: Sequence[Entry], user: AbstractBaseUser,
    seen: int, now: datetime | None = None,
) -> SaveOutcome:
    """Save the department's values and comments (下書き保存), or nothing.

    ``entries`` must be KGIs the round asks the department for. A value
    left blank with no comments writes nothing for that KGI. Refused when
    the round is closed, the submission is submitted or confirmed, an
    actual is confirmed, or anything changed since the page was shown.
    A constant number of queries whatever the number of KGIs.
    """
    now = now or timezone.now()
    with transaction.atomic():
        current = locked_submission(submission, seen)
        round_ = current.round
        if not round_.is_open:
            raise RoundRefused(closed_message(round_))
        if current.status not in EDITABLE:
            raise RoundRefused(state_message(current, "edit"))
        asked = {indicator.pk: indicator for indicator in round_indicators(round_,
                                                                           current.department)}
        outsiders = [entry.indicator_id for entry in entries if entry.indicator_id not in asked]
        if outsiders:
            raise RoundRefused(NOT_ASKED)
        stored = locked_actuals(round_, [entry.indicator_id for entry in entries], entries, asked)
        outcome = SaveOutcome()
        for entry in entries:
            actual = stored.get(entry.indicator_id)
            wanted = entry_fields(entry)
            if actual is None:
                if entry.state is None and not any(
                    (entry.progress, entry.analysis, entry.direction)
                ):
                    continue
                if entry.state is None:
                    # Comments need a row to live in: refused, never dropped.
                    raise RoundRefused(
                        f"{asked[entry.indicator_id].code}：取組状況などを保存するには、"
                        f"{round_.value_word}（計測しない場合は「評価対象外」と理由）も"
                        "入力してください。"
                    )
                outcome.created.append(result_model(round_)(
                    indicator=asked[entry.indicator_id], fiscal_year=round_.fiscal_year,
                    **wanted,
                ))
                continue
            if entry.state is None:
                # Blank on the page: the stored value stays (a department
                # cannot clear a value; the office can, in the admin).
                wanted = {key: wanted[key] for key in ("progress", "analysis", "direction")}
            if all(getattr(actual, key) == value for key, value in wanted.items()):
                outcome.unchanged += 1
                continue
            if actual.confirmed:
                raise RoundRefused(
                    f"{result_label(round_, asked[entry.indicator_id].code)}：{LOCKED_MESSAGE}"
                )
            for key, value in wanted.items():
                setattr(actual, key, value)
            actual.updated_at = now
            actual.version += 1
            outcome.updated.append(actual)
        write_results(result_model(round_), outcome, user=user)
        if outcome.created or outcome.updated:
            status = (SubmissionStatus.IN_PROGRESS
                      if current.status == SubmissionStatus.NOT_STARTED else current.status)
            move(current, status, user=user, now=now, reason=SAVE_REASON)
    return outcome


def entry_fields(entry: Entry) -> dict[str, object]:
    """The actual's fields as ``entry`` sets them."""
    fields: dict[str, object] = {
        "progress": entry.progress.strip(),
        "analysis": entry.analysis.strip(),
        "direction": entry.direction.strip(),
    }
    if entry.state is not None:
        fields.update(
            state=entry.state.value,
            value=entry.value,
            value_places=entry.places if entry.value is not None else 0,
            not_measured_reason=(
                entry.not_measured_reason.strip()
                if entry.state == ActualState.NOT_MEASURED else ""
            ),
        )
    return fields


def locked_actuals(
    round_: Round, indicator_ids: Iterable[int], entries: Sequence[Entry],
    asked: Mapping[int, Indicator],
) -> dict[int, Actual | Outlook]:
    """Lock the stored values of the round's year; refuse any that moved since shown."""
    model = result_model(round_)
    stored = {
        row.indicator_id: row
        for row in model.objects.select_for_update().filter(
            indicator_id__in=list(indicator_ids), fiscal_year=round_.fiscal_year
        )
    }
    for row in stored.values():
        # The KGI already read (with its plan): full_clean() reads both,
        # which was two queries per changed row.
        row.indicator = asked[row.indicator_id]
    # A row added by someone else after the page was shown counts as moved.
    seen = {
        stored[entry.indicator_id].pk: entry.seen or 0
        for entry in entries if entry.indicator_id in stored
    }
    codes = {row.pk: asked[row.indicator_id].code for row in stored.values()}
    found = stale_rows(model, seen, labels=lambda pk: result_label(round_, codes[pk]))
    gone = [entry for entry in entries
            if entry.seen is not None and entry.indicator_id not in stored]
    for entry in gone:
        found.append(StaleChange(
            label=result_label(round_, asked[entry.indicator_id].code), deleted=True,
        ))
    if found:
        raise StaleRound(found)
    return stored


def write_results(
    model: type[Actual] | type[Outlook], outcome: SaveOutcome, *, user: AbstractBaseUser
) -> None:
    """Write the created and changed rows and their history, in bulk."""
    if outcome.created:
        for row in outcome.created:
            row.full_clean(exclude=["indicator"], validate_unique=False,
                           validate_constraints=False)
        outcome.created = model.objects.bulk_create(outcome.created, batch_size=500)
        history_create(outcome.created, model=model, reason=SAVE_REASON, user=user)
    if outcome.updated:
        for row in outcome.updated:
            row.full_clean(exclude=["indicator"], validate_unique=False,
                           validate_constraints=False)
        update_in_bulk(outcome.updated, WRITTEN_FIELDS)
        history_create(outcome.updated, model=model, reason=SAVE_REASON, user=user,
                       update=True)


def missing_indicators(submission: Submission) -> list[Indicator]:
    """Return the KGIs of ``submission`` with no value (actual or outlook) for the year yet."""
    round_ = submission.round
    indicators = round_indicators(round_, submission.department)
    answered = set(
        result_model(round_).objects.filter(
            indicator__in=indicators, fiscal_year=round_.fiscal_year
        ).values_list("indicator_id", flat=True)
    )
    return [indicator for indicator in indicators if indicator.pk not in answered]


def submission_submit(
    *, submission: Submission, user: AbstractBaseUser, seen: int,
    now: datetime | None = None,
) -> Submission:
    """Submit (提出) the department's answer; the office is told.

    Every KGI asked must have a value (or 評価対象外 with a reason, or
    完了/未完了); the refusal names those that do not.
    """
    now = now or timezone.now()
    with transaction.atomic():
        current = locked_submission(submission, seen)
        round_ = current.round
        if not round_.is_open:
            raise RoundRefused(closed_message(round_))
        if current.status not in SUBMITTABLE:
            raise RoundRefused(state_message(current, "submit"))
        missing = missing_indicators(current)
        if missing:
            names = "、".join(indicator.code for indicator in missing[:10])
            more = f" ほか{len(missing) - 10}件" if len(missing) > 10 else ""
            raise RoundRefused(
                f"{round_.value_word}が未入力の指標があるため提出できません：{names}{more}。"
                f"{round_.value_word}（計測しない場合は「評価対象外」と理由）を入力してから"
                "提出してください。"
            )
        current.submitted_at = now
        current.submitted_by = user
        move(current, SubmissionStatus.SUBMITTED, user=user, now=now, reason=SUBMIT_REASON)
        mail.submitted(current, now=now)
    return current


# The office's answer: return or confirm.


def submission_return(
    *, submission: Submission, comments: Mapping[int | None, str], user: AbstractBaseUser,
    seen: int, now: datetime | None = None,
) -> Submission:
    """Return (差戻し) a submitted answer with a comment per KGI; the department is told.

    ``comments`` maps a KGI's id (None: the submission as a whole) to the
    office's comment; at least one is required, each at most 500 characters.
    """
    now = now or timezone.now()
    notes = {key: text.strip() for key, text in comments.items() if text and text.strip()}
    if not notes:
        raise RoundRefused("差し戻す理由を、少なくとも1つの指標に入力してください。")
    long = [key for key, text in notes.items() if len(text) > RETURN_MAX_LENGTH]
    if long:
        raise RoundRefused(f"差戻しの理由は{RETURN_MAX_LENGTH}文字以内で入力してください。")
    with transaction.atomic():
        current = locked_submission(submission, seen)
        round_ = current.round
        if not round_.is_open:
            raise RoundRefused(closed_message(round_))
        if current.status not in RETURNABLE:
            raise RoundRefused(state_message(current, "return"))
        asked = {indicator.pk for indicator in round_indicators(round_, current.department)}
        if any(key is not None and key not in asked for key in notes):
            raise RoundRefused(NOT_ASKED)
        ReturnNote.objects.bulk_create(
            ReturnNote(submission=current, indicator_id=key, comment=text, returned_at=now,
                       returned_by=user)
            for key, text in notes.items()
        )
        move(current, SubmissionStatus.RETURNED, user=user, now=now, reason=RETURN_REASON)
        mail.returned(current, count=len(notes), now=now)
    return current


def submission_confirm(
    *, submission: Submission, user: AbstractBaseUser, seen: int,
    seen_actuals: Mapping[int, int] | None = None, now: datetime | None = None,
) -> Submission:
    """Confirm (確定) a submitted answer: its values are locked as by the confirm step.

    ``seen_actuals`` maps each row's id (actual or outlook) to the version
    the board showed; a row that moved since refuses the whole confirmation.
    """
    now = now or timezone.now()
    with transaction.atomic():
        current = locked_submission(submission, seen)
        round_ = current.round
        if not round_.is_open:
            raise RoundRefused(closed_message(round_))
        if current.status not in CONFIRMABLE:
            raise RoundRefused(state_message(current, "confirm"))
        indicators = round_indicators(round_, current.department)
        rows = list(result_model(round_).objects.select_related("indicator").filter(
            indicator__in=indicators, fiscal_year=round_.fiscal_year
        ))
        if seen_actuals is not None:
            # A row of another submission is refused (not a KeyError naming
            # it, a 500); one the page did not show counts as moved.
            shown = {row.pk for row in rows}
            if set(seen_actuals) - shown:
                raise RoundRefused(NOT_ASKED)
            seen_actuals = {pk: seen_actuals.get(pk, 0) for pk in shown}
        if round_.collects_outlook:
            outlooks_confirm(round_, rows, user=user, seen=seen_actuals, now=now)
        else:
            try:
                actuals_confirm(actuals=rows, user=user, seen=seen_actuals, now=now)
            except StaleActuals as error:
                raise StaleRound(error.found) from error
        move(current, SubmissionStatus.CONFIRMED, user=user, now=now, reason=CONFIRM_REASON)
    return current


def outlooks_confirm(
    round_: Round, outlooks: list[Outlook], *, user: AbstractBaseUser,
    seen: Mapping[int, int] | None, now: datetime,
) -> None:
    """Confirm outlooks as the confirm step does actuals: locked, checked, recorded."""
    seen = seen if seen is not None else {row.pk: row.version for row in outlooks}
    codes = {row.pk: row.indicator.code for row in outlooks}
    found = stale_rows(Outlook, seen, labels=lambda pk: result_label(round_, codes.get(pk, "")))
    if found:
        raise StaleRound(found)
    changed = [row for row in outlooks if not row.confirmed]
    for row in changed:
        row.confirmed, row.confirmed_at, row.confirmed_by = True, now, user
        row.version += 1
    Outlook.objects.bulk_update(changed, ["confirmed", "confirmed_at", "confirmed_by",
                                          "version"], batch_size=500)
    history_create(changed, model=Outlook, reason=CONFIRM_REASON, user=user, update=True)


# An entry by the department's sheet (the actuals import).

def submissions_sheet_entered(
    user: AbstractBaseUser | None, keys: frozenset[tuple[int, int]]
) -> None:
    """Move the user's 未着手 submissions whose KGIs an import just wrote to 入力中.

    Called by the actuals import inside its transaction (indicators.entry_locks),
    so the board and the reminders see the entry sheet as they see the page.
    Only a 所管課 login's own departments, only open 実績報告 rounds of those
    years. Two queries and the writes, whatever the number of keys.
    """
    if user is None:  # a command's import, as the server: no department's entry
        return
    scope = scope_of(user)
    if scope.role is not Role.DEPARTMENT or scope.municipality_id is None:
        return
    indicator_ids = {indicator_id for indicator_id, _year in keys}
    # A department owning several of the KGIs joins once per KGI: by id, once.
    found = {
        submission.pk: submission
        for submission in Submission.objects.select_for_update(of=("self",)).filter(
            status=SubmissionStatus.NOT_STARTED,
            round__status=RoundStatus.OPEN, round__purpose=Purpose.ACTUAL,
            round__fiscal_year__in={year for _indicator_id, year in keys},
            department_id__in=scope.department_ids,
            department__measures__indicators__in=indicator_ids,
        ).select_related("round")
    }
    submissions = [found[pk] for pk in sorted(found)]
    if not submissions:
        return
    now = timezone.now()
    for submission in submissions:
        submission.status = SubmissionStatus.IN_PROGRESS
        submission.changed_at = now
        submission.changed_by = user
        submission.version += 1
    Submission.objects.bulk_update(
        submissions, ["status", "changed_at", "changed_by", "version"], batch_size=500
    )
    history_create(submissions, model=Submission, reason=SHEET_REASON, user=user, update=True)


# Locks.


def locked_round(round_: Round, seen: int) -> Round:
    found = stale_rows(Round, {round_.pk: seen}, labels=lambda _pk: f"「{round_.title}」")
    if found:
        raise StaleRound(found)
    return Round.objects.select_related("plan__municipality").get(pk=round_.pk)


def locked_submission(submission: Submission, seen: int) -> Submission:
    """Lock the submission (and read its round); refuse it if it moved since shown."""
    found = stale_rows(
        Submission, {submission.pk: seen},
        labels=lambda _pk: f"{submission.department}の提出",
    )
    if found:
        raise StaleRound(found)
    return Submission.objects.select_related(
        "round__plan__municipality", "department"
    ).get(pk=submission.pk)
