"""The audit trail of KGIs: what a KGI's page lists (imports write in audit.writers).

:func:`indicator_change_history` reads the history back for the KGI page:
the latest changes of the KGI, its targets and its actuals, each with who,
when, what (old → new, printed as the pages print values) and why.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.db.models import F, Window
from django.db.models.functions import Lag
from django.utils import timezone

from indicators import wording
from indicators.models import Actual, Indicator, Target
from indicators.wording import actual_text, target_text
from ise_iga_dx.lib import wareki
from ise_iga_dx.lib.decimals import as_entered
from ise_iga_dx.lib.wareki import date_text

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable
    from datetime import datetime

    from django.contrib.auth.models import AbstractBaseUser
    from django.db.models import Model

SYSTEM_USER = "システム"
RECENT_CHANGES = 10
# Rows read per model: some may describe nothing the page shows (a save
# that changed only 更新日時), and the list should still be full.
READ_PER_MODEL = 3 * RECENT_CHANGES
QUOTE_LIMIT = 30
BLANK = "（空欄）"
CREATED, CHANGED, DELETED = "+", "~", "-"


@dataclass(frozen=True)
class ChangeEntry:
    """One recorded change, as the KGI page lists it."""

    when: datetime
    who: str
    changes: tuple[str, ...]
    reason: str

    @property
    def when_label(self) -> str:
        """Return the time in Japan's era style: 「令和8年11月22日 14:05」."""
        local = timezone.localtime(self.when)
        return f"{date_text(local.date())} {local:%H:%M}"


def user_label(user: AbstractBaseUser | None) -> str:
    """Return who made a change: full name, else user name; 「システム」 for none."""
    if user is None:
        return SYSTEM_USER
    return user.get_full_name().strip() or user.get_username()


def quoted(text: str) -> str:
    text = " ".join(text.split())
    if not text:
        return BLANK
    return f"「{text if len(text) <= QUOTE_LIMIT else text[:QUOTE_LIMIT] + '…'}」"


def previous(record: Any, name: str) -> Any:
    return getattr(record, f"previous_{name}")


@dataclass(frozen=True)
class Shown:
    """A value a change line shows: its label and how to print it."""

    label: str
    fields: tuple[str, ...]
    text: Callable[..., str]


def field_label(model: type[Model], name: str) -> str:
    return str(model._meta.get_field(name).verbose_name)


def choice_text(model: type[Model], name: str) -> Callable[[str], str]:
    labels = dict(model._meta.get_field(name).choices)
    return lambda value: str(labels.get(value, value)) if value else BLANK


def year_text(year: int | None) -> str:
    return BLANK if year is None else wareki.fiscal_year_label(year)


def number_text(unit: str) -> Callable[[Any, int], str]:
    def text(value: Any, places: int) -> str:
        return BLANK if value is None else wording.format_number(value, unit, places)
    return text


def shown_texts(model: type[Model], names: Iterable[str]) -> list[Shown]:
    return [Shown(field_label(model, name), (name,), quoted) for name in names]


def indicator_shown(indicator: Indicator) -> list[Shown]:
    """What an indicator's change lines name; the formats use its own unit."""
    return [
        Shown(field_label(Indicator, "code"), ("code",), str),
        Shown(field_label(Indicator, "measure"), ("measure_id",), lambda _id: "変更"),
        Shown(field_label(Indicator, "initiative"), ("initiative_id",), lambda _id: "変更"),
        Shown(field_label(Indicator, "position"), ("position",), str),
        *shown_texts(Indicator, ("item", "unit")),
        Shown(field_label(Indicator, "kind"), ("kind",), choice_text(Indicator, "kind")),
        Shown(field_label(Indicator, "accumulation"), ("accumulation",),
              choice_text(Indicator, "accumulation")),
        Shown(field_label(Indicator, "baseline"), ("baseline", "baseline_places"),
              number_text(indicator.unit)),
        Shown(field_label(Indicator, "baseline_year"), ("baseline_year",), year_text),
        *shown_texts(Indicator, ("done_label", "notes")),
    ]


def target_value(indicator: Indicator) -> Shown:
    return Shown(field_label(Target, "value"), ("value", "value_places"),
                 lambda value, places: target_text(indicator, value, places))


def actual_value(indicator: Indicator) -> Shown:
    return Shown(field_label(Actual, "value"), ("state", "value", "value_places"),
                 lambda state, value, places: actual_text(indicator, state, value, places))


def target_shown(indicator: Indicator) -> list[Shown]:
    return [
        Shown(field_label(Target, "fiscal_year"), ("fiscal_year",), year_text),
        target_value(indicator),
    ]


def actual_shown(indicator: Indicator) -> list[Shown]:
    return [
        Shown(field_label(Actual, "fiscal_year"), ("fiscal_year",), year_text),
        actual_value(indicator),
        *shown_texts(Actual, (
            "remark", "not_measured_reason", "progress", "analysis", "direction", "note",
        )),
        Shown(field_label(Actual, "published_evaluation"), ("published_evaluation",),
              choice_text(Actual, "published_evaluation")),
        Shown(field_label(Actual, "published_rate"), ("published_rate", "published_rate_places"),
              lambda rate, places: BLANK if rate is None else f"{as_entered(rate, places):f}%"),
    ]


