"""The pages staff read: home, plan dashboard, one KGI, a department.

Rules of the pages, not numbers of the documents: the plans, KGIs and
actuals most tests read come from factories (tests/factories.py), a
「テスト市」 with a current plan (第2期テスト計画, R8–R11), an earlier one
(第1期テスト計画, R3–R7) and one without KGIs. What the pages print of the
documents (ise-2's rows and texts, ise-1's R7 review, its published values
and print page, the Ise departments' pages and cards) is checked on the
shipped plans.
"""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from django.templatetags.static import static
from django.test import Client
from django.urls import reverse

from accounts.roles import Role
from indicators.models import Actual, Indicator, Kind
from plans.models import Department, Measure, Plan
from tests.factories import (
    ActualFactory,
    BasicPolicyFactory,
    DepartmentFactory,
    MeasureFactory,
    MilestoneFactory,
    MunicipalityFactory,
    PlanFactory,
    kgi_with_targets,
    kgis_with_actuals,
)
from tests.helpers import client_for, section, user_with_role, visible_text

pytestmark = pytest.mark.django_db

ISE2_CODES = [f"ISE2-{n:02d}" for n in range(1, 17)]

# The factory plans' codes and names.
PLAN, PAST, EMPTY = "test-plan", "past-plan", "empty-plan"
PLAN_NAME, PAST_NAME = "第2期テスト計画", "第1期テスト計画"
DEPARTMENT = "テスト政策課"

PAGES = [
    ("pages:home", []),
    ("pages:plan", [PLAN]),
    ("pages:plan", [EMPTY]),
    ("pages:plan_print", [PAST]),
    ("pages:indicator", ["TEST-01"]),
    ("pages:department", None),
]


def page_url(name: str, args: list[str] | None) -> str:
    if args is None:
        args = [Department.objects.get(name=DEPARTMENT).pk]
    return reverse(name, args=args)



@pytest.fixture
def city():
    return MunicipalityFactory(name="テスト市")


@pytest.fixture
def plan(city) -> Plan:
    """第2期テスト計画 (R8–R11), no actuals: TEST-01, a % KGI from 20.0% (R7)
    with targets of 30.0% to 70.0%; TEST-02 and TEST-03, counts with an R8
    target of 10件."""
    plan = PlanFactory(municipality=city, code=PLAN, name=PLAN_NAME)
    kgi_with_targets(plan, "TEST-01", "%", {2026: "30.0", 2027: "40.0", 2028: "50.0", 2029: "70.0"},
        position=1, baseline=Decimal("20.0"), baseline_places=1, baseline_year=2025)
    kgi_with_targets(plan, "TEST-02", "件", {2026: "10"}, position=2)
    kgi_with_targets(plan, "TEST-03", "件", {2026: "10"}, position=3)
    return plan


@pytest.fixture
def past_plan(city) -> Plan:
    """第1期テスト計画 (R3–R7): TEST-11, with an R7 target of 10件 and actual of 12件."""
    plan = PlanFactory(municipality=city, code=PAST, name=PAST_NAME,
                       start_year=2021, end_year=2025)
    ActualFactory(indicator=kgi_with_targets(plan, "TEST-11", "件", {2025: "10"}), fiscal_year=2025,
                  value=Decimal(12), confirmed=True)
    return plan


@pytest.fixture
def site(plan, past_plan) -> None:
    """The city's two plans, a plan without KGIs, and a department owning TEST-01's measure."""
    MeasureFactory(policy__plan__code=EMPTY)
    department = DepartmentFactory(municipality=plan.municipality, name=DEPARTMENT)
    department.measures.add(Indicator.objects.get(code="TEST-01").measure)


def add_actual(code: str, fiscal_year: int, value: str, **fields: str) -> Actual:
    places = len(value.partition(".")[2])
    return Actual.objects.create(
        indicator=Indicator.objects.get(code=code), fiscal_year=fiscal_year,
        value=Decimal(value), value_places=places, **fields,
    )


