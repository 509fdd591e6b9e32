"""A KGI's page: its targets, actuals and history years as inline rows."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django import forms
from django.contrib import admin
from django.db import models
from django.urls import reverse
from django.utils.html import format_html

from audit.admin import VersionCheckedAdmin
from indicators import wording
from indicators.evaluation import due_year_of, indicator_year
from indicators.models import Actual, Indicator, Target
from indicators.selectors import confirmed_years
from indicators.services import LOCKED_DELETE_MESSAGE, target_locked_message
from indicators.wording import actual_label
from ise_iga_dx.lib import wareki
from office.admin.common import (
    DECIMAL_OVERRIDES,
    all_plan_years,
    confirmation_label,
    evaluation_html,
    year_choices,
)
from office.forms import ActualRowForm, TargetForm, entry_locked_form

if TYPE_CHECKING:
    from django.http import HttpRequest


class YearChoiceMixin:
    """Offer only the plan's fiscal years, labelled 令和8年度（2026）.

    A new row starts on the plan's first year that has no row yet.
    """

    def get_formset(self, request: HttpRequest, obj: Indicator | None = None, **kwargs: Any):
        formset = super().get_formset(request, obj, **kwargs)
        years = obj.plan.fiscal_years if obj else all_plan_years(request)
        initial = None
        if obj is not None and obj.pk is not None:
            taken = set(
                self.model._default_manager.filter(indicator=obj).values_list(
                    "fiscal_year", flat=True
                )
            )
            initial = next((year for year in years if year not in taken), None)
        formset.form.base_fields["fiscal_year"] = forms.TypedChoiceField(
            label="年度", coerce=int, choices=[("", "---------"), *year_choices(years)],
            initial=initial,
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
    """Edit only the plan period; earlier years are history, shown apart.

    Two rows of one year are refused naming the year, not with Django's
    「fiscal_year の重複したデータを修正してください。」.
    """

    # Foreign keys the rows show (fetched with them, not one query a row).
    related: tuple[str, ...] = ()
    # 「令和8年度（2026）の実績値が2行あります」
    row_noun = ""

    def __init__(self, *args: Any, instance: Indicator | None = None, **kwargs: Any) -> None:
        if instance is not None and instance.pk:
            queryset = self.model._default_manager.filter(
                fiscal_year__gte=instance.plan.start_year
            )
            if self.related:
                queryset = queryset.select_related(*self.related)
            kwargs["queryset"] = queryset
        super().__init__(*args, instance=instance, **kwargs)

    def validate_unique(self) -> None:
        rows: dict[int, list[forms.Form]] = {}
        for form in self.forms:
            if not form.is_valid() or self._should_delete_form(form):
                continue
            year = form.cleaned_data.get("fiscal_year")
            if year is not None:
                rows.setdefault(year, []).append(form)
        twice = {year: forms_ for year, forms_ in sorted(rows.items()) if len(forms_) > 1}
        if not twice:
            super().validate_unique()
            return
        messages = []
        for year, forms_ in twice.items():
            message = (
                f"{wareki.fiscal_year_label(year)}の{self.row_noun}が{len(forms_)}行あります。"
                "1年度に1行だけ入力してください。"
            )
            for form in forms_:
                form.add_error("fiscal_year", message)
            messages.append(message)
        raise forms.ValidationError(messages)


class ActualYearsFormSet(PlanYearsFormSet):
    """The plan years' actuals; a confirmed one cannot be deleted here.

    A change to a confirmed row is refused by its form (ActualForm); a
    deleted form is not validated, so its lock is checked here.
    """

    related = ("confirmed_by",)
    row_noun = "実績値"

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


class TargetYearsFormSet(PlanYearsFormSet):
    """The plan years' targets; one of a year whose actual is confirmed cannot be deleted."""

    row_noun = "目標値"

    def add_fields(self, form: forms.Form, index: int | None) -> None:
        """Name each box of the table's row for a screen reader (no label of its own)."""
        super().add_fields(form, index)
        for field in form.fields.values():
            if not field.widget.is_hidden and field.label:
                field.widget.attrs.setdefault("aria-label", str(field.label))

    def clean(self) -> None:
        super().clean()
        deleted = [
            form.instance for form in self.forms
            if self.can_delete and self._should_delete_form(form)
            and form.instance.pk is not None
        ]
        if not deleted:
            return
        confirmed = confirmed_years([self.instance.pk], lock=True).get(self.instance.pk, ())
        locked = [target.fiscal_year for target in deleted if target.fiscal_year in confirmed]
        if locked:
            raise forms.ValidationError(target_locked_message(locked[0]))


class HistoryFormSet(IndicatorRowsFormSet):
    def __init__(self, *args: Any, instance: Indicator | None = None, **kwargs: Any) -> None:
        manager = self.model._default_manager
        if instance is not None and instance.pk:
            kwargs["queryset"] = manager.filter(fiscal_year__lt=instance.plan.start_year)
        else:
            kwargs["queryset"] = manager.none()
        super().__init__(*args, instance=instance, **kwargs)


class PrintedActualMixin:
    """An actual's year and value as the documents print them, for rows
    shown, not edited (a blank template row, which has no year, shows
    nothing)."""

    @admin.display(description="年度")
    def year_label(self, obj: Actual) -> str:
        return wareki.fiscal_year_label(obj.fiscal_year) if obj.pk else ""

    @admin.display(description="実績値")
    def value_label(self, obj: Actual) -> str:
        return actual_label(obj.indicator, obj) if obj.pk else ""


