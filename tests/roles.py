"""Logins with a role, as the office would set them up in the admin."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.test import Client

from accounts.models import Affiliation
from accounts.roles import Role
from plans.models import Department, Municipality

PASSWORD = "pass-for-tests-1"


def user_with_role(
    role: Role, *, municipality: str | None = "ise", departments: tuple[str, ...] = (),
    username: str | None = None,
):
    """Create a user in ``role``'s group, affiliated with ``municipality`` (a code).

    ``departments`` are department names of that municipality.
    """
    user = get_user_model().objects.create_user(
        username or f"{role.name.lower()}-{municipality or 'all'}", password=PASSWORD
    )
    user.groups.add(Group.objects.get(name=role.value))
    if municipality is not None:
        affiliation = Affiliation.objects.create(
            user=user, municipality=Municipality.objects.get(code=municipality)
        )
        if departments:
            affiliation.departments.set(
                Department.objects.filter(municipality__code=municipality, name__in=departments)
            )
    return user


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client
