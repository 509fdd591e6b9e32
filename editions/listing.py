"""What the office's edition pages read: a plan's editions, one edition, its changes.

Scope first, as every page: an edition of a plan the user may not read is
absent (404). The frozen contents are read only by the page that shows
them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.db.models import Max
from django.utils import timezone

from editions.models import Edition, Publication
from editions.selectors import editions_of
from ise_iga_dx.lib import wareki
from plans.selectors import plans_visible_to

if TYPE_CHECKING:
    from datetime import datetime

    from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
    from django.db.models import QuerySet

    from plans.models import Plan

FROZEN = ("data", "dashboard_html", "print_html", "sheet_html", "workbook")


def datetime_text(moment: datetime) -> str:
    """Return 「令和8年6月10日 15:00」 in local time."""
    local = timezone.localtime(moment)
    return f"{wareki.date_text(local.date())} {local:%H:%M}"


def user_name(user: AbstractBaseUser | None) -> str:
    if user is None:
        return "（記録なし）"
    return user.get_full_name() or user.get_username()


@dataclass(frozen=True)
class EditionRow:
    """One edition as the plan's list shows it."""

    edition: Edition
    # The latest publication of the edition (in force or withdrawn), or None.
    publication: Publication | None
    # The number of the plan-year's latest edition, when later than this one.
    superseded_by: int | None

    @property
    def frozen_by(self) -> str:
        return user_name(self.edition.frozen_by)

    @property
    def frozen_at(self) -> str:
        return datetime_text(self.edition.frozen_at)

    @property
    def meeting_date(self) -> str:
        return wareki.date_text(self.edition.meeting_date)

    @property
    def publication_status(self) -> str:
        """Return 「公表中（令和8年6月20日から）」, 「取下げ（理由）」 or 「未公表」."""
        return publication_status(self.publication)


def publication_status(publication: Publication | None) -> str:
    if publication is None:
        return "未公表"
    since = wareki.date_text(timezone.localtime(publication.published_at).date())
    if publication.in_force:
        return f"公表中（{since}から）"
    return (
        f"取下げ（{wareki.date_text(timezone.localtime(publication.withdrawn_at).date())}、"
        f"理由：{publication.withdrawal_reason}）"
    )


def latest_numbers(*, plan: Plan) -> dict[int, int]:
    """Return the number of each year's latest edition of ``plan``."""
    return dict(
        Edition.objects.filter(plan=plan).values("fiscal_year")
        .annotate(last=Max("number")).values_list("fiscal_year", "last")
    )


def plan_edition_rows(*, plan: Plan) -> list[EditionRow]:
    """Return ``plan``'s editions newest first, with their publication. Three queries."""
    editions = list(editions_of(plans=type(plan).objects.filter(pk=plan.pk)))
    latest: dict[int, Publication] = {}
    for publication in Publication.objects.filter(edition__in=editions).order_by("published_at"):
        latest[publication.edition_id] = publication
    last = latest_numbers(plan=plan)
    return [
        EditionRow(
            edition=edition, publication=latest.get(edition.pk),
            superseded_by=last[edition.fiscal_year]
            if last[edition.fiscal_year] > edition.number else None,
        )
        for edition in editions
    ]


def editions_visible_to(
    *, user: AbstractBaseUser | AnonymousUser, keep: tuple[str, ...] = ()
) -> QuerySet[Edition]:
    """Return the editions of the plans ``user`` may read, ``keep`` the frozen contents loaded."""
    return (
        Edition.objects.filter(plan__in=plans_visible_to(user=user))
        .defer(*(name for name in FROZEN if name not in keep))
        .select_related("plan", "plan__municipality", "frozen_by")
    )


@dataclass(frozen=True)
class EditionPage:
    """One edition's page: its publications, what superseded it, who may act."""

    edition: Edition
    publications: list[Publication]
    superseded_by: Edition | None
    # The plan-year's publication in force, of whichever edition, or None.
    year_in_force: Publication | None = None

    @property
    def in_force(self) -> Publication | None:
        return next((item for item in self.publications if item.in_force), None)

    @property
    def status(self) -> str:
        return publication_status(self.publications[0] if self.publications else None)

    @property
    def frozen_by(self) -> str:
        return user_name(self.edition.frozen_by)

    @property
    def frozen_at(self) -> str:
        return datetime_text(self.edition.frozen_at)

    @property
    def meeting_date(self) -> str:
        return wareki.date_text(self.edition.meeting_date)

    @property
    def short_digest(self) -> str:
        return self.edition.digest[:12]


def edition_page(*, edition: Edition) -> EditionPage:
    """Return ``edition`` with its publications (newest first) and its latest successor."""
    publications = list(
        Publication.objects.filter(edition=edition)
        .select_related("published_by", "withdrawn_by").order_by("-published_at", "-pk")
    )
    later = (
        Edition.objects.filter(
            plan_id=edition.plan_id, fiscal_year=edition.fiscal_year, number__gt=edition.number
        ).defer(*FROZEN).order_by("-number").first()
    )
    year_in_force = (
        Publication.objects.filter(
            plan_id=edition.plan_id, fiscal_year=edition.fiscal_year, withdrawn_at__isnull=True
        ).select_related("edition").defer(*(f"edition__{name}" for name in FROZEN)).first()
    )
    return EditionPage(edition=edition, publications=publications, superseded_by=later,
                       year_in_force=year_in_force)


@dataclass(frozen=True)
class ChangedKgi:
    """One KGI's changes since the previous edition, as the changes page lists them."""

    code: str
    number: int | None
    item: str
    changes: list[dict[str, str]]


def changed_kgis(data: dict[str, Any]) -> list[ChangedKgi]:
    """Return ``data``'s changes grouped by KGI, in the order they were found."""
    kgis = {kgi["code"]: kgi for kgi in data["kgis"]}
    grouped: dict[str, list[dict[str, str]]] = {}
    for change in data.get("changes") or []:
        grouped.setdefault(change["code"], []).append(change)
    return [
        ChangedKgi(
            code=code, number=kgis[code]["number"] if code in kgis else None,
            item=kgis[code]["item"] if code in kgis else "", changes=changes,
        )
        for code, changes in grouped.items()
    ]
