"""The one describer of a recorded change: 「実績値：40.0 → 42.5」.

Both readers of the history print a change with it: the admin's history
pages (:class:`audit.admin.RecordChanges`) and the KGI page's short list
(:mod:`indicators.history`).

- A :class:`Shown` is one value a change names: its label, the fields it
  reads and how it prints them. :func:`shown` makes it from the model's
  field: choices by their labels, はい／いいえ, decimals with the places
  they were entered with (``*_places``), dates in Japanese, a related row
  by its name; blank is 「（空欄）」. A caller passes its own text for a
  field where it prints more (a KGI's values with its unit).
- :func:`changes` compares two sets of values (two records, or a record
  and its previous values) and returns each :class:`FieldChange` that
  reads differently, old → new.
- :func:`records_with_previous` reads the latest records with LAG(), so
  each carries its previous values: one query per history table.
- :class:`ChangeEntry` and :func:`user_label`: who, when, what and why.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.db.models import F, Window
from django.db.models.functions import Lag
from django.utils import timezone
from django.utils.text import capfirst

from ise_iga_dx.lib.decimals import as_entered
from ise_iga_dx.lib.wareki import date_text

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping
    from datetime import date, datetime

    from django.contrib.auth.models import AbstractBaseUser
    from django.db.models import Field, Model

BLANK = "（空欄）"
YES, NO = "はい", "いいえ"
SYSTEM_USER = "システム"
QUOTE_LIMIT = 30
# A value's decimals as entered live beside it: value, value_places.
PLACES_SUFFIX = "_places"
# records_with_previous() puts a field's value before the change here.
PREVIOUS = "previous_"
# simple-history's history_type.
CREATED, CHANGED, DELETED = "+", "~", "-"

# Reads one field's value by name, from a record or from its previous values.
Values = Callable[[str], Any]


def record_values(record: Any) -> Values:
    """Read the values a record holds (after its change)."""
    return lambda name: getattr(record, name)


def previous_values(record: Any) -> Values:
    """Read the values before a record's change, as records_with_previous() gives them."""
    return lambda name: getattr(record, f"{PREVIOUS}{name}")


# Values as a person reads them -------------------------------------------------


def is_blank(value: Any) -> bool:
    return value is None or value == ""


def plain_text(value: Any) -> str:
    return BLANK if is_blank(value) else str(value)


def yes_no_text(value: bool | None) -> str:
    return BLANK if value is None else (YES if value else NO)


def decimal_text(value: Decimal | None, places: int | None = None) -> str:
    """Return a number with the decimals it was entered with: 45.0, not 45.0000."""
    if value is None:
        return BLANK
    return f"{value if places is None else as_entered(value, places):f}"


def datetime_text(value: datetime | None) -> str:
    return BLANK if value is None else f"{timezone.localtime(value):%Y年%m月%d日 %H:%M}"


def day_text(value: date | None) -> str:
    return BLANK if value is None else f"{value.year}年{value.month}月{value.day}日"


def choice_text(field: Field) -> Callable[[Any], str]:
    """Print a choice by its label: 「数値」, not "measured"."""
    labels = dict(field.flatchoices)
    return lambda value: BLANK if is_blank(value) else str(labels.get(value, value))


def related_text(field: Field) -> Callable[[Any], str]:
    """Print a related row, given its id, by its name (one query).

    A row deleted since reads 「（削除済み：ID 12）」.
    """
    def text(key: Any) -> str:
        if key is None:
            return BLANK
        manager = field.related_model._base_manager
        related = manager.filter(**{field.target_field.attname: key}).first()
        return f"（削除済み：ID {key}）" if related is None else str(related)
    return text


def value_text(field: Field) -> Callable[..., str]:
    """Return how a value of ``field`` reads, from the field's kind."""
    if field.is_relation:
        return related_text(field)
    if field.choices:
        return choice_text(field)
    if isinstance(field, models.BooleanField):
        return yes_no_text
    if isinstance(field, models.DecimalField):
        return decimal_text
    if isinstance(field, models.DateTimeField):
        return datetime_text
    if isinstance(field, models.DateField):
        return day_text
    return plain_text


def quoted(text: str) -> str:
    """Return a text in brackets, on one line and shortened: 「国の目標に合わせる」."""
    text = " ".join(text.split())
    if not text:
        return BLANK
    return f"「{text if len(text) <= QUOTE_LIMIT else text[:QUOTE_LIMIT] + '…'}」"


# What a change names ----------------------------------------------------------


@dataclass(frozen=True)
class Shown:
    """A value a change names: its label, the fields it reads, how it prints them."""

    label: str
    fields: tuple[str, ...]
    text: Callable[..., str]

    def read(self, values: Values) -> str:
        return self.text(*(values(name) for name in self.fields))


def has_field(model: type[Model], name: str) -> bool:
    try:
        model._meta.get_field(name)
    except FieldDoesNotExist:
        return False
    return True


