"""Admin for KGIs: one page per indicator where its targets and actuals are
entered together, each year's evaluation shown beside them."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.db import models
from django.db.models import Case, Prefetch, Value, When
from django.http import Http404, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from import_export.admin import ImportExportModelAdmin, ImportMixin
from import_export.forms import ImportForm

from accounts.admin_scope import NOT_FOUND, ScopedAdminMixin, ScopedRelatedFilter
from accounts.roles import scope_of
from indicators import achievement, wording
from indicators.evaluation import (
    IndicatorYear,
    due_year_of,
    evaluate_indicator_year,
    indicator_year,
)
from indicators.forms import (
    ActualForm,
    IndicatorForm,
    KpiDecimalField,
    ReopenForm,
    TargetForm,
)
from indicators.imports import ImportRefused, max_upload_bytes
from indicators.models import Actual, Indicator, Target
from indicators.resources import (
    EXPORT_FORMATS,
    ActualResource,
    ActualSpreadsheetFormat,
    DefinitionResource,
    DefinitionSpreadsheetFormat,
    TargetResource,
    TargetSpreadsheetFormat,
)
from indicators.selectors import (
    indicators_visible_to,
    listed_rows,
    plan_default_year,
    plan_default_years,
    plan_year_rows,
    with_due_year,
)
from indicators.services import (
    LOCKED_DELETE_MESSAGE,
    LOCKED_MESSAGE,
    actuals_confirm,
    actuals_reopen,
)
from indicators.wording import actual_label
from ise_iga_dx.lib import wareki
from ise_iga_dx.lib.params import parse_id, parse_year
from ise_iga_dx.lib.wareki import date_text
from plans.admin import entry_sheet_url, status_table_url
from plans.history_admin import AuditedAdmin
from plans.models import Initiative, Measure, Plan
from plans.selectors import plans_managed_by, plans_visible_to

if TYPE_CHECKING:
    from collections.abc import Iterable

    from django.db.models import QuerySet
    from django.http import HttpRequest

DECIMAL_OVERRIDES = {models.DecimalField: {"form_class": KpiDecimalField}}
DEFAULT_YEAR_LABEL = "計画ごとの既定の年度（実績のある最新の年度）"
STATUS_CLASSES = {
    achievement.Status.ACHIEVED: "kpi-achieved",
    achievement.Status.NEAR: "kpi-near",
    achievement.Status.BELOW: "kpi-below",
    achievement.Status.PENDING: "kpi-pending",
    achievement.Status.NOT_MEASURED: "kpi-not-measured",
    achievement.Status.NOT_DUE: "kpi-not-due",
}


def year_choices(years: Any) -> list[tuple[int, str]]:
    return [(year, wareki.fiscal_year_label(year)) for year in years]


def all_plan_years(request: HttpRequest | None = None) -> list[int]:
    """Return every fiscal year some plan covers (once per request)."""
    cached = getattr(request, "_kpi_plan_years", None)
    if cached is not None:
        return cached
    years: set[int] = set()
    plans = Plan.objects.all()
    if request is not None:
        plans = plans.filter(pk__in=indicators_visible_to(user=request.user).values("plan_id"))
    for start, end in plans.values_list("start_year", "end_year"):
        years.update(range(start, end + 1))
    if request is not None:
        request._kpi_plan_years = sorted(years)
    return sorted(years)


def chosen_year(request: HttpRequest) -> int | None:
    """Return the fiscal year chosen in the KGI list's 年度 filter.

    None (nothing or no usable year chosen) shows every KGI on its own
    plan's default year (selectors.plan_default_years), as the pages do.
    """
    year = parse_year(request.GET.get(FiscalYearFilter.parameter_name))
    return year if year in all_plan_years(request) else None


def list_years(request: HttpRequest, plans: Iterable[Plan]) -> dict[int, int]:
    """Return the year each of ``plans`` is shown on in the KGI list, by plan id."""
    year = chosen_year(request)
    if year is None:
        return plan_default_years(plans=plans)
    return {plan.pk: year for plan in plans}


def evaluation_html(row: IndicatorYear) -> str:
    """Return the evaluation with its status mark, and any published mismatch."""
    if not row.in_period:
        return format_html('<span class="kpi-out">{}</span>', row.evaluation_label)
    status = row.status
    symbol = wording.STATUS_SYMBOLS[status]
    label = row.evaluation_label
    html = format_html(
        '<span class="{}">{}</span>',
        STATUS_CLASSES[status],
        label if label == symbol else f"{symbol} {label}",
    )
    if row.mismatch:
        html += format_html(
            '<br><strong class="kpi-mismatch">⚠ 公表値と相違（文書：{}）</strong>',
            row.published_label,
        )
    return html


class FiscalYearFilter(admin.SimpleListFilter):
    title = "年度"
    parameter_name = "fiscal_year"

    def __init__(self, request: HttpRequest, *args: Any) -> None:
        super().__init__(request, *args)
        self.effective_year = chosen_year(request)

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[int, str]]:
        return year_choices(all_plan_years(request))

    def choices(self, changelist: Any):
        # No 「全て」: each row shows one year, its plan's default or the one chosen.
        yield {
            "selected": self.effective_year is None,
            "query_string": changelist.get_query_string(remove=[self.parameter_name]),
            "display": DEFAULT_YEAR_LABEL,
        }
        for year, label in self.lookup_choices:
            yield {
                "selected": year == self.effective_year,
                "query_string": changelist.get_query_string({self.parameter_name: year}),
                "display": label,
            }

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        # The year selects which target and actual are shown, not which rows.
        return queryset


class RowYearFilter(admin.SimpleListFilter):
    """年度 of the actual and target lists, without reading every row for it.

    Django's filter for a plain field runs SELECT DISTINCT over the whole
    table: 76 ms over the 557,000 actuals of a national instance, on every
    page of the list. The choices here are the years from the earliest to
    the latest row in the user's scope: two look-ups on the year index.
    The parameter keeps Django's name, so bookmarked lists still filter.
    """

    title = "年度"
    parameter_name = "fiscal_year__exact"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[int, str]]:
        years = model_admin.get_queryset(request).values_list("fiscal_year", flat=True)
        first = years.order_by("fiscal_year").first()
        if first is None:
            return []
        last = years.order_by("-fiscal_year").first()
        return year_choices(range(first, last + 1))

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        year = parse_year(self.value())
        return queryset if year is None else queryset.filter(fiscal_year=year)


class EvaluationFilter(admin.SimpleListFilter):
    title = "評価（選択年度）"
    parameter_name = "evaluation"
    MISMATCH = "mismatch"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        choices = [(value.value, label) for value, label in wording.EVALUATION_LABELS.items()]
        return [*choices, (self.MISMATCH, "公表値と相違")]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        wanted = self.value()
        if not wanted:
            return queryset
        plans = Plan.objects.filter(pk__in=queryset.values("plan_id"))
        rows = plan_year_rows(
            indicators=queryset.prefetch_related(None), fiscal_years=list_years(request, plans)
        )
        if wanted == self.MISMATCH:
            keep = [row.indicator.pk for row in rows if row.mismatch]
        else:
            keep = [
                row.indicator.pk for row in rows
                if row.in_period and row.result.evaluation == wanted
            ]
        return queryset.filter(pk__in=keep)


class YearChoiceMixin:
    """Offer only the plan's fiscal years, labelled 令和8年度（2026）."""

    def get_formset(self, request: HttpRequest, obj: Indicator | None = None, **kwargs: Any):
        formset = super().get_formset(request, obj, **kwargs)
        years = obj.plan.fiscal_years if obj else all_plan_years(request)
        formset.form.base_fields["fiscal_year"] = forms.TypedChoiceField(
            label="年度", coerce=int, choices=[("", "---------"), *year_choices(years)],
        )
        return formset


