"""The set-up commands that `make run` calls."""

from __future__ import annotations

from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command

from indicators.models import Target
from plans.models import Plan

pytestmark = pytest.mark.django_db


def run(name: str) -> str:
    out = StringIO()
    call_command(name, stdout=out)
    return out.getvalue()


def test_seed_plans_loads_only_missing_plans_and_keeps_later_edits(plans):
    Plan.objects.filter(code="iga-2").delete()
    assert run("seed_plans") == "計画を読み込みました：iga-2\n"
    assert sorted(Plan.objects.values_list("code", flat=True)) == ["iga-2", "ise-1", "ise-2"]
    target = Target.objects.get(indicator__code="ISE2-01", fiscal_year=2026)
    target.value = 45
    target.save()
    assert "登録済み" in run("seed_plans")
    target.refresh_from_db()
    assert target.value == 45


def test_demo_user_is_created_only_when_nobody_exists(db):
    output = run("create_demo_user")
    user = get_user_model().objects.get()
    password = output.split("パスワード：")[1].split()[0]
    assert user.username == "demo" and user.is_superuser and user.check_password(password)
    assert run("create_demo_user") == ""
    assert get_user_model().objects.count() == 1
