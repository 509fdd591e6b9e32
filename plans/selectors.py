"""Which plans and departments a user may see.

Every page, export and the API start from these, and they start from the
user's scope (:mod:`accounts.roles`): a plan or department outside it is
absent from the queryset, so a view answers 404 and its existence does not
leak.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from accounts.roles import scope_of
from plans.models import Department, Plan

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
    from django.db.models import QuerySet


def plans_visible_to(*, user: AbstractBaseUser | AnonymousUser) -> QuerySet[Plan]:
    """Return the plans ``user`` may read as a whole (dashboard, print-out, API).

    System administrators read every plan; the DX office and 閲覧 the plans
    of their municipality; a department user no whole plan, only the KGIs
    of their departments (``indicators.selectors.indicators_visible_to``).
    """
    return Plan.objects.filter(scope_of(user).plan_q()).select_related(
        "municipality"
    ).order_by("municipality__code", "start_year", "code")


def plans_managed_by(*, user: AbstractBaseUser | AnonymousUser) -> QuerySet[Plan]:
    """Return the plans whose data ``user`` may change (targets, structure, imports)."""
    return Plan.objects.filter(scope_of(user).managed_plan_q()).select_related(
        "municipality"
    ).order_by("municipality__code", "start_year", "code")


def departments_visible_to(*, user: AbstractBaseUser | AnonymousUser) -> QuerySet[Department]:
    """Return the departments ``user`` may look at: their municipality's, or their own."""
    return Department.objects.filter(scope_of(user).department_q()).select_related(
        "municipality"
    )


def departments_of_user(*, user: AbstractBaseUser | AnonymousUser) -> QuerySet[Department]:
    """Return the departments ``user`` belongs to (the home page lists these first)."""
    scope = scope_of(user)
    return Department.objects.filter(
        pk__in=scope.department_ids, municipality_id=scope.municipality_id
    ).select_related("municipality")