class IndicatorRowsFormSet(forms.BaseInlineFormSet):
    """Give every row the page's own indicator object.

    Rows then share one indicator (and its cached targets) instead of each
    fetching it again: the page's queries do not grow with its years.
    """

    def _construct_form(self, i: int, **kwargs: Any) -> forms.Form:
        form = super()._construct_form(i, **kwargs)
        if self.instance.pk and form.instance.indicator_id == self.instance.pk:
            form.instance.indicator = self.instance
        return form


class PlanYearsFormSet(IndicatorRowsFormSet):
    """Edit only the plan period; earlier years are history, shown apart."""

    # Foreign keys the rows show (fetched with them, not one query a row).
    related: tuple[str, ...] = ()

    def __init__(self, *args: Any, instance: Indicator | None = None, **kwargs: Any) -> None:
        if instance is not None and instance.pk:
            queryset = self.model._default_manager.filter(
                fiscal_year__gte=instance.plan.start_year
            )
            if self.related:
                queryset = queryset.select_related(*self.related)
            kwargs["queryset"] = queryset
        super().__init__(*args, instance=instance, **kwargs)


class ActualYearsFormSet(PlanYearsFormSet):
    """The plan years' actuals; a confirmed one cannot be deleted here.

    A change to a confirmed row is refused by its form (ActualForm); a
    deleted form is not validated, so its lock is checked here.
    """

    related = ("confirmed_by",)

    def clean(self) -> None:
        super().clean()
        locked = [
            form for form in self.forms
            if self.can_delete and self._should_delete_form(form)
            and form.instance.pk is not None and form.instance.confirmed
        ]
        for form in locked:
            form.add_error(None, LOCKED_DELETE_MESSAGE)
        if locked:
            years = "、".join(
                wareki.fiscal_year_label(form.instance.fiscal_year) for form in locked
            )
            raise forms.ValidationError(f"{years}の実績値：{LOCKED_DELETE_MESSAGE}")


