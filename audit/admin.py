"""The admin's history pages: who changed what and when, in Japanese, read only.

django-simple-history ships its history pages in English (it has no
Japanese catalogue) and lets a POST to a past version's page save it back,
even with revert disabled. :class:`AuditedAdmin` is its admin with the
project's own templates, values printed by :mod:`audit.describe` (45.0,
not 45.0000; 「数値」, not "measured"), and no revert: the history is a record,
and a revert would bypass the confirm step's lock.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.contrib import messages
from django.contrib.admin.utils import flatten_fieldsets, unquote
from django.core.exceptions import FieldDoesNotExist
from django.db import models, router, transaction
from django.http import Http404, HttpResponseNotAllowed, HttpResponseRedirect
from django.urls import reverse
from django.utils.text import capfirst
from simple_history.admin import SimpleHistoryAdmin
from simple_history.template_utils import HistoricalRecordContextHelper, ObjDiffDisplay

from audit.describe import change, field_names, record_values, shown
from audit.forms import SEEN_FIELD, version_checked, version_checked_formset
from audit.versions import stale_rows, stale_text
from ise_iga_dx.lib.decimals import as_entered, places_of
from ise_iga_dx.lib.wareki import fiscal_year_label

if TYPE_CHECKING:
    from collections.abc import Callable

    from django.db.models import Field, Model
    from django.http import HttpRequest, HttpResponse
    from simple_history.models import HistoricalChanges, ModelDelta

# Bookkeeping that changes with every save, or with another field shown.
HIDDEN_FIELDS = frozenset({"created_at", "updated_at", "confirmed_at"})
NOT_FOUND = "見つかりません。"


class JapaneseDiffDisplay(ObjDiffDisplay):
    """Shorten long texts around where they differ, saying so in Japanese."""

    def shortened_str(self, prefix: str, num_skipped_chars: int, suffix: str) -> str:
        return f"{prefix}…（{num_skipped_chars}文字略）…{suffix}"


class RecordChanges(HistoricalRecordContextHelper):
    """The 「変更内容」 column: each changed field, old → new.

    Values read as :mod:`audit.describe` prints them (a value's decimals,
    ``*_places``, show with the value), and time stamps that every save
    moves are left out, so a change reads as the person made it.
    """

    def get_obj_diff_display(self) -> ObjDiffDisplay:
        return JapaneseDiffDisplay(max_length=self.max_displayed_delta_change_chars)

    def context_for_delta_changes(self, delta: ModelDelta) -> list[dict[str, Any]]:
        names = field_names(self.model, (change.field for change in delta.changes))
        shorten = self.get_obj_diff_display().common_shorten_repr
        old, new = record_values(delta.old_record), record_values(delta.new_record)
        lines = []
        for name in names:
            if name in HIDDEN_FIELDS:
                continue
            found = change(shown(self.model, name), old, new)
            short_old, short_new = shorten(found.old, found.new)
            lines.append({"field": found.label, "old": short_old, "new": short_new})
        return lines


# Read-only pages ---------------------------------------------------------------
# A user who may only view an object (a department's KGIs and targets, a
# confirmed actual) and every past version on a history page read its values
# as the documents print them: 40.0%, 175名, 令和8年度（2026）, 「－」 for
# nothing; not 40.0000, 2026, None.

EMPTY = "－"
# The read-only text of field ``value`` is the admin's attribute ``printed__value``.
SHOWN_PREFIX = "printed__"
# Set on a request whose change form is only read (a past version).
READ_ONLY_REQUEST = "_audit_read_only"
_BUILDING_FIELDSETS = "_audit_building_fieldsets"

# Texts for a value that needs more than its own columns (a KGI's unit, a
# target's 「R7年度比 ▲2.0%」), by (model label, field name). Filled by the
# admin's top layer (office.admin.common), which knows how KGIs print.
READ_ONLY_TEXTS: dict[tuple[str, str], Callable[[Any], str]] = {}


def is_year(field: Field) -> bool:
    """A fiscal year (年度): fiscal_year, baseline_year, start_year, end_year."""
    return isinstance(field, models.IntegerField) and (
        field.name == "fiscal_year" or field.name.endswith("_year")
    )


def number_text(value: Any, places: int | None = None) -> str:
    """Return 1,467 or 45.0: thousands separated, with the decimals entered."""
    if places is None:
        places = places_of(value.normalize())
    return f"{as_entered(value, places):,f}"


def year_text(value: int) -> str:
    try:
        return fiscal_year_label(value)
    except ValueError:  # before 平成
        return f"{value}年度"


def read_only_text(obj: Model, field: Field) -> str:
    """Return ``field`` of ``obj`` as a read-only page shows it."""
    custom = READ_ONLY_TEXTS.get((obj._meta.label_lower, field.name))
    if custom is not None:
        return custom(obj)
    value = getattr(obj, field.attname)
    if value is None or value == "":
        return EMPTY
    if isinstance(field, models.DecimalField):
        return number_text(value, getattr(obj, f"{field.name}_places", None))
    if is_year(field):
        return year_text(value)
    return str(value)


def shown_display(field: Field) -> Callable[[Model], str]:
    def text(obj: Model) -> str:
        return read_only_text(obj, field)

    text.short_description = capfirst(field.verbose_name)
    return text


class ReadOnlyValues:
    """Show a read-only form's values as the documents print them.

    Django shows a read-only model field with its stored form (40.0000,
    2026) and an input-only form field (a target's 変更理由) as "None"
    under a name made from its code (CHANGE REASON). On a page the user
    may only read, each decimal, year or field with a text in
    :data:`READ_ONLY_TEXTS` is shown by its ``printed__<name>`` attribute
    instead, labelled with the field's own name; input-only fields and the
    hidden version are left out; anything empty reads 「－」.
    """

    empty_value_display = EMPTY

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for field in self.model._meta.concrete_fields:
            if not field.is_relation:
                setattr(self, f"{SHOWN_PREFIX}{field.name}", shown_display(field))

    def only_read(self, request: HttpRequest, obj: Model | None = None) -> bool:
        """Whether the page shows ``obj`` (an inline's: its parent) without a form to save."""
        if getattr(request, READ_ONLY_REQUEST, False):
            return True
        parent_model = getattr(self, "parent_model", None)
        if parent_model is None:
            return obj is not None and not self.has_change_permission(request, obj)
        # An inline: read only when its parent is, or when it can neither add nor change.
        parent = self.admin_site._registry.get(parent_model)
        parent_editable = parent is not None and (
            parent.has_change_permission(request, obj) if obj is not None
            else parent.has_add_permission(request)
        )
        return not parent_editable or not (
            self.has_change_permission(request, obj) or self.has_add_permission(request, obj)
        )

    def shown_name(self, name: Any) -> Any:
        """Return what a read-only page shows for ``name``; None to leave it out."""
        if not isinstance(name, str):
            return name
        try:
            field = self.model._meta.get_field(name)
        except FieldDoesNotExist:
            # An admin or model attribute shows as it is; a form's own field
            # (a target's 変更理由, the version) is for input only.
            if hasattr(self, name) or hasattr(self.model, name):
                return name
            return None
        if field.is_relation or not field.concrete:
            return name
        key = (self.model._meta.label_lower, name)
        if key in READ_ONLY_TEXTS or isinstance(field, models.DecimalField) or is_year(field):
            return f"{SHOWN_PREFIX}{name}"
        return name

    def read_only_fieldsets(self, fieldsets: Any) -> list[Any]:
        shown = []
        for title, options in fieldsets:
            names = []
            for name in options["fields"]:
                if isinstance(name, (tuple, list)):
                    line = tuple(n for n in map(self.shown_name, name) if n is not None)
                    if line:
                        names.append(line)
                elif (found := self.shown_name(name)) is not None:
                    names.append(found)
            if names:
                shown.append((title, {**options, "fields": tuple(names)}))
        return shown

    def get_readonly_fields(self, request: HttpRequest, obj: Model | None = None) -> Any:
        readonly = super().get_readonly_fields(request, obj)
        if getattr(request, _BUILDING_FIELDSETS, False) or not self.only_read(request, obj):
            return readonly
        return (*readonly, *flatten_fieldsets(self.get_fieldsets(request, obj)))

    def base_fieldsets(self, request: HttpRequest, obj: Model | None = None) -> list[Any]:
        """Return the fieldsets before any read-only change (Django's own)."""
        building = getattr(request, _BUILDING_FIELDSETS, False)
        setattr(request, _BUILDING_FIELDSETS, True)
        try:
            return list(super().get_fieldsets(request, obj))
        finally:
            setattr(request, _BUILDING_FIELDSETS, building)

    def form_fields(self, request: HttpRequest, obj: Model | None, kwargs: dict) -> None:
        """Leave the shown values out of the form: they are no form's fields."""
        fields = kwargs["fields"] if "fields" in kwargs else flatten_fieldsets(
            self.get_fieldsets(request, obj)
        )
        if fields is not None:
            kwargs["fields"] = [
                name for name in fields
                if not (isinstance(name, str) and name.startswith(SHOWN_PREFIX)
                        and hasattr(self, name))
            ]

    def get_form(self, request: HttpRequest, obj: Model | None = None, **kwargs: Any) -> Any:
        self.form_fields(request, obj, kwargs)
        return super().get_form(request, obj, **kwargs)

    def get_formset(self, request: HttpRequest, obj: Model | None = None, **kwargs: Any) -> Any:
        self.form_fields(request, obj, kwargs)
        return super().get_formset(request, obj, **kwargs)


def with_seen_version(fieldsets: Any) -> list[Any]:
    """Return ``fieldsets`` with the hidden version field in the first one."""
    fieldsets = list(fieldsets)
    if not fieldsets or SEEN_FIELD in flatten_fieldsets(fieldsets):
        return fieldsets
    name, options = fieldsets[0]
    fieldsets[0] = (name, {**options, "fields": (*options["fields"], SEEN_FIELD)})
    return fieldsets


class VersionCheckedAdmin(ReadOnlyValues):
    """Change forms and inline rows that carry their row's version (audit.forms).

    For a ModelAdmin and an inline alike: a page saved after someone else
    changed one of its rows is refused, not written over theirs. A user
    who may only view gets no hidden field (nothing to save), and the
    values as printed (:class:`ReadOnlyValues`).
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.form = version_checked(self.form)
        if hasattr(self, "formset"):
            self.formset = version_checked_formset(self.formset)

    def get_fieldsets(self, request: HttpRequest, obj: Model | None = None) -> list[Any]:
        fieldsets = self.base_fieldsets(request, obj)
        if self.only_read(request, obj):
            return self.read_only_fieldsets(fieldsets)
        if not self.has_change_permission(request, obj) and obj is not None:
            return fieldsets
        return with_seen_version(fieldsets)


    def delete_view(
        self, request: HttpRequest, object_id: str, extra_context: dict | None = None
    ) -> HttpResponse:
        """Delete only the row the confirmation page showed.

        The page posts the row's version (templates/admin/delete_confirmation.html).
        A row changed since is kept: the user is sent to its page with who
        changed what and when. The check holds the row's lock until the
        delete is done (one transaction).
        """
        with transaction.atomic(using=router.db_for_write(self.model)):
            if request.method == "POST" and request.POST.get("post"):
                obj = self.get_object(request, unquote(object_id))
                if obj is not None and self.has_delete_permission(request, obj):
                    seen = request.POST.get(SEEN_FIELD, "")
                    found = stale_rows(
                        self.model, {obj.pk: int(seen) if seen.isdecimal() else 0}
                    )
                    if found:
                        self.message_user(request, stale_text(found), messages.ERROR)
                        opts = self.model._meta
                        return HttpResponseRedirect(reverse(
                            f"admin:{opts.app_label}_{opts.model_name}_change",
                            args=[obj.pk], current_app=self.admin_site.name,
                        ))
            return super().delete_view(request, object_id, extra_context)


class AuditedAdmin(VersionCheckedAdmin, SimpleHistoryAdmin):
    """An audited model's admin: history pages in Japanese, no revert, no noise.

    Put it after ScopedAdminMixin, whose querysets decide which histories a
    user may read.
    """

    object_history_template = "admin/history/object_history.html"
    object_history_list_template = "admin/history/object_history_list.html"
    object_history_form_template = "admin/history/object_history_form.html"
    history_list_per_page = 50

    def history_view_title(self, request: HttpRequest, obj: Model) -> str:
        return f"変更履歴：{obj}"

    def history_form_view_title(self, request: HttpRequest, obj: Model) -> str:
        return f"変更履歴の時点の内容：{obj}"

    def get_historical_record_context_helper(
        self, request: HttpRequest, historical_record: HistoricalChanges
    ) -> RecordChanges:
        return RecordChanges(self.model, historical_record)

    def history_form_view(
        self, request: HttpRequest, object_id: str, version_id: str,
        extra_context: dict | None = None,
    ) -> HttpResponse:
        """Show a past version; never save it.

        simple-history saves a POSTed past version even with revert
        disabled, and looks the version up without the user's scope.
        """
        if request.method not in ("GET", "HEAD"):
            return HttpResponseNotAllowed(["GET", "HEAD"])
        if self.get_object(request, unquote(object_id)) is None:
            raise Http404(NOT_FOUND)
        # A past version is only read: its values as printed, no inputs.
        setattr(request, READ_ONLY_REQUEST, True)
        return super().history_form_view(request, object_id, version_id, extra_context)

    def save_model(self, request: HttpRequest, obj: Model, form: Any, change: bool) -> None:
        if change and not form.has_changed():
            # A page saved for its inline rows leaves its own row alone: no
            # change without a difference in the history, and its version
            # stays, so a colleague's open page of it is not made stale.
            return
        super().save_model(request, obj, form, change)