class TargetInline(VersionCheckedAdmin, YearChoiceMixin, admin.TabularInline):
    """Targets by year; changing a stored value asks for a reason and date."""

    model = Target
    form = TargetForm
    formset = TargetYearsFormSet
    fields = ("fiscal_year", "value", "revision", "change_reason", "decided_on")
    readonly_fields = ("revision",)
    formfield_overrides = DECIMAL_OVERRIDES
    extra = 0
    verbose_name = "目標値"
    verbose_name_plural = (
        "目標値（年度ごと。登録済みの目標値を変えるときは変更理由と決定日が必要です）"
    )

    @admin.display(description="当初目標値・変更")
    def revision(self, obj: Target) -> str:
        return wording.revision_summary(obj)


class ActualInline(VersionCheckedAdmin, YearChoiceMixin, PrintedActualMixin,
                   admin.StackedInline):
    """The plan years' actuals, one block a year that fits a 1,280 px page.

    A confirmed row shows its stored values as text (ActualRowForm); its
    evaluation is always the stored actual's, never a refused value's.
    """

    model = Actual
    form = ActualRowForm
    formset = ActualYearsFormSet
    fieldsets = (
        (None, {"fields": (
            ("fiscal_year", "state", "value"),
            ("remark", "not_measured_reason"),
            ("evaluation", "confirmation"),
        )}),
        ("取組の評価（進捗・分析・今後の方向性）", {
            "fields": ("progress", "analysis", "direction"),
            "classes": ("kpi-commentary",),
        }),
    )
    readonly_fields = ("evaluation", "confirmation", "year_label", "value_label")
    formfield_overrides = {
        **DECIMAL_OVERRIDES,
        models.TextField: {"widget": forms.Textarea(attrs={"rows": 4, "cols": 80})},
    }
    extra = 0
    verbose_name = "実績値"
    verbose_name_plural = "実績値（年度ごと。保存すると評価が表示されます）"
    # Who may only view the rows reads the year and value as printed.
    VIEW_FIELDS = {"fiscal_year": "year_label", "value": "value_label"}

    def get_formset(self, request: HttpRequest, obj: Indicator | None = None, **kwargs: Any):
        formset = super().get_formset(request, obj, **kwargs)
        # Each row refuses a write the reporting round closes to this user.
        entry_locked_form(formset.form, request.user)
        return formset

    def formfield_for_dbfield(self, db_field: Any, request: HttpRequest, **kwargs: Any):
        # The reason beside 表記の補足 is a line or two, not a commentary.
        if db_field.name == "not_measured_reason":
            kwargs["widget"] = forms.Textarea(attrs={"rows": 2, "cols": 40})
        return super().formfield_for_dbfield(db_field, request, **kwargs)

    def get_fieldsets(self, request: HttpRequest, obj: Indicator | None = None) -> list[Any]:
        fieldsets = super().get_fieldsets(request, obj)
        # The rows are read-only where the user may not change them or the KGI.
        parent = self.admin_site.get_model_admin(self.parent_model)
        if self.has_change_permission(request, obj) and (
            obj is None or parent.has_change_permission(request, obj)
        ):
            return fieldsets
        swap = self.VIEW_FIELDS
        return [
            (name, {**options, "fields": tuple(
                tuple(swap.get(f, f) for f in line) if isinstance(line, (list, tuple))
                else swap.get(line, line)
                for line in options["fields"]
            )})
            for name, options in fieldsets
        ]

    @admin.display(description="評価（計算値）")
    def evaluation(self, obj: Actual) -> str:
        stored = getattr(obj, "kpi_stored", None)
        if obj.pk is None or stored is None:
            return "保存すると表示されます"
        shown = obj.indicator
        # The KGI as stored too: a refused save leaves its typed definition on it.
        indicator = getattr(shown, "kpi_stored", shown)
        # One query for all years of this indicator, not one per row.
        if not hasattr(shown, "_targets_by_year"):
            shown._targets_by_year = {t.fiscal_year: t for t in shown.targets.all()}
        targets = shown._targets_by_year
        row = indicator_year(
            indicator=indicator, fiscal_year=stored.fiscal_year,
            target=targets.get(stored.fiscal_year), actual=stored,
            due_year=due_year_of(indicator, targets),
        )
        return format_html("目標 {}<br>{}", row.target_label, evaluation_html(row))

    @admin.display(description="確定状況")
    def confirmation(self, obj: Actual) -> str:
        if obj.pk is None:
            return "入力中（保存後に DX推進担当が確定します）"
        # The actual's own page confirms or reopens it (for the DX office)
        # and says why a confirmed one is locked.
        return format_html(
            '<a href="{}">{}</a>',
            reverse("admin:indicators_actual_change", args=[obj.pk]),
            confirmation_label(obj),
        )


class HistoryInline(PrintedActualMixin, admin.TabularInline):
    model = Actual
    formset = HistoryFormSet
    fields = ("year_label", "value_label", "remark")
    readonly_fields = fields
    extra = 0
    max_num = 0
    can_delete = False
    verbose_name = "計画期間前の実績"
    verbose_name_plural = "計画期間前の実績（推移）"

