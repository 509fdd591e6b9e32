"""Form fields that accept numbers the way office staff type them."""

from __future__ import annotations

import unicodedata
from decimal import Decimal
from typing import Any

from django import forms

from indicators import achievement


class KpiDecimalField(forms.DecimalField):
    """A decimal field that accepts 「１，４６７」 as well as "1467".

    Full-width digits and punctuation are folded (NFKC) and thousands
    separators dropped before the usual checks, so the error for a real
    non-number is still Django's 「数値を入力してください。」.
    """

    widget = forms.TextInput(attrs={"inputmode": "decimal", "size": 12})

    def to_python(self, value: Any) -> Decimal | None:
        if isinstance(value, str):
            value = unicodedata.normalize("NFKC", value).replace(",", "").strip()
        return super().to_python(value)

    def widget_attrs(self, widget: forms.Widget) -> dict[str, Any]:
        # DecimalField adds step/min/max for <input type=number>; text needs none.
        return forms.Field.widget_attrs(self, widget)


class ScaledValuesForm(forms.ModelForm):
    """Keep the number of decimals typed beside each stored number.

    ``scaled_fields`` maps a decimal field to its ``*_places`` field.
    """

    scaled_fields: dict[str, str] = {}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for field, places in self.scaled_fields.items():
            value = getattr(self.instance, field, None)
            if field in self.fields and self.instance.pk is not None and value is not None:
                # Shown as the documents print it: "6,300.0", not "6300.0000".
                self.initial[field] = achievement.format_number(
                    value, places=getattr(self.instance, places)
                )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        for field, places in self.scaled_fields.items():
            value = cleaned.get(field)
            if field in self.fields and isinstance(value, Decimal):
                setattr(self.instance, places, achievement.places_of(value))
        return cleaned


class TargetForm(ScaledValuesForm):
    scaled_fields = {"value": "value_places"}


class ActualForm(ScaledValuesForm):
    scaled_fields = {"value": "value_places", "published_rate": "published_rate_places"}


class IndicatorForm(ScaledValuesForm):
    scaled_fields = {"baseline": "baseline_places"}
