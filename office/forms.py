"""Form fields that accept numbers the way office staff type them."""

from __future__ import annotations

import copy
import unicodedata
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.forms.formsets import DELETION_FIELD_NAME
from django.template.defaultfilters import linebreaksbr
from django.utils.html import format_html

from indicators import entry_locks, wording
from indicators.models import Kind
from indicators.selectors import confirmed_years
from indicators.services import (
    LOCKED_DEFINITION_FIELDS,
    LOCKED_MESSAGE,
    REASON_MAX_LENGTH,
    definition_locked_message,
    revision_errors,
    revision_history_reason,
    target_locked_message,
    target_record_revision,
)
from ise_iga_dx.lib import decimals, wareki

# The form fields a target revision asks for, by key of revision_errors().
REVISION_FIELDS = {"reason": "change_reason", "decided_on": "decided_on"}


class KpiDecimalField(forms.DecimalField):
    """A decimal field that accepts 「１，４６７」 as well as "1467".

    Full-width digits and punctuation are folded (NFKC) and thousands
    separators dropped before the usual checks, so the error for a real
    non-number is still Django's 「数値を入力してください。」.
    """

    widget = forms.TextInput(attrs={"inputmode": "decimal", "size": 12})
    # The KGI's unit, set by the form once it knows the KGI: 「205名」 is 205
    # where the unit is 名 (as the imports read it); 「205人」 stays an error.
    unit = ""

    def to_python(self, value: Any) -> Decimal | None:
        if isinstance(value, str):
            value = unicodedata.normalize("NFKC", value).replace(",", "").strip()
            unit = unicodedata.normalize("NFKC", self.unit).strip()
            if unit and value.endswith(unit):
                value = value[:-len(unit)].rstrip()
        return super().to_python(value)

    def has_changed(self, initial: Any, data: Any) -> bool:
        """Compare numbers, not texts: the form shows "6,300.0" for 6300.0.

        More decimals typed is a change (45.0 → 45.00 is printed apart).
        """
        try:
            before, after = self.to_python(initial), self.to_python(data)
        except forms.ValidationError:
            return True
        if before is None or after is None:
            return before is not after
        return before != after or before.as_tuple().exponent != after.as_tuple().exponent

    def widget_attrs(self, widget: forms.Widget) -> dict[str, Any]:
        # DecimalField adds step/min/max for <input type=number>; text needs none.
        return forms.Field.widget_attrs(self, widget)


class ScaledValuesForm(forms.ModelForm):
    """Keep the number of decimals typed beside each stored number.

    ``scaled_fields`` maps a decimal field to its ``*_places`` field.
    """

    scaled_fields: dict[str, str] = {}
    # The fields typed in the KGI's own unit (which may follow the number).
    unit_fields: tuple[str, ...] = ()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for field, places in self.scaled_fields.items():
            value = getattr(self.instance, field, None)
            if field in self.fields and self.instance.pk is not None and value is not None:
                # Shown as the documents print it: "6,300.0", not "6300.0000".
                self.initial[field] = wording.format_number(
                    value, places=getattr(self.instance, places)
                )

    def full_clean(self) -> None:
        indicator = self.row_indicator() if self.unit_fields else None
        unit = self.typed_unit(indicator) if indicator is not None else ""
        for name in self.unit_fields:
            if isinstance(self.fields.get(name), KpiDecimalField):
                self.fields[name].unit = unit
        super().full_clean()

    def row_indicator(self) -> Any:
        """Return the row's KGI: the stored one, else the one chosen, else None."""
        if getattr(self.instance, "indicator_id", None) is not None:
            return self.instance.indicator
        if not self.is_bound or "indicator" not in self.fields:
            return None
        try:
            return self.fields["indicator"].clean(self.data.get(self.add_prefix("indicator")))
        except ValidationError:
            return None

    def typed_unit(self, indicator: Any) -> str:
        """Return the unit a value of ``indicator`` may be typed with."""
        return indicator.unit

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        for field, places in self.scaled_fields.items():
            value = cleaned.get(field)
            if field in self.fields and isinstance(value, Decimal):
                setattr(self.instance, places, decimals.places_of(value))
        return cleaned


class NewRowMixin:
    """A new row with a year is a row to check and save.

    A KGI page offers a new row's year already chosen (the plan's first
    year without a row); the row the user added and left at that year is
    not an untouched extra form to skip: a missing value is an error.
    """

    def has_changed(self) -> bool:
        if (
            self.instance.pk is None and self.is_bound
            and self.data.get(self.add_prefix("fiscal_year"))
        ):
            return True
        return super().has_changed()