class HistoryFormSet(IndicatorRowsFormSet):
    def __init__(self, *args: Any, instance: Indicator | None = None, **kwargs: Any) -> None:
        manager = self.model._default_manager
        if instance is not None and instance.pk:
            kwargs["queryset"] = manager.filter(fiscal_year__lt=instance.plan.start_year)
        else:
            kwargs["queryset"] = manager.none()
        super().__init__(*args, instance=instance, **kwargs)


def confirmation_label(actual: Actual) -> str:
    """Return 「確定（令和8年9月1日・office）」 or 「入力中」."""
    if not actual.confirmed:
        return "入力中"
    parts = []
    if actual.confirmed_at is not None:
        parts.append(date_text(timezone.localdate(actual.confirmed_at)))
    user = actual.confirmed_by
    if user is not None:
        parts.append(user.get_full_name() or user.get_username())
    return f"確定（{'・'.join(parts)}）" if parts else "確定"


class TargetInline(YearChoiceMixin, admin.TabularInline):
    """Targets by year; changing a stored value asks for a reason and date."""

    model = Target
    form = TargetForm
    formset = PlanYearsFormSet
    fields = ("fiscal_year", "value", "revision", "change_reason", "decided_on")
    readonly_fields = ("revision",)
    formfield_overrides = DECIMAL_OVERRIDES
    extra = 0
    verbose_name = "目標値"
    verbose_name_plural = "目標値（年度ごと。登録済みの目標値を変えるときは変更理由と決定日が必要です）"

    @admin.display(description="当初目標値・変更")
    def revision(self, obj: Target) -> str:
        return wording.revision_summary(obj)


class ActualInline(YearChoiceMixin, admin.TabularInline):
    model = Actual
    form = ActualForm
    formset = ActualYearsFormSet
    fields = (
        "fiscal_year", "state", "value", "remark", "not_measured_reason", "evaluation",
        "confirmation", "progress", "analysis", "direction",
    )
    readonly_fields = ("evaluation", "confirmation")
    formfield_overrides = {
        **DECIMAL_OVERRIDES,
        models.TextField: {"widget": forms.Textarea(attrs={"rows": 2, "cols": 16})},
    }
    extra = 0
    verbose_name = "実績値"
    verbose_name_plural = "実績値（年度ごと。保存すると評価が表示されます）"

    @admin.display(description="評価（計算値）")
    def evaluation(self, obj: Actual) -> str:
        if obj.pk is None:
            return "保存すると表示されます"
        indicator = obj.indicator
        # One query for all years of this indicator, not one per row.
        if not hasattr(indicator, "_targets_by_year"):
            indicator._targets_by_year = {t.fiscal_year: t for t in indicator.targets.all()}
        target = indicator._targets_by_year.get(obj.fiscal_year)
        row = indicator_year(
            indicator=indicator, fiscal_year=obj.fiscal_year, target=target, actual=obj,
            due_year=due_year_of(indicator, indicator._targets_by_year),
        )
        return format_html("目標 {}<br>{}", row.target_label, evaluation_html(row))

    @admin.display(description="確定状況")
    def confirmation(self, obj: Actual) -> str:
        if obj.pk is None:
            return ""
        # The actual's own page confirms or reopens it (for the DX office)
        # and says why a confirmed one is locked.
        return format_html(
            '<a href="{}">{}</a>',
            reverse("admin:indicators_actual_change", args=[obj.pk]),
            confirmation_label(obj),
        )


