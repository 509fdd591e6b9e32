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
from office.forms import ActualForm, TargetForm

if TYPE_CHECKING:
    from django.http import HttpRequest


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


class TargetYearsFormSet(PlanYearsFormSet):
    """The plan years' targets; one of a year whose actual is confirmed cannot be deleted."""

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


class ActualInline(VersionCheckedAdmin, YearChoiceMixin, admin.TabularInline):
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
