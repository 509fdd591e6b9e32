"""Reading editions and publications."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from editions.models import Edition, Publication

if TYPE_CHECKING:
    from django.db.models import QuerySet

    from plans.models import Plan


def editions_of(*, plans: QuerySet[Plan]) -> QuerySet[Edition]:
    """Return the editions of ``plans`` without their frozen contents, newest first."""
    return (
        Edition.objects.filter(plan__in=plans)
        .defer("data", "dashboard_html", "print_html", "sheet_html", "workbook")
        .select_related("plan", "plan__municipality", "frozen_by")
        .order_by("plan__municipality__code", "plan__start_year", "plan__code",
                  "-fiscal_year", "-number")
    )


def publications_in_force() -> QuerySet[Publication]:
    """Return every publication in force (what the public pages may show)."""
    return Publication.objects.filter(withdrawn_at__isnull=True).select_related(
        "edition", "plan", "plan__municipality"
    )


def rows_under(plans: QuerySet[Plan]) -> list[tuple[str, QuerySet[Any]]]:
    """Editions and publications under ``plans``, history included (demo.synthetic's removal)."""
    return [
        ("変更履歴", Publication.history.model.objects.filter(plan_id__in=plans.values("pk"))),
        ("公表", Publication.objects.filter(plan__in=plans)),
        ("変更履歴", Edition.history.model.objects.filter(plan_id__in=plans.values("pk"))),
        ("会議資料版", Edition.objects.filter(plan__in=plans)),
    ]