class HistoryInline(admin.TabularInline):
    model = Actual
    formset = HistoryFormSet
    fields = ("fiscal_year_label", "value_label", "remark")
    readonly_fields = fields
    extra = 0
    max_num = 0
    can_delete = False
    verbose_name = "計画期間前の実績"
    verbose_name_plural = "計画期間前の実績（推移）"

    # The admin also renders a blank template row, which has no year.
    @admin.display(description="年度")
    def fiscal_year_label(self, obj: Actual) -> str:
        return wareki.fiscal_year_label(obj.fiscal_year) if obj.pk else ""

    @admin.display(description="実績値")
    def value_label(self, obj: Actual) -> str:
        return actual_label(obj.indicator, obj) if obj.pk else ""


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
            # The templates of the plans this user may change, and no others.
            context["template_links"] = [
                (f"{plan.name}（{plan.code}）",
                 reverse("indicators:definitions_template", args=[plan.code]))
                for plan in plans_managed_by(user=request.user)
            ]
        return response

    def add_data_read_fail_error_to_form(self, form: Any, error: Exception) -> None:
        if isinstance(error, ImportRefused):
            form.add_error("import_file", str(error))
        else:
            super().add_data_read_fail_error_to_form(form, error)

    def get_import_data_kwargs(self, **kwargs: Any) -> dict[str, Any]:
        # At confirmation too, one bad row rolls back every row.
        return {**super().get_import_data_kwargs(**kwargs), "rollback_on_validation_errors": True}

    def process_import(self, request: HttpRequest, **kwargs: Any) -> Any:
        """Confirm an import, unless its upload is gone: then say to upload again.

        The upload waits in the cache between preview and confirmation; a
        second click on 確定, or a cleared cache, finds it gone, and the
        confirm page's hidden fields come back from the browser.
        django-import-export would answer either with a 500.
        """
        if (request.method == "POST" and self.has_import_permission(request)
                and not self.confirmation_usable(request)):
            self.message_user(request, UPLOAD_GONE_MESSAGE, messages.ERROR)
            return HttpResponseRedirect(
                reverse(f"admin:{self.model._meta.app_label}_{self.model._meta.model_name}_import")
            )
        return super().process_import(request, **kwargs)

    def confirmation_usable(self, request: HttpRequest) -> bool:
        form = self.create_confirm_form(request)
        if not form.is_valid():
            return True  # django-import-export shows the form's errors
        data = form.cleaned_data
        if not (listed_index(data["format"], len(self.get_import_formats()))
                and listed_index(data.get("resource") or "0",
                                 len(self.get_import_resource_classes(request)))):
            return False
        storage = self.get_tmp_storage_class()(
            name=data["import_file_name"], read_mode="rb", **self.get_tmp_storage_class_kwargs()
        )
        return storage.read() is not None

    def process_result(self, result: Any, request: HttpRequest) -> Any:
        if result.has_errors() or result.has_validation_errors():
            # The data changed between preview and confirmation.
            self.message_user(
                request,
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


class LongListMixin:
    """The list settings of the tables that grow with every municipality.

    A national instance holds 69,640 KGIs and 557,000 targets and as many
    actuals. 「N件（全件M件）」 would count the table twice on every page;
    and Django's admin takes about 1 ms to render a row (its action
    checkbox is a form widget): 100 rows kept the actual list over the
    pages' 150 ms budget, 50 keep it under (docs/performance.md).
    """

    list_per_page = 50
    show_full_result_count = False


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
        (None, {"fields": ("plan", "measure", "initiative", "code", "position", "item")}),
        ("評価の方法", {"fields": ("unit", "kind", "accumulation", "done_label")}),
        ("現状値", {"fields": ("baseline", "baseline_year")}),
        ("注記", {"fields": ("notes",), "classes": ("collapse",)}),
    )
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

    @admin.display(description="年度")
    def year_label(self, obj: Indicator) -> str:
        return wareki.fiscal_year_short(self.row(obj).fiscal_year)

    @admin.display(description="項目", ordering="item")
    def item_summary(self, obj: Indicator) -> str:
        return obj.item if len(obj.item) <= 40 else obj.item[:39] + "…"

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


