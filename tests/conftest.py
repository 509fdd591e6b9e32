from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest
from django.core.management import call_command
from django.test import override_settings

if TYPE_CHECKING:
    from pathlib import Path

SHIPPED = ("ise-1", "ise-2", "iga-2")
# The links between ise-1's and ise-2's KGIs, shipped beside the plans.
CONTINUATIONS = "ise-continuations"


@pytest.fixture(scope="session", autouse=True)
def collected_static(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """Collect the static files once, into a temporary STATIC_ROOT.

    The manifest storage of settings.STORAGES needs collectstatic before
    any page renders with DEBUG off. Collecting here, rather than falling
    back to another storage when no manifest exists, makes every test run
    against the storage production uses, and never against a stale
    staticfiles/ left by an earlier `make run`. plotly.min.js is copied
    from the wheel first, as `make test` does, so that a bare pytest works.
    """
    root = tmp_path_factory.mktemp("staticfiles")
    # override_settings sends setting_changed, which drops the storage
    # Django may already have built for the old STATIC_ROOT.
    with override_settings(STATIC_ROOT=root):
        call_command("copy_plotly_js", verbosity=0)
        call_command("collectstatic", interactive=False, verbosity=0)
        yield root


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    """Hash test passwords cheaply: the tests create hundreds of logins.

    Production keeps Django's PBKDF2; what a test checks about passwords
    (validators, throttling) does not depend on the hasher.
    """
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """Load the shipped plans once; every test's transaction rolls back."""
    from audit.writers import record_initial_history

    with django_db_blocker.unblock():
        call_command("loaddata", *SHIPPED, CONTINUATIONS, verbosity=0)
        record_initial_history()


@pytest.fixture
def plans(db) -> None:
    """The three plans exactly as shipped in fixtures/, with the links between them.

    Loaded again only if a test that flushes the database (a transactional
    one) removed them.
    """
    from audit.writers import record_initial_history
    from plans.models import Plan

    if Plan.objects.filter(code__in=SHIPPED).count() != len(SHIPPED):
        call_command("loaddata", *SHIPPED, CONTINUATIONS, verbosity=0)
        record_initial_history()


@pytest.fixture
def admin_client_ja(client, django_user_model):
    user = django_user_model.objects.create_superuser("office", "", "pass-for-tests-1")
    client.force_login(user)
    return client
