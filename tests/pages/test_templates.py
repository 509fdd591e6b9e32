"""Every project template renders with a dummy context (zulip style)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth.forms import AuthenticationForm
from django.contrib.auth.models import User
from django.template.loader import render_to_string
from django.test import RequestFactory

from accounts.roles import Role, Scope
from editions.models import Edition
from indicators.evaluation import indicator_year
from indicators.models import Actual, Indicator, Target
from indicators.selectors import rows_rollup
from pages.selectors import (
    DepartmentSection,
    IndicatorPage,
    KgiRow,
    MeasureGroup,
    PlanDashboard,
    PlanSummary,
    PolicyGroup,
)
from pages.views import year_options
from plans.models import BasicPolicy, Department, Initiative, Measure, Municipality, Plan

TEMPLATES = Path(settings.BASE_DIR) / "templates"
# The admin's templates extend Django's own and need its full context;
# the admin tests render them.
SKIPPED = ("admin/",)


def project_templates() -> list[str]:
    names = (path.relative_to(TEMPLATES).as_posix() for path in TEMPLATES.rglob("*.html"))
    return sorted(name for name in names if not name.startswith(SKIPPED))


def dummy_context() -> dict[str, object]:
    """Return one context that every page and partial can render with."""
    municipality = Municipality(pk=1, code="demo", name="デモ市")
    plan = Plan(pk=1, municipality=municipality, code="demo", name="デモ計画",
                short_name="デモ", start_year=2026, end_year=2029)
    policy = BasicPolicy(pk=1, plan=plan, number=1, label="I", title="方針")
    measure = Measure(pk=1, policy=policy, number=1, label="①", title="施策")
    initiative = Initiative(pk=1, measure=measure, number=1, title="取組", purpose="目的")
    indicator = Indicator(
        pk=1, plan=plan, measure=measure, initiative=initiative, code="DEMO-01", position=1,
        item="<項目>", unit="件", baseline=Decimal(10), baseline_year=2025, notes="※ 注記",
    )
    target = Target(indicator=indicator, fiscal_year=2026, value=Decimal(20))
    actual = Actual(indicator=indicator, fiscal_year=2026, value=Decimal(21), progress="取組",
                    published_evaluation="not_achieved")
    row = indicator_year(indicator=indicator, fiscal_year=2026, target=target, actual=actual)
    history = indicator_year(indicator=indicator, fiscal_year=2025, target=None, actual=None)
    kgi = KgiRow(row=row, progress=Decimal("5.55"))
    counts = rows_rollup([row])
    groups = [MeasureGroup(measure=measure, rows=[kgi]), MeasureGroup(measure=measure, rows=[])]
    department = Department(pk=1, municipality=municipality, name="デモ課", division="局")
    department.measure_count = 1
    department.indicator_count = 1
    return {
        "plan": plan,
        "fiscal_year": 2026,
        "year_options": year_options(plan.fiscal_years, 2026),
        "year_notice": "指定された年度「x」は表示できないため、令和8年度（2026）を表示しています。",
        "dashboard": PlanDashboard(
            plan=plan, fiscal_year=2026, counts=counts, mismatches=1,
            policies=[PolicyGroup(policy=policy, measures=groups, counts=counts)],
        ),
        "summaries": [PlanSummary(plan=plan, fiscal_year=2026, counts=counts, mismatches=1)],
        "my_departments": [department],
        "departments": [department],
        "department": department,
        "sections": [DepartmentSection(plan=plan, fiscal_year=2026, counts=counts,
                                       measures=groups)],
        "indicator": indicator,
        "page": IndicatorPage(indicator=indicator, years=[KgiRow(row=history), kgi],
                              progress=Decimal(5), final_year=2029),
        "chart": None,
        "chart_id": "chart-demo",
        "label": "グラフ",
        "measures": groups,
        "counts": counts,
        "mark": kgi.mark,
        "caption": "表",
        "edition": Edition(
            pk=1, plan=plan, fiscal_year=2026, number=1, meeting_name="会議",
            meeting_date=date(2027, 6, 10), frozen_at=datetime(2027, 6, 1, tzinfo=UTC),
            data={}, digest="0" * 64,
        ),
        "form": AuthenticationForm(),
        "next": "/",
    }


def test_the_project_has_page_templates():
    assert {"base.html", "pages/plan.html", "registration/login.html"} <= set(
        project_templates()
    )


@pytest.mark.parametrize("name", project_templates())
@pytest.mark.parametrize("staff", [True, False])
def test_template_renders_with_a_dummy_context(name, staff):
    request = RequestFactory().get("/")
    request.user = User(pk=1, username="dummy", is_staff=staff)
    # The scope a role gives, without a database.
    request.user._kpi_scope = Scope(role=Role.OFFICE if staff else Role.VIEWER, municipality_id=1)
    html = render_to_string(name, dummy_context(), request=request)
    assert "&lt;項目&gt;" in html or "<項目>" not in html
    if name.startswith(("pages/", "registration/")) or name == "base.html":
        assert html.startswith("<!DOCTYPE html>")
