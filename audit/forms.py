"""The admin's forms carry the version of the row they show (audit.versions).

Every change form and inline row of an audited model gets a hidden
``seen_version``: the version of the row when the page was opened. On
save the row is locked and compared; a row changed since refuses the
form (so the whole page, rows and all) with who changed what and when,
and the admin shows the page again with what the user typed. Nothing is
written.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError

from audit.versions import stale_rows, stale_text

SEEN_FIELD = "seen_version"


class VersionCheckedForm(forms.ModelForm):
    """A model form refused when its row changed since the page showed it."""

    seen_version = forms.IntegerField(
        label="表示した版", widget=forms.HiddenInput, required=False, min_value=0
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk is not None:
            self.initial[SEEN_FIELD] = self.instance.version

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        message = self.stale_message()
        if message:
            raise ValidationError(message, code="stale")
        return cleaned

    def stale_message(self) -> str:
        """Lock the row; return why it cannot be saved as shown ("" when it can).

        A form posted without the version (not from our page) counts as
        stale: what it was based on cannot be known.
        """
        if self.instance.pk is None:
            return ""
        seen = self.cleaned_data.get(SEEN_FIELD) if hasattr(self, "cleaned_data") else None
        found = stale_rows(type(self.instance), {self.instance.pk: seen or 0})
        return stale_text(found) if found else ""


def version_checked(form_class: type[forms.ModelForm]) -> type[forms.ModelForm]:
    """Return ``form_class`` with the version check (itself if it has it)."""
    if issubclass(form_class, VersionCheckedForm):
        return form_class
    return type(form_class.__name__, (VersionCheckedForm, form_class), {})


class VersionCheckedFormSet(forms.BaseInlineFormSet):
    """Inline rows: a row deleted on the page is checked too.

    Django does not validate a form marked for deletion, so a stale row
    would be deleted unchecked; its version is compared here.
    """

    def clean(self) -> None:
        super().clean()
        deleted = [
            form for form in self.forms
            if self.can_delete and self._should_delete_form(form)
            and form.instance.pk is not None
        ]
        messages = [
            message for message in (form.stale_message() for form in deleted
                                    if isinstance(form, VersionCheckedForm))
            if message
        ]
        if messages:
            raise ValidationError(messages[0], code="stale")


def version_checked_formset(formset_class: type[forms.BaseInlineFormSet]) -> type:
    if issubclass(formset_class, VersionCheckedFormSet):
        return formset_class
    return type(formset_class.__name__, (VersionCheckedFormSet, formset_class), {})