def plan_page(client, code: str, **params: str):
    response = client.get(reverse("pages:plan", args=[code]), params)
    assert response.status_code == 200
    return response


@pytest.fixture
def member_client(django_user_model) -> Client:
    """A logged-in system administrator who reads every city's pages.

    A client of its own, so a test can use it beside admin_client_ja.
    """
    return client_for(user_with_role(Role.SYSTEM, municipality=None, username="kacho"))


@pytest.mark.parametrize(("name", "args"), PAGES)
def test_every_page_renders_for_a_logged_in_user(site, member_client, name, args):
    response = member_client.get(page_url(name, args))
    assert response.status_code == 200
    assert response["Content-Type"] == "text/html; charset=utf-8"
    assert '<html lang="ja">' in response.content.decode()


@pytest.mark.parametrize(("name", "args"), PAGES)
def test_every_page_sends_an_anonymous_visitor_to_the_login_page(site, client, name, args):
    url = page_url(name, args)
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('login')}?next={url}"


def test_the_root_url_is_the_home_page_not_the_admin(plan, member_client):
    response = member_client.get("/")
    assert response.status_code == 200
    assert "計画の進捗状況" in visible_text(response)


def test_login_page_is_japanese_and_logs_in_to_the_home_page(client, django_user_model):
    django_user_model.objects.create_user("kacho", password="pass-for-tests-1")
    page = client.get(reverse("login"))
    assert page.status_code == 200
    text = visible_text(page)
    assert "ユーザー名" in text and "パスワード" in text and "ログイン" in text
    wrong = client.post(reverse("login"), {"username": "kacho", "password": "nope"})
    assert wrong.status_code == 200
    assert "正しいユーザー名とパスワードを入力してください" in visible_text(wrong)
    response = client.post(reverse("login"), {"username": "kacho", "password": "pass-for-tests-1"})
    assert response.status_code == 302
    assert response["Location"] == reverse("pages:home")


def test_logout_is_a_post_form_in_the_header(plan, member_client):
    home = member_client.get(reverse("pages:home")).content.decode()
    assert re.search(r'<form method="post" action="/accounts/logout/"', home)
    assert "kacho さん" in home
    assert member_client.get(reverse("logout")).status_code == 405
    response = member_client.post(reverse("logout"))
    assert response.status_code == 302
    assert response["Location"] == reverse("login")
    assert member_client.get(reverse("pages:home")).status_code == 302


def test_admin_link_is_for_roles_that_enter_data(plan, admin_client_ja):
    admin_url = f'href="{reverse("admin:index")}"'
    viewer = client_for(user_with_role(Role.VIEWER, municipality=plan.municipality.code))
    assert admin_url not in viewer.get(reverse("pages:home")).content.decode()
    assert admin_url in admin_client_ja.get(reverse("pages:home")).content.decode()
    department = client_for(user_with_role(Role.DEPARTMENT, municipality=plan.municipality.code))
    assert admin_url in department.get(reverse("pages:home")).content.decode()


def test_pages_ship_their_own_css_and_no_external_resources(plan, member_client):
    body = member_client.get(reverse("pages:plan", args=[PLAN])).content.decode()
    assert f'<link rel="stylesheet" href="{static("css/site.css")}">' in body
    assert f'<link rel="stylesheet" href="{static("css/print.css")}" media="print">' in body
    assert not re.search(r"""(src|href)=["'](https?:)?//""", body)


# --- plan dashboard -------------------------------------------------------


def test_ise2_dashboard_lists_the_real_rows_in_document_order(plans, member_client):
    response = plan_page(member_client, "ise-2")
    body = response.content.decode()
    codes = re.findall(r'<a href="/indicators/(ISE2-\d\d)/">', body)
    assert codes == ISE2_CODES
    text = visible_text(response)
    assert "令和8年度（2026）の評価" in text
    assert "達成 0 未達成 0 未入力 16 評価対象外 0 達成割合 －" in text
    # Policy I and its first measure, then ISE2-01 with its baseline and target.
    assert "I デジタルツールを使いこなし、新たな価値を創造できる人材の育成" in text
    assert "① DX推進に向けた意識改革 ISE2-01" in text
    row = section(text, "ISE2-08", "ISE2-09")
    assert "5,639.8時間" in row and "6,300.0時間" in row and "… 未入力" in row
    assert "R7年度比 ▲2.0%" in section(text, "ISE2-11", "ISE2-12")
    assert text.count("… 未入力") == 16


