"""The 進捗管理シート and the print page's 備考: the commentary on the meeting paper.

On the shipped plans: ise-1's R7 (the document's results, no commentary
entered) and ise-2's R8 with commentary, a 評価対象外 and a revised
target added here, as a department and the office would.
"""

from __future__ import annotations

import datetime
import re
from decimal import Decimal

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.roles import Role
from indicators.models import Actual, ActualState, Indicator, Target
from indicators.services import target_record_revision
from tests.helpers import add_synthetic_kgis, client_for, section, user_with_role, visible_text

pytestmark = pytest.mark.django_db

UNWRITTEN = "（未記入）"
ISE1_REASON = (
    "Google Analyticsのアクセス数カウント方法が変更され、正確なアクセス数がR5年度に"
    "計測不能となったことから、R4年度で進行管理終了"
)
REVISION_REASON = "DXリーダー研修の定員拡大に合わせて上方修正"
# A block's heading: 「No.3　ISE2-03」 (visible_text folds the ideographic space).
BLOCK_HEADING = re.compile(r"No\.(\d+) ([A-Z][A-Z0-9]*-\d+) ")


def sheet_url(code: str, year: int) -> str:
    return reverse("pages:plan_progress_sheet", args=[code, year])


@pytest.fixture
def reader(plans) -> Client:
    """An Ise 閲覧 login: reads every plan of the city, changes nothing."""
    return client_for(user_with_role(Role.VIEWER, username="ise-reader"))


@pytest.fixture
def commented(plans) -> None:
    """ise-2's R8 as a round leaves it: ISE2-01 fully commented, ISE2-02 in
    part with its target revised, ISE2-03 評価対象外; the rest not reported."""
    Actual.objects.create(
        indicator=Indicator.objects.get(code="ISE2-01"), fiscal_year=2026,
        value=Decimal("42.5"), value_places=1,
        progress="DX研修を4回実施し、延べ120名が受講した。",
        analysis="研修の参加者が管理職に偏った。",
        direction="若手職員向けの回を増やす。\n職場単位の研修も検討する。",
        note="アンケート回収率 80%",
    )
    Actual.objects.create(
        indicator=Indicator.objects.get(code="ISE2-02"), fiscal_year=2026,
        value=Decimal(24), progress="認定制度を全庁に周知した。", direction="   ",
    )
    Actual.objects.create(
        indicator=Indicator.objects.get(code="ISE2-03"), fiscal_year=2026,
        state=ActualState.NOT_MEASURED, not_measured_reason="調査を休止",
    )
    target = Target.objects.get(indicator__code="ISE2-02", fiscal_year=2026)
    previous, places = target.value, target.value_places
    target.value = Decimal(25)
    target_record_revision(target, previous_value=previous, previous_places=places,
                           reason=REVISION_REASON, decided_on=datetime.date(2026, 9, 1))
    target.save()


def blocks(response) -> dict[str, str]:
    """Return each KGI block's visible text by code, in the page's order."""
    text = visible_text(response)
    found = list(BLOCK_HEADING.finditer(text))
    return {
        match.group(2): text[match.start():found[index + 1].start() if index + 1 < len(found)
                             else len(text)]
        for index, match in enumerate(found)
    }


# ise-1: the document's results ------------------------------------------------


def test_ise1_sheet_has_every_kgi_block_in_document_order(reader):
    response = reader.get(sheet_url("ise-1", 2025))
    assert response.status_code == 200
    text = visible_text(response)
    assert "伊勢市デジタル行政推進ビジョン（第1期） 令和7年度（2025） 進捗管理シート" in text
    found = blocks(response)
    assert list(found) == [f"ISE1-{n:02d}" for n in range(1, 21)]
    numbers = [int(match.group(1)) for match in BLOCK_HEADING.finditer(text)]
    assert numbers == list(range(1, 21))


def test_ise1_block_carries_kgi_year_and_evaluation_as_the_status_table(reader):
    found = blocks(reader.get(sheet_url("ise-1", 2025)))
    first = found["ISE1-01"]
    assert ("基本方針・施策 基本方針 II デジタル技術を活用した、人に優しいサービスの提供 "
            "来庁を不要とする行政手続き 新たなプラットフォームを活用した手続き") in first
    assert "数値目標（KGI） オンライン化した手続き数 " in first
    assert "単位 件 目標値（R7） 120件《累計》 実績値（R7） 142件 評価《達成率》 達成《達成率：118.3%》" in first
    # A published evaluation that differs is shown beside the computed one.
    assert "未達成《達成率：94.0%》 ○ 未達成（90%以上） ※公表値：達成《達成率：94.0%》" in found[
        "ISE1-13"]
    assert "単位 － " in found["ISE1-14"] and "移行完了" in found["ISE1-14"]


