"""The frozen pages of an edition: rendered once, at freezing, and kept as HTML.

The dashboard's KGI section, the print page's body and the 進捗管理シート
are rendered with the live pages' own includes (templates/includes/
plan_dashboard_*.html, print_sheet_*.html, progress_sheet_body.html) from
one read of the plan-year, inside the freezing transaction
(:func:`editions.services.freeze_edition`). No breadcrumbs, year selector
or chart: a frozen page needs no script and no data but its own HTML.

The KGIs changed since the previous edition carry 「◆変更あり」 and a thick
left border (static/css/editions.css), and each page opens with a legend
naming them, so the mark reads on greyscale paper.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.template.loader import render_to_string
from django.utils import timezone

from indicators import wording
from pages.progress import ProgressSheet, SheetBlock
from pages.selectors import plan_dashboard

if TYPE_CHECKING:
    from editions.models import Edition
    from pages.selectors import PlanDashboard

TEMPLATES = {
    "dashboard": "editions/frozen_dashboard.html",
    "print": "editions/frozen_print.html",
    "sheet": "editions/frozen_sheet.html",
}


def edition_line(*, number: int, meeting_name: str) -> str:
    """Return the line atop a frozen paper: 「会議資料版（第2版・会議名）」."""
    return f"会議資料版（第{number}版・{meeting_name}）"


def legend(data: dict[str, Any]) -> str:
    """Return what 「◆」 means and which KGIs changed how, or "" when nothing changed.

    「◆＝前回の版（第1版：会議名）から変わった指標。変更点の一覧：No.1 ISE1-01（実績値・評価）」
    """
    changes = data.get("changes") or []
    previous = data.get("previous")
    if not changes or previous is None:
        return ""
    numbers = {kgi["code"]: kgi["number"] for kgi in data["kgis"]}
    fields: dict[str, list[str]] = {}
    for change in changes:
        fields.setdefault(change["code"], []).append(change["field"])
    items = [
        (f"No.{numbers[code]} {code}" if code in numbers else code) + f"（{'・'.join(names)}）"
        for code, names in fields.items()
    ]
    return (
        f"◆＝前回の版（第{previous['number']}版：{previous['meeting_name']}）から変わった指標。"
        f"変更点の一覧：{'、'.join(items)}"
    )


def sheet_of(dashboard: PlanDashboard) -> ProgressSheet:
    """Return the 進捗管理シート from ``dashboard``, as pages.progress builds it (no reading)."""
    return ProgressSheet(
        plan=dashboard.plan, fiscal_year=dashboard.fiscal_year, counts=dashboard.counts,
        blocks=[
            SheetBlock(kgi=kgi, policy_heading=group.heading, measure=measure_group.measure)
            for group in dashboard.policies
            for measure_group in group.measures
            for kgi in measure_group.rows
        ],
    )


def render_pages(*, edition: Edition, changed: set[str]) -> dict[str, str]:
    """Return the dashboard, print page and 進捗管理シート of ``edition`` as HTML fragments.

    The queries of one dashboard (pages.selectors.plan_dashboard), whatever
    the number of KGIs.
    """
    dashboard = plan_dashboard(plan=edition.plan, fiscal_year=edition.fiscal_year)
    context = {
        "plan": edition.plan,
        "fiscal_year": edition.fiscal_year,
        "dashboard": dashboard,
        "sheet": sheet_of(dashboard),
        "as_of": wording.as_of_label(timezone.localtime(edition.frozen_at).date()),
        "edition_line": edition_line(number=edition.number, meeting_name=edition.meeting_name),
        "changed": changed,
        "change_legend": legend(edition.data) if changed else "",
    }
    return {name: render_to_string(template, context) for name, template in TEMPLATES.items()}