def test_year_selector_offers_the_plan_years_in_both_calendars(plan, member_client):
    body = plan_page(member_client, PLAN, year="2027").content.decode()
    options = re.findall(r'<option value="(\d+)"( selected)?>([^<]+)</option>', body)
    assert options == [
        ("2026", "", "令和8年度（2026）"),
        ("2027", " selected", "令和9年度（2027）"),
        ("2028", "", "令和10年度（2028）"),
        ("2029", "", "令和11年度（2029）"),
    ]
    assert '<form method="get" class="year-selector">' in body
    assert "令和9年度（2027）の評価" in visible_text(plan_page(member_client, PLAN, year="2027"))


def test_an_r8_actual_shows_the_documents_evaluation_everywhere(plan, member_client):
    add_actual("TEST-01", 2026, "42.5")
    text = visible_text(plan_page(member_client, PLAN))
    row = section(text, "TEST-01", "TEST-02")
    # Not yet confirmed by the DX office: evaluated (42.5 ÷ 30.0), and marked 速報.
    assert "42.5% 速報 （未確定の実績値） 達成《達成率：141.7%》 ◎ 達成" in row
    # 進捗率: (42.5 − 20.0) ÷ (70.0 − 20.0) × 100 = 45.0
    assert "◎ 達成 45.0%" in row
    assert "達成 1 未達成 0 未入力 2 評価対象外 0 達成割合 100.0%" in text

    page = visible_text(member_client.get(reverse("pages:indicator", args=["TEST-01"])))
    assert "令和8年度（2026） 30.0% 42.5% 速報 （未確定の実績値） 達成《達成率：141.7%》 ◎ 達成" in page

    home = visible_text(member_client.get(reverse("pages:home")))
    card = section(home, PLAN_NAME, "ダッシュボードを開く")
    assert "達成 1 未達成 0 未入力 2 評価対象外 0" in card


def test_ise1_review_flags_the_two_printed_errors_and_counts(plans, member_client):
    response = plan_page(member_client, "ise-1", year="2025")
    text = visible_text(response)
    assert "達成 12 未達成 7 未入力 0 評価対象外 1 達成割合 63.2%" in text
    assert "⚠ 公表値と計算値が異なる指標：2件" in text
    assert text.count("⚠ 公表値と相違") == 2
    row13 = section(text, "ISE1-13", "ISE1-14")
    assert "未達成《達成率：94.0%》 ⚠ 公表値と相違（公表：達成《達成率：94.0%》）" in row13
    assert "○ 未達成（90%以上）" in row13
    row15 = section(text, "ISE1-15", "ISE1-16")
    assert "達成《達成率：195.0%》 ⚠ 公表値と相違（公表：達成《達成率：270%》）" in row15
    assert "1,589,989件" in text
    assert "△ 未達成" in section(text, "ISE1-03", "ISE1-04")
    assert "－ 評価対象外" in section(text, "ISE1-08", "ISE1-09")
    assert "○ 未達成（90%以上）" in section(text, "ISE1-09", "ISE1-10")
    assert "移行完了 移行完了 達成 ◎ 達成" in section(text, "ISE1-14", "ISE1-15")


def test_policy_counts_add_up_to_the_plan(member_client):
    # Three policies of R8 rows: achieved and not achieved; not measured and
    # no actual; achieved.
    counted = PlanFactory(municipality__name="テスト市", code="counted-plan")
    policies = [BasicPolicyFactory(plan=counted, number=n) for n in (1, 2, 3)]
    rows = [(0, "12"), (0, "8"), (1, None), (1, ""), (2, "10")]
    kgis_with_actuals(policies, rows)
    text = visible_text(plan_page(member_client, "counted-plan", year="2026"))
    counts = re.findall(r"達成 (\d+) 未達成 (\d+) 未入力 (\d+) 評価対象外 (\d+)", text)
    plan, *policies = [tuple(map(int, found)) for found in counts]
    assert len(policies) == 3
    assert tuple(map(sum, zip(*policies, strict=True))) == plan == (2, 1, 1, 1)


