"""Writes that take more than one step: target revisions and the confirm step.

A target revision (上方修正 etc.) keeps the plan's first target beside the
one in force, with the reason and the date it was decided; evaluation
always uses the target in force (``Target.value``). An actual is 入力中
until the DX office confirms it (確定); a confirmed actual is locked until
it is reopened with a reason. The reasons go into the audit trail
(django-simple-history's change reason), so the history says why.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.db import transaction
from django.utils import timezone

from audit.versions import StaleChange, stale_rows, stale_text
from audit.writers import history_create, update_in_bulk
from indicators.models import Actual
from ise_iga_dx.lib import wareki

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping
    from datetime import date, datetime
    from decimal import Decimal

    from django.contrib.auth.models import AbstractBaseUser

    from indicators.models import Target

REASON_MAX_LENGTH = 500
CONFIRM_REASON = "確定"
LOCKED_MESSAGE = (
    "確定済みのため変更できません。変更するには DX推進担当が確定を取り消してください。"
)
LOCKED_DELETE_MESSAGE = (
    "確定済みのため削除できません。削除するには DX推進担当が確定を取り消してください。"
)
# What an evaluation reads from a KGI's definition: none may change while
# an actual of the plan period is confirmed (docs/achievement-rules.md).
LOCKED_DEFINITION_FIELDS = ("kind", "unit", "baseline", "accumulation")
CONFIRM_FIELDS = ("confirmed", "confirmed_at", "confirmed_by", "version")


def years_text(years: Iterable[int]) -> str:
    return "、".join(wareki.fiscal_year_label(year) for year in years)


def definition_locked_message(labels: Iterable[str], years: Iterable[int]) -> str:
    """Say why a KGI's kind, unit, baseline or accumulation may not change now."""
    return (
        f"{'・'.join(labels)}は、確定済みの実績値（{years_text(years)}）の評価を変えるため"
        "変更できません。変更するには DX推進担当がそれらの確定を取り消してください。"
    )


def target_locked_message(year: int) -> str:
    """Say why the target of a year whose actual is confirmed may not change."""
    return (
        f"{wareki.fiscal_year_label(year)}の実績値が確定済みのため、この年度の目標値は"
        "変更・削除できません。変更するには DX推進担当が確定を取り消してください。"
    )


def revision_history_reason(reason: str) -> str:
    return f"目標値の変更：{reason}"


def reopen_history_reason(reason: str) -> str:
    return f"確定取消：{reason}"


def reason_error(reason: str, *, what: str) -> str:
    """Return why ``reason`` cannot be recorded ("" when it can)."""
    if not reason.strip():
        return f"{what}を入力してください。"
    if len(reason) > REASON_MAX_LENGTH:
        return f"{what}は{REASON_MAX_LENGTH}文字以内で入力してください（{len(reason)}文字）。"
    return ""


def revision_errors(
    *, reason: str, decided_on: date | None, today: date | None = None
) -> dict[str, str]:
    """Return what keeps a target change from being recorded, by field.

    Keys are ``reason`` and ``decided_on``. The admin form and the targets
    import both ask here, so both refuse with the same words.
    """
    errors: dict[str, str] = {}
    message = reason_error(reason, what="目標値を変更するときは変更理由")
    if message:
        errors["reason"] = message
    if decided_on is None:
        errors["decided_on"] = "目標値を変更するときは決定日を入力してください。"
    elif decided_on > (today or timezone.localdate()):
        errors["decided_on"] = (
            f"決定日（{decided_on:%Y-%m-%d}）が未来の日付です。決定した日を入力してください。"
        )
    return errors


def target_record_revision(
    target: Target,
    *,
    previous_value: Decimal | None,
    previous_places: int,
    reason: str,
    decided_on: date,
) -> None:
    """Mark ``target``, whose value was just changed, as revised.

    The first revision keeps the value it replaces as the original
    (当初目標値); later ones keep that first original. The caller saves,
    and gives the history its reason (:func:`revision_history_reason` for
    an edit; an import records its file name).
    """
    if target.revised_on is None:
        target.original_value = previous_value
        target.original_value_places = previous_places
    target.revision_reason = reason.strip()
    target.revised_on = decided_on


