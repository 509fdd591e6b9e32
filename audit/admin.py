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
from django.db import router, transaction
from django.http import Http404, HttpResponseNotAllowed, HttpResponseRedirect
from django.urls import reverse
from simple_history.admin import SimpleHistoryAdmin
from simple_history.template_utils import HistoricalRecordContextHelper, ObjDiffDisplay

from audit.describe import change, field_names, record_values, shown
from audit.forms import SEEN_FIELD, version_checked, version_checked_formset
from audit.versions import stale_rows, stale_text

if TYPE_CHECKING:
    from django.db.models import Model
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


def with_seen_version(fieldsets: Any) -> list[Any]:
    """Return ``fieldsets`` with the hidden version field in the first one."""
    fieldsets = list(fieldsets)
    if not fieldsets or SEEN_FIELD in flatten_fieldsets(fieldsets):
        return fieldsets
    name, options = fieldsets[0]
    fieldsets[0] = (name, {**options, "fields": (*options["fields"], SEEN_FIELD)})
    return fieldsets


class VersionCheckedAdmin:
    """Change forms and inline rows that carry their row's version (audit.forms).

    For a ModelAdmin and an inline alike: a page saved after someone else
    changed one of its rows is refused, not written over theirs. A user
    who may only view gets no hidden field (nothing to save).
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.form = version_checked(self.form)
        if hasattr(self, "formset"):
            self.formset = version_checked_formset(self.formset)

    def get_fieldsets(self, request: HttpRequest, obj: Model | None = None) -> list[Any]:
        fieldsets = super().get_fieldsets(request, obj)
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
        return super().history_form_view(request, object_id, version_id, extra_context)

    def save_model(self, request: HttpRequest, obj: Model, form: Any, change: bool) -> None:
        if change and not form.has_changed():
            # A page saved for its inline rows leaves its own row alone: no
            # change without a difference in the history, and its version
            # stays, so a colleague's open page of it is not made stale.
            return
        super().save_model(request, obj, form, change)
