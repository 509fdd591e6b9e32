from __future__ import annotations

import pytest
from django.core.management import call_command

SHIPPED = ("ise-1", "ise-2", "iga-2")


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """Load the shipped plans once; every test's transaction rolls back."""
    with django_db_blocker.unblock():
        call_command("loaddata", *SHIPPED, verbosity=0)


@pytest.fixture
def plans(db) -> None:
    """The three plans exactly as shipped in fixtures/.

    Loaded again only if a test that flushes the database (a transactional
    one) removed them.
    """
    from plans.models import Plan

    if Plan.objects.filter(code__in=SHIPPED).count() != len(SHIPPED):
        call_command("loaddata", *SHIPPED, verbosity=0)


@pytest.fixture
def admin_client_ja(client, django_user_model):
    user = django_user_model.objects.create_superuser("office", "", "pass-for-tests-1")
    client.force_login(user)
    return client
