"""Entering targets and actuals in the admin, as DX office staff do.

Rules of the admin, not numbers of the documents: the plans, KGIs, targets
and actuals a test needs come from factories (tests/factories.py). What
the KGI list shows of the documents' own results (the evaluations and
published mismatches of ise-1's R7, their numbers and marks, each plan's
default year) is checked on the shipped plans.
"""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.roles import Role
from indicators.models import Actual, Indicator, Target
from plans.models import Initiative, Plan
from tests.factories import (
    ActualFactory,
    BasicPolicyFactory,
    DepartmentFactory,
    IndicatorFactory,
    MeasureFactory,
    MilestoneFactory,
    PlanFactory,
    TargetFactory,
    kgi_with_targets,
)
from tests.helpers import client_for, form_data, user_with_role

pytestmark = pytest.mark.django_db


def change_url(code: str) -> str:
    return reverse("admin:indicators_indicator_change", args=[Indicator.objects.get(code=code).pk])


def with_new_actual(client, code: str, **fields: str) -> dict[str, str]:
    """Return the indicator page's form with one more actual row filled in."""
    data = form_data(client.get(change_url(code)).content.decode())
    index = int(data["actuals-TOTAL_FORMS"])
    data["actuals-TOTAL_FORMS"] = str(index + 1)
    for name, value in fields.items():
        data[f"actuals-{index}-{name}"] = value
    return data


def text(response) -> str:
    return re.sub(r"\s+", " ", response.content.decode())



@pytest.fixture
def plan() -> Plan:
    """A 「テスト市」 plan (R8–R11): TEST-01, a % KGI with targets of 30.0%
    to 90.0%; TEST-02, a count of 名 with an R8 target of 50,000名; and the
    milestone TEST-90. No actuals."""
    plan = PlanFactory(municipality__name="テスト市")
    kgi_with_targets(plan, "TEST-01", "%", {2026: "30.0", 2027: "50.0", 2028: "70.0", 2029: "90.0"},
        position=1)
    kgi_with_targets(plan, "TEST-02", "名", {2026: "50000"}, position=2)
    MilestoneFactory(measure__policy__plan=plan, code="TEST-90", position=90)
    return plan


def test_indicator_page_offers_the_plan_years_in_japanese(plan, admin_client_ja):
    response = admin_client_ja.get(change_url("TEST-01"))
    assert response.status_code == 200
    page = text(response)
    for label in ("令和8年度（2026）", "令和9年度（2027）", "令和10年度（2028）", "令和11年度（2029）"):
        assert label in page
    assert "令和12年度（2030）" not in page
    assert "保存すると評価が表示されます" in page


def test_entering_an_r8_actual_shows_the_documents_evaluation_at_once(plan, admin_client_ja):
    data = with_new_actual(admin_client_ja, "TEST-01", fiscal_year="2026", state="measured",
                           value="42.5")
    response = admin_client_ja.post(change_url("TEST-01"), data, follow=True)
    assert response.status_code == 200
    page = text(response)
    # 42.5 ÷ 30.0 = 141.66…, rounded half up.
    assert "TEST-01 令和8年度（2026）の評価：達成《達成率：141.7%》" in page
    actual = Actual.objects.get(indicator__code="TEST-01", fiscal_year=2026)
    assert f"{actual.value_as_entered:f}" == "42.5"
    # The list now shows the year just entered, with the evaluation beside it.
    assert "令和8年度（2026）" in page and "42.5%" in page
    assert "達成《達成率：141.7%》" in text(admin_client_ja.get(change_url("TEST-01")))


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        # 29.99 ÷ 30.0 = 99.97, which would round to 100.0.
        ("29.99", "未達成《達成率：99.9%》"),
        ("２９．９９", "未達成《達成率：99.9%》"),
        ("30.0", "達成《達成率：100.0%》"),
    ],
)
def test_typed_values_are_evaluated_as_the_rules_say(plan, admin_client_ja, value, shown):
    data = with_new_actual(admin_client_ja, "TEST-01", fiscal_year="2026", state="measured",
                           value=value)
    response = admin_client_ja.post(change_url("TEST-01"), data, follow=True)
    assert shown in text(response)


def test_thousands_separators_are_accepted_and_shown(plan, admin_client_ja):
    data = with_new_actual(admin_client_ja, "TEST-02", fiscal_year="2026", state="measured",
                           value="５３，５００")
    response = admin_client_ja.post(change_url("TEST-02"), data, follow=True)
    page = text(response)
    # 53,500 ÷ 50,000
    assert "達成《達成率：107.0%》" in page
    assert "53,500名" in page


