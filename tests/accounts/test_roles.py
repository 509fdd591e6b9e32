"""The role groups, the scope they give, and how the office sets a user up."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse

from accounts.models import Affiliation
from accounts.roles import Role, scope_of
from plans.models import Department, Municipality
from tests.helpers import PASSWORD, form_data, user_with_role, visible_text

pytestmark = pytest.mark.django_db


def permissions(role: Role) -> set[str]:
    group = Group.objects.get(name=role.value)
    return {
        f"{app}.{codename}"
        for app, codename in group.permissions.values_list("content_type__app_label", "codename")
    }


def test_migrate_creates_the_four_groups_with_their_permissions():
    assert set(Group.objects.values_list("name", flat=True)) >= {r.value for r in Role}
    department = permissions(Role.DEPARTMENT)
    assert "indicators.change_actual" in department and "indicators.import_actual" in department
    assert "indicators.change_target" not in department
    assert "indicators.confirm_actual" not in department
    assert "indicators.confirm_actual" in permissions(Role.OFFICE)
    assert "auth.change_user" not in permissions(Role.OFFICE)
    assert "auth.change_user" in permissions(Role.SYSTEM)
    assert permissions(Role.VIEWER) == set()


def test_the_widest_role_counts_and_a_department_of_another_city_is_ignored(plans):
    user = user_with_role(Role.DEPARTMENT, municipality="ise", departments=("デジタル政策課",))
    iga_department = Department.objects.create(
        municipality=Municipality.objects.get(code="iga"), name="テスト用の課"
    )
    user.affiliation.departments.add(iga_department)
    scope = scope_of(user)
    assert scope.role is Role.DEPARTMENT
    assert iga_department.pk not in scope.department_ids
    assert len(scope.department_ids) == 1

    user.groups.add(Group.objects.get(name=Role.OFFICE.value))
    del user._kpi_scope
    assert scope_of(user).role is Role.OFFICE


def test_a_role_without_a_municipality_reaches_nothing(plans, django_user_model):
    user = django_user_model.objects.create_user("nobody-office")
    user.groups.add(Group.objects.get(name=Role.OFFICE.value))
    scope = scope_of(user)
    assert not scope.reads_plans and not scope.manages_plans and not scope.enters_actuals


def test_the_user_form_refuses_a_department_of_another_city(plans, admin_client_ja):
    user = user_with_role(Role.DEPARTMENT, municipality="ise", username="kacho")
    iga_department = Department.objects.create(
        municipality=Municipality.objects.get(code="iga"), name="テスト用の課"
    )
    url = reverse("admin:auth_user_change", args=[user.pk])
    data = form_data(admin_client_ja.get(url).content.decode())
    data["affiliation-0-departments"] = [str(iga_department.pk)]
    response = admin_client_ja.post(url, data)
    assert response.status_code == 200
    assert "所属の自治体（伊勢市）以外の課は選べません：伊賀市 テスト用の課" in visible_text(response)
    assert not Affiliation.objects.get(user=user).departments.exists()


def test_the_user_list_says_which_logins_see_nothing(plans, admin_client_ja, django_user_model):
    lost = django_user_model.objects.create_user("lost-office")
    lost.groups.add(Group.objects.get(name=Role.OFFICE.value))
    user_with_role(Role.VIEWER, municipality="iga", username="iga-viewer")
    text = visible_text(admin_client_ja.get(reverse("admin:auth_user_changelist")))
    assert re.search(r"lost-office( -)* DX推進担当 未設定（何も表示されません）", text)
    assert re.search(r"iga-viewer( -)* 閲覧 伊賀市", text)


def test_the_user_list_names_a_superusers_role(plans, admin_client_ja, django_user_model):
    """A superuser is a システム管理者 (docs/roles.md), with or without the group."""
    django_user_model.objects.create_superuser("demo", "", PASSWORD)
    django_user_model.objects.create_user("no-role")
    text = visible_text(admin_client_ja.get(reverse("admin:auth_user_changelist")))
    assert re.search(r"demo( -)* システム管理者 全自治体", text)
    assert re.search(r"office( -)* システム管理者 全自治体", text)
    assert re.search(r"no-role( -)* なし（何も表示されません） 未設定（何も表示されません）", text)
