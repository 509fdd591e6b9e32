"""History rows written without a model save, and the reasons they carry.

django-simple-history records a change when a model is saved through the
ORM. Fixtures (``loaddata`` saves raw), the bulk imports and the confirm
step do not save that way, so they write the same history rows through
:func:`history_create`: the values, "+" or "~", who, when and why.

(The actuals import copies its history rows in the database instead, for
speed: ``indicators.imports.copy_to_history``.)
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.apps import apps

if TYPE_CHECKING:
    from collections.abc import Iterable
    from datetime import datetime

    from django.contrib.auth.models import AbstractBaseUser
    from django.db.models import Model

# Every audited model, by label: this app imports none of theirs.
AUDITED = (
    "plans.Department", "plans.Plan", "plans.BasicPolicy", "plans.Measure",
    "plans.Initiative", "indicators.Indicator", "indicators.Target", "indicators.Actual",
)
FIXTURE_REASON = "同梱の計画書データから登録"
IMPORT_REASON = "ファイル取込"
# The history's reason column (history_change_reason): simple-history's
# CharField(max_length=100) on every audited model (a test checks them all).
REASON_MAX_LENGTH = 100


def import_reason(filename: str, *, detail: str = "") -> str:
    """Return the change reason of an import: 「ファイル取込：部署回答.xlsx」.

    ``detail`` is a row's own reason (「目標値の変更：…」), kept after the
    file's name. Clipped to the history's reason column, so that a long
    file name never refuses an import.
    """
    reason = f"{IMPORT_REASON}：{filename}" if filename else IMPORT_REASON
    if detail:
        reason = f"{reason}／{detail}"
    if len(reason) <= REASON_MAX_LENGTH:
        return reason
    return reason[: REASON_MAX_LENGTH - 1] + "…"


def history_create(
    objs: Iterable[Model],
    *,
    model: type[Model],
    reason: str,
    user: AbstractBaseUser | None = None,
    update: bool = False,
    when: datetime | None = None,
) -> list[Model]:
    """Write one history row per object, as a save would have; return them.

    ``update`` says the rows were changed ("~") rather than created ("+").
    Every row gets the same user and reason, and ``when`` (one time for a
    whole import) if given, else the time of writing. A row's own
    ``_change_reason`` wins over ``reason``. Nothing to write, no query.
    """
    objs = list(objs)
    if not objs:
        return []
    written = model.history.bulk_history_create(
        objs, update=update, default_user=user, default_change_reason=reason,
        default_date=when, batch_size=1000,
    )
    # None when SIMPLE_HISTORY_ENABLED is off: nothing was written.
    return written or []


def record_initial_history(*, reason: str = FIXTURE_REASON) -> int:
    """Give every audited row that has no history a first (created) record.

    Run after loading fixtures, so the first edit of a document's value
    shows "old → new" like any later one. Returns how many were written.
    """
    written = 0
    for label in AUDITED:
        model = apps.get_model(label)
        history = model.history.model
        missing = model.objects.exclude(pk__in=history.objects.values("id"))
        written += len(history_create(missing, model=model, reason=reason))
    return written