def fields_read(model: type[Model], name: str) -> tuple[str, ...]:
    """Return the columns a field's value is read from.

    A relation by its id (no query to compare); a decimal with the places
    it was entered with, where the model keeps them.
    """
    field = model._meta.get_field(name)
    if field.is_relation:
        return (field.attname,)
    places = f"{name}{PLACES_SUFFIX}"
    if isinstance(field, models.DecimalField) and has_field(model, places):
        return (name, places)
    return (name,)


def shown(
    model: type[Model],
    name: str,
    text: Callable[..., str] | None = None,
    *,
    fields: tuple[str, ...] | None = None,
) -> Shown:
    """Return how a change names field ``name`` of ``model``.

    The label is the field's own. The value reads as :func:`value_text`
    prints it, unless ``text`` is given: it gets the same columns
    (:func:`fields_read`), or ``fields`` where the value needs others.
    """
    return Shown(
        label=capfirst(model._meta.get_field(name).verbose_name),
        fields=fields or fields_read(model, name),
        text=text or value_text(model._meta.get_field(name)),
    )


def shown_fields(
    model: type[Model],
    names: Iterable[str],
    texts: Mapping[str, Callable[..., str]] | None = None,
) -> list[Shown]:
    """Return :func:`shown` for each of ``names``, with ``texts`` for some."""
    texts = texts or {}
    return [shown(model, name, texts.get(name)) for name in names]


def field_names(model: type[Model], changed: Iterable[str]) -> list[str]:
    """Return the fields a change names, in order: a value's places count as the value."""
    names: list[str] = []
    for name in changed:
        base = name.removesuffix(PLACES_SUFFIX)
        if base != name and not has_field(model, base):
            base = name
        if base not in names:
            names.append(base)
    return names


# Old → new ------------------------------------------------------------------------


@dataclass(frozen=True)
class FieldChange:
    """One value, before and after a change, as a person reads it."""

    label: str
    old: str
    new: str

    def __str__(self) -> str:
        return f"{self.label}：{self.old} → {self.new}"


def change(item: Shown, old: Values, new: Values) -> FieldChange:
    return FieldChange(item.label, item.read(old), item.read(new))


def changes(items: Iterable[Shown], old: Values, new: Values) -> list[FieldChange]:
    """Return each of ``items`` that reads differently, old → new."""
    found = (change(item, old, new) for item in items)
    return [item for item in found if item.old != item.new]


def changed_lines(record: Any, items: Iterable[Shown]) -> list[str]:
    """Return 「実績値：40.0% → 42.5%」 for each value a record changed.

    ``record`` comes from :func:`records_with_previous`, with its
    previous values beside it.
    """
    found = changes(items, previous_values(record), record_values(record))
    return [str(item) for item in found]


def fields_of(items: Iterable[Shown], *extra: str) -> list[str]:
    """Return the columns ``items`` read, and ``extra``: whose previous values to read."""
    return [name for item in items for name in item.fields] + list(extra)


def records_with_previous(
    history: type[Model], *, fields: Iterable[str], limit: int, **where: Any
) -> list[Any]:
    """Return the latest records matching ``where``, each with its previous values.

    LAG() over each row's own records puts the values before the change on
    the same row (``previous_<field>``, read by :func:`previous_values`),
    so one query per model describes every change: no query per record
    for the one before it. ``previous_history_id`` is None for a row's
    first record.
    """
    window = {
        "partition_by": [F("id")],
        "order_by": [F("history_date").asc(), F("history_id").asc()],
    }
    lagged = {
        f"{PREVIOUS}{name}": Window(Lag(name), **window)
        for name in ("history_id", *fields)
    }
    return list(
        history.objects.filter(**where)
        .select_related("history_user")
        .annotate(**lagged)
        .order_by("-history_date", "-history_id")[:limit]
    )


# Who, when, why -----------------------------------------------------------------


def user_label(user: AbstractBaseUser | None) -> str:
    """Return who made a change: full name, else user name; 「システム」 for none."""
    if user is None:
        return SYSTEM_USER
    return user.get_full_name().strip() or user.get_username()


@dataclass(frozen=True)
class ChangeEntry:
    """One recorded change, as a list of changes shows it."""

    when: datetime
    who: str
    changes: tuple[str, ...]
    reason: str

    @classmethod
    def of(cls, record: Any, lines: Iterable[str]) -> ChangeEntry:
        """Return the entry of a history record, with the lines describing it."""
        return cls(
            when=record.history_date,
            who=user_label(record.history_user),
            changes=tuple(lines),
            reason=record.history_change_reason or "",
        )

    @property
    def when_label(self) -> str:
        """Return the time in Japan's era style: 「令和8年11月22日 14:05」."""
        local = timezone.localtime(self.when)
        return f"{date_text(local.date())} {local:%H:%M}"
