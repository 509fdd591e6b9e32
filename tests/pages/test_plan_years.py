"""The 年度推移 page: every KGI of ise-2 × R8–R11, as printed, in fixed queries.

ise-2's targets are the document's (fixtures/ise-2.json): ISE2-01 (%,
単年度, baseline 24.0%) 40.0% / 60.0% / 80.0% / 100.0%; ISE2-02 (名, 累計,
no baseline) 20 / 40 / 60 / 80. The actuals and outlooks are the tests'.
"""

from __future__ import annotations

import re
from decimal import Decimal
from html.parser import HTMLParser

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.roles import Role
from indicators.models import Actual, Indicator, Outlook
from tests.factories import BasicPolicyFactory, MeasureFactory, PlanFactory
from tests.helpers import add_synthetic_kgis, client_for, user_with_role, visible_text

pytestmark = pytest.mark.django_db

YEARS = ["令和8年度（2026）", "令和9年度（2027）", "令和10年度（2028）", "令和11年度（2029）"]


def url(code: str = "ise-2") -> str:
    return reverse("pages:plan_years", args=[code])


class _Blocks(HTMLParser):
    """Collect each KGI row group of the table: rows of cell texts."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.head: list[str] = []
        self.blocks: list[list[list[str]]] = []
        self._where = ""
        self._cell: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        classes = (dict(attrs).get("class") or "").split()
        if tag == "thead":
            self._where = "head"
        elif tag == "tbody" and "years-table__kgi" in classes:
            self._where = "body"
            self.blocks.append([])
        elif tag == "tr" and self._where == "body":
            self.blocks[-1].append([])
        elif tag in ("th", "td") and self._where:
            self._cell = []

    def handle_endtag(self, tag: str) -> None:
        if tag in ("th", "td") and self._cell is not None:
            text = re.sub(r"\s+", " ", "".join(self._cell)).strip()
            if self._where == "head":
                self.head.append(text)
            else:
                self.blocks[-1][-1].append(text)
            self._cell = None
        elif tag in ("thead", "tbody"):
            self._where = ""

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)


def table(response) -> _Blocks:
    parser = _Blocks()
    parser.feed(response.content.decode())
    return parser


def kgi_block(response, code: str) -> dict[str, list[str]]:
    """Return a KGI's printed cells: its baseline and, per row label, the four years."""
    for block in table(response).blocks:
        # Policy and measure headings come first in a measure's first group.
        rows = [row for row in block if len(row) > 1]
        if rows and rows[0][0].startswith(code + " "):
            first = rows[0]
            return {
                "code": [first[0]], "baseline": [first[2]],
                first[3]: first[4:], **{row[0]: row[1:] for row in rows[1:]},
            }
    raise AssertionError(f"{code} is not in the table")


@pytest.fixture
def office(plans):
    return client_for(user_with_role(Role.OFFICE, username="ise-office"))


@pytest.fixture
def reported(plans) -> None:
    """ISE2-01: R8 45.0% and R9 57.0% (confirmed), an R8 outlook the actual hides;
    ISE2-02: R8 12名 (速報) and an R9 outlook of 30名, no R9 actual."""
    first = Indicator.objects.get(code="ISE2-01")
    second = Indicator.objects.get(code="ISE2-02")
    Actual.objects.create(indicator=first, fiscal_year=2026, value=Decimal("45.0"),
                          value_places=1, confirmed=True)
    Actual.objects.create(indicator=first, fiscal_year=2027, value=Decimal("57.0"),
                          value_places=1, confirmed=True)
    Outlook.objects.create(indicator=first, fiscal_year=2026, value=Decimal("10.0"),
                           value_places=1)
    Actual.objects.create(indicator=second, fiscal_year=2026, value=Decimal(12))
    Outlook.objects.create(indicator=second, fiscal_year=2027, value=Decimal(30))


def test_targets_actuals_and_evaluations_as_printed(office, reported):
    response = office.get(url())
    assert response.status_code == 200
    block = kgi_block(response, "ISE2-01")
    assert block["code"] == ["ISE2-01 No.1"]
    assert block["baseline"] == ["24.0%"]
    assert block["目標値"] == ["40.0%", "60.0%", "80.0%", "100.0%"]
    assert block["実績値"] == ["45.0%", "57.0%", "－", "－"]
    # 45.0 ÷ 40.0 = 112.5%; 57.0 ÷ 60.0 = 95.0%, within 90%: ○.
    assert block["評価"] == [
        "達成《達成率：112.5%》 ◎ 達成",
        "未達成《達成率：95.0%》 ○ 未達成（90%以上）",
        "－", "－",
    ]


