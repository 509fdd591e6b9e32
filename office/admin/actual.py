"""実績値: the list across plans, the actuals import, and the confirm step
(確定 / 確定取消)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.db.models import Prefetch
from django.http import Http404, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from import_export.admin import ImportExportModelAdmin

from accounts.admin_scope import NOT_FOUND, ScopedAdminMixin, ScopedRelatedFilter
from accounts.roles import scope_of
from audit.admin import AuditedAdmin
from indicators import entry_locks
from indicators.evaluation import due_year_of, indicator_year
from indicators.models import Actual
from indicators.services import LOCKED_MESSAGE, StaleActuals, actuals_confirm, actuals_reopen
from indicators.wording import actual_label
from ise_iga_dx.lib import wareki
from office.admin.common import (
    DECIMAL_OVERRIDES,
    LongListMixin,
    confirmation_label,
    evaluation_html,
    item_cell,
)
from office.admin.filters import ConfirmedFilter, RowYearFilter
from office.forms import ActualForm, ReopenForm, entry_locked_form
from spreadsheets.admin import SpreadsheetImportMixin
from spreadsheets.resources import EXPORT_FORMATS, ActualResource, ActualSpreadsheetFormat

if TYPE_CHECKING:
    from django.db.models import QuerySet
    from django.http import HttpRequest


def row_names(actuals: list[Actual], limit: int = 10) -> str:
    """Return 「ISE2-01 R8、ISE2-02 R8 ほか3件」 for a message."""
    names = [
        f"{actual.indicator.code} {wareki.fiscal_year_short(actual.fiscal_year)}"
        for actual in actuals[:limit]
    ]
    more = f" ほか{len(actuals) - limit}件" if len(actuals) > limit else ""
    return "、".join(names) + more


SEEN_FIELD = "seen"


def posted_versions(request: HttpRequest, actuals: list[Actual]) -> dict[int, int]:
    """Return the version of each of ``actuals`` the posting page showed.

    The page sends 「<id>:<version>」 per row. A row it did not show counts
    as version 0, which no stored row has: it is refused as changed.
    """
    shown: dict[int, int] = {}
    for item in request.POST.getlist(SEEN_FIELD):
        pk, _, version = item.partition(":")
        if pk.isdecimal() and version.isdecimal() and len(pk) < 19 and len(version) < 19:
            shown[int(pk)] = int(version)
    return {actual.pk: shown.get(actual.pk, 0) for actual in actuals}


@admin.register(Actual)
class ActualAdmin(
    LongListMixin, ScopedAdminMixin, SpreadsheetImportMixin, ImportExportModelAdmin,
    AuditedAdmin,
):
    """Every indicator-year with an actual, for filtering across plans.

    The confirm step lives here: the DX office confirms (確定) actuals and
    reopens them with a reason, from the list's actions or an actual's own
    page. A confirmed actual is read-only, for everyone, until reopened.
    """

    change_form_template = "admin/indicators/actual/change_form.html"
    confirmation_template = "admin/indicators/actual_confirmation.html"
    actions = ("confirm_selected", "reopen_selected")

    resource_classes = [ActualResource]
    import_formats = [ActualSpreadsheetFormat]
    export_formats = EXPORT_FORMATS
    import_help = (
        "1行目を見出しとし、指標コード・年度・実績値（任意で備考・取組状況・要因分析・"
        "今後の方向性）の列を読み取ります。取組状況などの列があれば、空欄はその内容を消します"
        "（列がなければ変わりません）。"
        "年度は「2026」「R8」「令和8年度」、実績値は「1,467」「45.0%」「－」（評価対象外）"
        "「完了」「未完了」のように書けます。空欄の行は未入力のまま残ります。"
        "1行でもエラーがあれば何も取り込みません。"
    )
    form = ActualForm
    # What the office decides on fits 1,280 px beside the navigation and
    # the filters (kpi_admin.css): the KGI's code over its item, wrapped;
    # 更新日時 is in each row's history.
    list_display = (
        "indicator_summary", "fiscal_year_label", "value_label", "evaluation", "confirmation",
    )
    list_filter = (
        ("indicator__plan__municipality", ScopedRelatedFilter),
        ("indicator__plan", ScopedRelatedFilter),
        RowYearFilter,
        ConfirmedFilter,
        "state",
        "published_evaluation",
    )
    search_fields = ("indicator__code", "indicator__item", "indicator__plan__municipality__name")
    list_select_related = ("indicator", "indicator__plan", "confirmed_by")
    autocomplete_fields = ("indicator",)
    formfield_overrides = DECIMAL_OVERRIDES
    readonly_fields = ("confirmation",)
    fieldsets = (
        (None, {"fields": ("indicator", "fiscal_year", "state", "value", "remark",
                           "not_measured_reason")}),
        ("取組の評価", {"fields": ("progress", "analysis", "direction")}),
        ("文書で公表された評価", {"fields": ("published_evaluation", "published_rate")}),
        ("備考", {"fields": ("note",)}),
        ("確定", {"fields": ("confirmation",)}),
    )

    def get_queryset(self, request: HttpRequest) -> QuerySet[Actual]:
        return super().get_queryset(request).prefetch_related(
            Prefetch("indicator__targets", to_attr="all_targets")
        )

    def get_form(self, request: HttpRequest, obj: Actual | None = None, **kwargs: Any) -> Any:
        # The form refuses a write the reporting round closes to this user
        # (ActualForm.check_entry_locks).
        return entry_locked_form(super().get_form(request, obj, **kwargs), request.user)

    # A confirmed actual is locked for everyone until it is reopened: its
    # page is read-only and a POST to it is refused (403).

    def has_change_permission(self, request: HttpRequest, obj: Actual | None = None) -> bool:
        if obj is not None and obj.confirmed:
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Actual | None = None) -> bool:
        if obj is not None and obj.confirmed:
            return False
        return super().has_delete_permission(request, obj)

    def has_confirm_permission(self, request: HttpRequest) -> bool:
        """Confirming and reopening: the DX office and the system (所管課 never)."""
        return (
            request.user.has_perm("indicators.confirm_actual")
            and scope_of(request.user).manages_plans
        )

    def may_confirm(self, request: HttpRequest, actual: Actual) -> bool:
        """Whether the user may confirm or reopen ``actual``: their plan's only."""
        return self.has_confirm_permission(request) and scope_of(request.user).manages_plan(
            actual.indicator.plan
        )

    def render_change_form(
        self, request: HttpRequest, context: dict[str, Any], add: bool = False,
        change: bool = False, form_url: str = "", obj: Actual | None = None,
    ) -> Any:
        context["kpi_locked_message"] = LOCKED_MESSAGE if obj is not None and obj.confirmed else ""
        if obj is not None and obj.pk is not None and not obj.confirmed:
            # Said before the user types: a submitted round's year is closed
            # to the department (ActualForm.check_entry_locks refuses the save).
            key = (obj.indicator_id, obj.fiscal_year)
            context["kpi_locked_message"] = entry_locks.refusals(request.user, {key}).get(key, "")
        context["kpi_confirmation_link"] = None
        if obj is not None and obj.pk is not None and self.may_confirm(request, obj):
            name, label = ("reopen", "確定を取り消す") if obj.confirmed else (
                "confirm", "この実績値を確定する"
            )
            context["kpi_confirmation_link"] = (
                reverse(f"admin:indicators_actual_{name}", args=[obj.pk]), label
            )
        return super().render_change_form(request, context, add, change, form_url, obj)

    def get_urls(self) -> list[Any]:
        wrap = self.admin_site.admin_view
        return [
            path("<path:object_id>/confirm/", wrap(self.confirm_view),
                 name="indicators_actual_confirm"),
            path("<path:object_id>/reopen/", wrap(self.reopen_view),
                 name="indicators_actual_reopen"),
            *super().get_urls(),
        ]

    # Confirming and reopening ------------------------------------------------

    def managed_rows(
        self, request: HttpRequest, queryset: QuerySet[Actual]
    ) -> tuple[list[Actual], list[Actual]]:
        """Split the selected rows into those of plans the user manages, and the rest."""
        rows = list(
            queryset.select_related("indicator__plan", "confirmed_by").prefetch_related(None)
        )
        scope = scope_of(request.user)
        managed = [actual for actual in rows if scope.manages_plan(actual.indicator.plan)]
        outside = [actual for actual in rows if not scope.manages_plan(actual.indicator.plan)]
        return managed, outside

    def report(
        self, request: HttpRequest, *, done: str, changed: list[Actual],
        unchanged: list[Actual], unchanged_why: str, outside: list[Actual],
    ) -> None:
        if changed:
            self.message_user(
                request, f"{len(changed)}件の実績値を{done}：{row_names(changed)}",
                messages.SUCCESS,
            )
        if unchanged:
            self.message_user(
                request,
                f"{unchanged_why}{len(unchanged)}件はそのままです：{row_names(unchanged)}",
                messages.INFO,
            )
        if outside:
            self.message_user(
                request,
                f"担当外の計画の実績値{len(outside)}件は変更しませんでした：{row_names(outside)}",
                messages.WARNING,
            )

    def apply_confirmation(
        self, request: HttpRequest, *, mode: str, managed: list[Actual],
        outside: list[Actual], reason: str = "",
    ) -> bool:
        """Confirm or reopen ``managed`` as the confirmation page showed them.

        The page posts the version of each row it showed; a row changed
        since (a department's new value, a colleague's confirm) refuses
        the whole step with who changed what and when, and nothing changes.
        """
        seen = posted_versions(request, managed)
        try:
            if mode == "confirm":
                outcome = actuals_confirm(actuals=managed, user=request.user, seen=seen)
            else:
                outcome = actuals_reopen(
                    actuals=managed, user=request.user, reason=reason, seen=seen
                )
        except StaleActuals as stale:
            self.message_user(request, str(stale), messages.ERROR)
            return False
        if mode == "confirm":
            self.report(
                request, done="確定しました", changed=outcome.changed,
                unchanged=outcome.unchanged, unchanged_why="確定済みの", outside=outside,
            )
        else:
            self.report(
                request, done="入力中に戻しました（確定取消）", changed=outcome.changed,
                unchanged=outcome.unchanged, unchanged_why="確定されていない", outside=outside,
            )
        return True

    @admin.action(description="選択した実績値を確定する", permissions=("confirm",))
    def confirm_selected(self, request: HttpRequest, queryset: QuerySet[Actual]) -> Any:
        if not self.has_confirm_permission(request):
            raise PermissionDenied
        managed, outside = self.managed_rows(request, queryset)
        if "apply" in request.POST:
            self.apply_confirmation(request, mode="confirm", managed=managed, outside=outside)
            return None
        return self.render_confirmation(
            request, mode="confirm", actuals=managed, outside=outside,
            action="confirm_selected",
        )

    @admin.action(description="確定を取り消す（理由が必要）", permissions=("confirm",))
    def reopen_selected(self, request: HttpRequest, queryset: QuerySet[Actual]) -> Any:
        if not self.has_confirm_permission(request):
            raise PermissionDenied
        managed, outside = self.managed_rows(request, queryset)
        form = ReopenForm(request.POST if "apply" in request.POST else None)
        if form.is_bound and form.is_valid():
            self.apply_confirmation(
                request, mode="reopen", managed=managed, outside=outside,
                reason=form.cleaned_data["reason"],
            )
            return None
        return self.render_confirmation(
            request, mode="reopen", actuals=managed, outside=outside, form=form,
            action="reopen_selected",
        )

    def confirmable(self, request: HttpRequest, object_id: str) -> Actual:
        """Return the actual of the URL; 403 without the right, 404 outside the scope.

        The right comes first, as for a model permission: a department is
        refused whatever the actual, and learns nothing about it.
        """
        if not self.has_confirm_permission(request):
            raise PermissionDenied
        obj = self.get_object(request, unquote(object_id))
        if obj is None:
            raise Http404(NOT_FOUND)
        if not self.may_confirm(request, obj):
            raise PermissionDenied
        return obj

    def confirm_view(self, request: HttpRequest, object_id: str) -> Any:
        obj = self.confirmable(request, object_id)
        if request.method == "POST":
            self.apply_confirmation(request, mode="confirm", managed=[obj], outside=[])
            return HttpResponseRedirect(reverse("admin:indicators_actual_change", args=[obj.pk]))
        return self.render_confirmation(request, mode="confirm", actuals=[obj])

    def reopen_view(self, request: HttpRequest, object_id: str) -> Any:
        obj = self.confirmable(request, object_id)
        form = ReopenForm(request.POST if request.method == "POST" else None)
        if form.is_bound and form.is_valid():
            self.apply_confirmation(
                request, mode="reopen", managed=[obj], outside=[],
                reason=form.cleaned_data["reason"],
            )
            return HttpResponseRedirect(reverse("admin:indicators_actual_change", args=[obj.pk]))
        return self.render_confirmation(request, mode="reopen", actuals=[obj], form=form)

    def render_confirmation(
        self, request: HttpRequest, *, mode: str, actuals: list[Actual],
        outside: list[Actual] | None = None, form: ReopenForm | None = None, action: str = "",
    ) -> TemplateResponse:
        """The page between choosing and doing: the rows, and the reason to reopen."""
        title = "実績値の確定" if mode == "confirm" else "実績値の確定取消"
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": title,
            "mode": mode,
            "rows": [
                (actual, actual_label(actual.indicator, actual), confirmation_label(actual))
                for actual in actuals
            ],
            "outside": row_names(outside) if outside else "",
            "form": form,
            "action": action,
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
            "changelist_url": reverse("admin:indicators_actual_changelist"),
        }
        return TemplateResponse(request, self.confirmation_template, context)

    @admin.display(description="確定状況", ordering="confirmed")
    def confirmation(self, obj: Actual) -> str:
        return confirmation_label(obj) if obj.pk else "入力中（保存後に DX推進担当が確定します）"

    @admin.display(description="指標", ordering="indicator__code")
    def indicator_summary(self, obj: Actual) -> str:
        return format_html(
            '<span class="kpi-code">{}</span> {}', obj.indicator.code, item_cell(obj.indicator)
        )

    @admin.display(description="年度", ordering="fiscal_year")
    def fiscal_year_label(self, obj: Actual) -> str:
        return wareki.fiscal_year_label(obj.fiscal_year)

    @admin.display(description="実績値")
    def value_label(self, obj: Actual) -> str:
        return actual_label(obj.indicator, obj)

    @admin.display(description="評価")
    def evaluation(self, obj: Actual) -> str:
        targets = getattr(obj.indicator, "all_targets", None)
        if targets is None:
            targets = list(obj.indicator.targets.all())
        target = next((t for t in targets if t.fiscal_year == obj.fiscal_year), None)
        return evaluation_html(
            indicator_year(
                indicator=obj.indicator, fiscal_year=obj.fiscal_year, target=target, actual=obj,
                due_year=due_year_of(obj.indicator, (t.fiscal_year for t in targets)),
            )
        )
