"""The print layout of a plan's KGI table (A4 landscape)."""

from __future__ import annotations

import datetime
import re

import pytest
from django.test import Client
from django.urls import reverse

from accounts.roles import Role
from tests.helpers import client_for, user_with_role, visible_text

pytestmark = pytest.mark.django_db

ISE1_CODES = [f"ISE1-{n:02d}" for n in range(1, 21)]


@pytest.fixture
def member_client(django_user_model) -> Client:
    """A logged-in system administrator who reads every city's pages."""
    return client_for(user_with_role(Role.SYSTEM, municipality=None, username="kacho"))


def print_url(code: str, year: int) -> str:
    return reverse("pages:plan_print_year", args=[code, year])


def test_print_page_lists_every_kgi_of_the_year(plans, member_client, monkeypatch):
    monkeypatch.setattr("django.utils.timezone.localdate", lambda: datetime.date(2026, 11, 22))
    response = member_client.get(print_url("ise-1", 2025))
    assert response.status_code == 200
    text = visible_text(response)
    assert "伊勢市デジタル行政推進ビジョン（第1期） 令和7年度（2025）" in text
    assert "令和8年11月22日現在" in text
    assert "伊勢市" in text
    assert re.findall(r"ISE1-\d\d", text) == ISE1_CODES
    for heading in ("No.", "施策名称", "数値目標（KGI）", "実績", "評価《達成率》"):
        assert heading in text
    assert "達成割合" in text


def test_print_page_has_no_script(plans, member_client):
    body = member_client.get(print_url("ise-1", 2025)).content.decode()
    assert "<script" not in body.lower()
    # The manifest storage links the hashed name (print_page.<hash>.css).
    assert re.search(r'href="[^"]*/css/print_page\.(\w+\.)?css"', body)


def test_query_form_renders_the_same_year(plans, member_client):
    url = reverse("pages:plan_print", args=["ise-1"])
    response = member_client.get(url, {"year": "2025"})
    assert response.status_code == 200
    assert re.findall(r"ISE1-\d\d", visible_text(response)) == ISE1_CODES


@pytest.mark.parametrize(
    "url",
    [
        "/plans/nope/print/2025/",
        "/plans/ise-1/print/2030/",
        "/plans/ise-1/print/1900/",
        "/plans/ise-1/print/99999999999999999999999/",
    ],
)
def test_unknown_plan_or_year_is_404(plans, member_client, url):
    assert member_client.get(url).status_code == 404


def test_print_page_needs_login(plans, client):
    response = client.get(print_url("ise-1", 2025))
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]
