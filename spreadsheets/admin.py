"""Upload → preview → confirm of a spreadsheet in the admin, all rows or none."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django import forms
from django.contrib import messages
from django.core.cache import cache
from django.http import Http404, HttpResponseRedirect
from django.urls import reverse
from import_export.forms import ImportForm
from import_export.tmp_storages import CacheStorage

from plans.selectors import plans_managed_by
from spreadsheets.resources import forget_kept_sheet
from spreadsheets.rows import REFUSED, ImportRefused, max_upload_bytes

if TYPE_CHECKING:
    from django.http import HttpRequest


class SpreadsheetImportForm(ImportForm):
    """The upload form, refusing an oversized file before reading it."""

    def clean_import_file(self) -> Any:
        upload = self.cleaned_data["import_file"]
        limit = max_upload_bytes()
        if upload.size > limit:
            raise forms.ValidationError(
                f"ファイルが大きすぎます（{upload.size:,}バイト）。上限は{limit:,}バイトです。"
            )
        return upload


UPLOAD_GONE_MESSAGE = (
    "取り込むファイルが見つかりません（取り込み済みか、確認から時間が経ちすぎました）。"
    "もう一度アップロードしてください。"
)


UPLOAD_NOT_FOUND = "取り込むファイルが見つかりません。"


def pending_key(name: str) -> str:
    """The cache key of what an upload's preview step showed, and to whom."""
    return f"spreadsheets:pending:{name}"


def remember_preview(request: HttpRequest, context: dict[str, Any]) -> None:
    """Keep, beside a previewed upload, who uploaded it and what its preview showed.

    Only that user may confirm it (anyone else gets 404), and the confirm
    step refuses the file if a row reads differently then. Kept as long as
    django-import-export keeps the upload itself.
    """
    confirm_form = context.get("confirm_form")
    preview = getattr(context.get("result"), "kpi_preview", None)
    if confirm_form is None or preview is None or not preview.ok:
        return
    name = confirm_form.initial.get("import_file_name")
    if name:
        cache.set(
            pending_key(name), {"user": request.user.pk, "seen": preview.seen()},
            timeout=CacheStorage.CACHE_LIFETIME,
        )


def listed_index(value: str, count: int) -> bool:
    """Whether ``value`` is the index ("0", "1", …) of one of ``count`` choices."""
    return value.isdecimal() and len(value) < 4 and int(value) < count


