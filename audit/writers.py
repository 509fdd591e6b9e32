"""Rows and their history written without a model save, and the reasons they carry.

django-simple-history records a change when a model is saved through the
ORM. Fixtures (``loaddata`` saves raw), the bulk imports and the confirm
step do not save that way, so they write the same history rows through
:func:`history_create`: the values, "+" or "~", who, when and why.

The actuals import copies its history rows in the database instead, for
speed: :func:`copy_to_history` (one ``INSERT … SELECT`` per batch). The
bulk writers update the rows themselves with :func:`update_in_bulk` (one
prepared ``UPDATE`` for every row) before they record the history.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.apps import apps
from django.db import connection

if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence
    from datetime import datetime

    from django.contrib.auth.models import AbstractBaseUser
    from django.db.models import Model, QuerySet

# Every audited model, by label: this app imports none of theirs.
AUDITED = (
    "plans.Department", "plans.Plan", "plans.BasicPolicy", "plans.Measure",
    "plans.Initiative", "indicators.Indicator", "indicators.Target", "indicators.Actual",
    "indicators.Outlook", "indicators.Continuation", "reporting.Round", "reporting.Submission",
    "editions.Edition", "editions.Publication",
)
FIXTURE_REASON = "同梱の計画書データから登録"
IMPORT_REASON = "ファイル取込"
# The longest reason an import writes: a file's name and a row's own reason
# (500 characters, the forms' limit) fit. The history's reason column is a
# text column (audit.fields), so no reason a form allows is ever refused.
REASON_MAX_LENGTH = 1000


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


def copy_to_history(
    rows: QuerySet[Any],
    *,
    history_type: str,
    user: AbstractBaseUser | None,
    reason: str,
    when: datetime,
) -> None:
    """Write the history rows of ``rows`` in the database: INSERT … SELECT.

    The rows simple-history's bulk_history_create() would write (the
    values, "+" or "~", who, when, why), copied from the stored rows
    without bringing them into Python: for 10,000 actuals the bulk helper
    took longer than the rest of the import (docs/performance.md).
    ``rows`` may filter only on the table's own columns.
    """
    model = rows.model
    quote = connection.ops.quote_name
    columns = ", ".join(quote(f.column) for f in model._meta.concrete_fields)
    where, params = rows.query.get_compiler(connection=connection).compile(rows.query.where)
    recorded = ", ".join(
        quote(name) for name in
        ("history_date", "history_change_reason", "history_type", "history_user_id")
    )
    sql = (
        f"INSERT INTO {quote(model.history.model._meta.db_table)} ({columns}, {recorded}) "
        f"SELECT {columns}, %s, %s, %s, %s FROM {quote(model._meta.db_table)} WHERE {where}"
    )
    stamp = connection.ops.adapt_datetimefield_value(when)
    with connection.cursor() as cursor:
        cursor.execute(sql, [stamp, reason, history_type, getattr(user, "pk", None), *params])


def update_in_bulk(rows: Sequence[Model], fields: Sequence[str]) -> None:
    """Write ``fields`` of every row in ``rows`` (one model) with one prepared UPDATE.

    bulk_update() builds a CASE WHEN per row and field in Python: 20,000
    changed actuals took about a minute to confirm, and a department's
    page of 40 KGIs spent half its save there (docs/performance.md). One
    prepared statement, executemany(): psycopg sends the rows in a
    pipeline, SQLite runs them in its own loop. The caller has checked
    and locked the rows; nothing here runs their model's save().
    """
    if not rows:
        return
    meta = rows[0]._meta
    concrete = [meta.get_field(name) for name in fields]
    params = [
        [*(field.get_db_prep_value(getattr(row, field.attname), connection)
           for field in concrete), row.pk]
        for row in rows
    ]
    quote = connection.ops.quote_name
    assignments = ", ".join(f"{quote(field.column)} = %s" for field in concrete)
    sql = (
        f"UPDATE {quote(meta.db_table)} SET {assignments} "
        f"WHERE {quote(meta.pk.column)} = %s"
    )
    with connection.cursor() as cursor:
        cursor.executemany(sql, params)
