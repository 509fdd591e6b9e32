"""A KGI's admin page as the office enters a year's actual on it (issue 13).

The rows come before the definition, a new row starts on the first year
without one, a confirmed actual is shown as the documents print it and
stays locked, a refused save evaluates only what is stored, and two rows
of one year are refused naming the year. The page's width is checked in
Chromium (tests/browser/test_admin_layout.py).
"""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.roles import Role
from indicators.models import Actual, Indicator
from indicators.services import LOCKED_MESSAGE
from plans.models import Plan
from tests.factories import DepartmentFactory, PlanFactory, kgi_with_targets
from tests.helpers import client_for, form_data, user_with_role

pytestmark = pytest.mark.django_db


@pytest.fixture
def plan() -> Plan:
    """A 「テスト市」 plan (R8–R11): TEST-01, a % KGI with targets of 30.0%
    to 90.0%; TEST-02, a count of 名 with an R8 target of 50名. No actuals."""
    plan = PlanFactory(municipality__name="テスト市")
    kgi_with_targets(plan, "TEST-01", "%", {2026: "30.0", 2027: "50.0", 2028: "70.0", 2029: "90.0"},
        position=1)
    kgi_with_targets(plan, "TEST-02", "名", {2026: "50"}, position=2)
    return plan


def change_url(code: str) -> str:
    return reverse("admin:indicators_indicator_change", args=[Indicator.objects.get(code=code).pk])


def text(response) -> str:
    return re.sub(r"\s+", " ", response.content.decode())


def selected_year(page: str, prefix: str) -> str | None:
    """Return the year chosen in a new row's (the template row's) year box."""
    select = re.search(
        rf'<select name="{prefix}-__prefix__-fiscal_year".*?</select>', page, re.DOTALL
    )
    assert select is not None
    chosen = re.search(r'<option value="(\d*)" selected>', select.group(0))
    return chosen.group(1) if chosen else None


def with_rows(client, code: str, *rows: dict[str, str]) -> dict[str, str]:
    """Return the KGI page's form with ``rows`` added as new actual rows."""
    data = form_data(client.get(change_url(code)).content.decode())
    index = int(data["actuals-TOTAL_FORMS"])
    data["actuals-TOTAL_FORMS"] = str(index + len(rows))
    for offset, row in enumerate(rows):
        for name, value in row.items():
            data[f"actuals-{index + offset}-{name}"] = value
    return data


def confirmed_actual(code: str, year: int, value: str) -> Actual:
    return Actual.objects.create(
        indicator=Indicator.objects.get(code=code), fiscal_year=year, value=Decimal(value),
        value_places=len(value.partition(".")[2]), confirmed=True,
        confirmed_at=timezone.now(),
    )


def test_the_actual_rows_come_before_the_definition_of_an_existing_kgi(plan, admin_client_ja):
    page = admin_client_ja.get(change_url("TEST-01")).content.decode()
    assert page.index('id="actuals-group"') < page.index('name="item"')
    assert page.index('id="actuals-group"') < page.index('id="targets-group"') < page.index(
        'name="item"'
    )
    assert "指標の定義" in page
    # A new KGI is defined first: its rows need its plan.
    add = admin_client_ja.get(reverse("admin:indicators_indicator_add")).content.decode()
    assert add.index('name="item"') < add.index('id="actuals-group"')


def test_a_new_row_starts_on_the_first_plan_year_without_a_row(plan, admin_client_ja):
    page = admin_client_ja.get(change_url("TEST-01")).content.decode()
    assert selected_year(page, "actuals") == "2026"
    indicator = Indicator.objects.get(code="TEST-01")
    Actual.objects.create(indicator=indicator, fiscal_year=2026, value=41)
    Actual.objects.create(indicator=indicator, fiscal_year=2028, value=41)
    page = admin_client_ja.get(change_url("TEST-01")).content.decode()
    assert selected_year(page, "actuals") == "2027"
    # Targets alike: TEST-02 has R8's only.
    page = admin_client_ja.get(change_url("TEST-02")).content.decode()
    assert selected_year(page, "targets") == "2027"


