"""The pages staff read: home, plan dashboard, print-outs, one KGI, a department.

Views parse the request, call a selector and render. A ``?year=`` that is
not a year of the plan falls back to the default year with a notice, so a
stale bookmark still opens a page.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.views.decorators.http import require_safe

from indicators import wording
from indicators.continuations import with_links
from indicators.history import indicator_change_history
from indicators.selectors import indicators_visible_to, plan_default_year
from ise_iga_dx.lib import wareki
from ise_iga_dx.lib.params import parse_year
from pages import charts, progress, selectors
from pages.years import plan_year_table
from plans.selectors import departments_of_user, departments_visible_to, plans_visible_to

if TYPE_CHECKING:
    from collections.abc import Iterable

    import plotly.graph_objects as go
    from django.http import HttpRequest, HttpResponse

    from plans.models import Plan

# Primary keys are 64-bit; a larger id is a 404, not a database overflow.
MAX_ID = 2**63 - 1
SHOWN_INPUT = 20
# The home page shows plans a page at a time: a national instance holds
# 1,741 municipalities' plans, too many to evaluate for one page
# (docs/performance.md, issue 6).
PLANS_PER_PAGE = 20
MAX_SEARCH = 100


@dataclass(frozen=True)
class YearOption:
    """One ``<option>`` of the year selector."""

    value: int
    selected: bool

    @property
    def label(self) -> str:
        return wareki.fiscal_year_label(self.value)


def year_options(years: Iterable[int], selected: int | None) -> list[YearOption]:
    return [YearOption(value=year, selected=year == selected) for year in sorted(set(years))]


def requested_year(request: HttpRequest) -> tuple[int | None, str]:
    """Return ``?year=`` as a number (or None) and as typed."""
    raw = request.GET.get("year", "").strip()
    return parse_year(raw), raw


def year_notice(raw: str, shown: str) -> str:
    """Return why a typed ``?year=`` was not used; nothing was typed, nothing to say."""
    if not raw:
        return ""
    typed = raw if len(raw) <= SHOWN_INPUT else raw[:SHOWN_INPUT] + "…"
    return f"指定された年度「{typed}」は表示できないため、{shown}を表示しています。"


def plan_year(request: HttpRequest, plan: Plan) -> tuple[int, str]:
    """Return the year to show for ``plan`` and a notice when ``?year=`` was ignored."""
    year, raw = requested_year(request)
    if year in plan.fiscal_years:
        return year, ""
    default = plan_default_year(plan=plan)
    return default, year_notice(raw, wareki.fiscal_year_label(default))


@login_required
@require_safe
def home(request: HttpRequest) -> HttpResponse:
    """List the plans the user may see, a page at a time, with their counts.

    ``?q=`` narrows them by plan, municipality or prefecture name; the
    department list shows the departments of the municipalities on the page.
    """
    query = request.GET.get("q", "").strip()[:MAX_SEARCH]
    plans = selectors.search_plans(plans=plans_visible_to(user=request.user), query=query)
    page = Paginator(plans, PLANS_PER_PAGE).get_page(request.GET.get("page"))
    shown = list(page.object_list)
    return render(request, "pages/home.html", {
        "page": page,
        "page_numbers": page.paginator.get_elided_page_range(page.number, on_each_side=2),
        "query": query,
        "summaries": selectors.plan_summaries(plans=shown),
        "my_departments": departments_of_user(user=request.user),
        "departments": selectors.departments_with_measures(
            departments=departments_visible_to(user=request.user).filter(
                municipality__in={plan.municipality_id for plan in shown}
            )
        ),
    })


def optional_figure(fig: go.Figure | None) -> dict[str, object] | None:
    """Return ``fig`` for ``json_script``, or None where there is no chart to draw."""
    return None if fig is None else charts.figure_json(fig)


def dashboard_context(request: HttpRequest, code: str) -> dict[str, object]:
    plan = get_object_or_404(plans_visible_to(user=request.user), code=code)
    fiscal_year, notice = plan_year(request, plan)
    dashboard = selectors.plan_dashboard(plan=plan, fiscal_year=fiscal_year)
    return {
        "plan": plan,
        "fiscal_year": fiscal_year,
        "year_options": year_options(plan.fiscal_years, fiscal_year),
        "year_notice": notice,
        "dashboard": dashboard,
        "chart": optional_figure(charts.plan_counts_chart(rows_by_policy=[
            (str(group.policy), group.counts) for group in dashboard.policies
        ])),
    }


@login_required
@require_safe
def plan(request: HttpRequest, code: str) -> HttpResponse:
    return render(request, "pages/plan.html", dashboard_context(request, code))


def print_context(*, plan: Plan, fiscal_year: int) -> dict[str, object]:
    """Return the dashboard's data for paper: no chart, and today's date."""
    return {
        "plan": plan,
        "fiscal_year": fiscal_year,
        "dashboard": selectors.plan_dashboard(plan=plan, fiscal_year=fiscal_year),
        "as_of": wording.as_of_label(timezone.localdate()),
    }


@login_required
@require_safe
def plan_print(request: HttpRequest, code: str) -> HttpResponse:
    """Render the print layout for ``?year=`` (the dashboard's link).

    An unusable ``?year=`` falls back to the plan's default year, as on the
    dashboard, so an old bookmark still prints something.
    """
    plan = get_object_or_404(plans_visible_to(user=request.user), code=code)
    fiscal_year, notice = plan_year(request, plan)
    context = print_context(plan=plan, fiscal_year=fiscal_year)
    context["year_notice"] = notice
    return render(request, "pages/plan_print.html", context)


@login_required
@require_safe
def plan_print_year(request: HttpRequest, code: str, year: int) -> HttpResponse:
    """Render the print layout for a year in the path; a year outside the plan is a 404."""
    plan = get_object_or_404(plans_visible_to(user=request.user), code=code)
    if year not in plan.fiscal_years:
        raise Http404("この計画にその年度はありません。")
    return render(request, "pages/plan_print.html", print_context(plan=plan, fiscal_year=year))


@login_required
@require_safe
def plan_progress_sheet(request: HttpRequest, code: str, year: int) -> HttpResponse:
    """Render the 進捗管理シート: one block per KGI with its commentary (A4 portrait).

    Reached from the print page and the dashboard; the same plans and
    years as :func:`plan_print_year`.
    """
    plan = get_object_or_404(plans_visible_to(user=request.user), code=code)
    if year not in plan.fiscal_years:
        raise Http404("この計画にその年度はありません。")
    return render(request, "pages/progress_sheet.html", {
        "plan": plan,
        "fiscal_year": year,
        "sheet": progress.progress_sheet(plan=plan, fiscal_year=year),
        "as_of": wording.as_of_label(timezone.localdate()),
    })


@login_required
@require_safe
def plan_years(request: HttpRequest, code: str) -> HttpResponse:
    """Render the 年度推移: every KGI × every plan year, for screen and A4 landscape.

    The plans of the dashboard; linked from it and from the print page.
    """
    plan = get_object_or_404(plans_visible_to(user=request.user), code=code)
    return render(request, "pages/plan_years.html", {
        "plan": plan,
        "table": plan_year_table(plan=plan),
        "as_of": wording.as_of_label(timezone.localdate()),
    })


@login_required
@require_safe
def indicator(request: HttpRequest, code: str) -> HttpResponse:
    visible = indicators_visible_to(user=request.user)
    found = get_object_or_404(
        selectors.indicators_for_page(indicators=with_links(visible)), code=code
    )
    page = selectors.indicator_page(indicator=found, visible=visible)
    rows = [item.row for item in page.years]
    series = page.series
    return render(request, "pages/indicator.html", {
        "indicator": found,
        "page": page,
        "chart": optional_figure(charts.indicator_chart(rows=rows)),
        "chart_absence": charts.indicator_chart_absence(rows),
        "series_chart": series and optional_figure(charts.series_chart(series=series)),
        "series_chart_absence": series and charts.series_chart_absence(series),
        "changes": indicator_change_history(indicator=found),
    })


@login_required
@require_safe
def department(request: HttpRequest, pk: int) -> HttpResponse:
    if pk > MAX_ID:
        raise Http404("所管課が見つかりません。")
    found = get_object_or_404(departments_visible_to(user=request.user), pk=pk)
    year, raw = requested_year(request)
    sections = selectors.department_sections(department=found, fiscal_year=year)
    years = {fiscal_year for section in sections for fiscal_year in section.plan.fiscal_years}
    if year not in years:
        year = None
    return render(request, "pages/department.html", {
        "department": found,
        "sections": sections,
        "year_options": year_options(years, year),
        "year_notice": year_notice(raw, "各計画の既定の年度") if year is None else "",
    })