def test_ise1_sheet_prints_unwritten_comments_and_the_not_measured_reason(reader):
    found = blocks(reader.get(sheet_url("ise-1", 2025)))
    for code, text in found.items():
        assert (f"取組状況 {UNWRITTEN} 要因分析 {UNWRITTEN} 今後の方向性 {UNWRITTEN}"
                in text), code
    assert f"評価対象外の理由 {ISE1_REASON}" in found["ISE1-08"]
    assert "評価対象外の理由" not in found["ISE1-07"]
    # The sheet has no notes under a table: the ※ note is the block's 備考.
    assert "備考 ※1 R8.3月末時点で、交付枚数から" in found["ISE1-02"]
    assert "備考" not in found["ISE1-01"]


# ise-2 with commentary ---------------------------------------------------------


def test_ise2_sheet_prints_the_comments_and_unwritten_ones(reader, commented):
    response = reader.get(sheet_url("ise-2", 2026))
    found = blocks(response)
    assert list(found) == [f"ISE2-{n:02d}" for n in range(1, 17)]
    first = found["ISE2-01"]
    assert "実績値（R8） 42.5% 速報 （未確定の実績値） 評価《達成率》 達成《達成率：106.3%》" in first
    assert ("取組状況 DX研修を4回実施し、延べ120名が受講した。 要因分析 研修の参加者が管理職に偏った。 "
            "今後の方向性 若手職員向けの回を増やす。 職場単位の研修も検討する。 "
            "備考 アンケート回収率 80%") in first
    assert "若手職員向けの回を増やす。<br>職場単位の研修も検討する。" in response.content.decode()
    # Whitespace is not a comment.
    assert (f"取組状況 認定制度を全庁に周知した。 要因分析 {UNWRITTEN} 今後の方向性 {UNWRITTEN}"
            in found["ISE2-02"])
    # A KGI not reported yet: 未入力, and every comment 「（未記入）」.
    assert "実績値（R8） 未入力 評価《達成率》 未入力" in found["ISE2-16"]
    assert (f"取組状況 {UNWRITTEN} 要因分析 {UNWRITTEN} 今後の方向性 {UNWRITTEN}"
            in found["ISE2-16"])
    assert "（未記入）があるKGI：15件" in visible_text(response).replace("「", "").replace("」", "")


def test_ise2_sheet_shows_the_not_measured_reason_and_the_revision(reader, commented):
    found = blocks(reader.get(sheet_url("ise-2", 2026)))
    assert "実績値（R8） － 速報 （未確定の実績値） 評価《達成率》 － － 評価対象外" in found["ISE2-03"]
    assert "評価対象外の理由 調査を休止" in found["ISE2-03"]
    assert "目標値（R8） 25名《累計》" in found["ISE2-02"]
    assert (f"目標値の変更 上方修正：当初目標値 20名《累計》 → 変更後 25名《累計》（令和8年9月1日決定） "
            f"理由：{REVISION_REASON} 評価は変更後の目標値で行っています。") in found["ISE2-02"]
    assert "目標値の変更" not in found["ISE2-01"]


def test_sheet_text_with_markup_is_escaped(reader, commented):
    Actual.objects.filter(indicator__code="ISE2-01").update(progress="<script>alert(1)</script>")
    body = reader.get(sheet_url("ise-2", 2026)).content.decode()
    assert "<script" not in body
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in body


def test_sheet_links_back_and_is_linked_from_print_page_and_dashboard(reader):
    url = sheet_url("ise-2", 2026)
    assert url == "/plans/ise-2/print/2026/sheet/"
    body = reader.get(url).content.decode()
    assert f'href="{reverse("pages:plan_print_year", args=["ise-2", 2026])}"' in body
    assert re.search(r'href="[^"]*/css/progress_sheet\.(\w+\.)?css"', body)
    assert "<script" not in body.lower()
    for page in (reverse("pages:plan_print_year", args=["ise-2", 2026]),
                 reverse("pages:plan", args=["ise-2"]) + "?year=2026",
                 reverse("pages:plan_print", args=["ise-2"]) + "?year=2026"):
        assert f'href="{url}"' in reader.get(page).content.decode(), page


