"""Pages mark a revised target (上方修正) and an unconfirmed actual (速報).

Rules of the pages, not numbers of the documents: the plan and its KGIs
come from factories (tests/factories.py). Only that the documents'
confirmed results carry no mark is checked on the shipped plans.
"""

from __future__ import annotations

import datetime
import io
from decimal import Decimal

import openpyxl
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.roles import Role
from indicators.models import Actual, Indicator, Target
from indicators.services import actuals_confirm, target_record_revision
from plans.models import Plan
from spreadsheets import status_table
from tests.factories import DepartmentFactory, IndicatorFactory, PlanFactory, TargetFactory
from tests.helpers import add_synthetic_kgis, client_for, section, user_with_role, visible_text

pytestmark = pytest.mark.django_db

REASON = "国の目標引き上げに合わせて上方修正"
PROVISIONAL = "速報 （未確定の実績値）"

# The plan's KGIs in document order: code, unit, targets by year.
KGIS = [
    ("TEST-01", "%", {2026: "30.0", 2027: "50.0"}),
    ("TEST-02", "%", {2026: "45.0"}),
    ("TEST-03", "件", {2026: "160", 2027: "205"}),
    ("TEST-04", "件", {2026: "10"}),
    ("TEST-05", "人", {2026: "50000"}),
]


@pytest.fixture
def plan() -> Plan:
    """A 「テスト市」 plan (R8–R11) with the increase KGIs of KGIS, no actuals."""
    plan = PlanFactory(municipality__name="テスト市")
    for position, (code, unit, targets) in enumerate(KGIS, start=1):
        # The item names the code: the print page's No. is the position.
        indicator = IndicatorFactory(measure__policy__plan=plan, code=code, unit=unit,
                                     position=position, item=f"{code}の項目")
        for year, value in targets.items():
            TargetFactory(indicator=indicator, fiscal_year=year, value=Decimal(value),
                          value_places=len(value.partition(".")[2]))
    return plan


@pytest.fixture
def reader(plan):
    return client_for(user_with_role(Role.VIEWER, municipality=plan.municipality.code,
                                     username="test-reader"))


def department_owning(plan: Plan, code: str):
    """A department of the plan's city owning the measure of KGI ``code``."""
    department = DepartmentFactory(municipality=plan.municipality)
    department.measures.add(Indicator.objects.get(code=code).measure)
    return department


def revise(code: str, year: int, value: str, *, reason: str = REASON,
           decided_on: datetime.date = datetime.date(2026, 6, 1)) -> Target:
    target = Target.objects.get(indicator__code=code, fiscal_year=year)
    previous, places = target.value, target.value_places
    target.value = Decimal(value)
    target.value_places = len(value.partition(".")[2])
    target_record_revision(target, previous_value=previous, previous_places=places,
                           reason=reason, decided_on=decided_on)
    target.save()
    return target


def add_actual(code: str, year: int, value: str) -> Actual:
    return Actual.objects.create(indicator=Indicator.objects.get(code=code), fiscal_year=year,
                                 value=Decimal(value), value_places=len(value.partition(".")[2]))


def page(client, name: str, *args, **params):
    response = client.get(reverse(name, args=args), params)
    assert response.status_code == 200
    return response


# 速報 ---------------------------------------------------------------------------


def test_unconfirmed_actuals_are_marked_and_confirmed_ones_are_not(plan, reader):
    add_actual("TEST-01", 2026, "42.5")
    confirmed = add_actual("TEST-02", 2026, "50")
    actuals_confirm(actuals=[confirmed], user=None)
    text = visible_text(page(reader, "pages:plan", plan.code, year="2026"))
    assert f"42.5% {PROVISIONAL} 達成《達成率：141.7%》" in section(text, "TEST-01", "TEST-02")
    assert "速報" not in section(text, "TEST-02", "TEST-03")

    kgi = visible_text(page(reader, "pages:indicator", "TEST-01"))
    assert f"42.5% {PROVISIONAL} 達成《達成率：141.7%》" in kgi
    assert "DX推進担当が確定する前の実績値です。評価はこの値で計算しています（速報）。" in kgi
    assert "速報" not in visible_text(page(reader, "pages:indicator", "TEST-02"))


def test_the_documents_confirmed_results_carry_no_mark(plans):
    reader = client_for(user_with_role(Role.VIEWER, municipality="ise", username="ise-reader"))
    assert "速報" not in visible_text(page(reader, "pages:plan", "ise-1", year="2025"))
    text = visible_text(page(reader, "pages:plan_print_year", "ise-1", 2025))
    assert "すべて確定済み" in text and "速報" not in text


def test_the_print_page_counts_the_unconfirmed_actuals(plan, reader):
    text = visible_text(page(reader, "pages:plan_print_year", plan.code, 2026))
    assert "実績値の入力はまだありません" in text
    add_actual("TEST-01", 2026, "42.5")
    add_actual("TEST-03", 2026, "175")
    confirmed = add_actual("TEST-05", 2026, "53500")
    actuals_confirm(actuals=[confirmed], user=None)
    text = visible_text(page(reader, "pages:plan_print_year", plan.code, 2026))
    assert "未確定（速報値）の実績：2件（「速報」の印）" in text
    assert f"42.5% {PROVISIONAL}" in section(text, "TEST-01", "TEST-02")
    assert "速報" not in section(text, "TEST-05")
    assert "すべて確定済み" not in text


def test_the_department_page_marks_and_counts_its_unconfirmed_actuals(plan, reader):
    department = department_owning(plan, "TEST-01")
    add_actual("TEST-01", 2026, "42.5")
    text = visible_text(page(reader, "pages:department", department.pk, year="2026"))
    assert f"42.5% {PROVISIONAL}" in text
    assert "DX推進担当が確定する前の実績値です（1件）" in text