def test_default_year_is_the_latest_plan_year_with_an_actual(plan, past_plan, member_client):
    # The earlier plan has R7 results; the current plan's actual before 2026
    # is history only.
    ActualFactory(indicator=Indicator.objects.get(code="TEST-02"), fiscal_year=2025)
    assert "令和7年度（2025）の評価" in visible_text(plan_page(member_client, PAST))
    assert "令和8年度（2026）の評価" in visible_text(plan_page(member_client, PLAN))
    add_actual("TEST-03", 2027, "20")
    assert "令和9年度（2027）の評価" in visible_text(plan_page(member_client, PLAN))


@pytest.mark.parametrize("year", ["abc", "99999", "２０２６", "2030", "1900", "-1", "2026.0"])
def test_a_bad_year_falls_back_to_the_default_year_with_a_notice(plan, member_client, year):
    text = visible_text(plan_page(member_client, PLAN, year=year))
    assert "令和8年度（2026）の評価" in text
    assert f"指定された年度「{year}」は表示できないため、令和8年度（2026）を表示しています。" in text


def test_an_empty_year_is_the_default_year_without_a_notice(past_plan, member_client):
    text = visible_text(plan_page(member_client, PAST, year=""))
    assert "令和7年度（2025）の評価" in text and "指定された年度" not in text


def test_a_typed_year_is_escaped_in_the_notice(plan, member_client):
    body = plan_page(member_client, PLAN, year="<b>x</b>").content.decode()
    assert "<b>x</b>" not in body and "&lt;b&gt;x&lt;/b&gt;" in body


def test_a_plan_without_kgis_shows_its_policies_and_measures(member_client):
    # A plan of two policies and five measures, no KGI yet.
    first = BasicPolicyFactory(plan__code=EMPTY)
    second = BasicPolicyFactory(plan=first.plan)
    for policy, measures in ((first, 2), (second, 3)):
        for _ in range(measures):
            MeasureFactory(policy=policy)
    response = plan_page(member_client, EMPTY)
    text = visible_text(response)
    # What is missing and who adds it, said once; no ten empty rows, no counts.
    assert text.count("この計画にはKGIがまだ登録されていません。") == 1
    assert "DX推進担当が定義テンプレート（管理画面 → 指標（KGI） → インポート）で登録します。" in text
    assert "KGIは未登録です。" not in text
    assert "達成 0" not in text
    assert text.count("テスト施策") == 5
    # No chart without data, and no plotly to load for none.
    assert response.context["chart"] is None
    body = response.content.decode()
    assert "data-chart-json" not in body and "plotly" not in body


def test_the_empty_plan_links_the_template_for_the_office_only(member_client):
    plan = MeasureFactory(policy__plan__code=EMPTY).policy.plan
    template = reverse("spreadsheets:definitions_template", args=[EMPTY])
    import_url = reverse("admin:indicators_indicator_import")
    office = client_for(user_with_role(Role.OFFICE, municipality=plan.municipality.code,
                                       username="office-empty"))
    body = plan_page(office, EMPTY).content.decode()
    assert f'href="{template}"' in body and f'href="{import_url}"' in body
    viewer = client_for(user_with_role(Role.VIEWER, municipality=plan.municipality.code,
                                       username="viewer-empty"))
    page = plan_page(viewer, EMPTY).content.decode()
    assert "この計画にはKGIがまだ登録されていません。" in page
    assert template not in page and import_url not in page