class SpreadsheetImportMixin:
    """Upload → preview → confirm, all rows or none, messages in Japanese."""

    import_form_class = SpreadsheetImportForm
    import_template_name = "admin/indicators/spreadsheet_import.html"
    import_help = ""

    def get_import_context_data(self, **kwargs: Any) -> dict[str, Any]:
        return {**super().get_import_context_data(**kwargs), "import_help": self.import_help}

    def import_action(self, request: HttpRequest, **kwargs: Any) -> Any:
        response = super().import_action(request, **kwargs)
        context = getattr(response, "context_data", None)
        if context is not None:
            remember_preview(request, context)
            self.forget_refused_upload(context)
            # The templates of the plans this user may change, and no others.
            context["template_links"] = [
                (f"{plan.name}（{plan.code}）",
                 reverse("spreadsheets:definitions_template", args=[plan.code]))
                for plan in plans_managed_by(user=request.user)
            ]
        return response

    def forget_refused_upload(self, context: dict[str, Any]) -> None:
        """Drop the stored copy of an upload that cannot be confirmed.

        django-import-export keeps every upload in the cache (for a day)
        before reading it, refused or not: a signed-in user could fill the
        cache table 5 MB a request. Only a previewed file with a confirm
        form is kept.
        """
        form = context.get("form")
        if context.get("confirm_form") is not None or form is None or not form.is_bound:
            return
        upload = getattr(form, "cleaned_data", {}).get("import_file")
        name = getattr(upload, "tmp_storage_name", None)
        if not name:
            return
        storage = self.get_tmp_storage_class()(
            name=name, read_mode="rb", **self.get_tmp_storage_class_kwargs()
        )
        data = storage.read()
        if data is not None:
            forget_kept_sheet(bytes(data))
        storage.remove()

    def add_data_read_fail_error_to_form(self, form: Any, error: Exception) -> None:
        if isinstance(error, ImportRefused):
            form.add_error("import_file", str(error))
        else:
            super().add_data_read_fail_error_to_form(form, error)

    def get_import_data_kwargs(self, **kwargs: Any) -> dict[str, Any]:
        # At confirmation too, one bad row rolls back every row; and the
        # rows as the preview step showed them are compared with the file
        # as it reads now (CheckedRowsResource.before_import).
        return {
            **super().get_import_data_kwargs(**kwargs),
            "rollback_on_validation_errors": True,
            "kpi_seen": getattr(kwargs.get("request"), "kpi_seen", None),
        }

    def process_import(self, request: HttpRequest, **kwargs: Any) -> Any:
        """Confirm an import, unless its upload is gone: then say to upload again.

        The upload waits in the cache between preview and confirmation; a
        second click on 確定, or a cleared cache, finds it gone, and the
        confirm page's hidden fields come back from the browser.
        django-import-export would answer either with a 500. Once
        confirmed (or refused), the preview's read of the file kept beside
        it (:func:`spreadsheets.resources.read_upload_kept`) is dropped, and
        so is what the preview showed (:func:`remember_preview`). Only the
        user who uploaded the file may confirm it: anyone else gets 404.
        """
        if request.method != "POST" or not self.has_import_permission(request):
            return super().process_import(request, **kwargs)
        kept = self.kept_upload(request)
        if kept is None:
            self.message_user(request, UPLOAD_GONE_MESSAGE, messages.ERROR)
            return HttpResponseRedirect(
                reverse(f"admin:{self.model._meta.app_label}_{self.model._meta.model_name}_import")
            )
        response = super().process_import(request, **kwargs)
        if kept:
            # Confirmed or refused, the preview's read of the file is done with.
            forget_kept_sheet(kept)
            cache.delete(pending_key(request.POST.get("import_file_name", "")))
        return response

    def kept_upload(self, request: HttpRequest) -> bytes | None:
        """Return the upload the confirm form names, b"" for a form in error, or None."""
        form = self.create_confirm_form(request)
        if not form.is_valid():
            return b""  # django-import-export shows the form's errors
        data = form.cleaned_data
        if not (listed_index(data["format"], len(self.get_import_formats()))
                and listed_index(data.get("resource") or "0",
                                 len(self.get_import_resource_classes(request)))):
            return None
        pending = cache.get(pending_key(data["import_file_name"]))
        if pending is None:
            return None
        if pending["user"] != request.user.pk:
            # Another user's upload: as if it did not exist, and it stays.
            raise Http404(UPLOAD_NOT_FOUND)
        request.kpi_seen = pending["seen"]
        storage = self.get_tmp_storage_class()(
            name=data["import_file_name"], read_mode="rb", **self.get_tmp_storage_class_kwargs()
        )
        kept = storage.read()
        return None if kept is None else bytes(kept)

    def process_result(self, result: Any, request: HttpRequest) -> Any:
        if result.has_errors() or result.has_validation_errors():
            # The data changed between preview and confirmation: say how
            # where the check could (who changed which row, when).
            refusals = [
                str(error.error) for error in result.base_errors
                if isinstance(error.error, ImportRefused) and str(error.error) != REFUSED
            ]
            self.message_user(
                request,
                refusals[0] if refusals else
                "確認後にデータが変わったため、取り込みませんでした。もう一度アップロードしてください。",
                messages.ERROR,
            )
            return HttpResponseRedirect(
                reverse(f"admin:{self.model._meta.app_label}_{self.model._meta.model_name}_import")
            )
        preview = getattr(result, "kpi_preview", None)
        if preview is not None:
            self.message_user(request, f"取り込みました：{preview.summary()}", messages.SUCCESS)
        return super().process_result(result, request)

    def add_success_message(self, result: Any, request: HttpRequest) -> None:
        # process_result() says it with the preview's counts instead.
        if getattr(result, "kpi_preview", None) is None:
            super().add_success_message(result, request)
