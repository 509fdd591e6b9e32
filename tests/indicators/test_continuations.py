"""前期の指標との接続: the rules a link obeys, the shipped links, seed_plans, the series."""

from __future__ import annotations

from decimal import Decimal
from io import StringIO

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.db import IntegrityError, transaction

from accounts.roles import Role
from audit.writers import FIXTURE_REASON
from indicators.continuations import linked_series, with_links
from indicators.models import Actual, Continuation, Indicator
from indicators.selectors import indicators_for_rows, indicators_visible_to
from plans.models import Department, Plan
from tests.factories import IndicatorFactory, PlanFactory
from tests.helpers import user_with_role

pytestmark = pytest.mark.django_db

SHIPPED = {
    ("ISE1-01", "ISE2-13"), ("ISE1-05", "ISE2-16"), ("ISE1-06", "ISE2-14"),
    ("ISE1-19", "ISE2-09"), ("ISE1-20", "ISE2-12"),
}


def kgi(code: str) -> Indicator:
    return Indicator.objects.get(code=code)


def refusal(earlier: str | Indicator, later: str | Indicator, reason: str = "根拠") -> dict:
    link = Continuation(
        earlier=kgi(earlier) if isinstance(earlier, str) else earlier,
        later=kgi(later) if isinstance(later, str) else later, reason=reason,
    )
    with pytest.raises(ValidationError) as raised:
        link.full_clean()
    return raised.value.message_dict


def links() -> set[tuple[str, str]]:
    return set(Continuation.objects.values_list("earlier__code", "later__code"))


# The model's rules ------------------------------------------------------------


def test_a_kgi_cannot_continue_itself(plans):
    assert refusal("ISE2-01", "ISE2-01") == {
        "later": ["後期の指標には、前期の指標とは別の指標（後の計画の指標）を選んでください。"],
    }


def test_a_link_stays_within_one_city(plans):
    other_city = IndicatorFactory(plan=PlanFactory(start_year=2030, end_year=2033), unit="件")
    assert refusal("ISE1-03", other_city) == {
        "later": ["後期の指標は、前期の指標と同じ自治体（伊勢市）の計画から選んでください。"],
    }


def test_the_earlier_plan_must_end_before_the_later_one_starts(plans):
    errors = refusal("ISE2-02", "ISE1-03")
    assert errors == {"earlier": [
        "前期の指標は、後期の指標の計画（伊勢市デジタル行政推進ビジョン（第1期）："
        "令和3年度（2021）〜令和7年度（2025））が始まる前に終わる計画から選んでください"
        "（選んだ指標の計画は令和8年度（2026）〜令和11年度（2029））。"
    ]}
    # Two KGIs of one plan overlap as well.
    assert list(refusal("ISE2-02", "ISE2-03")) == ["earlier"]


def test_the_units_must_match(plans):
    assert kgi("ISE1-03").unit == "件" and kgi("ISE2-01").unit == "%"
    assert refusal("ISE1-03", "ISE2-01") == {
        "later": ["単位が異なる指標は接続できません（前期の指標：件、後期の指標：%）。"],
    }


def test_a_link_needs_its_reason(plans):
    assert list(refusal("ISE1-02", "ISE2-01", reason="")) == ["reason"]


def test_a_kgi_continues_at_most_one_and_is_continued_by_at_most_one(plans):
    assert refusal("ISE1-03", "ISE2-13") == {
        "later": ["この後期の指標は、すでに別の前期の指標から継続しています。"],
    }
    assert refusal("ISE1-06", "ISE2-01") == {
        "earlier": ["この前期の指標は、すでに別の指標に継続されています。"],
    }


def test_the_database_refuses_a_link_to_itself_and_an_empty_reason(plans):
    with pytest.raises(IntegrityError), transaction.atomic():
        Continuation.objects.create(earlier=kgi("ISE2-01"), later=kgi("ISE2-01"), reason="x")
    with pytest.raises(IntegrityError), transaction.atomic():
        Continuation.objects.create(earlier=kgi("ISE1-02"), later=kgi("ISE2-01"), reason="")
    with pytest.raises(IntegrityError), transaction.atomic():
        Continuation.objects.create(earlier=kgi("ISE1-03"), later=kgi("ISE2-13"), reason="x")