class TargetForm(NewRowMixin, ScaledValuesForm):
    """A target; changing a stored one's value is a revision (上方修正 etc.).

    A revision needs a reason and the date it was decided, kept on the
    target (with the first value as 当初目標値) and in its history. A new
    target, or one whose value stays, needs neither.
    """

    scaled_fields = {"value": "value_places"}
    unit_fields = ("value",)

    change_reason = forms.CharField(
        label="変更理由（目標値を変えるとき）",
        required=False,
        max_length=REASON_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 2, "cols": 18}),
    )
    decided_on = forms.DateField(
        label="決定日（目標値を変えるとき）",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # The value in force before this form, once saved, replaces it.
        self.stored_value = self.instance.value if self.instance.pk else None
        self.stored_places = self.instance.value_places if self.instance.pk else 0
        self.revision: tuple[str, Any] | None = None

    def typed_unit(self, indicator: Any) -> str:
        # A reduction KGI's targets are reductions in percent (R7年度比 ▲2.0%).
        return "%" if indicator.kind == Kind.REDUCTION else indicator.unit

    def revises(self, cleaned: dict[str, Any]) -> bool:
        """Whether the form changes the value of a stored target."""
        return (
            self.instance.pk is not None
            and "value" in cleaned
            and cleaned["value"] != self.stored_value
        )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        self.check_confirmed_year(cleaned)
        if not self.revises(cleaned):
            return cleaned
        reason = cleaned.get("change_reason") or ""
        decided_on = cleaned.get("decided_on")
        errors = revision_errors(reason=reason, decided_on=decided_on)
        for key, message in errors.items():
            field = REVISION_FIELDS[key]
            # A date that could not be read has its own error already.
            if field not in self.errors:
                self.add_error(field, message)
        if not errors:
            self.revision = (reason, decided_on)
        return cleaned

    def check_confirmed_year(self, cleaned: dict[str, Any]) -> None:
        """Refuse a new or changed target of a year whose actual is confirmed.

        The year's evaluation would change under a confirmed actual; the
        rows are locked until the save ends (confirmed_years).
        """
        if self.instance.pk is not None and not self.revises(cleaned):
            return
        indicator = cleaned.get("indicator") or getattr(self.instance, "indicator", None)
        year = cleaned.get("fiscal_year")
        if indicator is None or indicator.pk is None or year is None:
            return
        if year in confirmed_years([indicator.pk], lock=True).get(indicator.pk, ()):
            self.add_error("value", target_locked_message(year))

    def save(self, commit: bool = True) -> Any:
        if self.revision is not None:
            reason, decided_on = self.revision
            target_record_revision(
                self.instance, previous_value=self.stored_value,
                previous_places=self.stored_places, reason=reason, decided_on=decided_on,
            )
            # Read by django-simple-history when the target is saved.
            self.instance._change_reason = revision_history_reason(reason.strip())
        return super().save(commit)


def edited_fields(form: forms.ModelForm) -> list[str]:
    """Return the fields the user really changed.

    Browsers send a textarea's line breaks as CRLF; a text that differs
    from the stored one only in those is not a change.
    """
    edited = []
    for name in form.changed_data:
        if name == DELETION_FIELD_NAME:
            continue
        field = form.fields[name]
        initial = form.get_initial_for_field(field, name)
        value = form.cleaned_data.get(name)
        if (
            isinstance(initial, str) and isinstance(value, str)
            and initial.replace("\r\n", "\n").strip() == value.replace("\r\n", "\n").strip()
        ):
            continue
        edited.append(name)
    return edited


class ActualForm(ScaledValuesForm):
    """An actual; a confirmed (確定) one is locked until it is reopened.

    ``stored`` is the actual as stored when the form was made (None for a
    new one): what a refused save shows its evaluation from, never the
    values typed (which the form's instance takes on while it is checked).
    ``kpi_user``, set by the admin (:func:`entry_locked_form`), is whose
    write it is: a KGI-year another rule closes to them (a department's
    submitted reporting round, :mod:`indicators.entry_locks`) is refused.
    """

    scaled_fields = {"value": "value_places", "published_rate": "published_rate_places"}
    unit_fields = ("value",)
    kpi_user: Any = None

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.stored = copy.copy(self.instance) if self.instance.pk is not None else None
        self.instance.kpi_stored = self.stored

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        if self.instance.pk is not None and self.instance.confirmed and edited_fields(self):
            raise ValidationError(LOCKED_MESSAGE, code="confirmed")
        self.check_entry_locks(cleaned)
        return cleaned

    def check_entry_locks(self, cleaned: dict[str, Any]) -> None:
        """Refuse a new or edited actual of a KGI-year closed to ``kpi_user``.

        Both the year stored and the year chosen are written by a change
        of year. No user, nothing edited: no check (and no query).
        """
        if self.kpi_user is None or (self.instance.pk is not None and not edited_fields(self)):
            return
        indicator = cleaned.get("indicator") or getattr(self.instance, "indicator", None)
        if indicator is None or indicator.pk is None:
            return
        years = {cleaned.get("fiscal_year")}
        if self.stored is not None:
            years.add(self.stored.fiscal_year)
        refused = entry_locks.refusals(
            self.kpi_user, {(indicator.pk, year) for year in years if year is not None}
        )
        if refused:
            year, message = min((year, text) for (_pk, year), text in refused.items())
            label = f"{indicator.code} {wareki.fiscal_year_label(year)}の実績値"
            raise ValidationError(f"{label}：{message}", code="round_locked")


def entry_locked_form(form: type[ActualForm], user: Any) -> type[ActualForm]:
    """Return ``form`` checking its writes as ``user``'s (ActualForm.check_entry_locks).

    ``form`` is the class the admin has just built for this request
    (``get_form``/``get_formset`` build a new one every time), so the
    user is set on it; a subclass would rebuild its fields without the
    admin's (the inline's year choices).
    """
    if form is ActualForm or form is ActualRowForm:
        raise ValueError("set the user on the admin's own form class, not on the base form")
    form.kpi_user = user
    return form


class LockedWidget(forms.Widget):
    """A confirmed actual's field: its stored value as text, nothing to edit.

    The stored value is posted back unchanged in a hidden input, so the
    form's lock (ActualForm.clean) still refuses any value sent instead.
    ``text`` is called when the page is drawn (the row has its KGI then).
    """

    def __init__(self, text: Callable[[], str], attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs)
        self.text = text

    def render(self, name: str, value: Any, attrs: dict[str, Any] | None = None,
               renderer: Any = None) -> str:
        hidden = forms.HiddenInput().render(name, value, attrs, renderer)
        return format_html(
            '{}<div class="readonly kpi-locked">{}</div>', hidden, linebreaksbr(self.text())
        )


class ActualRowForm(NewRowMixin, ActualForm):
    """A KGI page's actual row: a confirmed one is shown, not offered for editing."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        stored = self.stored
        if stored is None or not stored.confirmed:
            return
        texts: dict[str, Callable[[], str]] = {
            "fiscal_year": lambda: wareki.fiscal_year_label(stored.fiscal_year),
            "state": stored.get_state_display,
            # The row is given its page's KGI after it is made (IndicatorRowsFormSet).
            "value": lambda: wording.actual_label(self.instance.indicator, stored),
        }
        for name, field in self.fields.items():
            if name in texts:
                field.widget = LockedWidget(texts[name])
            elif isinstance(getattr(stored, name, None), str):
                text = getattr(stored, name)
                field.widget = LockedWidget(lambda text=text: text or "－")


class IndicatorForm(ScaledValuesForm):
    """A KGI; what its evaluation reads may not change under a confirmed actual."""

    scaled_fields = {"baseline": "baseline_places"}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # The KGI as stored, for its rows' evaluations on a refused save.
        if self.instance.pk is not None:
            self.instance.kpi_stored = copy.copy(self.instance)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        changed = [name for name in LOCKED_DEFINITION_FIELDS if name in self.changed_data]
        if self.instance.pk is None or not changed:
            return cleaned
        years = confirmed_years([self.instance.pk], lock=True).get(self.instance.pk)
        if years:
            labels = [str(self.fields[name].label) for name in changed]
            raise ValidationError(definition_locked_message(labels, years), code="confirmed")
        return cleaned


class ReopenForm(forms.Form):
    """The reason for reopening (確定取消) confirmed actuals; required."""

    reason = forms.CharField(
        label="確定を取り消す理由",
        max_length=REASON_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3, "cols": 60}),
        error_messages={"required": "確定を取り消す理由を入力してください。"},
    )

    def clean_reason(self) -> str:
        reason = self.cleaned_data["reason"].strip()
        if not reason:
            raise ValidationError("確定を取り消す理由を入力してください。")
        return reason
