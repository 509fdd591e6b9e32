"""Writing a checked definitions file: everything in one transaction, or nothing,
with the history rows of every object written."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db import IntegrityError, transaction
from django.db.models import F, Max
from django.utils import timezone

from audit.writers import history_create, import_reason
from indicators.models import Indicator, Target
from plans.models import Initiative, Measure, Plan
from plans.services import measure_owners_write, owners_change_text
from spreadsheets.definitions.columns import INDICATOR_FIELDS, DefinitionImport, DefinitionRow
from spreadsheets.definitions.reader import preview_definitions
from spreadsheets.rows import CLASHED, REFUSED, Action, ImportRefused

if TYPE_CHECKING:
    from datetime import datetime

    from django.contrib.auth.models import AbstractBaseUser
    from django.db.models import Model


# Apply ------------------------------------------------------------------


def apply_definitions(
    preview: DefinitionImport, *, user: AbstractBaseUser | None = None
) -> dict[Action, int]:
    """Write the measures, initiatives, KGIs and targets of a clean preview.

    The file is checked again inside the transaction; if the data changed
    since the preview (or a rule now refuses a row), nothing is written and
    ImportRefused says so. Every row written gets a history row, recorded
    as ``user``'s with 「ファイル取込：<file name>」 as the reason.
    """
    if not preview.ok or preview.plan is None or preview.sheet is None:
        raise ImportRefused(REFUSED)
    try:
        with transaction.atomic():
            # Two imports into one plan wait for each other (PostgreSQL).
            list(Plan.objects.select_for_update().filter(pk=preview.plan.pk).values("pk"))
            fresh = preview_definitions(sheet=preview.sheet, filename=preview.filename)
            if not fresh.ok:
                preview.errors.extend(fresh.errors)
                raise ImportRefused(REFUSED)
            if fresh.fingerprint() != preview.fingerprint():
                raise ImportRefused(
                    "確認の後でデータが変更されたため、取り込みませんでした。"
                    "もう一度ファイルを確認してください。"
                )
            write_definitions(fresh, user=user)
    except IntegrityError:
        raise ImportRefused(CLASHED) from None
    return fresh.counts


def write_definitions(preview: DefinitionImport, *, user: AbstractBaseUser | None = None) -> None:
    """Write a checked preview and its history; the caller holds the transaction."""
    writes = preview.writes
    changed = [row for row in preview.rows if row.action == Action.CHANGED]
    targets = [target for row in preview.rows for target in row.targets]
    new_targets = [target for target in targets if target.pk is None]
    changed_targets = [target for target in targets if target.pk is not None]
    # Every row written moves to its next version (audit.versions), in the
    # database: the plan is locked and the file checked again under it.
    for obj in (*writes.renamed_measures, *writes.changed_initiatives,
                *(row.indicator for row in changed), *changed_targets):
        obj.version = F("version") + 1
    Measure.objects.bulk_update(writes.renamed_measures, ["title", "version"])
    # bulk_create() sets primary keys, so the initiatives, KGIs and targets
    # below take the ids of the rows created before them.
    Measure.objects.bulk_create(writes.new_measures)
    Initiative.objects.bulk_update(writes.changed_initiatives, ["purpose", "version"])
    Initiative.objects.bulk_create(writes.new_initiatives)
    # Owners (所管課) are links, not columns: a stored measure whose owners
    # change moves to its next version too (plans.services).
    measure_owners_write({
        change.measure.pk: [department.pk for department in change.departments]
        for change in writes.owners
    })
    written = {measure.pk for measure in (*writes.renamed_measures, *writes.new_measures)}
    owned_only = [change.measure for change in writes.owners if change.measure.pk not in written]
    Measure.objects.filter(pk__in=[measure.pk for measure in owned_only]).update(
        version=F("version") + 1
    )

    moved = [row for row in changed if row.indicator.position != row.existing.position]
    if moved:
        # One UPDATE may not swap two positions past the unique constraint:
        # park the KGIs that move above every position first.
        top = max(
            Indicator.objects.filter(plan=preview.plan).aggregate(top=Max("position"))["top"] or 0,
            *(row.indicator.position for row in preview.rows),
        )
        parked = [
            Indicator(pk=row.indicator.pk, position=top + number)
            for number, row in enumerate(moved, start=1)
        ]
        Indicator.objects.bulk_update(parked, ["position"])
    Indicator.objects.bulk_update(
        [row.indicator for row in changed], [*INDICATOR_FIELDS, "version"]
    )
    Indicator.objects.bulk_create(
        [row.indicator for row in preview.rows if row.action == Action.NEW]
    )
    Target.objects.bulk_create(new_targets)
    Target.objects.bulk_update(changed_targets, ["value", "value_places", "version"])

    reason = import_reason(preview.filename)
    when = timezone.now()
    # A measure's history names the owners the file set (no M2M history here).
    reasons = {
        change.measure.pk: import_reason(
            preview.filename,
            detail=owners_change_text(before=change.before, after=change.departments),
        )
        for change in writes.owners
    }
    for model, created, updated in (
        (Measure, writes.new_measures, [*writes.renamed_measures, *owned_only]),
        (Initiative, writes.new_initiatives, writes.changed_initiatives),
        (Indicator, [row.indicator for row in preview.rows if row.action == Action.NEW],
         [row.indicator for row in changed if indicator_changed(row)]),
        (Target, new_targets, changed_targets),
    ):
        record_written(model, created=created, updated=updated, user=user, reason=reason,
                       when=when, reasons=reasons if model is Measure else None)


def indicator_changed(row: DefinitionRow) -> bool:
    """Whether a changed row changes the KGI itself, not only its targets."""
    return any(
        getattr(row.indicator, field.attname) != getattr(row.existing, field.attname)
        for field in (Indicator._meta.get_field(name) for name in INDICATOR_FIELDS)
    )


def record_written(
    model: type[Model],
    *,
    created: list[Model],
    updated: list[Model],
    user: AbstractBaseUser | None,
    reason: str,
    when: datetime,
    reasons: dict[int, str] | None = None,
) -> None:
    """Record rows just written, as stored: one query per model, then the history.

    The bulk updates sent only the changed columns of partial objects; the
    history must hold whole rows, so they are read back. ``reasons`` gives
    some rows, by id, a reason of their own.
    """
    if not created and not updated:
        return
    stored = model.objects.in_bulk([obj.pk for obj in (*created, *updated)])
    for pk, own in (reasons or {}).items():
        if pk in stored:
            stored[pk]._change_reason = own
    for objs, update in ((created, False), (updated, True)):
        history_create(
            [stored[obj.pk] for obj in objs], model=model, user=user, reason=reason,
            update=update, when=when,
        )
