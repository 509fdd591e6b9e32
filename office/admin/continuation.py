"""前期の指標との接続: which KGI of a later plan continues which of an earlier one.

The office records a link where the documents show the same measure, with
the reason (docs/cross-period-links.md); the KGI pages then show one series
across both periods. Scoped like the KGIs: both KGIs must be within reach.
"""

from __future__ import annotations

from django.contrib import admin
from django.utils.html import format_html

from accounts.admin_scope import ScopedAdminMixin, ScopedRelatedFilter
from audit.admin import AuditedAdmin
from indicators.continuations import kgi_label
from indicators.models import Continuation, Indicator


def kgi_cell(indicator: Indicator) -> str:
    return format_html('<span title="{}">{}</span>', indicator.item, kgi_label(indicator))


@admin.register(Continuation)
class ContinuationAdmin(ScopedAdminMixin, AuditedAdmin):
    list_display = ("__str__", "later_kgi", "earlier_kgi", "reason_summary")
    list_display_links = ("__str__",)
    list_filter = (("later__plan", ScopedRelatedFilter),)
    list_select_related = ("earlier__plan", "later__plan")
    search_fields = ("earlier__code", "later__code", "earlier__item", "later__item", "reason")
    ordering = ("later__plan__municipality__code", "later__plan__code", "later__position")
    autocomplete_fields = ("earlier", "later")
    fields = ("earlier", "later", "reason")

    @admin.display(description="後期の指標", ordering="later__code")
    def later_kgi(self, obj: Continuation) -> str:
        return kgi_cell(obj.later)

    @admin.display(description="前期の指標", ordering="earlier__code")
    def earlier_kgi(self, obj: Continuation) -> str:
        return kgi_cell(obj.earlier)

    @admin.display(description="接続の根拠")
    def reason_summary(self, obj: Continuation) -> str:
        reason = obj.reason
        shown = reason if len(reason) <= 60 else reason[:59] + "…"
        return format_html('<span title="{}">{}</span>', reason, shown)
