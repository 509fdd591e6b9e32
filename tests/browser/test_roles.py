"""The demo logins of each role, through the real login form, in a browser.

The logins are the ones ``create_demo_user`` prints on a fresh install;
the test reads their passwords from its output, as a new office would.
"""

from __future__ import annotations

from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command

from indicators.models import Indicator
from plans.models import Department, Measure, Plan
from tests.browser.helpers import log_in
from tests.demo.test_commands import printed_logins

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def demo_logins(plans) -> dict[str, tuple[str, str]]:
    """The demo logins, after デジタル政策課 was made owner of ISE2-01's measure.

    One throw-away Iga KGI (Iga's document has none) lets the Iga office's
    KGI list show something.
    """
    digital = Department.objects.get(municipality__code="ise", name="デジタル政策課")
    digital.measures.add(Indicator.objects.get(code="ISE2-01").measure)
    iga = Plan.objects.get(code="iga-2")
    Indicator.objects.create(
        plan=iga, measure=Measure.objects.filter(policy__plan=iga).first(), code="IGA2-T01",
        position=1, item="ブラウザテスト用の指標（架空）", unit="件",
        baseline=Decimal(10), baseline_year=iga.baseline_year,
    )
    out = StringIO()
    call_command("create_demo_user", stdout=out)
    return {name: (name, row[2]) for name, row in printed_logins(out.getvalue()).items()}


def test_department_login_sees_its_department_and_no_whole_plan(live_server, page, demo_logins):
    # The site has no favicon; the browser's request for one is not an error here.
    page.route("**/favicon.ico", lambda route: route.fulfill(status=204))
    errors = log_in(page, live_server, demo_logins["ise-dept"])
    mine = page.get_by_role("region", name="担当の所管課")
    assert "情報戦略局 デジタル政策課" in mine.inner_text()
    mine.get_by_role("link", name="情報戦略局 デジタル政策課").click()
    page.wait_for_load_state("load")
    assert "ISE2-01" in page.inner_text("main")
    assert errors == []

    response = page.goto(f"{live_server.url}/plans/ise-2/")
    assert response.status == 404
    assert "ページが見つかりません" in page.inner_text("main")


def test_viewer_reads_the_dashboard_and_is_offered_no_admin(live_server, page, demo_logins):
    page.route("**/favicon.ico", lambda route: route.fulfill(status=204))
    errors = log_in(page, live_server, demo_logins["ise-viewer"], "/plans/ise-2/")
    assert "第2期 伊勢市デジタル行政推進ビジョン" in page.inner_text("h1")
    assert "ISE2-16" in page.inner_text("main")
    assert page.get_by_role("link", name="管理画面").count() == 0
    assert page.get_by_role("link", name="記入用シート（Excel）").count() == 0
    assert errors == []


def test_iga_office_admin_lists_no_ise_kgi(live_server, page, demo_logins):
    # Through the admin's own login page, which lets a role in without is_staff.
    log_in(page, live_server, demo_logins["iga-office"], "/admin/indicators/indicator/")
    assert "/admin/login/" not in page.url
    listed = page.inner_text("#result_list")
    assert "IGA2-T01" in listed
    assert "ISE" not in listed
