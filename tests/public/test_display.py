"""What a citizen may see of an edition's data (public_site.display), without a database."""

from __future__ import annotations

from decimal import Decimal

import pytest

from public_site import display


def year(fiscal_year: int, *, actual: str | None = "142.0000", confirmed: bool = True,
         outlook: bool = False, evaluation: str = "achieved", target: str | None = "120",
         in_period: bool = True) -> dict:
    return {
        "fiscal_year": fiscal_year, "label": f"{fiscal_year}年度", "in_period": in_period,
        "target": target, "target_label": f"{target}件" if target else "－",
        "actual": actual, "actual_label": f"{actual}件" if actual else "未入力",
        "state": "measured" if actual else "", "confirmed": confirmed, "outlook": outlook,
        "evaluation_label": "達成《達成率：118.3%》", "evaluation": evaluation,
        "status": evaluation, "status_label": "達成", "status_symbol": "◎", "rate": "118.3",
        "commentary": [["取組状況", "進めた"]], "not_measured_reason": "", "remarks": "",
        "revision": "", "published_label": "",
    }


@pytest.mark.parametrize(("confirmed", "outlook", "shown"), [
    (True, False, True), (False, False, False), (False, True, False), (True, True, False),
])
def test_only_a_confirmed_actual_that_is_no_outlook_shows(confirmed, outlook, shown):
    row = display.public_year(year(2025, confirmed=confirmed, outlook=outlook),
                              with_comments=True)
    assert row.published is shown
    if shown:
        assert (row.actual, row.actual_label, row.status_symbol) == (
            Decimal("142.0000"), "142.0000件", "◎")
        assert row.commentary == [("取組状況", "進めた")]
    else:
        assert (row.actual, row.actual_label, row.evaluation_label, row.rate) == (
            None, "－", "－", "")
        assert (row.status_label, row.status_class, row.commentary) == ("未公表", "unpublished", [])
    # The target is the plan's, public either way.
    assert row.target_label == "120件"


def test_comments_only_when_published_with_them():
    assert display.public_year(year(2025), with_comments=False).commentary == []


def test_counts_treat_hidden_years_as_unpublished():
    years = [
        display.public_year(year(2025), with_comments=False),
        display.public_year(year(2025, evaluation="not_achieved"), with_comments=False),
        display.public_year(year(2025, confirmed=False), with_comments=False),
        display.public_year(year(2025, actual=None, confirmed=False, evaluation="pending"),
                            with_comments=False),
        display.public_year(year(2025, evaluation="not_measured"), with_comments=False),
        display.public_year(year(2021, in_period=False), with_comments=False),
    ]
    counts = display.count_years(years)
    assert (counts.achieved, counts.not_achieved, counts.not_measured, counts.unpublished) == (
        1, 1, 1, 2)
    assert counts.line == "達成 1 / 未達成 1 / 評価対象外 1 / 未公表 2（達成割合 50.0%）"


def test_plain_numbers_have_no_separator_or_trailing_zero():
    assert [display.plain_number(Decimal(text)) for text in ("142.0000", "83.4000", "100", "0")] \
        == ["142", "83.4", "100", "0"]


def member_data(code: str, years: dict[int, dict], link: dict | None, later: bool) -> dict:
    return {
        "code": code, "item": code + "の項目", "short_name": "", "unit": "件", "kind": "increase",
        "accumulation_label": "累計", "years": list(years.values()),
        "continues": link if later else None, "continued_by": None if later else link,
    }


def test_long_view_joins_two_editions_each_year_from_its_own_plan():
    earlier_plan = {"code": "ise-1", "name": "第1期計画", "short_name": "第1期",
                    "start_year": 2021, "end_year": 2025}
    later_plan = {"code": "ise-2", "name": "第2期計画", "short_name": "第2期",
                  "start_year": 2026, "end_year": 2029}
    earlier = member_data("ISE1-01", {
        2024: year(2024, actual="100"), 2025: year(2025, actual="142"),
    }, {"code": "ISE2-13", "reason": "同じ手続き数"}, later=False)
    later = member_data("ISE2-13", {
        2026: year(2026, actual="170"), 2027: year(2027, actual="200", confirmed=False),
        2028: year(2028, actual=None, confirmed=False), 2029: year(2029, actual=None),
    }, {"code": "ISE1-01", "reason": "同じ手続き数"}, later=True)
    series = display.long_view(kgi=later, plan=later_plan, other_kgi=earlier,
                               other_plan=earlier_plan)
    assert [m.code for m in series.members] == ["ISE1-01", "ISE2-13"]
    assert [y.fiscal_year for y in series.years] == list(range(2021, 2030))
    shown = {y.fiscal_year: (y.member.code, y.row.actual_label) for y in series.years}
    assert shown[2025] == ("ISE1-01", "142件")
    assert shown[2026] == ("ISE2-13", "170件")
    # The 速報 of R9 stays hidden in the series too.
    assert shown[2027] == ("ISE2-13", "－")
    assert series.reason == "同じ手続き数"
    assert series.range_label == "R3〜R11"
    # Without the other plan's publication there is no long view.
    assert display.long_view(kgi=later, plan=later_plan, other_kgi=None, other_plan=None) is None