def test_not_measured_shows_a_dash(plan, admin_client_ja):
    data = with_new_actual(admin_client_ja, "TEST-01", fiscal_year="2026", state="not_measured",
                           not_measured_reason="アンケートを実施しなかったため")
    response = admin_client_ja.post(change_url("TEST-01"), data, follow=True)
    assert "TEST-01 令和8年度（2026）の評価：－" in text(response)


@pytest.mark.parametrize(
    ("code", "fields", "message"),
    [
        ("TEST-01", {"fiscal_year": "2026", "state": "measured", "value": "abc"},
         "数値を入力してください。"),
        ("TEST-01", {"fiscal_year": "2030", "state": "measured", "value": "10"},
         "正しく選択してください。"),
        ("TEST-02", {"fiscal_year": "2026", "state": "measured", "value": "-3"},
         "実績値に負の値は入力できません。"),
        ("TEST-90", {"fiscal_year": "2026", "state": "measured", "value": "1"},
         "完了型の指標には数値を入力できません。"),
        ("TEST-01", {"fiscal_year": "2026", "state": "measured", "value": ""},
         "実績値を入力してください"),
        ("TEST-01", {"fiscal_year": "2026", "state": "done"},
         "「完了」「未完了」は完了型の指標だけで選べます。"),
        ("TEST-01", {"fiscal_year": "2026", "state": "not_measured"},
         "評価対象外とする理由を入力してください。"),
        ("TEST-01", {"fiscal_year": "2026", "state": "measured",
                     "value": "1234567890123456789012345678901234567890"},
         "桁"),
    ],
    ids=["not-a-number", "year-outside-plan", "negative-count", "value-on-milestone",
         "missing-value", "done-on-increase", "not-measured-without-reason", "40-digits"],
)
def test_bad_input_is_a_japanese_form_error_and_nothing_is_saved(
    plan, admin_client_ja, code, fields, message
):
    before = Actual.objects.count()
    data = with_new_actual(admin_client_ja, code, **fields)
    response = admin_client_ja.post(change_url(code), data)
    assert response.status_code == 200
    assert message in text(response)
    assert "下記のエラーを修正してください" in text(response)
    assert Actual.objects.count() == before


def test_a_second_actual_for_one_year_is_refused(plan, admin_client_ja):
    data = with_new_actual(admin_client_ja, "TEST-01", fiscal_year="2026", state="measured",
                           value="41")
    index = int(data["actuals-TOTAL_FORMS"])
    data["actuals-TOTAL_FORMS"] = str(index + 1)
    data.update({f"actuals-{index}-fiscal_year": "2026", f"actuals-{index}-state": "measured",
                 f"actuals-{index}-value": "45"})
    response = admin_client_ja.post(change_url("TEST-01"), data)
    assert response.status_code == 200
    page = text(response)
    assert "令和8年度（2026）の実績値が2行あります。1年度に1行だけ入力してください。" in page
    assert "重複" not in page
    assert not Actual.objects.filter(indicator__code="TEST-01").exists()


def test_target_revision_keeps_the_decimals_typed(plan, admin_client_ja):
    data = form_data(admin_client_ja.get(change_url("TEST-01")).content.decode())
    year_field = next(k for k, v in data.items() if k.startswith("targets-") and v == "2026")
    data[year_field.replace("fiscal_year", "value")] = "31.50"
    # 30.0 → 31.50 is a revision: it needs its reason and decision date.
    data[year_field.replace("fiscal_year", "change_reason")] = "テスト用の変更理由"
    data[year_field.replace("fiscal_year", "decided_on")] = "2026-06-01"
    response = admin_client_ja.post(change_url("TEST-01"), data)
    assert response.status_code == 302
    target = Target.objects.get(indicator__code="TEST-01", fiscal_year=2026)
    assert f"{target.value_as_entered:f}" == "31.50"


def test_history_years_are_shown_and_survive_a_save(plan, admin_client_ja):
    # Four actuals of R4–R7, before the plan's period (R8–R11).
    history = kgi_with_targets(plan, "TEST-03", "%", {2026: "1.0"})
    for year, value in ((2022, "0.7"), (2023, "12.5"), (2024, "4.2"), (2025, "0.0")):
        ActualFactory(indicator=history, fiscal_year=year, value=Decimal(value), value_places=1,
                      confirmed=True)
    page = text(admin_client_ja.get(change_url("TEST-03")))
    assert "計画期間前の実績" in page and "令和5年度（2023）" in page and "12.5%" in page
    data = form_data(admin_client_ja.get(change_url("TEST-03")).content.decode())
    response = admin_client_ja.post(change_url("TEST-03"), data)
    assert response.status_code == 302
    assert Actual.objects.filter(indicator__code="TEST-03").count() == 4