def test_a_link_goes_with_either_kgi(plans):
    kgi("ISE1-01").delete()
    assert ("ISE1-01", "ISE2-13") not in links()
    assert len(links()) == 4


# The shipped links ------------------------------------------------------------


def test_the_fixture_holds_exactly_the_five_links_with_their_evidence(plans):
    assert links() == SHIPPED
    for link in Continuation.objects.select_related("earlier", "later"):
        link.full_clean()
        # Each reason quotes the figure carried over and names the document.
        carried = link.later.baseline_label
        assert carried in link.reason, link
        assert "第2期 伊勢市デジタル行政推進ビジョン" in link.reason
        assert link.history.get().history_change_reason == FIXTURE_REASON
    weakest = Continuation.objects.get(later__code="ISE2-16").reason
    assert "最も文言の違いが大きく" in weakest and "1,467名" in weakest


def test_loading_the_fixture_again_changes_nothing(plans):
    before = list(Continuation.objects.order_by("pk").values())
    call_command("loaddata", "ise-continuations", verbosity=0)
    assert list(Continuation.objects.order_by("pk").values()) == before


def seed() -> str:
    out = StringIO()
    call_command("seed_plans", stdout=out)
    return out.getvalue()


def test_seed_plans_adds_the_links_once_and_keeps_the_offices_edits(plans):
    Continuation.objects.all().delete()
    Continuation.history.all().delete()
    assert seed() == (
        "同梱の計画はすべて登録済みです。\n前期の指標との接続を登録しました："
        "ISE1-01 → ISE2-13、ISE1-05 → ISE2-16、ISE1-06 → ISE2-14、ISE1-19 → ISE2-09、"
        "ISE1-20 → ISE2-12\n"
    )
    assert links() == SHIPPED
    assert {record.history_change_reason for record in Continuation.history.all()} == {
        FIXTURE_REASON
    }
    edited = Continuation.objects.get(later__code="ISE2-16")
    edited.reason = "DX推進担当が確認した根拠"
    edited.save()
    Continuation.objects.get(later__code="ISE2-13").delete()

    assert seed() == "同梱の計画はすべて登録済みです。\n"
    edited.refresh_from_db()
    assert edited.reason == "DX推進担当が確認した根拠"
    # A link the office deleted stays deleted.
    assert links() == SHIPPED - {("ISE1-01", "ISE2-13")}


def test_seed_plans_leaves_a_kgi_the_office_linked_otherwise(plans):
    Continuation.objects.filter(later__code="ISE2-13").delete()
    Continuation.history.filter(later__code="ISE2-13").delete()
    Continuation.objects.create(earlier=kgi("ISE1-03"), later=kgi("ISE2-13"), reason="別の判断")
    assert seed() == "同梱の計画はすべて登録済みです。\n"
    assert Continuation.objects.get(later__code="ISE2-13").earlier.code == "ISE1-03"


def test_seed_plans_links_the_plans_it_loads(plans):
    # A KGI's measure is protected: the plan goes after its KGIs.
    Indicator.objects.filter(plan__code="ise-1").delete()
    Plan.objects.get(code="ise-1").delete()
    assert links() == set()
    assert seed() == (
        "計画を読み込みました：ise-1\n前期の指標との接続を登録しました："
        "ISE1-01 → ISE2-13、ISE1-05 → ISE2-16、ISE1-06 → ISE2-14、ISE1-19 → ISE2-09、"
        "ISE1-20 → ISE2-12\n"
    )
    assert links() == SHIPPED


# The series ---------------------------------------------------------------------


def series_of(code: str, visible=None):
    visible = Indicator.objects.all() if visible is None else visible
    indicator = with_links(indicators_for_rows(visible)).prefetch_related(
        "targets", "actuals", "outlooks"
    ).get(code=code)
    return linked_series(indicator=indicator, visible=visible)


