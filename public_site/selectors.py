"""Reading what the public pages may show: publications in force and their editions.

Nothing here reads the live KGI tables. A URL's codes find the
publication through its plan (an indexed join); every word and figure a
page prints comes from the edition's frozen ``data``
(:mod:`public_site.display` decides what of it a citizen sees).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.db.models import F

from editions.models import Publication

if TYPE_CHECKING:
    from datetime import datetime

    from django.db.models import QuerySet

# What a publication's cache key and validators depend on: a new or
# withdrawn publication, or another edition, changes one of these.
STATE_FIELDS = (
    "pk", "version", "with_comments", "published_at", "withdrawn_at", "edition_id",
    "edition__digest",
)


def in_force() -> QuerySet[Publication]:
    return Publication.objects.filter(withdrawn_at__isnull=True)


def publication_state(
    *, municipality: str | None = None, plan: str | None = None, fiscal_year: int | None = None,
) -> list[tuple[Any, ...]]:
    """Return (id, version, …, digest) of every publication in scope, withdrawn ones too.

    One query. The public pages' ETag, Last-Modified and cache key are
    made of it (:mod:`public_site.caching`), so that publishing or withdrawing
    changes them.
    """
    publications = Publication.objects.all()
    if municipality is not None:
        publications = publications.filter(plan__municipality__code=municipality)
    if plan is not None:
        publications = publications.filter(plan__code=plan)
    if fiscal_year is not None:
        publications = publications.filter(fiscal_year=fiscal_year)
    return list(publications.order_by("pk").values_list(*STATE_FIELDS))


def last_change(state: list[tuple[Any, ...]]) -> datetime | None:
    """Return the latest publication or withdrawal in ``state``."""
    moments = [moment for row in state for moment in (row[3], row[4]) if moment is not None]
    return max(moments, default=None)


@dataclass(frozen=True)
class Listed:
    """A publication in force as the index pages list it (no KGI data read)."""

    fiscal_year: int
    published_at: datetime
    municipality: dict[str, Any]
    plan: dict[str, Any]
    fiscal_year_label: str


def listed_publications(
    *, municipality: str | None = None, plan: str | None = None,
) -> list[Listed]:
    """Return the publications in force with their edition's city and plan; one query.

    Only the ``municipality`` and ``plan`` parts of each edition's data
    are read, not its KGIs.
    """
    publications = in_force()
    if municipality is not None:
        publications = publications.filter(plan__municipality__code=municipality)
    if plan is not None:
        publications = publications.filter(plan__code=plan)
    rows = publications.order_by(
        "plan__municipality__code", "plan__start_year", "plan__code", "-fiscal_year"
    ).values(
        "fiscal_year", "published_at", city=F("edition__data__municipality"),
        plan_data=F("edition__data__plan"), label=F("edition__data__fiscal_year_label"),
    )
    return [
        Listed(fiscal_year=row["fiscal_year"], published_at=row["published_at"],
               municipality=row["city"], plan=row["plan_data"], fiscal_year_label=row["label"])
        for row in rows
    ]


def publication_of(*, municipality: str, plan: str, fiscal_year: int) -> Publication | None:
    """Return the publication in force of a plan-year, with its edition; one query."""
    return (
        in_force().filter(
            plan__municipality__code=municipality, plan__code=plan, fiscal_year=fiscal_year
        ).select_related("edition").first()
    )


def plan_publications(*, municipality: str, plan: str) -> list[Publication]:
    """Return a plan's publications in force, newest year first, with their editions."""
    return list(
        in_force().filter(plan__municipality__code=municipality, plan__code=plan)
        .select_related("edition").order_by("-fiscal_year")
    )


def latest_publication_of_plan(*, municipality: str, plan: str) -> Publication | None:
    """Return the plan's publication in force of its latest year (the long view's other half)."""
    return (
        in_force().filter(plan__municipality__code=municipality, plan__code=plan)
        .select_related("edition").order_by("-fiscal_year").first()
    )
