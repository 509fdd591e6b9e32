"""Issue 13: short names in the tables, the print page's numbers, headings and notes.

The print page of the shipped plans (ise-1's ※ notes and numbers 1–20,
ise-2's 1–16 and 【累計】) is checked on the fixtures; the short name, which
the documents never give, on a factory 「テスト市」 plan.
"""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from django.urls import reverse

from accounts.roles import Role
from indicators.models import Indicator
from tests.factories import BasicPolicyFactory, DepartmentFactory, PlanFactory, kgi_with_targets
from tests.helpers import client_for, section, user_with_role, visible_text

pytestmark = pytest.mark.django_db

LONG_ITEM = (
    "職員向けデジタルスキルアンケートにおける設問「テスト」の回答で、"
    "5段階中4段階以上の割合の平均値（テスト用の長い項目）"
)


@pytest.fixture
def reader():
    return client_for(user_with_role(Role.SYSTEM, municipality=None, username="kacho"))


def get(client, name: str, *args, **params):
    response = client.get(reverse(name, args=args), params)
    assert response.status_code == 200
    return response


def numbers(response) -> list[str]:
    return re.findall(r'class="print-table__no">([^<]*)<', response.content.decode())


# 略称 ----------------------------------------------------------------------------


@pytest.fixture
def long_kgi():
    plan = PlanFactory(municipality__name="テスト市", code="test-plan")
    return kgi_with_targets(plan, "TEST-01", "%", {2026: "40.0"}, item=LONG_ITEM)


def test_a_long_item_is_shown_whole_not_cut(long_kgi, reader):
    text = visible_text(get(reader, "pages:plan", "test-plan"))
    assert f"TEST-01 {LONG_ITEM} －" in text


def test_a_short_name_stands_in_the_tables_with_the_item_on_hover(long_kgi, reader):
    long_kgi.short_name = "スキル平均（テスト）"
    long_kgi.save()
    department = DepartmentFactory(municipality=long_kgi.plan.municipality)
    department.measures.add(long_kgi.measure)
    for response in (get(reader, "pages:plan", "test-plan"),
                     get(reader, "pages:department", department.pk)):
        body = response.content.decode()
        assert f'<span title="{LONG_ITEM}">スキル平均（テスト）</span>' in body
        assert f">{LONG_ITEM}<" not in body
    # The KGI page names it by its short name and states the item whole.
    text = visible_text(get(reader, "pages:indicator", "TEST-01"))
    assert "TEST-01 スキル平均（テスト）" in text
    assert f"項目（KGI） {LONG_ITEM} 略称 スキル平均（テスト）" in text
    # Paper prints the item as the document does.
    paper = visible_text(get(reader, "pages:plan_print_year", "test-plan", 2026))
    assert f"{LONG_ITEM}：40.0%" in paper


def test_without_a_short_name_the_kgi_page_heads_with_the_whole_item(long_kgi, reader):
    text = visible_text(get(reader, "pages:indicator", "TEST-01"))
    assert f"TEST-01 {LONG_ITEM}" in text


def test_the_short_name_is_optional_and_history_tracked(long_kgi):
    field = Indicator._meta.get_field("short_name")
    assert field.blank and field.verbose_name == "略称" and field.help_text
    assert Indicator.objects.get(code="TEST-01").short_name == ""
    long_kgi.short_name = "スキル平均"
    long_kgi.save()
    assert long_kgi.history.first().short_name == "スキル平均"


def test_the_shipped_plans_have_no_short_names(plans):
    assert not Indicator.objects.exclude(short_name="").exists()


# The print page -------------------------------------------------------------------


def test_print_numbers_kgis_as_the_documents_do(plans, reader):
    assert numbers(get(reader, "pages:plan_print_year", "ise-2", 2026)) == [
        str(n) for n in range(1, 17)
    ]
    ise1 = get(reader, "pages:plan_print_year", "ise-1", 2025)
    assert numbers(ise1) == [str(n) for n in range(1, 21)]
    assert "ISE1-" not in visible_text(ise1)


def test_print_says_cumulative_once(plans, reader):
    text = visible_text(get(reader, "pages:plan_print_year", "ise-2", 2026))
    assert "「DXリーダー」として認定した職員の数【累計】：20名 " in text
    assert "【累計】：20名《累計》" not in text
    assert "《累計》" not in text
    # ise-1's items carry no 【累計】: the review table's 《累計》 stays.
    ise1 = visible_text(get(reader, "pages:plan_print_year", "ise-1", 2025))
    assert "オンライン化した手続き数：120件《累計》" in ise1


def test_print_heads_iga_style_policies_once(reader):
    plan = PlanFactory(municipality__name="テスト市", code="iga-style")
    policy = BasicPolicyFactory(plan=plan, number=1, label="基本方針 1", title="誰もがテスト")
    kgi_with_targets(plan, "TEST-01", "件", {2026: "10"}, measure__policy=policy)
    text = visible_text(get(reader, "pages:plan_print_year", "iga-style", 2026))
    assert "基本方針 1 誰もがテスト" in text
    assert "基本方針 基本方針" not in text


def test_print_explains_ise1s_notes_under_their_policy(plans, reader):
    text = visible_text(get(reader, "pages:plan_print_year", "ise-1", 2025))
    first = section(text, "基本方針 II", "基本方針 III")
    assert "100.2%(※1)" in first
    assert ("No.2 ※1 R8.3月末時点で、交付枚数から死亡や有効期限切れ等により廃止されたカードの"
            "枚数を除いた保有率は、81.2%となります。 【保有率】") in first
    assert "No.6 ※2 UI(User Interface【ユーザーインターフェイス】): ユーザーが利用する画面や外観" in first
    second = section(text, "基本方針 III", "基本方針 IV")
    # The reason for 評価対象外 is the row's 備考 (issue 14), not a second note.
    assert "評価対象外 評価対象外：Google Analyticsのアクセス数カウント方法が変更され" in second
    assert "評価対象外の理由" not in second
    third = section(text, "基本方針 IV")
    assert "AI・RPA(※)を活用した" in third and "No.17 ※ RPA(Robotic Process Automation" in third


def test_an_unmeasured_kgi_page_has_no_empty_chart(plans, reader):
    response = get(reader, "pages:indicator", "ISE1-08")
    assert response.context["chart"] is None
    body = response.content.decode()
    assert "data-chart-json" not in body
    assert "グラフに表示できる数値（実績値・目標値・現状値）がないため、グラフはありません。" in body


def test_a_zero_target_kgi_page_still_has_its_chart(plans, reader):
    response = get(reader, "pages:indicator", "ISE1-20")
    chart = response.context["chart"]
    assert chart is not None
    assert chart["layout"]["yaxis"]["dtick"] == 1
    assert Decimal(0) == Indicator.objects.get(code="ISE1-20").targets.get().value