def changed_lines(record: Any, shown: list[Shown]) -> list[str]:
    """Return 「実績値：40.0% → 42.5%」 for each value that reads differently."""
    lines = []
    for item in shown:
        old = item.text(*(previous(record, name) for name in item.fields))
        new = item.text(*(getattr(record, name) for name in item.fields))
        if old != new:
            lines.append(f"{item.label}：{old} → {new}")
    return lines


def confirm_line(record: Any) -> list[str]:
    """Return the confirm step's change (確定 / 確定取消), if this record made one."""
    was, now = previous(record, "confirmed"), record.confirmed
    if was == now:
        return []
    return ["確定"] if now else ["確定取消"]


def year_row_changes(
    record: Any,
    *,
    value: Shown,
    shown: list[Shown],
    extra: Callable[[Any], list[str]] | None = None,
) -> list[str]:
    """Describe a target's or an actual's record, prefixed by its year.

    A created or deleted row is named with its value (``value``); a changed
    one lists each of ``shown`` that reads differently, old → new.
    """
    year = wareki.fiscal_year_label(record.fiscal_year)
    what = value.label
    current = value.text(*(getattr(record, name) for name in value.fields))
    if record.history_type == CREATED:
        return [f"{year} {what}を登録：{current}"]
    if record.history_type == DELETED:
        return [f"{year} {what}を削除（削除前：{current}）"]
    if record.previous_history_id is None:
        # The row's earlier records are not among this KGI's (it moved here).
        return [f"{year} {what}を変更：{current}"]
    lines = changed_lines(record, shown)
    if extra is not None:
        lines += extra(record)
    return [f"{year} {line}" for line in lines]


def indicator_changes(record: Any, shown: list[Shown]) -> list[str]:
    if record.history_type == CREATED:
        return ["指標を登録"]
    if record.history_type == DELETED:
        return ["指標を削除"]
    if record.previous_history_id is None:
        return ["指標を変更"]
    return [f"指標 {line}" for line in changed_lines(record, shown)]


def records_with_previous(
    history: type[Model], *, fields: Iterable[str], limit: int, **where: Any
) -> list[Any]:
    """Return the latest records matching ``where``, each with its previous values.

    LAG() over each row's own records puts the values before the change on
    the same row (``previous_<field>``), so one query per model describes
    every change: no query per record for the one before it.
    """
    window = {
        "partition_by": [F("id")],
        "order_by": [F("history_date").asc(), F("history_id").asc()],
    }
    lagged = {
        f"previous_{name}": Window(Lag(name), **window)
        for name in ("history_id", *fields)
    }
    return list(
        history.objects.filter(**where)
        .select_related("history_user")
        .annotate(**lagged)
        .order_by("-history_date", "-history_id")[:limit]
    )


def lagged_fields(shown: list[Shown], *extra: str) -> list[str]:
    return [name for item in shown for name in item.fields] + list(extra)


def indicator_change_history(
    *, indicator: Indicator, limit: int = RECENT_CHANGES
) -> list[ChangeEntry]:
    """Return the latest changes of ``indicator``, its targets and its actuals.

    Three queries whatever the number of changes, KGIs or years (one per
    history table, the user joined). A deleted target or actual is listed
    too: its history rows keep the indicator's id.
    """
    indicator_fields = indicator_shown(indicator)
    target_fields = target_shown(indicator)
    actual_fields = actual_shown(indicator)
    sources = [
        (
            records_with_previous(
                Indicator.history.model, fields=lagged_fields(indicator_fields),
                limit=READ_PER_MODEL, id=indicator.pk,
            ),
            lambda record: indicator_changes(record, indicator_fields),
        ),
        (
            records_with_previous(
                Target.history.model, fields=lagged_fields(target_fields),
                limit=READ_PER_MODEL, indicator_id=indicator.pk,
            ),
            lambda record: year_row_changes(
                record, value=target_value(indicator), shown=target_fields
            ),
        ),
        (
            records_with_previous(
                Actual.history.model, fields=lagged_fields(actual_fields, "confirmed"),
                limit=READ_PER_MODEL, indicator_id=indicator.pk,
            ),
            lambda record: year_row_changes(
                record, value=actual_value(indicator), shown=actual_fields, extra=confirm_line
            ),
        ),
    ]
    entries = []
    for records, describe in sources:
        for record in records:
            changes = describe(record)
            if changes:
                entries.append((record.history_date, record.history_id, ChangeEntry(
                    when=record.history_date,
                    who=user_label(record.history_user),
                    changes=tuple(changes),
                    reason=record.history_change_reason or "",
                )))
    entries.sort(key=lambda entry: entry[:2], reverse=True)
    return [entry for _when, _id, entry in entries[:limit]]
