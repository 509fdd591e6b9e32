"""指標（KGI）: one page per KGI where its targets and actuals are entered
together, each year's evaluation shown beside them; the definitions import."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.contrib import admin, messages
from django.db.models import Case, Value, When
from django.utils.html import format_html_join
from django.utils.safestring import mark_safe
from import_export.admin import ImportMixin

from accounts.admin_scope import ScopedAdminMixin, ScopedRelatedFilter
from audit.admin import AuditedAdmin
from indicators import wording
from indicators.continuations import link_summary
from indicators.evaluation import IndicatorYear, due_year_of, evaluate_indicator_year
from indicators.models import Actual, Indicator, Target
from indicators.selectors import listed_rows, plan_default_year, with_due_year
from ise_iga_dx.lib import wareki
from ise_iga_dx.lib.params import parse_id
from office.admin.common import (
    DECIMAL_OVERRIDES,
    DEFAULT_YEAR_LABEL,
    LongListMixin,
    chosen_year,
    evaluation_html,
    item_cell,
    list_years,
)
from office.admin.filters import EvaluationFilter, FiscalYearFilter
from office.admin.inlines import ActualInline, HistoryInline, TargetInline
from office.admin.plans import entry_sheet_url, status_table_url
from office.forms import IndicatorForm
from plans.models import Initiative, Measure
from plans.selectors import plans_visible_to
from spreadsheets.admin import SpreadsheetImportMixin
from spreadsheets.resources import DefinitionResource, DefinitionSpreadsheetFormat

if TYPE_CHECKING:
    from django.db.models import QuerySet
    from django.http import HttpRequest


@admin.register(Indicator)
class IndicatorAdmin(
    LongListMixin, ScopedAdminMixin, SpreadsheetImportMixin, ImportMixin, AuditedAdmin
):
    """KGIs: entry of targets and actuals, and the definitions import.

    Only import: the definitions template (with the plan's KGIs filled in)
    is the export, downloaded per plan.
    """

    change_list_template = "admin/indicators/change_list_downloads.html"
    resource_classes = [DefinitionResource]
    import_formats = [DefinitionSpreadsheetFormat]
    import_template_name = "admin/indicators/definitions_import.html"
    import_help = (
        "計画ごとのテンプレート（指標定義）に記入したファイルから、施策と指標（KGI）・目標値を"
        "まとめて登録・更新します。空欄の項目は変更しません。1行でもエラーがあれば何も取り込みません。"
    )
    form = IndicatorForm
    list_display = (
        "code", "item_summary", "baseline_label", "year_target", "year_actual", "year_evaluation",
    )
    list_display_links = ("code", "item_summary")
    list_filter = (
        ("plan__municipality", ScopedRelatedFilter),
        ("plan", ScopedRelatedFilter),
        ("measure__policy", ScopedRelatedFilter),
        FiscalYearFilter,
        EvaluationFilter,
        "kind",
    )
    search_fields = ("code", "item", "plan__municipality__name")
    ordering = ("plan__municipality__code", "plan__code", "position")
    list_select_related = ("plan", "plan__municipality", "measure", "measure__policy")
    formfield_overrides = DECIMAL_OVERRIDES
    fieldsets = (
        (None, {"fields": ("plan", "measure", "initiative", "code", "position", "item",
                           "short_name")}),
        ("評価の方法", {"fields": ("unit", "kind", "accumulation", "done_label")}),
        ("現状値", {"fields": ("baseline", "baseline_year")}),
        ("注記", {"fields": ("notes",), "classes": ("collapse",)}),
        ("前期・後期の計画との接続", {"fields": ("continuity",)}),
    )
    readonly_fields = ("continuity",)
    inlines = (TargetInline, ActualInline, HistoryInline)

    def get_inline_instances(self, request: HttpRequest, obj: Indicator | None = None):
        instances = super().get_inline_instances(request, obj)
        # History (years before the plan) is listed only where there is some.
        has_history = obj is not None and obj.actuals.filter(
            fiscal_year__lt=obj.plan.start_year
        ).exists()
        return [i for i in instances if has_history or not isinstance(i, HistoryInline)]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Indicator]:
        queryset = super().get_queryset(request)
        match = request.resolver_match
        if match and match.url_name == "indicators_indicator_changelist":
            queryset = with_due_year(queryset)
        return queryset

    def get_ordering(self, request: HttpRequest) -> list[Any]:
        year = chosen_year(request)
        if year is None:
            return list(self.ordering)
        # Indicators whose plan covers the year chosen come first.
        in_period = Case(
            When(plan__start_year__lte=year, plan__end_year__gte=year, then=Value(0)),
            default=Value(1),
        )
        return [in_period.asc(), *self.ordering]

    def get_list_display(self, request: HttpRequest) -> tuple[str, ...]:
        if chosen_year(request) is None:
            # Rows of several plans may show different years: say which.
            return (*self.list_display[:2], "year_label", *self.list_display[2:])
        return self.list_display

    def changelist_view(self, request: HttpRequest, extra_context: dict | None = None):
        year = chosen_year(request)
        shown = DEFAULT_YEAR_LABEL if year is None else wareki.fiscal_year_label(year)
        extra_context = {
            **(extra_context or {}),
            "title": f"指標（KGI）一覧　{shown}",
            "kpi_downloads": self.downloads(request, year),
        }
        return super().changelist_view(request, extra_context)

    def downloads(self, request: HttpRequest, year: int | None) -> list[tuple[str, str]]:
        """Offer the spreadsheets of the plan and year the list shows."""
        plan_id = parse_id(request.GET.get("plan__id__exact"))
        plan = (
            None if plan_id is None
            else plans_visible_to(user=request.user).filter(pk=plan_id).first()
        )
        if plan is None:
            return []
        if year is None:
            year = plan_default_year(plan=plan)
        if year not in plan.fiscal_years:
            return []
        short = wareki.fiscal_year_short(year)
        return [
            (f"入力シート（{short}）", entry_sheet_url(plan, year=year)),
            (f"評価表（{short}）", status_table_url(plan, year)),
        ]

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any):
        # On an existing indicator, offer only its own plan's measures.
        obj_id = request.resolver_match.kwargs.get("object_id") if request.resolver_match else None
        if obj_id and db_field.name in ("measure", "initiative"):
            plan_id = Indicator.objects.filter(pk=obj_id).values("plan_id")[:1]
            if db_field.name == "measure":
                kwargs["queryset"] = Measure.objects.filter(
                    policy__plan_id__in=plan_id
                ).select_related("policy")
            else:
                kwargs["queryset"] = Initiative.objects.filter(
                    measure__policy__plan_id__in=plan_id
                )
        elif db_field.name == "measure":
            kwargs["queryset"] = Measure.objects.select_related("policy", "policy__plan")
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def row(self, obj: Indicator) -> IndicatorYear:
        return obj._kpi_row

    def get_changelist_instance(self, request: HttpRequest):
        """Evaluate the page's KGIs, each for the year its plan is shown on.

        Three queries for the page, whatever its size: the plans' default
        years (when no year is chosen), the targets and the actuals.
        """
        changelist = super().get_changelist_instance(request)
        indicators = list(changelist.result_list)
        years = list_years(request, {obj.plan for obj in indicators})
        for row in listed_rows(indicators, fiscal_years=years):
            row.indicator._kpi_row = row
        return changelist

    @admin.display(description="前期・後期の指標")
    def continuity(self, obj: Indicator) -> str:
        """Say which KGI this one continues, and which continues it (the links' admin edits)."""
        lines = [
            link_summary(link, side=side)
            for side, link in (("later", getattr(obj, "continues", None)),
                               ("earlier", getattr(obj, "continuation", None)))
            if link is not None
        ]
        if not lines:
            return "－（接続なし）"
        return format_html_join(mark_safe("<br>"), "{}", ((line,) for line in lines))

    @admin.display(description="年度")
    def year_label(self, obj: Indicator) -> str:
        return wareki.fiscal_year_short(self.row(obj).fiscal_year)

    @admin.display(description="項目", ordering="item")
    def item_summary(self, obj: Indicator) -> str:
        return item_cell(obj)

    @admin.display(description="現状値")
    def baseline_label(self, obj: Indicator) -> str:
        return obj.baseline_label

    @admin.display(description="目標値")
    def year_target(self, obj: Indicator) -> str:
        return self.row(obj).target_label

    @admin.display(description="実績値")
    def year_actual(self, obj: Indicator) -> str:
        return self.row(obj).actual_label

    @admin.display(description="評価")
    def year_evaluation(self, obj: Indicator) -> str:
        return evaluation_html(self.row(obj))

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        super().save_related(request, form, formsets, change)
        indicator = form.instance
        # A changed target re-evaluates its year's actual too.
        changed_years = {
            f.instance.fiscal_year for formset in formsets if formset.model in (Actual, Target)
            for f in formset.forms if f.has_changed() and f.instance.pk
        }
        if not changed_years:
            return
        targets = {t.fiscal_year: t for t in indicator.targets.all()}
        actuals = {a.fiscal_year: a for a in indicator.actuals.all()}
        due_year = due_year_of(indicator, targets)
        for year in sorted(changed_years & actuals.keys()):
            result = evaluate_indicator_year(
                indicator=indicator, target=targets.get(year), actual=actuals.get(year),
                due_year=due_year,
            )
            self.message_user(
                request,
                f"{indicator.code} {wareki.fiscal_year_label(year)}の評価："
                f"{wording.format_evaluation(result)}",
                messages.SUCCESS,
            )