# 目標値の変更 -------------------------------------------------------------------


def test_a_revised_target_is_marked_on_the_dashboard_and_department_page(plan, reader):
    revise("TEST-01", 2026, "42.0")
    text = visible_text(page(reader, "pages:plan", plan.code, year="2026"))
    assert "42.0% 上方修正（当初 30.0%）" in section(text, "TEST-01", "TEST-02")
    department = department_owning(plan, "TEST-01")
    text = visible_text(page(reader, "pages:department", department.pk, year="2026"))
    assert "42.0% 上方修正（当初 30.0%）" in text


def test_the_kgi_page_shows_original_revised_date_and_reason(reader):
    revise("TEST-01", 2026, "42.0")
    revise("TEST-03", 2027, "190", reason="事業縮小のため", decided_on=datetime.date(2026, 9, 1))
    text = visible_text(page(reader, "pages:indicator", "TEST-01"))
    assert "令和8年度（2026） 当初 30.0% → 42.0% 上方修正（令和8年6月1日決定）" in text
    changes = section(text, "目標値の変更")
    assert f"令和8年度（2026） 30.0% 42.0% 上方修正 令和8年6月1日 {REASON}" in changes
    assert "評価は変更後の目標値（現在の目標値）で行います。" in changes
    text = visible_text(page(reader, "pages:indicator", "TEST-03"))
    assert "令和9年度（2027） 205件 190件 目標値変更 令和8年9月1日 事業縮小のため" in text
    # Unrevised KGIs have no such section.
    assert "目標値の変更" not in visible_text(page(reader, "pages:indicator", "TEST-02"))


def test_the_print_page_marks_revisions_with_footnotes(plan, reader):
    revise("TEST-03", 2026, "180", reason="国の方針変更")
    revise("TEST-01", 2026, "42.0")
    text = visible_text(page(reader, "pages:plan_print_year", plan.code, 2026))
    assert "【上方修正・注1】" in section(text, "TEST-01", "TEST-02")
    assert "【上方修正・注2】" in section(text, "TEST-03", "TEST-04")
    notes = section(text, "目標値の変更（評価は変更後の目標値で行っています）")
    assert (f"注1 No.1 上方修正：当初 30.0% → 42.0%（令和8年6月1日決定） 理由：{REASON}"
            in notes)
    assert "注2 No.3 上方修正：当初 160件 → 180件（令和8年6月1日決定） 理由：国の方針変更" in notes
    # Another year's page has no revision to note.
    assert "注1" not in visible_text(page(reader, "pages:plan_print_year", plan.code, 2027))


def test_a_reason_with_markup_is_shown_as_text(plan, reader):
    revise("TEST-01", 2026, "42.0", reason="<script>alert(1)</script>")
    for response in (page(reader, "pages:indicator", "TEST-01"),
                     page(reader, "pages:plan_print_year", plan.code, 2026)):
        body = response.content.decode()
        assert "<script>alert(1)" not in body
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in body


def test_the_status_table_notes_revisions_and_unconfirmed_actuals(plan):
    revise("TEST-01", 2026, "42.0")
    add_actual("TEST-01", 2026, "42.5")
    data = status_table.status_table(plan=plan, fiscal_year=2026)
    sheet = openpyxl.load_workbook(io.BytesIO(data)).active
    rows = {row[0].value: row for row in sheet.iter_rows(min_row=3) if row[0].value}
    assert rows["TEST-01"][2].value.endswith("：42.0%")
    assert rows["TEST-01"][3].value == "42.5%"
    assert rows["TEST-01"][5].value == (
        f"速報（未確定の実績値）／上方修正：当初 30.0%（令和8年6月1日決定。理由：{REASON}）"
    )
    assert not rows["TEST-02"][5].value
    assert "未確定（速報値）の実績：1件" in [row[0].value for row in sheet.iter_rows()]


# Queries --------------------------------------------------------------------------


def count_queries(client, url: str) -> int:
    client.get(url)
    with CaptureQueriesContext(connection) as context:
        assert client.get(url).status_code == 200
    return len(context.captured_queries)


def test_marks_add_no_queries_per_row(plan, reader):
    urls = [reverse("pages:plan", args=[plan.code]) + "?year=2026",
            reverse("pages:plan_print_year", args=[plan.code, 2026])]
    before = [count_queries(reader, url) for url in urls]
    kgis = add_synthetic_kgis(plan_code=plan.code, count=60)
    for kgi in kgis[:30]:
        revise(kgi.code, 2026, "25")
    actuals_confirm(actuals=list(Actual.objects.filter(indicator__in=kgis[:20])), user=None)
    after = [count_queries(reader, url) for url in urls]
    assert after == before
    text = visible_text(reader.get(urls[1]))
    assert "注30" in text and "未確定（速報値）の実績：40件" in text


def test_the_dashboard_says_how_many_actuals_are_unconfirmed(plan, reader):
    add_actual("TEST-01", 2026, "42.5")
    add_actual("TEST-02", 2026, "60.0")
    text = visible_text(page(reader, "pages:plan", plan.code, year="2026"))
    assert "未確定（速報値）の実績：2件" in text
    office = user_with_role(Role.OFFICE, municipality=plan.municipality.code,
                            username="test-office-confirms")
    actuals_confirm(
        actuals=Actual.objects.filter(fiscal_year=2026, indicator__plan=plan),
        user=office,
    )
    assert "未確定（速報値）" not in visible_text(page(reader, "pages:plan", plan.code, year="2026"))
