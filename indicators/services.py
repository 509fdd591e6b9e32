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

from audit.writers import history_create
from indicators.models import Actual

if TYPE_CHECKING:
    from collections.abc import Iterable
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
CONFIRM_FIELDS = ("confirmed", "confirmed_at", "confirmed_by")


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


def actuals_confirm(
    *, actuals: Iterable[Actual], user: AbstractBaseUser, now: datetime | None = None
) -> ConfirmOutcome:
    """Confirm (確定) those of ``actuals`` still 入力中.

    Three queries whatever the number of rows: the update and the history
    rows, written in bulk with the reason 「確定」 and the user.
    """
    now = now or timezone.now()
    rows = list(actuals)
    changed = [actual for actual in rows if not actual.confirmed]
    unchanged = [actual for actual in rows if actual.confirmed]
    for actual in changed:
        actual.confirmed = True
        actual.confirmed_at = now
        actual.confirmed_by = user
    write_confirmation(changed, user=user, reason=CONFIRM_REASON)
    return ConfirmOutcome(changed=changed, unchanged=unchanged)


def actuals_reopen(
    *, actuals: Iterable[Actual], user: AbstractBaseUser, reason: str
) -> ConfirmOutcome:
    """Reopen (確定取消) those of ``actuals`` confirmed; they are 入力中 again.

    The reason is required (ValueError without one) and recorded in the
    history as 「確定取消：<reason>」.
    """
    message = reason_error(reason, what="確定を取り消す理由")
    if message:
        raise ValueError(message)
    rows = list(actuals)
    changed = [actual for actual in rows if actual.confirmed]
    unchanged = [actual for actual in rows if not actual.confirmed]
    for actual in changed:
        actual.confirmed = False
        actual.confirmed_at = None
        actual.confirmed_by = None
    write_confirmation(changed, user=user, reason=reopen_history_reason(reason.strip()))
    return ConfirmOutcome(changed=changed, unchanged=unchanged)


def write_confirmation(actuals: list[Actual], *, user: AbstractBaseUser, reason: str) -> None:
    """Save the confirm fields of ``actuals`` and their history, or nothing.

    ``updated_at`` is left alone: confirming does not change the figure.
    """
    if not actuals:
        return
    with transaction.atomic():
        Actual.objects.bulk_update(actuals, CONFIRM_FIELDS, batch_size=1000)
        history_create(actuals, model=Actual, reason=reason, user=user, update=True)