def test_iga_says_once_that_its_kgis_are_missing_on_screen_and_paper(plans, member_client):
    text = visible_text(plan_page(member_client, "iga-2"))
    assert text.count("この計画にはKGIがまだ登録されていません。") == 1
    assert "KGIは未登録です。" not in text
    paper = visible_text(member_client.get(reverse("pages:plan_print_year", args=["iga-2", 2026])))
    assert paper.count("この計画にはKGIがまだ登録されていません。") == 1
    assert "KGIは未登録です。" not in paper
    assert "基本方針 基本方針" not in paper


def test_a_measure_without_kgis_in_a_plan_with_kgis_keeps_its_row(plan, member_client):
    MeasureFactory(policy=Indicator.objects.get(code="TEST-01").measure.policy)
    text = visible_text(plan_page(member_client, PLAN))
    assert text.count("KGIは未登録です。") == 1
    assert "この計画にはKGIがまだ登録されていません。" not in text


def test_the_entry_sheet_is_linked_for_the_office_only(past_plan, admin_client_ja):
    entry = reverse("spreadsheets:entry_sheet", args=[PAST]) + "?year=2025"
    status = reverse("spreadsheets:status_table", args=[PAST, 2025])
    staff = plan_page(admin_client_ja, PAST).content.decode()
    assert f'href="{entry}"' in staff and f'href="{status}"' in staff
    viewer = client_for(user_with_role(Role.VIEWER, municipality=past_plan.municipality.code))
    page = plan_page(viewer, PAST).content.decode()
    assert entry not in page and f'href="{status}"' in page
    print_url = reverse("pages:plan_print", args=[PAST]) + "?year=2025"
    assert f'href="{print_url}"' in page
    assert 'href="/admin/"' not in page


def test_print_page_has_every_row_for_the_year(plans, member_client):
    response = member_client.get(reverse("pages:plan_print", args=["ise-1"]), {"year": "2025"})
    text = visible_text(response)
    assert "伊勢市デジタル行政推進ビジョン（第1期） 令和7年度（2025）" in text
    assert len(re.findall(r'class="print-table__no">\d+<', response.content.decode())) == 20


# --- one KGI --------------------------------------------------------------


def test_indicator_page_explains_the_kgi(plans, member_client):
    text = visible_text(member_client.get(reverse("pages:indicator", args=["ISE2-01"])))
    assert "第2期 伊勢市デジタル行政推進ビジョン" in text
    assert "基本方針 I デジタルツールを使いこなし" in text
    assert "施策 ① DX推進に向けた意識改革" in text
    assert "取組 DXの本質を理解し、現状を見直すための意識付け" in text
    assert "目的（意図） 「現状維持」から脱却し" in text
    assert "評価の型 増加型 集計方法 単年度" in text
    assert "増加型：実績が目標以上で達成。達成率＝実績÷目標×100" in text
    assert "現状値 24.0%（令和7年度（2025））" in text
    assert "令和11年度（2029） 100.0% 未入力 未入力 … 未入力" in text


@pytest.fixture
def kinds(plan) -> None:
    """TEST-21, a reduction from 1,000,000枚; TEST-22, a decrease whose
    targets are all 0件; TEST-23, a milestone."""
    kgi_with_targets(plan, "TEST-21", "枚", {2026: "2.0", 2029: "10.0"}, kind=Kind.REDUCTION,
        baseline=Decimal(1_000_000), baseline_year=2025)
    kgi_with_targets(plan, "TEST-22", "件", dict.fromkeys(plan.fiscal_years, "0"), kind=Kind.DECREASE)
    MilestoneFactory(measure__policy__plan=plan, code="TEST-23")


@pytest.mark.parametrize(
    ("code", "formula"),
    [
        ("TEST-21", "削減率型：削減率＝(現状値−実績)÷現状値×100、達成率＝削減率÷目標削減率×100"),
        ("TEST-22", "ゼロ目標の減少型：実績が0なら達成、達成率なし"),
        ("TEST-23", "完了型：完了で達成、達成率なし"),
    ],
)
def test_indicator_page_states_the_formula_used(kinds, member_client, code, formula):
    text = visible_text(member_client.get(reverse("pages:indicator", args=[code])))
    assert formula in text