def printed(series) -> list[tuple[int, str, str, str, str]]:
    return [
        (year.fiscal_year, year.indicator.code, year.row.target_label, year.row.actual_label,
         year.row.evaluation_label)
        for year in series.years
    ]


def test_the_series_of_ise2_13_runs_from_r3_to_r11_with_each_periods_targets(plans):
    series = series_of("ISE2-13")
    assert [indicator.code for indicator in series.indicators] == ["ISE1-01", "ISE2-13"]
    assert series.accumulation_differs  # 《累計》 in ise-1, 単年度 in ise-2: shown, not fixed
    rows = printed(series)
    assert [row[0] for row in rows] == list(range(2021, 2030))
    assert rows[:4] == [(year, "ISE1-01", "－", "未入力", "未入力") for year in range(2021, 2025)]
    assert rows[4] == (2025, "ISE1-01", "120件《累計》", "142件", "達成《達成率：118.3%》")
    assert [row[1:3] for row in rows[5:]] == [
        ("ISE2-13", "170件"), ("ISE2-13", "200件"), ("ISE2-13", "230件"), ("ISE2-13", "260件"),
    ]
    assert not any(year.note or year.borrowed for year in series.years)


def test_the_series_is_the_same_from_the_earlier_kgi(plans):
    assert printed(series_of("ISE1-01")) == printed(series_of("ISE2-13"))


def test_a_year_both_kgis_hold_is_shown_once_from_the_kgi_whose_period_holds_it(plans):
    series = series_of("ISE2-12")
    rows = printed(series)
    assert [row[0] for row in rows] == list(range(2021, 2030))
    # R4–R6: only ISE2-12 holds them (its 現状値's history), outside its period.
    assert rows[1:4] == [
        (2022, "ISE2-12", "－", "1件", "計画期間外"), (2023, "ISE2-12", "－", "1件", "計画期間外"),
        (2024, "ISE2-12", "－", "0件", "計画期間外"),
    ]
    assert all(year.borrowed and "ISE2-12に記録された値" in year.note
               for year in series.years[1:4])
    # R7: both hold 1件; ISE1-20's row (its target, its evaluation), once.
    assert rows[4] == (2025, "ISE1-20", "0件", "1件", "未達成")
    assert series.years[4].note == ""
    assert [row[1:3] for row in rows[5:]] == [("ISE2-12", "0件")] * 4


def test_a_differing_value_of_the_other_kgi_is_noted(plans):
    Actual.objects.filter(indicator__code="ISE2-12", fiscal_year=2025).update(value=Decimal(2))
    r7 = series_of("ISE2-12").years[4]
    assert (r7.indicator.code, r7.row.actual_label) == ("ISE1-20", "1件")
    assert r7.note == "第2期のISE2-12には2件と記録されています（表示はISE1-20の値）。"


def test_a_kgi_without_a_link_has_no_series(plans):
    assert series_of("ISE2-01") is None


def test_the_series_holds_only_kgis_the_user_may_see(plans):
    registry = Department.objects.get(municipality__code="ise", name="戸籍住民課")
    registry.measures.add(kgi("ISE2-13").measure)
    user = user_with_role(Role.DEPARTMENT, departments=("戸籍住民課",))
    visible = indicators_visible_to(user=user)
    assert visible.filter(code="ISE2-13").exists()
    assert not visible.filter(code="ISE1-01").exists()
    assert series_of("ISE2-13", visible) is None
    office = indicators_visible_to(user=user_with_role(Role.OFFICE))
    assert series_of("ISE2-13", office) is not None


def test_the_series_costs_four_queries_with_a_link_and_none_without(
    plans, django_assert_num_queries
):
    visible = Indicator.objects.all()
    linked, alone = (
        with_links(indicators_for_rows(visible)).prefetch_related(
            "targets", "actuals", "outlooks"
        ).get(code=code) for code in ("ISE2-12", "ISE2-01")
    )
    with django_assert_num_queries(0):
        assert linked_series(indicator=alone, visible=visible) is None
    with django_assert_num_queries(4):
        linked_series(indicator=linked, visible=visible)