def test_outlook_only_where_no_actual_and_cumulative_targets(office, reported):
    response = office.get(url())
    block = kgi_block(response, "ISE2-02")
    assert block["baseline"] == ["－"]
    assert block["目標値"] == ["20名《累計》", "40名《累計》", "60名《累計》", "80名《累計》"]
    # R8's actual is not confirmed yet: 速報, in words.
    assert block["実績値"] == ["12名 速報（未確定の実績値）", "30名（見込み）", "－", "－"]
    assert block["評価"] == [
        "未達成《達成率：60.0%》 △ 未達成",
        "未達成《達成率：75.0%》（見込み） △ 未達成",
        "－", "－",
    ]
    text = visible_text(response)
    # ISE2-01's R8 outlook stands behind its actual: never shown.
    assert "10.0%（見込み）" not in text
    assert "「（見込み）」：実績値がまだないため、見込み報告の値とその評価を表示しています（1件）" in text
    assert "「速報」：DX推進本部事務局の確定前の実績値（1件）" in text


def test_every_kgi_in_document_order_under_its_policy_and_measure(office):
    response = office.get(url())
    parsed = table(response)
    assert parsed.head == ["コード", "項目（KGI）", "現状値", "区分", *YEARS]
    codes = [row[0].split()[0] for block in parsed.blocks for row in block
             if len(row) > 4 and row[0].startswith("ISE2-")]
    assert codes == [f"ISE2-{number:02d}" for number in range(1, 17)]
    text = visible_text(response)
    assert text.index("基本方針 I ") < text.index("ISE2-01") < text.index("基本方針 II ")
    assert text.index("基本方針 II ") < text.index("ISE2-07") < text.index("基本方針 III ")
    # No actual in the period yet: every year of every KGI is 「－」.
    assert kgi_block(response, "ISE2-16")["実績値"] == ["－"] * 4
    assert kgi_block(response, "ISE2-16")["baseline"] == ["47,272名"]
    assert "印刷する" in response.content.decode()


def test_the_dashboard_and_the_print_page_link_to_it(office):
    for page in (reverse("pages:plan", args=["ise-2"]),
                 reverse("pages:plan_print_year", args=["ise-2", 2026])):
        assert f'href="{url()}"' in office.get(page).content.decode(), page


def test_the_page_loads_no_inline_script_or_style(office):
    body = office.get(url()).content.decode()
    assert not re.search(r"<script(?![^>]*\bsrc=)", body)
    assert "<style" not in body and " style=" not in body and "onclick" not in body
    assert re.search(r'<script src="/static/js/print_button\.[0-9a-f]{12}\.js"', body)


def test_scope_is_the_dashboards(plans, client):
    anonymous = client.get(url())
    assert anonymous.status_code == 302
    assert anonymous["Location"] == f"{reverse('login')}?next={url()}"
    iga = client_for(user_with_role(Role.OFFICE, municipality="iga", username="iga-office"))
    assert iga.get(url()).status_code == 404
    assert iga.get(url("iga-2")).status_code == 200
    # A 所管課 login sees no whole plan: no dashboard, no 年度推移.
    department = client_for(user_with_role(Role.DEPARTMENT, departments=("デジタル政策課",),
                                           username="digital"))
    assert department.get(reverse("pages:plan", args=["ise-2"])).status_code == 404
    assert department.get(url()).status_code == 404
    viewer = client_for(user_with_role(Role.VIEWER, username="ise-viewer"))
    assert viewer.get(url()).status_code == 200
    assert viewer.get(url("no-such-plan")).status_code == 404


def count_queries(client, address: str) -> int:
    client.get(address)  # sessions and content types outside the count
    with CaptureQueriesContext(connection) as context:
        response = client.get(address)
    assert response.status_code == 200
    return len(context.captured_queries)


def synthetic_plan(kgis: int) -> str:
    """A 「テスト市」 plan of ``kgis`` KGIs over two policies, with actuals and outlooks."""
    plan = PlanFactory(code="years-plan")
    for policy in (BasicPolicyFactory(plan=plan), BasicPolicyFactory(plan=plan)):
        MeasureFactory(policy=policy)
        MeasureFactory(policy=policy)
    indicators = add_synthetic_kgis(plan_code=plan.code, count=kgis)
    Actual.objects.bulk_create(
        Actual(indicator=indicator, fiscal_year=2027, value=Decimal(25)) for indicator in indicators
    )
    Outlook.objects.bulk_create(
        Outlook(indicator=indicator, fiscal_year=2028, value=Decimal(22))
        for indicator in indicators
    )
    return plan.code


def test_same_queries_for_16_and_40_kgis(plans, admin_client_ja):
    few = count_queries(admin_client_ja, url())
    code = synthetic_plan(40)
    many = count_queries(admin_client_ja, url(code))
    # Session, user, plan, then the table's five (pages.years).
    assert few == many <= 8
    response = admin_client_ja.get(url(code))
    assert len(table(response).blocks) == 40
    # R9: 25 against a target of 21; R10: the outlook 22 against 22.
    block = kgi_block(response, "SYN-000")
    assert block["実績値"] == ["0件 速報（未確定の実績値）", "25件 速報（未確定の実績値）",
                            "22件（見込み）", "－"]
    assert block["評価"][2] == "達成《達成率：100.0%》（見込み） ◎ 達成"
