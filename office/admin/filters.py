"""The admin's list filters: 年度, 評価, 確定状況."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.contrib import admin

from indicators import wording
from indicators.selectors import plan_year_rows
from ise_iga_dx.lib.params import parse_year
from office.admin.common import (
    DEFAULT_YEAR_LABEL,
    YEAR_PARAMETER,
    all_plan_years,
    chosen_year,
    list_years,
    year_choices,
)
from plans.models import Plan

if TYPE_CHECKING:
    from django.db.models import QuerySet
    from django.http import HttpRequest


class FiscalYearFilter(admin.SimpleListFilter):
    title = "年度"
    parameter_name = YEAR_PARAMETER

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
    table on every page of the list, half the page's time at national
    size (docs/performance.md, issue 6). The choices here are the years
    from the earliest to the latest row in the user's scope: two look-ups
    on the year index.
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


class ConfirmedFilter(admin.SimpleListFilter):
    title = "確定状況"
    parameter_name = "confirmed"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [("yes", "確定"), ("no", "入力中")]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        if self.value() in ("yes", "no"):
            return queryset.filter(confirmed=self.value() == "yes")
        return queryset
