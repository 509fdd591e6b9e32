"""A KGI's page lists its history: the latest ten changes of it, its targets and actuals.

Each with who (「システム」 without a user), when, what (old → new, worded
as the pages word the KGI's values) and why; a deleted target or actual
stays listed. Three queries, whatever the number of changes.

Rules of the history, not numbers of the documents: the KGI, its targets
and actuals come from factories (tests/factories.py).
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from indicators.history import indicator_change_history
from indicators.models import (
    Accumulation,
    Actual,
    ActualState,
    Indicator,
    PublishedEvaluation,
    Target,
)
from tests.audit.helpers import (
    indicator_change_url,
    inline_field,
    kgi_history,
    new_actual,
    office_of,
)
from tests.factories import IndicatorFactory, TargetFactory
from tests.helpers import client_for, form_data

pytestmark = pytest.mark.django_db


@pytest.fixture
def kgi() -> Indicator:
    """A KGI in % of a 「テスト市」 plan (R8–R11), its targets 30.0, 50.0, 70.0 and 90.0%."""
    indicator = IndicatorFactory(
        measure__policy__plan__municipality__name="テスト市", unit="%",
        baseline=Decimal("20.0"), baseline_places=1, baseline_year=2025,
    )
    for year, value in zip(indicator.plan.fiscal_years, ("30.0", "50.0", "70.0", "90.0"),
                           strict=True):
        TargetFactory(indicator=indicator, fiscal_year=year, value=Decimal(value),
                      value_places=1)
    return indicator


def office(kgi: Indicator):
    """The DX office of the KGI's city."""
    return office_of(kgi.plan.municipality.code)


# Saves in the admin, listed on the KGI page ---------------------------------


def test_an_inline_save_records_each_changed_target_and_actual_with_the_user(kgi):
    actual = new_actual(kgi.code, value="40.0")
    target = Target.objects.get(indicator=kgi, fiscal_year=2026)
    indicator = actual.indicator
    counts = (indicator.history.count(), target.history.count(), actual.history.count())
    user = office(kgi)
    client = client_for(user)
    url = indicator_change_url(kgi.code)
    data = form_data(client.get(url).content.decode())
    data[inline_field(data, "actuals", 2026, "value")] = "44.0"
    data[inline_field(data, "targets", 2026, "value")] = "42.0"
    # A target change is a revision: it asks for a reason and a date.
    for name, value in (("change_reason", "国の目標に合わせる"), ("decided_on", "2026-06-01")):
        field = inline_field(data, "targets", 2026, name)
        if field in data:
            data[field] = value
    assert client.post(url, data).status_code == 302

    # One row per changed target and actual; the KGI itself did not change.
    assert indicator.history.count() == counts[0]
    assert target.history.count() == counts[1] + 1
    assert actual.history.count() == counts[2] + 1
    for history in (target.history.first(), actual.history.first()):
        assert (history.history_type, history.history_user) == ("~", user)

    listed = kgi_history(client, kgi.code)
    assert "令和8年度（2026） 実績値：40.0% → 44.0%" in listed
    assert "令和8年度（2026） 目標値：30.0% → 42.0%" in listed


def test_a_deleted_actual_and_target_stay_in_the_kgi_history(kgi):
    actual = new_actual(kgi.code, value="42.5")
    user = office(kgi)
    client = client_for(user)
    url = reverse("admin:indicators_actual_delete", args=[actual.pk])
    assert client.post(url, {"post": "yes", "seen_version": actual.version}).status_code == 302
    assert not Actual.objects.filter(pk=actual.pk).exists()
    deleted = Actual.history.filter(id=actual.pk).first()
    assert (deleted.history_type, deleted.history_user) == ("-", user)

    page = indicator_change_url(kgi.code)
    data = form_data(client.get(page).content.decode())
    data[inline_field(data, "targets", 2029, "DELETE")] = "on"
    assert client.post(page, data).status_code == 302
    assert not Target.objects.filter(indicator=kgi, fiscal_year=2029).exists()

    listed = kgi_history(client, kgi.code)
    assert "令和8年度（2026） 実績値を削除（削除前：42.5%）" in listed
    assert "令和11年度（2029） 目標値を削除（削除前：90.0%）" in listed
    assert listed.count("テスト 花子") >= 2


