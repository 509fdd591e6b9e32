"""「アクセス権限がありません」（403）in Japanese, on the pages and in the admin.

docs/roles.md promises it for a use the role does not allow; the URLs are
cells of tests/test_permission_matrix.py answering 403.
"""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from accounts.roles import Role
from tests.helpers import client_for, user_with_role, visible_text

pytestmark = pytest.mark.django_db

FORBIDDEN = "アクセス権限がありません"


def assert_japanese_403(response, role: str) -> str:
    assert response.status_code == 403
    text = visible_text(response)
    assert FORBIDDEN in text
    assert f"このログインの役割（{role}）では" in text
    assert "Forbidden" not in text
    return response.content.decode()


def test_a_viewer_asking_for_an_entry_sheet(plans):
    client = client_for(user_with_role(Role.VIEWER))
    response = client.get(reverse("spreadsheets:entry_sheet", args=["ise-2"]))
    html = assert_japanese_403(response, "閲覧")
    assert f'href="{reverse("pages:home")}"' in html
    # No admin link for a role that cannot enter it.
    assert reverse("admin:index") not in html


def test_a_department_opening_the_admins_measures(plans):
    client = client_for(user_with_role(Role.DEPARTMENT))
    html = assert_japanese_403(client.get(reverse("admin:plans_measure_changelist")), "所管課")
    assert f'href="{reverse("admin:index")}"' in html


def test_the_dx_office_opening_the_users(plans):
    client = client_for(user_with_role(Role.OFFICE))
    assert_japanese_403(client.get(reverse("admin:auth_user_changelist")), "DX推進担当")


def test_a_form_refused_by_the_csrf_check_says_so_in_japanese(plans):
    client = Client(enforce_csrf_checks=True)
    response = client.post(reverse("login"), {"username": "x", "password": "y"})
    assert response.status_code == 403
    text = visible_text(response)
    assert "送信を受け付けられませんでした" in text
    assert "ページを読み込み直してから、もう一度送信してください" in text
    assert "Forbidden" not in text and "CSRF" not in text