def test_indicator_page_lists_history_years_apart(plan, member_client):
    ActualFactory(indicator=Indicator.objects.get(code="TEST-02"), fiscal_year=2022,
                  value=Decimal(2), confirmed=True)
    text = visible_text(member_client.get(reverse("pages:indicator", args=["TEST-02"])))
    assert "令和4年度（2022） （計画期間外） － 2件 計画期間外 －" in text
    assert "令和8年度（2026） 10件 未入力 未入力 … 未入力" in text
    table = section(text, "年度別の目標・実績・評価")
    assert table.index("令和4年度（2022）") < table.index("令和11年度（2029）")


def test_indicator_page_has_a_chart_and_the_same_numbers_as_a_table(plan, member_client):
    body = member_client.get(reverse("pages:indicator", args=["TEST-01"])).content.decode()
    assert 'data-chart-json="indicator-chart"' in body
    assert '<script id="indicator-chart" type="application/json">' in body
    assert f'src="{static("vendor/plotly/plotly.min.js")}"' in body
    # Every script is a file of ours: no inline code, no CDN.
    scripts = re.findall(r"<script([^>]*)>", body)
    assert all('type="application/json"' in attrs or 'src="/static/' in attrs
               for attrs in scripts)
    assert "<caption>TEST-01 の年度別の目標・実績・評価</caption>" in body


def test_indicator_page_shows_published_values_and_mismatches(plans, member_client):
    text = visible_text(member_client.get(reverse("pages:indicator", args=["ISE1-15"])))
    assert "達成《達成率：195.0%》 ◎ 達成 達成《達成率：270%》 ⚠ 公表値と相違" in text


def test_indicator_page_shows_notes_and_the_years_commentary(plan, member_client):
    Indicator.objects.filter(code="TEST-03").update(notes="《参考：テスト用の対象者数》")
    add_actual(
        "TEST-03", 2026, "180", progress="説明会を2回開催", analysis="周知が進んだ",
        direction="対象部署を広げる", note="<script>alert(1)</script>",
    )
    response = member_client.get(reverse("pages:indicator", args=["TEST-03"]))
    body = response.content.decode()
    assert "<script>alert(1)</script>" not in body
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in body
    text = visible_text(response)
    assert "《参考：テスト用の対象者数》" in text
    commentary = section(text, "取組状況・要因分析・今後の方向性")
    assert (
        "令和8年度（2026） 取組状況 説明会を2回開催 要因分析 周知が進んだ "
        "今後の方向性 対象部署を広げる 備考 <script>alert(1)</script>"
    ) in commentary


def test_indicator_page_shows_progress_toward_the_final_target(kinds, member_client):
    # TEST-21: 1,000,000 sheets at R7; 950,000 is a 5.0 % reduction; the
    # R11 target is 10.0 %, so half way.
    add_actual("TEST-21", 2026, "950000")
    text = visible_text(member_client.get(reverse("pages:indicator", args=["TEST-21"])))
    assert "進捗率（令和11年度（2029）の目標に対して） 50.0%" in text
    assert "950,000枚（▲5.0%）" in text


@pytest.mark.parametrize(
    "url",
    [
        "/plans/nope/",
        "/plans/nope/print/",
        "/indicators/NOPE-01/",
        "/indicators/test-01/",  # TEST-01 in small letters
        "/departments/999999/",
        "/departments/99999999999999999999999/",
    ],
)
def test_unknown_codes_are_404(plan, member_client, url):
    assert member_client.get(url).status_code == 404


def test_pages_answer_get_only(plan, member_client):
    response = member_client.post(reverse("pages:plan", args=[PLAN]))
    assert response.status_code == 405


# --- departments ------------------------------------------------------------


@pytest.fixture
def digital_policy(plans) -> Department:
    """デジタル政策課 owning measures in both Ise plans."""
    department = Department.objects.get(name="デジタル政策課")
    department.measures.add(
        *Measure.objects.filter(policy__plan__code="ise-2", policy__number=1),
        Measure.objects.get(policy__plan__code="ise-1", title="Wi-Fi環境の整備"),
    )
    return department


