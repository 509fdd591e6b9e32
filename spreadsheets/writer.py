"""The one writer of imported actuals and targets, for the admin import and
``import_actuals`` alike: a checked preview is written in one transaction,
in bulk, with a history row for every row written (who, when, and
「ファイル取込：<file>」 as the reason), or nothing is."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from audit.versions import REENTER, stale_rows, stale_text
from audit.writers import copy_to_history, history_create, import_reason, update_in_bulk
from indicators import entry_locks
from indicators.models import Actual, Target
from spreadsheets.actuals import ActualImport, assign_actual
from spreadsheets.rows import (
    CLASHED,
    COLUMN_LABELS,
    MOVED_SINCE_PREVIEW,
    REFUSED,
    Action,
    ImportRefused,
    RowError,
    SheetImport,
)
from spreadsheets.targets import TargetImport, assign_target

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser


def insert_actuals(actuals: list[Actual], *, now: datetime) -> None:
    """Insert new actuals the fastest way each database offers.

    bulk_create() spends most of an import's time preparing every field of
    every row through its model field. These rows were checked already, so
    their values go to the driver as they are: PostgreSQL takes them by
    COPY, SQLite by executemany() of one prepared INSERT (measured in
    docs/performance.md; both drivers adapt Decimal). Every row gets
    ``now`` as its time stamps, by which :func:`record_actual_history`
    finds them again (neither way returns their ids).
    """
    fields = [f for f in Actual._meta.concrete_fields if not f.primary_key]
    stamp = now if connection.vendor == "postgresql" else (
        connection.ops.adapt_datetimefield_value(now)
    )
    rows = [
        [stamp if f.name in ("created_at", "updated_at") else getattr(actual, f.attname)
         for f in fields]
        for actual in actuals
    ]
    quote = connection.ops.quote_name
    table = quote(Actual._meta.db_table)
    columns = ", ".join(quote(f.column) for f in fields)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            with cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
        else:
            placeholders = ", ".join(["%s"] * len(fields))
            cursor.executemany(f"INSERT INTO {table} ({columns}) VALUES ({placeholders})", rows)


def record_actual_history(
    *,
    new: list[Actual],
    changed: list[Actual],
    user: AbstractBaseUser | None,
    reason: str,
    when: datetime,
    batch_size: int = 1000,
) -> None:
    """Record the actuals an import wrote, one statement per batch of rows.

    New rows are found again by their (indicator, fiscal year) and the
    import's time stamp ``when``; changed ones by their ids.
    """
    for start in range(0, len(new), batch_size):
        batch = new[start:start + batch_size]
        copy_to_history(
            Actual.objects.filter(
                created_at=when,
                indicator_id__in={actual.indicator_id for actual in batch},
                fiscal_year__in={actual.fiscal_year for actual in batch},
            ),
            history_type="+", user=user, reason=reason, when=when,
        )
    for start in range(0, len(changed), batch_size):
        batch = changed[start:start + batch_size]
        copy_to_history(
            Actual.objects.filter(pk__in=[actual.pk for actual in batch]),
            history_type="~", user=user, reason=reason, when=when,
        )


def blank_rows(model: type[Actual | Target]) -> Callable[[Any, int], Any]:
    """Return ``blank(indicator, fiscal_year)``, building an unsaved ``model`` row.

    The same row as ``model(indicator=…, fiscal_year=…)``, built from its
    fields' defaults in order: Django's positional constructor costs about
    half of the keyword one, which an import pays for every new row.
    """
    fields = model._meta.concrete_fields
    if any(field.has_default() and callable(field.default) for field in fields):
        return lambda indicator, year: model(indicator=indicator, fiscal_year=year)
    defaults = [field.get_default() for field in fields]
    names = [field.attname for field in fields]
    indicator_at, year_at = names.index("indicator_id"), names.index("fiscal_year")
    cache_indicator = model._meta.get_field("indicator").set_cached_value

    def blank(indicator: Any, fiscal_year: int) -> Any:
        values = defaults.copy()
        values[indicator_at] = indicator.pk
        values[year_at] = fiscal_year
        row = model(*values)
        cache_indicator(row, indicator)
        return row

    return blank


def prepare_writes(
    preview: SheetImport,
    *,
    model: type[Actual | Target],
    assign: Callable[[Any, Any], None],
    column: str,
) -> tuple[list[Any], list[Any]]:
    """Return the new and the changed model rows of a clean preview.

    The parser already bounds every value (digits, decimals, sign) and the
    file's uniqueness was checked as a whole, so only the model's own rules
    run here: no query, and no per-field validators, which cost more than
    the insert (see docs/performance.md). A row they refuse joins
    ``preview.errors`` and ImportRefused is raised: nothing is written.
    """
    if not preview.ok:
        raise ImportRefused(REFUSED)
    blank = blank_rows(model)
    new: list[Any] = []
    changed: list[Any] = []
    for row in preview.rows:
        if row.action not in (Action.NEW, Action.CHANGED):
            continue
        if row.existing is not None:
            # clean() reads the indicator and its plan: the preview's, loaded
            # once, rather than two queries per changed row.
            row.existing.indicator = row.indicator
        instance = row.existing or blank(row.indicator, row.fiscal_year)
        assign(instance, row)
        try:
            instance.clean()
        except ValidationError as error:
            preview.errors += [
                RowError(row.row, COLUMN_LABELS[column], row.code, message)
                for message in error.messages
            ]
        (changed if row.existing else new).append(instance)
    if not preview.ok:
        raise ImportRefused(REFUSED)
    return new, changed


def lock_unchanged_since_preview(preview: SheetImport, model: type[Actual | Target],
                                 changed: list[Any]) -> None:
    """Lock the stored rows an import changes; refuse if any moved since its preview read.

    The preview read them without a lock: a confirm (確定) or an edit that
    landed since would otherwise be written over. Called inside the
    import's transaction, so the rows stay locked until it commits; each
    row's version then goes up by one.
    """
    rows = {row.existing.pk: row for row in preview.rows if row.existing is not None}

    def label(pk: Any) -> str:
        return f"{rows[pk].row}行目（{rows[pk].code} {rows[pk].fiscal_year_label}）"

    found = stale_rows(model, {obj.pk: obj.version for obj in changed}, labels=label)
    if found:
        raise ImportRefused(stale_text(found).replace(REENTER, MOVED_SINCE_PREVIEW))
    for obj in changed:
        obj.version += 1


# What an import changes on a stored actual (assign_actual), and its bookkeeping.
ACTUAL_WRITTEN_FIELDS = (
    "state", "value", "value_places", "note", "not_measured_reason",
    "progress", "analysis", "direction", "updated_at", "version",
)


def update_actuals(actuals: list[Actual]) -> None:
    """Update changed actuals, already checked and locked (lock_unchanged_since_preview)."""
    update_in_bulk(actuals, ACTUAL_WRITTEN_FIELDS)


@contextmanager
def writing() -> Iterator[None]:
    """Write in one transaction; a clash with another writer keeps nothing."""
    try:
        with transaction.atomic():
            yield
    except (IntegrityError, connection.Database.IntegrityError):
        # COPY goes to psycopg's own cursor, whose errors Django does not wrap.
        raise ImportRefused(CLASHED) from None


def apply_actuals(
    preview: ActualImport, *, user: AbstractBaseUser | None = None
) -> dict[Action, int]:
    """Write every new and changed row in one transaction, or nothing.

    Each row written gets a history row in the same transaction, recorded
    as ``user``'s, with 「ファイル取込：<file name>」 as the reason.
    """
    new, changed = prepare_writes(preview, model=Actual, assign=assign_actual, column="actual")
    now = timezone.now()
    for actual in changed:
        # Written by hand: no auto_now.
        actual.updated_at = now
    with writing():
        lock_unchanged_since_preview(preview, Actual, changed)
        insert_actuals(new, now=now)
        update_actuals(changed)
        record_history(preview, model=Actual, new=new, changed=changed, user=user, when=now)
        # In the same transaction: a department's import is its entry too
        # (the reporting round moves its submission to 入力中).
        entry_locks.written(user, {(row.indicator_id, row.fiscal_year)
                                   for row in (*new, *changed)})
    return preview.counts


def record_history(
    preview: SheetImport,
    *,
    model: type[Actual | Target],
    new: list[Any],
    changed: list[Any],
    user: AbstractBaseUser | None,
    when: datetime,
) -> None:
    """Record the rows an import wrote in the audit trail, as saves would.

    Actuals, which come by the ten thousand, are copied in the database;
    targets go through simple-history's own bulk helper. A row that carries
    its own reason (a target revision's) keeps it after the file's name.
    """
    reason = import_reason(preview.filename)
    if model is Actual:
        record_actual_history(new=new, changed=changed, user=user, reason=reason, when=when)
        return
    for rows, update in ((new, False), (changed, True)):
        for row in rows:
            detail = getattr(row, "_change_reason", "")
            if detail:
                row._change_reason = import_reason(preview.filename, detail=detail)
        history_create(
            rows, model=model, user=user, reason=reason, update=update, when=when
        )


# What assign_target() may set on a stored target: a revision keeps the
# first value, the reason and the decision date.
TARGET_WRITTEN_FIELDS = (
    "value", "value_places", "original_value", "original_value_places",
    "revision_reason", "revised_on", "version",
)


def apply_targets(
    preview: TargetImport, *, user: AbstractBaseUser | None = None
) -> dict[Action, int]:
    """Write every new and changed target in one transaction, or nothing.

    Each target written gets a history row, as in :func:`apply_actuals`.
    """
    new, changed = prepare_writes(preview, model=Target, assign=assign_target, column="target")
    with writing():
        lock_unchanged_since_preview(preview, Target, changed)
        # bulk_create() sets the primary keys the history rows need.
        Target.objects.bulk_create(new, batch_size=1000)
        Target.objects.bulk_update(changed, TARGET_WRITTEN_FIELDS, batch_size=1000)
        record_history(
            preview, model=Target, new=new, changed=changed, user=user, when=timezone.now()
        )
    return preview.counts