# The KGI page's list ----------------------------------------------------------


def test_the_list_shows_the_latest_ten_in_a_fixed_number_of_queries(kgi):
    actual = new_actual(kgi.code, value="1.0")
    for number in range(2, 30):
        actual.value = Decimal(number)
        actual.save()
    indicator = Indicator.objects.get(code=kgi.code)
    with CaptureQueriesContext(connection) as queries:
        entries = indicator_change_history(indicator=indicator)
    assert len(queries.captured_queries) == 3
    assert len(entries) == 10
    assert entries[0].changes == ("令和8年度（2026） 実績値：28.0% → 29.0%",)
    assert entries[0].who == "システム"


def test_the_list_names_confirmations_and_reasons(kgi):
    actual = new_actual(kgi.code, value="40.0")
    actual.confirmed = True
    actual._change_reason = "確定"
    actual.save()
    target = Target.objects.get(indicator=kgi, fiscal_year=2027)
    target.value = Decimal("65.0")
    target._change_reason = "目標値の変更：国の目標に合わせる"
    target.save()

    entries = indicator_change_history(indicator=Indicator.objects.get(code=kgi.code))
    assert [(entry.changes, entry.reason) for entry in entries[:2]] == [
        (("令和9年度（2027） 目標値：50.0% → 65.0%",), "目標値の変更：国の目標に合わせる"),
        (("令和8年度（2026） 確定",), "確定"),
    ]


# How the list words each value (audit.describe, with the KGI's own words) ----------


def latest_changes(code: str) -> tuple[str, ...]:
    return indicator_change_history(indicator=Indicator.objects.get(code=code))[0].changes


def test_a_kgis_own_change_reads_with_its_unit_its_years_and_its_choices():
    indicator = IndicatorFactory(unit="時間", baseline=Decimal("4321.5"), baseline_places=1,
                                 baseline_year=2025, accumulation=Accumulation.ANNUAL)
    indicator.baseline, indicator.baseline_places = Decimal("6012.25"), 2
    indicator.baseline_year = 2024
    indicator.accumulation = Accumulation.CUMULATIVE
    indicator.notes = "※ 集計方法を見直し"
    indicator.save()
    assert latest_changes(indicator.code) == (
        "指標 集計方法：単年度 → 累計",
        "指標 現状値：4,321.5時間 → 6,012.25時間",
        "指標 現状値の年度：令和7年度（2025） → 令和6年度（2024）",
        "指標 注記（※）：（空欄） → 「※ 集計方法を見直し」",
    )


def test_an_actuals_published_figures_read_as_printed(kgi):
    actual = new_actual(kgi.code, value="40.0")
    actual.published_evaluation = PublishedEvaluation.ACHIEVED
    actual.published_rate, actual.published_rate_places = Decimal("118.3"), 1
    actual.save()
    assert latest_changes(kgi.code) == (
        "令和8年度（2026） 公表された評価：（空欄） → 達成",
        "令和8年度（2026） 公表された達成率：（空欄） → 118.3%",
    )


def test_an_actual_not_measured_reads_as_the_pages_print_it(kgi):
    actual = new_actual(kgi.code, value="40.0")
    actual.state, actual.value = ActualState.NOT_MEASURED, None
    actual.not_measured_reason = "調査を休止した"
    actual.save()
    assert latest_changes(kgi.code) == (
        "令和8年度（2026） 実績値：40.0% → －",
        "令和8年度（2026） 評価対象外の理由：（空欄） → 「調査を休止した」",
    )
