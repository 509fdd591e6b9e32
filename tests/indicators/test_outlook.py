"""見込み (outlook): evaluated like an actual, marked wherever it prints, never in its place."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from indicators.models import Actual, ActualState, Indicator, Outlook
from indicators.selectors import indicator_years, plan_status
from plans.models import Plan

pytestmark = pytest.mark.django_db


@pytest.fixture
def ise2(plans) -> Plan:
    return Plan.objects.get(code="ise-2")


def row(rows, code):
    return next(r for r in rows if r.indicator.code == code)


def test_a_year_without_an_actual_shows_its_outlook_marked(ise2):
    kgi = Indicator.objects.get(code="ISE2-02")  # 名; its 2026 target in the document: 20名
    assert kgi.targets.get(fiscal_year=2026).value == Decimal(20)
    Outlook.objects.create(indicator=kgi, fiscal_year=2026, value=Decimal(20))
    plain = row(plan_status(plan=ise2, fiscal_year=2026), "ISE2-02")
    assert plain.outlook is None and plain.actual_label == "未入力"
    shown = row(plan_status(plan=ise2, fiscal_year=2026, outlooks=True), "ISE2-02")
    assert shown.shows_outlook
    assert shown.actual_label == "20名（見込み）"
    assert shown.evaluation_label == "達成《達成率：100.0%》（見込み）"
    assert not shown.provisional


def test_the_actual_wins_over_the_outlook(ise2):
    kgi = Indicator.objects.get(code="ISE2-02")
    Outlook.objects.create(indicator=kgi, fiscal_year=2026, value=Decimal(8))
    Actual.objects.create(indicator=kgi, fiscal_year=2026, value=Decimal(4))
    shown = row(plan_status(plan=ise2, fiscal_year=2026, outlooks=True), "ISE2-02")
    assert not shown.shows_outlook
    assert shown.actual_label == "4名"
    assert "見込み" not in shown.evaluation_label
    years = {r.fiscal_year: r for r in indicator_years(indicator=kgi, outlooks=True)}
    assert years[2026].actual_label == "4名"


def test_an_outlook_is_checked_by_the_actuals_rules(ise2):
    kgi = Indicator.objects.get(code="ISE2-02")
    outlook = Outlook(indicator=kgi, fiscal_year=2026, state=ActualState.NOT_MEASURED)
    with pytest.raises(ValidationError) as refused:
        outlook.full_clean()
    assert refused.value.message_dict["not_measured_reason"] == [
        "評価対象外とする理由を入力してください。"
    ]
    outlook = Outlook(indicator=kgi, fiscal_year=2026, value=None)
    with pytest.raises(ValidationError) as refused:
        outlook.full_clean()
    assert refused.value.message_dict["value"] == [
        "見込み値を入力してください（計測しない年は「評価対象外」を選びます）。"
    ]


def test_the_pages_and_the_status_workbook_show_the_outlook_marked(ise2, client):
    """Dashboard, print page, 進捗管理シート, KGI page and 評価表: 「（見込み）」 until the actual."""
    import io

    import openpyxl
    from django.contrib.auth import get_user_model
    from django.urls import reverse

    kgi = Indicator.objects.get(code="ISE2-02")
    Outlook.objects.create(indicator=kgi, fiscal_year=2026, value=Decimal(20),
                           progress="研修を前倒しで実施中")
    client.force_login(get_user_model().objects.create_superuser("outlook-reader"))
    for url in (
        reverse("pages:plan", args=["ise-2"]) + "?year=2026",
        reverse("pages:plan_print_year", args=["ise-2", 2026]),
        reverse("pages:plan_progress_sheet", args=["ise-2", 2026]),
        reverse("pages:indicator", args=["ISE2-02"]),
    ):
        text = client.get(url).content.decode()
        assert "20名（見込み）" in text, url
    dashboard = client.get(reverse("pages:plan", args=["ise-2"]) + "?year=2026")
    assert "見込みによる評価：1件" in dashboard.content.decode()
    sheet = client.get(reverse("pages:plan_progress_sheet", args=["ise-2", 2026]))
    assert "研修を前倒しで実施中" in sheet.content.decode()
    workbook = client.get(reverse("spreadsheets:status_table", args=["ise-2", 2026]))
    book = openpyxl.load_workbook(io.BytesIO(b"".join(workbook.streaming_content)))
    values = [cell for row in book.worksheets[0].iter_rows(values_only=True) for cell in row]
    assert "20名（見込み）" in values
    assert "達成《達成率：100.0%》（見込み）" in values
    # The actual arrives: the outlook is no longer shown.
    Actual.objects.create(indicator=kgi, fiscal_year=2026, value=Decimal(12))
    text = client.get(reverse("pages:plan_print_year", args=["ise-2", 2026])).content.decode()
    assert "20名（見込み）" not in text and "12名" in text
