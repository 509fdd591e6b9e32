"""The home page tells a 所管課 login about its open rounds, and the navigation links them.

On the real ise-2 round of tests/reporting/conftest.py: デジタル政策課
is asked for three KGIs, 戸籍住民課 for two.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.roles import Role
from indicators.models import Actual, ActualState, Indicator
from ise_iga_dx.lib import wareki
from reporting import services
from reporting.models import Purpose, Round
from tests.helpers import client_for, user_with_role, visible_text
from tests.reporting.conftest import OPENED

pytestmark = pytest.mark.django_db
HOME = reverse("pages:home")
ADMIN_HINT = "管理画面の「実績値」"


def answer(submission, user, *codes: str) -> None:
    entries = [
        services.Entry(indicator.pk, ActualState.MEASURED, Decimal(10))
        for indicator in Indicator.objects.filter(code__in=codes)
    ]
    services.entries_save(submission=submission, entries=entries, user=user,
                          seen=submission.version)


def test_the_banner_counts_the_departments_kgis_and_the_days_left(owners, opened):
    deadline = timezone.localdate() + timedelta(days=12)
    Round.objects.filter(pk=opened.pk).update(deadline=deadline)
    digital = opened.submissions.get(department=owners.digital)
    answer(digital, owners.digital_user, "ISE2-01")
    response = client_for(owners.digital_user).get(HOME)
    html = response.content.decode()
    link = reverse("reporting:submission", args=[digital.pk])
    assert (f'<a href="{link}">令和8年度 実績報告：3件中1件 入力済み　期限 '
            f"{wareki.date_text(deadline)}（あと12日）</a>") in html
    text = visible_text(response)
    assert "第2期 伊勢市デジタル行政推進ビジョン・デジタル政策課・ 入力中" in text
    # The hint points to the round's page rather than the admin.
    assert "実績値と取組状況などは 「令和8年度 実績報告」のページ で入力し、提出します" in text
    assert ADMIN_HINT not in text
    assert f'<a href="{link}">「令和8年度 実績報告」のページ</a>' in html


def test_the_banner_says_the_printed_deadline(owners, opened):
    html = client_for(owners.residents_user).get(HOME).content.decode()
    days = (opened.deadline - timezone.localdate()).days
    assert f"令和8年度 実績報告：2件中0件 入力済み　期限 令和9年5月29日（あと{days}日）" in html
    Round.objects.filter(pk=opened.pk).update(deadline=timezone.localdate() - timedelta(days=3))
    html = client_for(owners.residents_user).get(HOME).content.decode()
    assert "期限 " in html and "（期限を3日過ぎています）" in html
    assert "reporting-banner__item--overdue" in html


def test_an_outlook_round_counts_outlooks(owners, opened):
    outlook = services.round_open(plan=owners.plan, fiscal_year=2026, deadline=opened.deadline,
                                  user=owners.office, purpose=Purpose.OUTLOOK, now=OPENED)
    answer(outlook.submissions.get(department=owners.digital), owners.digital_user, "ISE2-01",
           "ISE2-02")
    text = visible_text(client_for(owners.digital_user).get(HOME))
    assert "令和8年度 見込み報告：3件中2件 入力済み" in text
    assert "令和8年度 実績報告：3件中0件 入力済み" in text


def test_a_login_of_two_departments_sees_both(owners, opened):
    both = user_with_role(Role.DEPARTMENT, departments=("デジタル政策課", "戸籍住民課"),
                          username="both")
    text = visible_text(client_for(both).get(HOME))
    assert "3件中0件 入力済み" in text and "2件中0件 入力済み" in text


def test_no_banner_without_an_open_round_and_the_old_hint_returns(owners, opened):
    services.round_close(round_=opened, user=owners.office, seen=opened.version)
    text = visible_text(client_for(owners.digital_user).get(HOME))
    assert "実績報告：" not in text
    assert ADMIN_HINT in text


def test_no_banner_for_the_office_or_a_viewer(owners, opened):
    assert "実績報告：" not in visible_text(client_for(owners.office).get(HOME))
    viewer = user_with_role(Role.VIEWER, username="ise-viewer")
    assert "実績報告：" not in visible_text(client_for(viewer).get(HOME))


def test_the_navigation_links_the_rounds_for_department_and_office_only(owners):
    rounds = f'<a href="{reverse("reporting:rounds")}">実績報告</a>'
    for user in (owners.digital_user, owners.office):
        assert rounds in client_for(user).get(HOME).content.decode()
    viewer = user_with_role(Role.VIEWER, username="ise-viewer")
    assert rounds not in client_for(viewer).get(HOME).content.decode()


def home_queries(client) -> list[str]:
    client.get(HOME)
    with CaptureQueriesContext(connection) as captured:
        assert client.get(HOME).status_code == 200
    return [query["sql"] for query in captured.captured_queries]


def test_the_banner_is_one_query_whatever_the_number_of_rounds(owners, opened):
    one = user_with_role(Role.DEPARTMENT, departments=("デジタル政策課",), username="one")
    both = user_with_role(Role.DEPARTMENT, departments=("デジタル政策課", "戸籍住民課"),
                          username="both")
    with_one = home_queries(client_for(one))
    assert len(with_one) == len(home_queries(client_for(both)))
    assert sum("reporting_submission" in sql for sql in with_one) == 1
    # Answered KGIs are counted in SQL, not one by one.
    Actual.objects.create(indicator=Indicator.objects.get(code="ISE2-01"), fiscal_year=2026,
                          value=Decimal(1))
    assert len(home_queries(client_for(both))) == len(with_one)
    # A login that enters nothing asks nothing.
    office = home_queries(client_for(owners.office))
    assert not any("reporting_submission" in sql for sql in office)
