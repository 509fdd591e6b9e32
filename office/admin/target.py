"""目標値: the list across plans and the targets import."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.contrib import admin
from import_export.admin import ImportExportModelAdmin

from accounts.admin_scope import ScopedAdminMixin, ScopedRelatedFilter
from audit.admin import AuditedAdmin
from indicators import wording
from indicators.models import Target
from indicators.selectors import confirmed_years
from ise_iga_dx.lib import wareki
from office.admin.common import DECIMAL_OVERRIDES, LongListMixin, target_value_text
from office.admin.filters import RowYearFilter
from office.forms import TargetForm
from spreadsheets.admin import SpreadsheetImportMixin
from spreadsheets.resources import EXPORT_FORMATS, TargetResource, TargetSpreadsheetFormat

if TYPE_CHECKING:
    from django.http import HttpRequest


@admin.register(Target)
class TargetAdmin(
    LongListMixin, ScopedAdminMixin, SpreadsheetImportMixin, ImportExportModelAdmin,
    AuditedAdmin,
):
    resource_classes = [TargetResource]
    import_formats = [TargetSpreadsheetFormat]
    export_formats = EXPORT_FORMATS
    import_help = (
        "1行目を見出しとし、指標コード・年度・目標値の列を読み取ります。"
        "削減率型は「2.0」「▲2.0%」「R7年度比 ▲2.0%」のいずれでも、完了型は「完了」と書きます。"
        "登録済みの目標値を変える行には「変更理由」「決定日」（例：2026/9/1、令和8年9月1日）の列も必要です。"
        "空欄の行は変更しません。1行でもエラーがあれば何も取り込みません。"
    )
    form = TargetForm
    list_display = ("indicator", "year_label", "value_label", "revision")
    list_filter = (("indicator__plan", ScopedRelatedFilter), RowYearFilter)
    search_fields = ("indicator__code", "indicator__item", "indicator__plan__municipality__name")
    list_select_related = ("indicator",)
    autocomplete_fields = ("indicator",)
    formfield_overrides = DECIMAL_OVERRIDES
    fields = (
        "indicator", "fiscal_year", "value", "revision", "last_reason", "change_reason",
        "decided_on",
    )
    readonly_fields = ("revision", "last_reason")

    def has_delete_permission(self, request: HttpRequest, obj: Target | None = None) -> bool:
        """A target of a year whose actual is confirmed (確定) cannot be deleted (403)."""
        if obj is not None and obj.fiscal_year in confirmed_years([obj.indicator_id]).get(
            obj.indicator_id, ()
        ):
            return False
        return super().has_delete_permission(request, obj)

    @admin.display(description="年度", ordering="fiscal_year")
    def year_label(self, obj: Target) -> str:
        return wareki.fiscal_year_label(obj.fiscal_year)

    @admin.display(description="目標値", ordering="value")
    def value_label(self, obj: Target) -> str:
        return target_value_text(obj)

    @admin.display(description="当初目標値・変更")
    def revision(self, obj: Target) -> str:
        return wording.revision_summary(obj)

    @admin.display(description="前回の変更理由")
    def last_reason(self, obj: Target) -> str:
        return obj.revision_reason or wording.DASH
