"""``make run``'s demo edition: ise-1 令和7年度, frozen and published once."""

from __future__ import annotations

import pytest
from django.core.management import call_command

from editions.models import Edition, Publication


@pytest.mark.django_db
def test_the_demo_edition_is_made_and_published_once(plans, capsys):
    call_command("seed_demo_edition")
    assert not Edition.objects.exists()  # no demo logins yet: nothing
    call_command("create_demo_user")
    capsys.readouterr()
    call_command("seed_demo_edition")
    out = capsys.readouterr().out
    assert "公表しました" in out and "/public/ise/" in out
    edition = Edition.objects.get()
    assert (edition.plan.code, edition.fiscal_year, edition.frozen_by.username) == (
        "ise-1", 2025, "ise-office"
    )
    assert edition.meeting_name.startswith("（デモ）")
    publication = Publication.objects.get()
    assert publication.in_force and not publication.with_comments
    call_command("seed_demo_edition")
    assert Edition.objects.count() == 1