# The print page's 備考 ----------------------------------------------------------


def test_print_page_status_table_has_a_remarks_column(reader):
    response = reader.get(reverse("pages:plan_print_year", args=["ise-1", 2025]))
    body = response.content.decode()
    assert '<th scope="col">備考</th>' in body
    remarks = re.findall(r'<td class="print-table__remark">(.*?)</td>', body, flags=re.S)
    assert len(remarks) == 20
    by_number = dict(enumerate(remarks, start=1))
    assert by_number[8] == f"評価対象外：{ISE1_REASON}"
    assert by_number[2] == "※1：表の下の注記を参照"
    assert by_number[6] == "※2：表の下の注記を参照"
    assert by_number[17] == "※：表の下の注記を参照"
    assert by_number[1] == ""
    # The ※ notes stay under their policy; the reason is not printed twice.
    text = visible_text(response)
    assert text.count(ISE1_REASON) == 1
    assert "No.2 ※1 R8.3月末時点で" in section(text, "基本方針 II", "基本方針 III")


def test_print_page_remarks_carry_the_actuals_note_and_reason(reader, commented):
    body = reader.get(reverse("pages:plan_print_year", args=["ise-2", 2026])).content.decode()
    remarks = re.findall(r'<td class="print-table__remark">(.*?)</td>', body, flags=re.S)
    assert remarks[:3] == ["アンケート回収率 80%", "", "評価対象外：調査を休止"]
    # ISE2-10's notes: 《参考…》 and a ※ note, both under the policy.
    assert remarks[9] == "※：表の下の注記を参照"


# Who may open it ---------------------------------------------------------------


def test_sheet_answers_as_the_print_page_does(plans):
    department = client_for(user_with_role(
        Role.DEPARTMENT, departments=("デジタル政策課",), username="digital"))
    office = client_for(user_with_role(Role.OFFICE, username="ise-office"))
    iga = client_for(user_with_role(Role.VIEWER, municipality="iga", username="iga-reader"))
    system = client_for(user_with_role(Role.SYSTEM, municipality=None, username="system"))
    cases = [
        (office, "ise-2", 200), (system, "iga-2", 200),
        # 所管課 reads its own KGIs, not the whole plan: absent, as on the print page.
        (department, "ise-2", 404),
        (iga, "ise-2", 404), (iga, "ise-1", 404), (iga, "iga-2", 200),
    ]
    for client, code, expected in cases:
        year = 2026
        assert client.get(sheet_url(code, year)).status_code == expected, (code, expected)
        assert client.get(
            reverse("pages:plan_print_year", args=[code, year])
        ).status_code == expected


def test_sheet_refuses_a_year_outside_the_plan_and_asks_a_visitor_to_log_in(reader):
    assert reader.get(sheet_url("ise-2", 2030)).status_code == 404
    assert reader.get(sheet_url("ise-2", 2025)).status_code == 404
    assert reader.get("/plans/ise-2/print/令和8/sheet/").status_code == 404
    assert reader.get(sheet_url("no-such-plan", 2026)).status_code == 404
    response = Client().get(sheet_url("ise-2", 2026))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))
    assert reader.post(sheet_url("ise-2", 2026)).status_code == 405


def test_sheet_of_a_plan_without_kgis_says_so(plans):
    system = client_for(user_with_role(Role.SYSTEM, municipality=None, username="system"))
    text = visible_text(system.get(sheet_url("iga-2", 2026)))
    assert "この計画にはKGIがまだ登録されていません。" in text


# Queries -----------------------------------------------------------------------


def count_queries(client: Client, url: str) -> int:
    client.get(url)  # warm caches (content types, session) outside the count
    with CaptureQueriesContext(connection) as context:
        response = client.get(url)
    assert response.status_code == 200
    return len(context.captured_queries)


def test_sheet_runs_a_constant_number_of_queries(reader, commented):
    url = sheet_url("ise-2", 2026)
    small = count_queries(reader, url)
    print_page = count_queries(reader, reverse("pages:plan_print_year", args=["ise-2", 2026]))
    add_synthetic_kgis(plan_code="ise-2", count=40)
    large = count_queries(reader, url)
    assert len(blocks(reader.get(url))) == 56
    # The print page's queries, whatever the number of KGIs: five for the
    # session, the user and their scope, the plan, and the dashboard's seven
    # (the year's outlooks, 見込み, among them).
    assert small == large == print_page
    assert large <= 13