def test_a_new_row_left_on_its_offered_year_is_checked_not_skipped(plan, admin_client_ja):
    # The row the user added, year as offered, value forgotten: an error, not a silent skip.
    data = with_rows(admin_client_ja, "TEST-01", {"fiscal_year": "2026", "state": "measured"})
    response = admin_client_ja.post(change_url("TEST-01"), data)
    assert response.status_code == 200
    assert "実績値を入力してください" in text(response)
    assert not Actual.objects.filter(indicator__plan=plan).exists()


def test_a_confirmed_actual_is_shown_as_printed_not_as_an_input(plan, admin_client_ja):
    actual = confirmed_actual("TEST-02", 2026, "175")
    page = admin_client_ja.get(change_url("TEST-02")).content.decode()
    locked = re.findall(r'<div class="readonly kpi-locked">(.*?)</div>', page)
    assert "令和8年度（2026）" in locked and "175名" in locked and "数値" in locked
    assert 'type="hidden" name="actuals-0-value"' in page
    assert not re.search(r'<input type="text" name="actuals-0-value"', page)
    assert not re.search(r'<select name="actuals-0-fiscal_year"', page)
    assert "確定（" in page
    # Its stored evaluation: 175 ÷ 50.
    assert "達成《達成率：350.0%》" in page
    # Saved unchanged, the page saves; the row stays as it was.
    response = admin_client_ja.post(change_url("TEST-02"), form_data(page))
    assert response.status_code == 302
    actual.refresh_from_db()
    assert actual.value == 175 and actual.confirmed


def test_a_confirmed_actual_still_refuses_an_edit_sent_anyway(plan, admin_client_ja):
    actual = confirmed_actual("TEST-01", 2026, "15.0")
    page = admin_client_ja.get(change_url("TEST-01")).content.decode()
    assert "15.0%" in re.findall(r'<div class="readonly kpi-locked">(.*?)</div>', page)
    data = form_data(page)
    data["actuals-0-value"] = "16.0"
    response = admin_client_ja.post(change_url("TEST-01"), data)
    assert response.status_code == 200
    assert LOCKED_MESSAGE in text(response)
    actual.refresh_from_db()
    assert actual.value == Decimal("15.0")


def test_a_refused_save_shows_only_the_stored_evaluation(plan, admin_client_ja):
    Actual.objects.create(indicator=Indicator.objects.get(code="TEST-01"), fiscal_year=2026,
                          value=Decimal("41.0"), value_places=1)
    data = with_rows(admin_client_ja, "TEST-01",
                     {"fiscal_year": "2027", "state": "measured", "value": "abc"})
    data["actuals-0-value"] = "20.0"
    response = admin_client_ja.post(change_url("TEST-01"), data)
    assert response.status_code == 200
    page = text(response)
    assert "数値を入力してください。" in page
    # 41.0 ÷ 30.0 as stored; not 20.0 ÷ 30.0 as typed and refused.
    assert "達成《達成率：136.7%》" in page
    assert "66.7%" not in page
    # The refused new row has no evaluation.
    assert "保存すると表示されます" in page
    # And the typed value stays in its box for the user to correct.
    assert 'value="20.0"' in page
    assert Actual.objects.get(indicator__plan=plan, fiscal_year=2026).value == Decimal("41.0")


def test_a_refused_definition_change_does_not_evaluate_the_rows_with_it(plan, admin_client_ja):
    # R8 is confirmed, so TEST-02's kind may not change; R9's row is evaluated as stored.
    confirmed_actual("TEST-02", 2026, "175")
    page = admin_client_ja.get(change_url("TEST-02")).content.decode()
    data = form_data(page)
    data["kind"] = "decrease"
    response = admin_client_ja.post(change_url("TEST-02"), data)
    assert response.status_code == 200
    assert "達成《達成率：350.0%》" in text(response)


def test_two_rows_of_one_year_are_refused_naming_the_year(plan, admin_client_ja):
    data = with_rows(admin_client_ja, "TEST-01",
                     {"fiscal_year": "2027", "state": "measured", "value": "41"},
                     {"fiscal_year": "2027", "state": "measured", "value": "45"})
    response = admin_client_ja.post(change_url("TEST-01"), data)
    assert response.status_code == 200
    page = text(response)
    assert "令和9年度（2027）の実績値が2行あります。1年度に1行だけ入力してください。" in page
    assert "重複" not in page and "fiscal_year の" not in page
    assert not Actual.objects.filter(indicator__plan=plan).exists()