def test_department_page_shows_its_measures_across_plans(digital_policy, member_client):
    response = member_client.get(reverse("pages:department", args=[digital_policy.pk]))
    text = visible_text(response)
    assert "情報戦略局 デジタル政策課" in text
    ise1 = section(text, "伊勢市デジタル行政推進ビジョン（第1期） 令和7年度（2025）",
                   "第2期 伊勢市デジタル行政推進ビジョン")
    assert "達成 1 未達成 1 未入力 0 評価対象外 0" in ise1
    assert "未達成《達成率：94.0%》 ⚠ 公表値と相違" in ise1
    ise2 = section(text, "第2期 伊勢市デジタル行政推進ビジョン 令和8年度（2026）")
    assert re.findall(r"ISE2-\d\d", ise2) == [f"ISE2-0{n}" for n in range(1, 7)]
    assert "達成 0 未達成 0 未入力 6 評価対象外 0" in ise2
    assert "I ① DX推進に向けた意識改革" in ise2


@pytest.fixture
def policy_department(plan, past_plan) -> Department:
    """テスト政策課 owning measures in both of the city's plans."""
    department = DepartmentFactory(municipality=plan.municipality, name=DEPARTMENT)
    department.measures.add(
        *Measure.objects.filter(indicators__code__in=["TEST-01", "TEST-02", "TEST-11"]),
    )
    return department


def test_department_page_applies_a_year_where_the_plan_has_it(policy_department, member_client):
    add_actual("TEST-01", 2027, "40.7")
    url = reverse("pages:department", args=[policy_department.pk])
    text = visible_text(member_client.get(url, {"year": "2027"}))
    assert f"{PLAN_NAME} 令和9年度（2027）" in text
    # 40.7 ÷ 40.0 = 101.75, rounded half up.
    assert "達成《達成率：101.8%》 ◎ 達成" in text
    # The earlier plan has no 2027: it keeps its default year.
    assert f"{PAST_NAME} 令和7年度（2025）" in text
    assert "指定された年度" not in text
    text = visible_text(member_client.get(url, {"year": "abc"}))
    assert "指定された年度「abc」は表示できないため、各計画の既定の年度を表示しています。" in text


def test_department_without_measures_says_so(plan, member_client):
    department = DepartmentFactory(municipality=plan.municipality, name="テスト窓口課")
    text = visible_text(member_client.get(reverse("pages:department", args=[department.pk])))
    assert "この所管課が所管する施策はまだ登録されていません。" in text


def test_home_lists_plans_and_departments_with_measures(digital_policy, member_client):
    response = member_client.get(reverse("pages:home"))
    body = response.content.decode()
    for code in ("ise-1", "ise-2", "iga-2"):
        assert f'href="{reverse("pages:plan", args=[code])}"' in body
    assert f'href="{reverse("pages:department", args=[digital_policy.pk])}"' in body
    text = visible_text(response)
    assert "情報戦略局 デジタル政策課 （伊勢市・施策4件・KGI8件）" in text
    card = section(text, "伊勢市デジタル行政推進ビジョン（第1期）", "ダッシュボードを開く")
    assert "令和7年度（2025）の評価 達成 12 未達成 7 未入力 0 評価対象外 1" in card
    assert "達成割合 63.2%" in card and "⚠ 公表値と相違：2件" in card


def test_home_without_departments_says_how_to_add_them(plan):
    # The city has a department, owning no measure.
    DepartmentFactory(municipality=plan.municipality)
    viewer = client_for(user_with_role(Role.VIEWER, municipality=plan.municipality.code))
    text = visible_text(viewer.get(reverse("pages:home")))
    assert "施策を所管する課はまだ登録されていません" in text


def test_not_found_page_is_japanese(member_client):
    response = member_client.get("/plans/nope/")
    assert response.status_code == 404
    assert "ページが見つかりません" in visible_text(response)
