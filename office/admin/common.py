"""What the office's admin pages share: year choices, status marks, list sizes."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.db import models
from django.utils import timezone
from django.utils.html import format_html

from audit.admin import EMPTY, READ_ONLY_TEXTS
from indicators import achievement, wording
from indicators.evaluation import IndicatorYear
from indicators.models import Actual, ActualState, Indicator, Target
from indicators.selectors import indicators_visible_to, plan_default_years
from ise_iga_dx.lib import wareki
from ise_iga_dx.lib.decimals import as_entered
from ise_iga_dx.lib.params import parse_year
from ise_iga_dx.lib.wareki import date_text
from office.forms import KpiDecimalField
from plans.models import Plan

if TYPE_CHECKING:
    from collections.abc import Iterable

    from django.http import HttpRequest


DECIMAL_OVERRIDES = {models.DecimalField: {"form_class": KpiDecimalField}}
# The KGI list's 年度 filter (FiscalYearFilter) reads this parameter.
YEAR_PARAMETER = "fiscal_year"
DEFAULT_YEAR_LABEL = "計画ごとの既定の年度（実績のある最新の年度）"
STATUS_CLASSES = {
    achievement.Status.ACHIEVED: "kpi-achieved",
    achievement.Status.NEAR: "kpi-near",
    achievement.Status.BELOW: "kpi-below",
    achievement.Status.PENDING: "kpi-pending",
    achievement.Status.NOT_MEASURED: "kpi-not-measured",
    achievement.Status.NOT_DUE: "kpi-not-due",
}


def target_value_text(target: Target) -> str:
    """Return a target as the documents print it: 「40.0%」「R7年度比 ▲2.0%」「完了」."""
    return wording.target_text(target.indicator, target.value, target.value_places)


def actual_value_text(actual: Actual) -> str:
    """Return an actual as the documents print it: 「175名」「－」「移行完了」."""
    if actual.state == ActualState.MEASURED and actual.value is None:
        return EMPTY
    return wording.actual_text(actual.indicator, actual.state, actual.value, actual.value_places)


def published_rate_text(actual: Actual) -> str:
    rate = as_entered(actual.published_rate, actual.published_rate_places)
    return EMPTY if rate is None else f"{rate:f}%"


def baseline_value_text(indicator: Indicator) -> str:
    return indicator.baseline_label


# Read-only pages print these values as the pages do, with the KGI's unit
# (audit.admin.ReadOnlyValues; other decimals and years it prints itself).
READ_ONLY_TEXTS.update({
    ("indicators.target", "value"): target_value_text,
    ("indicators.actual", "value"): actual_value_text,
    ("indicators.actual", "published_rate"): published_rate_text,
    ("indicators.indicator", "baseline"): baseline_value_text,
})


def item_cell(indicator: Indicator) -> str:
    """A KGI's item in a list: its short name (略称) when the office set one,
    else the item, cut at 40 characters; the full item shows on hover."""
    item = indicator.item
    shown = indicator.short_name or (item if len(item) <= 40 else item[:39] + "…")
    return format_html('<span title="{}">{}</span>', item, shown)


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
    year = parse_year(request.GET.get(YEAR_PARAMETER))
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


class LongListMixin:
    """The list settings of the tables that grow with every municipality.

    A national instance holds hundreds of thousands of targets and as
    many actuals. 「N件（全件M件）」 would count the table twice on every
    page, and Django's admin renders a row slowly (its action checkbox is
    a form widget): 50 rows a page keep the actual list within the pages'
    budget, 100 did not (measured in docs/performance.md, issue 6).
    """

    list_per_page = 50
    show_full_result_count = False