def test_two_targets_of_one_year_are_refused_naming_the_year(plan, admin_client_ja):
    data = form_data(admin_client_ja.get(change_url("TEST-02")).content.decode())
    index = int(data["targets-TOTAL_FORMS"])
    data["targets-TOTAL_FORMS"] = str(index + 1)
    data.update({f"targets-{index}-fiscal_year": "2026", f"targets-{index}-value": "60"})
    response = admin_client_ja.post(change_url("TEST-02"), data)
    assert response.status_code == 200
    assert "令和8年度（2026）の目標値が2行あります。1年度に1行だけ入力してください。" in text(
        response
    )


def test_commentary_boxes_are_wide_and_several_rows_tall(plan, admin_client_ja):
    Actual.objects.create(indicator=Indicator.objects.get(code="TEST-01"), fiscal_year=2026,
                          value=41)
    page = admin_client_ja.get(change_url("TEST-01")).content.decode()
    for name in ("progress", "analysis", "direction"):
        box = re.search(rf'<textarea name="actuals-0-{name}"[^>]*>', page).group(0)
        assert 'rows="4"' in box and 'cols="80"' in box


def test_a_viewer_of_the_kgi_page_reads_the_actual_as_printed(
    plan, admin_client_ja
):
    actual = confirmed_actual("TEST-02", 2026, "175")
    indicator = actual.indicator
    department = DepartmentFactory(municipality=plan.municipality)
    department.measures.add(indicator.measure)
    client = client_for(user_with_role(
        Role.DEPARTMENT, municipality=plan.municipality.code, departments=(department.name,),
        username="test-department",
    ))
    # The page is the KGI's view (a department changes no KGI): year and value as printed.
    shown = text(client.get(change_url("TEST-02")))
    assert '<div class="readonly">令和8年度（2026）</div>' in shown
    assert '<div class="readonly">175名</div>' in shown
    assert "175.0000" not in shown
    assert "達成《達成率：350.0%》" in shown
    data = form_data(client.get(change_url("TEST-02")).content.decode())
    data["actuals-0-value"] = "180"
    client.post(change_url("TEST-02"), data)
    actual.refresh_from_db()
    assert actual.value == 175


@pytest.mark.parametrize(("typed", "stored"), [("205名", "205"), ("２０５ 名", "205"),
                                               ("1,205名", "1205")])
def test_a_value_may_carry_the_kgis_own_unit(plan, admin_client_ja, typed, stored):
    data = with_rows(admin_client_ja, "TEST-02",
                     {"fiscal_year": "2026", "state": "measured", "value": typed})
    response = admin_client_ja.post(change_url("TEST-02"), data)
    assert response.status_code == 302
    assert Actual.objects.get(indicator__code="TEST-02", fiscal_year=2026).value == Decimal(stored)


def test_a_value_with_another_unit_is_refused(plan, admin_client_ja):
    data = with_rows(admin_client_ja, "TEST-02",
                     {"fiscal_year": "2026", "state": "measured", "value": "205人"})
    response = admin_client_ja.post(change_url("TEST-02"), data)
    assert response.status_code == 200
    assert "数値を入力してください" in text(response)
    assert not Actual.objects.filter(indicator__code="TEST-02").exists()


def test_the_lists_show_the_short_name_with_the_full_item_on_hover(plan, admin_client_ja):
    kgi = Indicator.objects.get(code="TEST-02")
    kgi.item = "行政手続のオンライン化により窓口に来なくても手続ができるようになった市民の数"
    kgi.short_name = "オンライン手続の利用者"
    kgi.save()
    Actual.objects.create(indicator=kgi, fiscal_year=2026, value=Decimal("40"))
    for url in (reverse("admin:indicators_indicator_changelist"),
                reverse("admin:indicators_actual_changelist")):
        shown = text(admin_client_ja.get(url))
        assert f'<span title="{kgi.item}">オンライン手続の利用者</span>' in shown
    # The KGI page has the full item, and the short name to edit.
    page = text(admin_client_ja.get(change_url("TEST-02")))
    assert kgi.item in page and 'name="short_name"' in page
