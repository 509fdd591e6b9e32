"""Form fields the apps' own pages share (no app imports this but Django and lib)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django import forms
from django.core.exceptions import ValidationError

from ise_iga_dx.lib import wareki

if TYPE_CHECKING:
    from datetime import date


class JapaneseDateField(forms.DateField):
    """A date from the date input (2027-05-29), or as typed: 令和9年5月29日, 2027/5/29.

    Subclasses set ``default_error_messages["invalid"]`` to say which date.
    """

    widget = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")

    def to_python(self, value: object) -> date | None:
        if isinstance(value, str) and value.strip():
            parsed = wareki.date_from_text(value)
            if parsed is None:
                raise ValidationError(self.error_messages["invalid"], code="invalid")
            return parsed
        return super().to_python(value)
