"""The print layout of a plan's KGI table (A4 landscape).

The print page of ise-1's R7, its title and twenty rows, is checked on the
shipped plan; the page's other rules (no script, the query form, 404s,
login) on a factory 「テスト市」 plan (tests/factories.py).
"""

from __future__ import annotations

import datetime
import re

import pytest
from django.test import Client
from django.urls import reverse

from accounts.roles import Role
from plans.models import Plan
from tests.factories import PlanFactory, kgi_with_targets
from tests.helpers import client_for, user_with_role, visible_text

pytestmark = pytest.mark.django_db

# The factory plan's code and KGIs.
PLAN = "past-plan"
CODES = ["TEST-01", "TEST-02", "TEST-03"]


@pytest.fixture
def plan() -> Plan:
    """第1期テスト計画 (R3–R7): TEST-01 to TEST-03, each with an R7 target of 10件, no actuals."""
    plan = PlanFactory(municipality__name="テスト市", code=PLAN, name="第1期テスト計画",
                       start_year=2021, end_year=2025)
    for position, code in enumerate(CODES, start=1):
        kgi_with_targets(plan, code, "件", {2025: "10"}, position=position, item=f"{code}の項目")
    return plan


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
    # No. is the review table's number (1–20), not the KGI's code.
    numbers = re.findall(r'class="print-table__no">(\d+)<', response.content.decode())
    assert numbers == [str(n) for n in range(1, 21)]
    assert not re.findall(r"ISE1-\d\d", text)
    for heading in ("No.", "施策名称", "数値目標（KGI）", "実績", "評価《達成率》"):
        assert heading in text
    assert "達成割合" in text


def test_print_page_has_no_script(plan, member_client):
    body = member_client.get(print_url(PLAN, 2025)).content.decode()
    assert "<script" not in body.lower()
    # The manifest storage links the hashed name (print_page.<hash>.css).
    assert re.search(r'href="[^"]*/css/print_page\.(\w+\.)?css"', body)


def test_query_form_renders_the_same_year(plan, member_client):
    url = reverse("pages:plan_print", args=[PLAN])
    response = member_client.get(url, {"year": "2025"})
    assert response.status_code == 200
    text = visible_text(response)
    assert re.findall(r"TEST-\d\d", text) == CODES
    # Not the default year: without actuals, that would be the plan's first (R3).
    assert "第1期テスト計画 令和7年度（2025）" in text


@pytest.mark.parametrize(
    "url",
    [
        "/plans/nope/print/2025/",
        f"/plans/{PLAN}/print/2030/",
        f"/plans/{PLAN}/print/1900/",
        f"/plans/{PLAN}/print/99999999999999999999999/",
    ],
)
def test_unknown_plan_or_year_is_404(plan, member_client, url):
    assert member_client.get(url).status_code == 404


def test_print_page_needs_login(plan, client):
    response = client.get(print_url(PLAN, 2025))
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]
