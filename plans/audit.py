"""The audit trail's edges: rows written without a model save.

django-simple-history records a change when a model is saved through the
ORM. Fixtures (``loaddata`` saves raw) and the bulk import paths do not, so
they call these helpers to write the same history rows themselves.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.apps import apps

if TYPE_CHECKING:
    from collections.abc import Iterable

    from django.contrib.auth.models import AbstractBaseUser
    from django.db.models import Model

AUDITED = (
    "plans.Department", "plans.Plan", "plans.BasicPolicy", "plans.Measure",
    "plans.Initiative", "indicators.Indicator", "indicators.Target", "indicators.Actual",
)
FIXTURE_REASON = "同梱の計画書データから登録"


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
        objs = list(missing)
        if objs:
            written += len(history_create(objs, model=model, reason=reason))
    return written


def history_create(
    objs: Iterable[Model], *, model: type[Model], reason: str,
    user: AbstractBaseUser | None = None, update: bool = False,
) -> list[Model]:
    """Write one history row per object, as a save would have ("+" or "~")."""
    return model.history.bulk_history_create(
        list(objs), update=update, default_user=user, default_change_reason=reason,
        batch_size=1000,
    )
