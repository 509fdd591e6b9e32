"""Optimistic concurrency: a save based on data older than the stored row is refused.

Every audited row carries a ``version`` (:class:`Versioned`), raised by one
on every write:

- an ORM save (:meth:`Versioned.save`) makes its UPDATE conditional on the
  version it read, so two saves of the same row can never both land: the
  second finds no row of that version and raises :class:`StaleEdit`;
- the bulk writers (imports, the confirm step) lock the rows they write
  (:func:`locked_versions`), compare them with the versions their page or
  preview showed, and write ``version + 1``.

A page keeps the versions it showed (a hidden field of each form; the
import's preview, server-side). At save it locks the rows: ``SELECT … FOR
UPDATE`` on PostgreSQL; on SQLite every write transaction begins
IMMEDIATE (settings), which serialises writers. A version that moved is
refused with :func:`stale_text`: what changed since, who changed it and
when, read from the audit trail, whose records carry the version they
recorded. The user's input is kept on the page; nothing is written.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.db import models
from django.utils.text import capfirst

from audit.describe import (
    SYSTEM_USER,
    ChangeEntry,
    changes,
    field_names,
    record_values,
    shown,
    user_label,
)

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Mapping

    from django.db.models import Model

VERSION_FIELD = "version"
LOCK_BATCH = 1000
# Bookkeeping a person did not change: never named as "what changed".
NOT_NAMED = frozenset({"id", VERSION_FIELD, "created_at", "updated_at", "confirmed_at"})
REENTER = (
    "入力した内容は保存していません（画面に残しています）。"
    "ページを開き直して最新の内容を確かめてから、もう一度入力してください。"
)


class StaleEdit(Exception):
    """A save based on a version of the row that is no longer the stored one."""

    def __init__(self, obj: Model, seen: int) -> None:
        super().__init__(f"{obj._meta.label} {obj.pk}: version {seen} is stale")
        self.obj = obj
        self.seen = seen


class Versioned(models.Model):
    """A row whose every write raises its version (compare-and-set on save)."""

    version = models.PositiveIntegerField(
        "版", default=1, editable=False,
        help_text="保存のたびに1増えます。古い版をもとにした保存は受け付けません。",
    )

    class Meta:
        abstract = True

    def save(self, *args: Any, **kwargs: Any) -> None:
        """Save, as an UPDATE that matches only the version this object holds."""
        if self._state.adding or self.pk is None:
            super().save(*args, **kwargs)
            return
        expected = self.version
        update_fields = kwargs.get("update_fields")
        if update_fields is not None:
            kwargs["update_fields"] = {*update_fields, VERSION_FIELD}
        self.version = expected + 1
        self._expected_version = expected
        try:
            super().save(*args, **kwargs)
        except BaseException:
            self.version = expected
            raise
        finally:
            del self._expected_version

    def _do_update(self, base_qs: Any, using: Any, pk_val: Any, values: Any,
                   update_fields: Any, forced_update: Any) -> bool:
        expected = getattr(self, "_expected_version", None)
        if expected is None:
            return super()._do_update(base_qs, using, pk_val, values, update_fields,
                                      forced_update)
        updated = super()._do_update(base_qs.filter(version=expected), using, pk_val, values,
                                     update_fields, forced_update)
        if not updated and base_qs.filter(pk=pk_val).exists():
            raise StaleEdit(self, expected)
        return updated


def locked_versions(model: type[Model], pks: Iterable[Any]) -> dict[Any, int]:
    """Lock the rows ``pks`` of ``model`` until the transaction ends; return their versions.

    Call inside ``transaction.atomic()``. A row since deleted is absent.
    """
    pks = sorted(pks)
    versions: dict[Any, int] = {}
    # In batches: SQLite allows a bounded number of parameters per query.
    for start in range(0, len(pks), LOCK_BATCH):
        rows = model._base_manager.select_for_update().filter(
            pk__in=pks[start:start + LOCK_BATCH]
        )
        versions.update(rows.order_by("pk").values_list("pk", VERSION_FIELD))
    return versions


@dataclass(frozen=True)
class StaleChange:
    """What happened to a row since a page showed version ``seen`` of it."""

    label: str
    deleted: bool
    who: str = ""
    when: str = ""
    fields: tuple[str, ...] = ()

    def __str__(self) -> str:
        if self.deleted:
            return f"{self.label}は、このページを開いた後に削除されました。"
        what = f"（変更された項目：{'、'.join(self.fields)}）" if self.fields else ""
        if not self.who:
            return f"{self.label}は、このページを開いた後に変更されました{what}。"
        who = self.who if self.who == SYSTEM_USER else f"{self.who}さん"
        return f"{self.label}は、このページを開いた後に{who}が{self.when}に変更しました{what}。"


def row_label(model: type[Model], obj: Any) -> str:
    return f"{capfirst(model._meta.verbose_name)}「{obj}」"


def stale_change(model: type[Model], pk: Any, seen: int, *, label: str = "") -> StaleChange:
    """Say who changed row ``pk`` since version ``seen``, when, and which fields.

    Read from the audit trail: its latest record (who, when) against the
    record of the version the page showed (what). Two queries.
    """
    obj = model._base_manager.filter(pk=pk).first()
    history = model.history.model
    latest = (
        history.objects.filter(id=pk).select_related("history_user")
        .order_by("-history_date", "-history_id").first()
    )
    label = label or row_label(model, obj if obj is not None else latest or pk)
    if obj is None:
        return StaleChange(label=label, deleted=True)
    if latest is None:
        return StaleChange(label=label, deleted=False)
    before = (
        history.objects.filter(id=pk, version__lte=seen)
        .order_by("-version", "-history_date", "-history_id").first()
    )
    entry = ChangeEntry.of(latest, ())
    names = field_names(model, (
        field.name for field in model._meta.concrete_fields if field.name not in NOT_NAMED
    ))
    fields: tuple[str, ...] = ()
    if before is not None:
        found = changes(
            (shown(model, name) for name in names), record_values(before), record_values(obj)
        )
        fields = tuple(item.label for item in found)
    return StaleChange(
        label=label, deleted=False, who=user_label(latest.history_user),
        when=entry.when_label, fields=fields,
    )


def stale_rows(
    model: type[Model],
    seen: Mapping[Any, int],
    *,
    labels: Mapping[Any, str] | Callable[[Any], str] | None = None,
) -> list[StaleChange]:
    """Lock the rows ``seen`` names and return those whose version moved.

    ``seen`` maps a primary key to the version a page showed; ``labels``
    names a row in the message (by key, or a function of it, called only
    for the rows that moved). Call inside
    ``transaction.atomic()``: the rows stay locked until it ends, so
    nothing can change them between this check and the write.
    """
    if not seen:
        return []
    current = locked_versions(model, seen)
    label_of = labels if callable(labels) else (labels or {}).get
    return [
        stale_change(model, pk, version, label=label_of(pk) or "")
        for pk, version in seen.items() if current.get(pk) != version
    ]


def stale_text(found: Iterable[StaleChange], *, limit: int = 5) -> str:
    """Return the refusal: each row that moved (at most ``limit``), and what to do."""
    found = list(found)
    lines = [str(item) for item in found[:limit]]
    if len(found) > limit:
        lines.append(f"ほか{len(found) - limit}件も変更されています。")
    return "".join(lines) + REENTER