@dataclass(frozen=True)
class ConfirmOutcome:
    """What a confirm or reopen did: rows changed, rows left as they were."""

    changed: list[Actual]
    unchanged: list[Actual]


class StaleActuals(Exception):
    """Rows changed since the page that confirms or reopens them was shown."""

    def __init__(self, found: list[StaleChange]) -> None:
        super().__init__(stale_text(found))
        self.found = found


def actuals_confirm(
    *,
    actuals: Iterable[Actual],
    user: AbstractBaseUser,
    seen: Mapping[int, int] | None = None,
    now: datetime | None = None,
) -> ConfirmOutcome:
    """Confirm (確定) those of ``actuals`` still 入力中, as the page showed them.

    ``seen`` maps each actual's id to the version the page showed (by
    default the versions of ``actuals`` as given). The rows are locked and
    read again first: if any moved since, StaleActuals is raised and
    nothing is written, so what is confirmed is what the user saw. Then
    the update and the history rows, in bulk, with the reason 「確定」.
    """
    now = now or timezone.now()
    with transaction.atomic():
        rows = locked_current(actuals, seen)
        changed = [actual for actual in rows if not actual.confirmed]
        unchanged = [actual for actual in rows if actual.confirmed]
        for actual in changed:
            actual.confirmed = True
            actual.confirmed_at = now
            actual.confirmed_by = user
        write_confirmation(changed, user=user, reason=CONFIRM_REASON)
    return ConfirmOutcome(changed=changed, unchanged=unchanged)


def actuals_reopen(
    *,
    actuals: Iterable[Actual],
    user: AbstractBaseUser,
    reason: str,
    seen: Mapping[int, int] | None = None,
) -> ConfirmOutcome:
    """Reopen (確定取消) those of ``actuals`` confirmed; they are 入力中 again.

    The reason is required (ValueError without one) and recorded in the
    history as 「確定取消：<reason>」. Rows changed since the page was shown
    are refused as in :func:`actuals_confirm`.
    """
    message = reason_error(reason, what="確定を取り消す理由")
    if message:
        raise ValueError(message)
    with transaction.atomic():
        rows = locked_current(actuals, seen)
        changed = [actual for actual in rows if actual.confirmed]
        unchanged = [actual for actual in rows if not actual.confirmed]
        for actual in changed:
            actual.confirmed = False
            actual.confirmed_at = None
            actual.confirmed_by = None
        write_confirmation(changed, user=user, reason=reopen_history_reason(reason.strip()))
    return ConfirmOutcome(changed=changed, unchanged=unchanged)


def locked_current(actuals: Iterable[Actual], seen: Mapping[int, int] | None) -> list[Actual]:
    """Lock ``actuals`` and return them as stored now, in the order given.

    Raise StaleActuals when a row's version differs from ``seen`` (by
    default, the version of the object given) or the row is gone.
    """
    given = list(actuals)
    if seen is None:
        seen = {actual.pk: actual.version for actual in given}
    by_pk = {actual.pk: actual for actual in given}
    found = stale_rows(Actual, seen, labels=lambda pk: row_label(by_pk[pk]))
    if found:
        raise StaleActuals(found)
    current = Actual.objects.select_related("indicator__plan", "confirmed_by").in_bulk(
        [actual.pk for actual in given]
    )
    return [current[actual.pk] for actual in given]


def row_label(actual: Actual) -> str:
    """Return 「ISE2-01 令和8年度（2026）の実績値」 for a message."""
    return f"{actual.indicator.code} {wareki.fiscal_year_label(actual.fiscal_year)}の実績値"


def write_confirmation(actuals: list[Actual], *, user: AbstractBaseUser, reason: str) -> None:
    """Save the confirm fields of ``actuals`` and their history, or nothing.

    The caller holds the transaction and the rows' locks
    (:func:`locked_current`); each row's
    version goes up by one. ``updated_at`` is left alone: confirming does
    not change the figure.
    """
    if not actuals:
        return
    for actual in actuals:
        actual.version += 1
    update_in_bulk(actuals, CONFIRM_FIELDS)
    history_create(actuals, model=Actual, reason=reason, user=user, update=True)
