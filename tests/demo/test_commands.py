"""The set-up commands that `make run` calls."""

from __future__ import annotations

from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command

from accounts.roles import scope_of
from indicators.models import Target
from indicators.selectors import indicators_visible_to
from plans.models import Department, Measure, Municipality, Plan

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


def printed_logins(output: str) -> dict[str, list[str]]:
    """Return the table rows of the output by username: role, affiliation, password."""
    rows = {}
    for line in output.splitlines():
        cells = line.split()
        if line.startswith("  ") and len(cells) >= 4 and cells[0] != "ユーザー名":
            rows[cells[0]] = [cells[1], " ".join(cells[2:-1]), cells[-1]]
    return rows


def test_demo_user_is_created_only_when_nobody_exists(db):
    output = run("create_demo_user")
    password = printed_logins(output)["demo"][2]
    user = get_user_model().objects.get(username="demo")
    assert user.is_superuser and user.check_password(password)
    assert run("create_demo_user") == ""
    assert get_user_model().objects.count() == 6


def test_demo_logins_one_per_role_and_city(plans):
    output = run("create_demo_user")
    printed = printed_logins(output)
    assert {name: row[:2] for name, row in printed.items()} == {
        "demo": ["システム管理者", "全自治体"],
        "ise-office": ["DX推進担当", "伊勢市"],
        "ise-dept": ["所管課", "伊勢市 情報戦略局 デジタル政策課"],
        "ise-viewer": ["閲覧", "伊勢市"],
        "iga-office": ["DX推進担当", "伊賀市"],
        "iga-viewer": ["閲覧", "伊賀市"],
    }
    passwords = [row[2] for row in printed.values()]
    assert len(set(passwords)) == 6 and all(len(password) >= 16 for password in passwords)
    for username, (role, _, password) in printed.items():
        user = get_user_model().objects.get(username=username)
        assert user.check_password(password)
        assert scope_of(user).label == role
    assert scope_of(get_user_model().objects.get(username="iga-office")).municipality_id == (
        Municipality.objects.get(code="iga").pk
    )
    # Nobody owns a measure in the shipped plans: the demo gives two Ise
    # departments a few of ise-2's measures, and says so.
    assert "デモ用に、次の施策の所管課を設定しました" in output
    assert "施策はまだありません" not in output
    assert set(
        indicators_visible_to(user=get_user_model().objects.get(username="ise-dept"))
        .values_list("code", flat=True)
    ) == {f"ISE2-0{n}" for n in range(1, 7)}
    assert get_user_model().objects.get(username="ise-dept").email == "ise-dept@example.invalid"
    assert "伊賀市には所管課が登録されていない" in output and "iga-dept" in output


def test_demo_department_login_is_the_department_with_most_kgis(plans):
    health = Department.objects.get(municipality__code="ise", name="健康課")
    health.measures.add(*Measure.objects.filter(policy__plan__code="ise-2", policy__number=3))
    Department.objects.get(municipality__code="ise", name="保育課").measures.add(
        Measure.objects.get(policy__plan__code="ise-2", policy__number=1, number=1)
    )
    output = run("create_demo_user")
    user = get_user_model().objects.get(username="ise-dept")
    assert list(user.affiliation.departments.all()) == [health]
    assert "施策はまだありません" not in output
    assert set(
        indicators_visible_to(user=user).values_list("code", flat=True)
    ) == {"ISE2-13", "ISE2-14", "ISE2-15", "ISE2-16"}
