"""Which plans and departments a user may see.

Every page and the API start from :func:`plans_visible_to`, so scoping by
role later changes this one place.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from plans.models import Department, Plan

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
    from django.db.models import QuerySet


def plans_visible_to(*, user: AbstractBaseUser | AnonymousUser) -> QuerySet[Plan]:
    """Return the plans ``user`` may see: for now every plan."""
    return Plan.objects.select_related("municipality").order_by(
        "municipality__code", "start_year", "code"
    )


def departments_visible_to(*, user: AbstractBaseUser | AnonymousUser) -> QuerySet[Department]:
    """Return the departments of the municipalities whose plans ``user`` sees."""
    municipalities = plans_visible_to(user=user).values("municipality_id")
    return Department.objects.filter(municipality__in=municipalities).select_related(
        "municipality"
    )


def departments_of_user(*, user: AbstractBaseUser | AnonymousUser) -> QuerySet[Department]:
    """Return the departments ``user`` belongs to.

    Users are not linked to departments yet, so this is empty; the home
    page lists these first once a later issue adds the link.
    """
    return Department.objects.none()