class ConfirmedFilter(admin.SimpleListFilter):
    title = "確定状況"
    parameter_name = "confirmed"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [("yes", "確定"), ("no", "入力中")]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        if self.value() in ("yes", "no"):
            return queryset.filter(confirmed=self.value() == "yes")
        return queryset


def row_names(actuals: list[Actual], limit: int = 10) -> str:
    """Return 「ISE2-01 R8、ISE2-02 R8 ほか3件」 for a message."""
    names = [
        f"{actual.indicator.code} {wareki.fiscal_year_short(actual.fiscal_year)}"
        for actual in actuals[:limit]
    ]
    more = f" ほか{len(actuals) - limit}件" if len(actuals) > limit else ""
    return "、".join(names) + more


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
        "1行目を見出しとし、指標コード・年度・実績値（任意で備考）の列を読み取ります。"
        "年度は「2026」「R8」「令和8年度」、実績値は「1,467」「45.0%」「－」（評価対象外）"
        "「完了」「未完了」のように書けます。空欄の行は未入力のまま残ります。"
        "1行でもエラーがあれば何も取り込みません。"
    )
    form = ActualForm
    list_display = (
        "indicator", "fiscal_year_label", "value_label", "evaluation", "confirmation",
        "updated_at",
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
                request, f"{unchanged_why}{len(unchanged)}件はそのままです：{row_names(unchanged)}",
                messages.INFO,
            )
        if outside:
            self.message_user(
                request,
                f"担当外の計画の実績値{len(outside)}件は変更しませんでした：{row_names(outside)}",
                messages.WARNING,
            )

    @admin.action(description="選択した実績値を確定する", permissions=("confirm",))
    def confirm_selected(self, request: HttpRequest, queryset: QuerySet[Actual]) -> None:
        if not self.has_confirm_permission(request):
            raise PermissionDenied
        managed, outside = self.managed_rows(request, queryset)
        outcome = actuals_confirm(actuals=managed, user=request.user)
        self.report(
            request, done="確定しました", changed=outcome.changed, unchanged=outcome.unchanged,
            unchanged_why="確定済みの", outside=outside,
        )

    @admin.action(description="確定を取り消す（理由が必要）", permissions=("confirm",))
    def reopen_selected(self, request: HttpRequest, queryset: QuerySet[Actual]) -> Any:
        if not self.has_confirm_permission(request):
            raise PermissionDenied
        managed, outside = self.managed_rows(request, queryset)
        form = ReopenForm(request.POST if "apply" in request.POST else None)
        if form.is_bound and form.is_valid():
            outcome = actuals_reopen(
                actuals=managed, user=request.user, reason=form.cleaned_data["reason"]
            )
            self.report(
                request, done="入力中に戻しました（確定取消）", changed=outcome.changed,
                unchanged=outcome.unchanged, unchanged_why="確定されていない", outside=outside,
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
            outcome = actuals_confirm(actuals=[obj], user=request.user)
            self.report(
                request, done="確定しました", changed=outcome.changed,
                unchanged=outcome.unchanged, unchanged_why="確定済みの", outside=[],
            )
            return HttpResponseRedirect(reverse("admin:indicators_actual_change", args=[obj.pk]))
        return self.render_confirmation(request, mode="confirm", actuals=[obj])

    def reopen_view(self, request: HttpRequest, object_id: str) -> Any:
        obj = self.confirmable(request, object_id)
        form = ReopenForm(request.POST if request.method == "POST" else None)
        if form.is_bound and form.is_valid():
            outcome = actuals_reopen(
                actuals=[obj], user=request.user, reason=form.cleaned_data["reason"]
            )
            self.report(
                request, done="入力中に戻しました（確定取消）", changed=outcome.changed,
                unchanged=outcome.unchanged, unchanged_why="確定されていない", outside=[],
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
    list_display = ("indicator", "fiscal_year", "value", "revision")
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

    @admin.display(description="当初目標値・変更")
    def revision(self, obj: Target) -> str:
        return wording.revision_summary(obj)

    @admin.display(description="前回の変更理由")
    def last_reason(self, obj: Target) -> str:
        return obj.revision_reason or wording.DASH