def changelist(client, **params: str):
    return client.get(reverse("admin:indicators_indicator_changelist"), params)


def listed_codes(response) -> list[str]:
    """The KGI codes listed: the factory ones (TEST-…) and the shipped ones."""
    return re.findall(r">((?:ISE|IGA)\d-\d\d|TEST-\d+)<", response.content.decode())


def test_list_filters_by_year_and_evaluation(plans, admin_client_ja):
    response = changelist(admin_client_ja, fiscal_year="2025", evaluation="not_achieved")
    assert listed_codes(response) == [
        "ISE1-03", "ISE1-06", "ISE1-09", "ISE1-13", "ISE1-18", "ISE1-19", "ISE1-20"
    ]
    response = changelist(admin_client_ja, fiscal_year="2025", evaluation="mismatch")
    assert listed_codes(response) == ["ISE1-13", "ISE1-15"]
    assert "公表値と相違" in text(response)


def test_list_filters_by_municipality_plan_and_policy(admin_client_ja):
    # A 「テスト市」 plan of six KGIs over three basic policies (TEST-05 and
    # TEST-06 under the third), and another city whose plan has none.
    plan = PlanFactory(municipality__name="テスト市")
    policies = [BasicPolicyFactory(plan=plan, number=n) for n in (1, 2, 3)]
    for n in range(1, 7):
        IndicatorFactory(measure__policy=policies[(n - 1) // 2], code=f"TEST-{n:02d}",
                         position=n)
    other = PlanFactory(municipality__name="別テスト市")
    MeasureFactory(policy__plan=other)
    response = changelist(admin_client_ja, plan__id__exact=str(plan.pk))
    assert listed_codes(response) == [f"TEST-{n:02d}" for n in range(1, 7)]
    response = changelist(admin_client_ja, measure__policy__id__exact=str(policies[2].pk))
    assert listed_codes(response) == ["TEST-05", "TEST-06"]
    response = changelist(admin_client_ja, plan__municipality__id__exact=str(other.municipality.pk))
    assert listed_codes(response) == []


def test_list_search_by_code_and_item_text(admin_client_ja):
    # Two cities' plans, each with a KGI whose item names the same thing.
    for city, (first, second) in (("テスト市", ("TEST-01", "TEST-02")),
                                  ("別テスト市", ("TEST-11", "TEST-12"))):
        plan = PlanFactory(municipality__name=city)
        IndicatorFactory(measure__policy__plan=plan, code=first, item="テスト手続の数")
        IndicatorFactory(measure__policy__plan=plan, code=second, item="テスト用の決裁の電子化率")
    assert listed_codes(changelist(admin_client_ja, q="TEST-11")) == ["TEST-11"]
    assert listed_codes(changelist(admin_client_ja, q="決裁の電子化率")) == ["TEST-02", "TEST-12"]


def test_list_shows_numbers_with_separators_units_and_marks(plans, admin_client_ja):
    page = text(changelist(admin_client_ja, fiscal_year="2025"))
    assert "1,589,989件" in page and "1,050,000件《暦年目標》" in page
    assert "5,828,872枚" in page
    assert "◎ 達成《達成率：151.4%》" in page
    assert "○ 未達成《達成率：91.2%》" in page
    assert "△ 未達成《達成率：33.0%》" in page


def add_indicators(count: int, start: int = 0) -> None:
    """Add ``count`` KGIs, each with an R8 target and actual, to TEST-01's plan."""
    source = Indicator.objects.get(code="TEST-01")
    for n in range(start, start + count):
        indicator = Indicator.objects.create(
            plan=source.plan, measure=source.measure, code=f"TEST-{100 + n:03d}",
            position=100 + n, item=f"合成指標 {n}", unit="件", baseline=Decimal(140),
        )
        Target.objects.create(indicator=indicator, fiscal_year=2026, value=10)
        Actual.objects.create(indicator=indicator, fiscal_year=2026, value=n)


def count_queries(client, **params: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert changelist(client, **params).status_code == 200
    return len(queries)


def test_list_query_count_does_not_grow_with_indicators(plan, admin_client_ja):
    params = {"fiscal_year": "2026", "evaluation": "not_achieved"}
    add_indicators(3)
    small = count_queries(admin_client_ja, **params)
    plain_small = count_queries(admin_client_ja, fiscal_year="2026")
    add_indicators(40, start=3)
    assert count_queries(admin_client_ja, **params) == small
    assert count_queries(admin_client_ja, fiscal_year="2026") == plain_small


def test_indicator_page_query_count_does_not_grow_with_years(plan, admin_client_ja):
    def page_queries() -> int:
        with CaptureQueriesContext(connection) as queries:
            admin_client_ja.get(change_url("TEST-01"))
        return len(queries)

    indicator = Indicator.objects.get(code="TEST-01")
    Actual.objects.create(indicator=indicator, fiscal_year=2026, value=41)
    one_year = page_queries()
    for year in (2027, 2028, 2029):
        Actual.objects.create(indicator=indicator, fiscal_year=year, value=41)
    assert page_queries() == one_year


def test_standalone_actual_form_refuses_a_second_actual_for_a_year(plan, admin_client_ja):
    indicator = Indicator.objects.get(code="TEST-02")
    Actual.objects.create(indicator=indicator, fiscal_year=2026, value=171)
    url = reverse("admin:indicators_actual_add")
    data = form_data(admin_client_ja.get(url).content.decode())
    data.update({"indicator": str(indicator.pk), "fiscal_year": "2026", "state": "measured",
                 "value": "175"})
    response = admin_client_ja.post(url, data)
    assert response.status_code == 200
    assert "既に存在します" in text(response)
    assert Actual.objects.get(indicator=indicator, fiscal_year=2026).value == 171


@pytest.mark.parametrize(
    "model",
    ["plans.municipality", "plans.department", "plans.plan", "plans.basicpolicy",
     "plans.measure", "plans.initiative", "indicators.indicator", "indicators.target",
     "indicators.actual"],
)
def test_every_admin_list_add_and_change_page_renders(admin_client_ja, model):
    from django.apps import apps

    # One row of each model, the last of each: a factory KGI's city,
    # department, plan, policy, measure, initiative, target and actual.
    indicator = IndicatorFactory(measure__policy__plan__municipality__name="テスト市")
    DepartmentFactory(municipality=indicator.plan.municipality)
    indicator.initiative = Initiative.objects.create(measure=indicator.measure, number=1,
                                                     title="テスト取組")
    indicator.save()
    TargetFactory(indicator=indicator)
    ActualFactory(indicator=indicator)

    app_label, name = model.split(".")
    base = f"admin:{app_label}_{name}"
    assert admin_client_ja.get(reverse(f"{base}_changelist")).status_code == 200
    assert admin_client_ja.get(reverse(f"{base}_add")).status_code == 200
    obj = apps.get_model(model).objects.order_by("pk").last()
    assert admin_client_ja.get(reverse(f"{base}_change", args=[obj.pk])).status_code == 200


def test_unknown_year_in_the_list_falls_back_to_each_plans_default_year(plan):
    # Until issue 11 this fell back to the latest year with data across
    # plans (令和7年度), which put every row of a current plan 「計画期間外」:
    # the city's earlier plan (R3–R7) has an R7 actual, its current one none.
    earlier = PlanFactory(municipality=plan.municipality, start_year=2021, end_year=2025)
    ActualFactory(indicator=kgi_with_targets(earlier, "TEST-50", targets={2025: "10"}), fiscal_year=2025)
    office = client_for(user_with_role(Role.OFFICE, municipality=plan.municipality.code))
    for bad in ("abc", "99999", "-1", "2026'--", "2030", "²⁰²⁶", "R8", " 2026"):
        response = changelist(office, fiscal_year=bad)
        assert response.status_code == 200
        page = text(response)
        assert "<title>指標（KGI）一覧 計画ごとの既定の年度（実績のある最新の年度）" in page
        assert "計画期間外" not in page


def test_revising_a_target_re_evaluates_that_years_actual(plan, admin_client_ja):
    Actual.objects.create(indicator=Indicator.objects.get(code="TEST-01"), fiscal_year=2026,
                          value=41, value_places=0)
    data = form_data(admin_client_ja.get(change_url("TEST-01")).content.decode())
    year_field = next(k for k, v in data.items() if k.startswith("targets-") and v == "2026")
    data[year_field.replace("fiscal_year", "value")] = "42.0"
    data[year_field.replace("fiscal_year", "change_reason")] = "テスト用の変更理由"
    data[year_field.replace("fiscal_year", "decided_on")] = "2026-06-01"
    response = admin_client_ja.post(change_url("TEST-01"), data, follow=True)
    # 41 ÷ 42.0 = 97.619…
    assert "TEST-01 令和8年度（2026）の評価：未達成《達成率：97.6%》" in text(response)


def test_the_office_adds_a_plans_first_kgi_with_targets_and_an_actual(admin_client_ja):
    # A 「テスト市」 plan with its policies and measures, and no KGI yet.
    measure = MeasureFactory(policy__plan__municipality__name="テスト市")
    plan = measure.policy.plan
    url = reverse("admin:indicators_indicator_add")
    data = form_data(admin_client_ja.get(url).content.decode())
    data.update({
        "plan": str(plan.pk), "measure": str(measure.pk), "code": "TEST-01", "position": "1",
        "item": "オンラインで申請できる手続の数", "unit": "件", "kind": "increase",
        "accumulation": "annual", "baseline": "", "baseline_year": "",
        "targets-TOTAL_FORMS": "1", "targets-0-fiscal_year": "2026", "targets-0-value": "100",
        "actuals-TOTAL_FORMS": "1", "actuals-0-fiscal_year": "2026",
        "actuals-0-state": "measured", "actuals-0-value": "１２０",
    })
    response = admin_client_ja.post(url, data, follow=True)
    assert response.status_code == 200
    assert "TEST-01 令和8年度（2026）の評価：達成《達成率：120.0%》" in text(response)
    indicator = Indicator.objects.get(code="TEST-01")
    assert indicator.targets.get().value == 100 and indicator.actuals.get().value == 120


def test_a_new_kgi_cannot_take_a_year_outside_its_plan(admin_client_ja):
    # A 「テスト市」 plan of R8–R11 with a measure and no KGI yet.
    plan = MeasureFactory(policy__plan__municipality__name="テスト市").policy.plan
    url = reverse("admin:indicators_indicator_add")
    data = form_data(admin_client_ja.get(url).content.decode())
    data.update({
        "plan": str(plan.pk), "measure": str(plan.policies.first().measures.first().pk),
        "code": "TEST-02", "position": "2", "item": "テスト", "unit": "件",
        "kind": "increase", "accumulation": "annual",
        "targets-TOTAL_FORMS": "1", "targets-0-fiscal_year": "2025", "targets-0-value": "1",
    })
    response = admin_client_ja.post(url, data)
    assert response.status_code == 200
    assert "令和7年度（2025）は計画期間" in text(response)
    assert not Indicator.objects.filter(code="TEST-02").exists()


def test_stored_numbers_are_shown_in_the_form_as_printed_and_save_unchanged(
    plan, admin_client_ja
):
    kgi_with_targets(plan, "TEST-03", "時間", {2026: "4800.0"}, baseline=Decimal("4321.5"),
        baseline_places=1, baseline_year=2025)
    page = admin_client_ja.get(change_url("TEST-03")).content.decode()
    assert 'value="4,321.5"' in page and 'value="4,800.0"' in page
    response = admin_client_ja.post(change_url("TEST-03"), form_data(page))
    assert response.status_code == 302
    target = Target.objects.get(indicator__code="TEST-03", fiscal_year=2026)
    assert f"{target.value_as_entered:f}" == "4800.0"


def test_the_list_opens_each_plan_on_its_default_year_as_the_dashboard_does(plans, client):
    """An Ise office login: ise-1 on 令和7年度, ise-2 on 令和8年度, none 計画期間外."""
    from indicators.selectors import plan_default_year

    client.force_login(user_with_role(Role.OFFICE, municipality="ise"))
    page = text(changelist(client))
    assert "計画期間外" not in page
    assert "計画ごとの既定の年度（実績のある最新の年度）" in page
    for code in ("ise-1", "ise-2"):
        plan = Plan.objects.get(code=code)
        dashboard = client.get(reverse("pages:plan", args=[code]))
        assert dashboard.context["fiscal_year"] == plan_default_year(plan=plan)
    # ISE1-01 on 令和7年度, its document's year, and ISE2-01 on 令和8年度.
    assert re.search(r"ISE1-01<.*?R7.*?1,589,989件", page)
    assert re.search(r"ISE2-01<.*?R8.*?40.0%.*?未入力", page)
    # A year chosen in the filter applies to every row, as before.
    chosen = text(changelist(client, fiscal_year="2026"))
    assert "指標（KGI）一覧 令和8年度（2026）" in chosen
    assert chosen.count("計画期間外") == Indicator.objects.filter(plan__code="ise-1").count()


def test_default_year_list_query_count_does_not_grow_with_indicators(plan, admin_client_ja):
    add_indicators(3)
    small = count_queries(admin_client_ja)
    add_indicators(40, start=3)
    assert count_queries(admin_client_ja) == small
