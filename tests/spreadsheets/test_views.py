"""The downloads of the entry sheet and the review table: file names, parameters,
who may download, and queries that do not grow with the KGIs."""

from __future__ import annotations

from urllib.parse import quote

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from indicators.models import Actual, Indicator, Target
from plans.models import Department, Measure, Plan
from tests.helpers import ISE1_TITLE, entry_rows, load_xlsx

pytestmark = pytest.mark.django_db

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def entry_url(code: str = "ise-2", query: str = "") -> str:
    return reverse("spreadsheets:entry_sheet", args=[code]) + query


def status_url(code: str = "ise-1", year: int = 2025) -> str:
    return reverse("spreadsheets:status_table", args=[code, year])


def body(response) -> bytes:
    return b"".join(response.streaming_content)


def assert_xlsx_download(response, filename: str) -> bytes:
    assert response.status_code == 200
    assert response["Content-Type"] == XLSX
    disposition = response["Content-Disposition"]
    assert disposition.startswith("attachment;")
    # RFC 5987: the charset name is case-insensitive; Django writes utf-8.
    assert "filename*=utf-8''" in disposition.lower()
    assert disposition.endswith(quote(filename))
    return body(response)


def test_entry_sheet_download_for_one_year(plans, admin_client_ja):
    response = admin_client_ja.get(entry_url(query="?year=2026"))
    data = assert_xlsx_download(
        response, "第2期伊勢市デジタル行政推進ビジョン_実績入力_令和8年度.xlsx"
    )
    assert len(entry_rows(load_xlsx(data).worksheets[0])) == 16


def test_entry_sheet_download_for_the_whole_period_and_a_department(plans, admin_client_ja):
    department = Department.objects.get(name="デジタル政策課")
    Indicator.objects.get(code="ISE2-08").measure.departments.add(department)
    response = admin_client_ja.get(entry_url(query=f"?department={department.pk}&year="))
    data = assert_xlsx_download(
        response,
        "第2期伊勢市デジタル行政推進ビジョン_実績入力_令和8年度〜令和11年度_デジタル政策課.xlsx",
    )
    codes = {code for code, _year in entry_rows(load_xlsx(data).worksheets[0])}
    assert codes == {"ISE2-07", "ISE2-08"}


def test_status_table_download(plans, admin_client_ja):
    response = admin_client_ja.get(status_url())
    data = assert_xlsx_download(
        response, "伊勢市デジタル行政推進ビジョン（第1期）_評価表_令和7年度.xlsx"
    )
    assert load_xlsx(data).active["A1"].value == ISE1_TITLE


@pytest.mark.parametrize(
    "url",
    [
        "/exports/plans/nope/entry.xlsx",
        "/exports/plans/ise-2/entry.xlsx?year=2025",
        "/exports/plans/ise-2/entry.xlsx?year=2030",
        "/exports/plans/ise-2/entry.xlsx?year=abc",
        "/exports/plans/ise-2/entry.xlsx?year=2026.0",
        "/exports/plans/ise-2/entry.xlsx?year=%EF%BC%92%EF%BC%90%EF%BC%92%EF%BC%96",
        "/exports/plans/ise-2/entry.xlsx?year=-2026",
        "/exports/plans/ise-2/entry.xlsx?department=999999",
        "/exports/plans/ise-2/entry.xlsx?department=x",
        "/exports/plans/ise-2/entry.xlsx?department=99999999999999999999999999",
        "/exports/plans/nope/status/2025.xlsx",
        "/exports/plans/ise-1/status/2026.xlsx",
        "/exports/plans/ise-2/status/2025.xlsx",
        "/exports/plans/ise-2/status/R8.xlsx",
        "/exports/plans/ise-2/status/99999999999999999999999.xlsx",
    ],
)
def test_bad_parameters_are_not_found(plans, admin_client_ja, url):
    assert admin_client_ja.get(url).status_code == 404


def test_a_department_of_another_municipality_is_not_found(plans, admin_client_ja):
    iga = Plan.objects.get(code="iga-2").municipality
    other = Department.objects.create(municipality=iga, name="DX推進課")
    response = admin_client_ja.get(entry_url(query=f"?department={other.pk}"))
    assert response.status_code == 404


def test_anonymous_users_are_sent_to_the_login_page_and_others_see_nothing(
    plans, client, django_user_model
):
    login = reverse("login")
    for url in (entry_url(), status_url()):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(login)
    # A login with no role: the plan is out of sight.
    client.force_login(django_user_model.objects.create_user("clerk", "", "pass-for-tests-1"))
    assert client.get(status_url()).status_code == 404
    assert client.get(entry_url()).status_code == 404


def test_downloads_only_answer_get(plans, admin_client_ja):
    assert admin_client_ja.post(status_url()).status_code == 405


def add_indicators(plan: Plan, count: int) -> None:
    measure = Measure.objects.filter(policy__plan=plan).first()
    for number in range(count):
        indicator = Indicator.objects.create(
            plan=plan, measure=measure, code=f"ISE2-9{number}", position=90 + number,
            item=f"追加の指標{number}", unit="件",
        )
        Target.objects.create(indicator=indicator, fiscal_year=2026, value=10)
        Actual.objects.create(indicator=indicator, fiscal_year=2026, value=5)


def count_queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as context:
        assert client.get(url).status_code == 200
    return len(context)


def test_downloads_run_as_many_queries_whatever_the_number_of_indicators(
    plans, admin_client_ja
):
    urls = (entry_url(), entry_url(query="?year=2026"), status_url("ise-2", 2026))
    for url in urls:
        admin_client_ja.get(url)
    before = [count_queries(admin_client_ja, url) for url in urls]
    add_indicators(Plan.objects.get(code="ise-2"), 5)
    after = [count_queries(admin_client_ja, url) for url in urls]
    assert after == before
    data = body(admin_client_ja.get(entry_url(query="?year=2026")))
    assert len(entry_rows(load_xlsx(data).worksheets[0])) == 16 + 5
