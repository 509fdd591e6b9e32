"""The admin's history pages: who changed what and when, in Japanese, read only.

Every save in the admin is recorded with its user; the 「変更履歴」 page
lists each record with its changes, old → new, printed by audit.describe.
A past version can be read, never saved back; a page where nothing was
changed records nothing.

What the history shows, not numbers of the documents: the KGI, its
target and actuals come from factories (tests/factories.py).
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.urls import reverse

from accounts.roles import Role
from indicators.models import ActualState, Indicator, Target
from tests.audit.helpers import (
    HISTORY_HEADING,
    WHEN,
    history_text,
    indicator_change_url,
    kgi_history,
    new_actual,
    office_of,
)
from tests.factories import IndicatorFactory, MeasureFactory, MunicipalityFactory, TargetFactory
from tests.helpers import client_for, form_data, user_with_role, visible_text

pytestmark = pytest.mark.django_db

CODE = "TEST-01"


@pytest.fixture
def kgi() -> Indicator:
    """TEST-01, a % KGI of a 「テスト市」 plan with an R8 target of 30.0%."""
    indicator = IndicatorFactory(measure__policy__plan__municipality__name="テスト市",
                                 code=CODE, unit="%")
    TargetFactory(indicator=indicator, fiscal_year=2026, value=Decimal("30.0"), value_places=1)
    return indicator


def office(indicator: Indicator):
    """「テスト 花子」, a DX office user of the KGI's city."""
    return office_of(indicator.plan.municipality.code)


def test_an_admin_change_of_an_actual_records_who_when_and_old_to_new(kgi):
    actual = new_actual(CODE, value="40.0")
    user = office(kgi)
    client = client_for(user)
    url = reverse("admin:indicators_actual_change", args=[actual.pk])
    data = form_data(client.get(url).content.decode())
    data["value"] = "42.5"
    assert client.post(url, data).status_code == 302

    record = actual.history.first()
    assert record.history_type == "~"
    assert record.history_user == user
    assert record.value == Decimal("42.5")
    assert actual.history.count() == 2

    admin_page = history_text(client, "actual", actual.pk)
    assert "変更履歴：TEST-01 R8 実績" in admin_page
    assert "変更 テスト 花子" in admin_page
    assert "実績値： 40.0 → 42.5" in admin_page
    # A record, not an undo button.
    assert "戻す操作はできません" in admin_page

    listed = kgi_history(client, CODE)
    first = listed[len(HISTORY_HEADING):].split("令和8年度（2026） 実績値：")[0]
    assert WHEN.search(first)
    assert "テスト 花子" in first
    assert "令和8年度（2026） 実績値：40.0% → 42.5%" in listed


def test_saving_a_page_where_nothing_changed_records_nothing(kgi, admin_client_ja):
    actual = new_actual(CODE, value="40.0")
    indicator = actual.indicator
    before = (indicator.history.count(), Target.history.count(), actual.history.count())
    url = indicator_change_url(CODE)
    assert admin_client_ja.post(url, form_data(admin_client_ja.get(url).content.decode())
                                ).status_code == 302
    actual_url = reverse("admin:indicators_actual_change", args=[actual.pk])
    assert admin_client_ja.post(
        actual_url, form_data(admin_client_ja.get(actual_url).content.decode())
    ).status_code == 302
    assert (indicator.history.count(), Target.history.count(), actual.history.count()) == before


def test_history_pages_follow_the_users_scope(kgi):
    actual = new_actual(CODE)
    record = actual.history.first()
    pages = [
        reverse("admin:indicators_actual_history", args=[actual.pk]),
        reverse("admin:indicators_actual_simple_history", args=[actual.pk, record.pk]),
        reverse("admin:indicators_indicator_history", args=[actual.indicator_id]),
        reverse("admin:indicators_target_history",
                args=[Target.objects.filter(indicator=actual.indicator).first().pk]),
        reverse("admin:plans_plan_history", args=[actual.indicator.plan_id]),
    ]
    elsewhere = MunicipalityFactory(name="別テスト市")
    outside = client_for(user_with_role(Role.OFFICE, municipality=elsewhere.code))
    own = client_for(office(kgi))
    for url in pages:
        assert outside.get(url).status_code == 404, url
        assert own.get(url).status_code == 200, url


def test_a_past_version_is_shown_but_never_saved_back(kgi):
    actual = new_actual(CODE, value="40.0")
    first = actual.history.first()
    actual.value = Decimal("45.0")
    actual.save()
    client = client_for(office(kgi))
    url = reverse("admin:indicators_actual_simple_history", args=[actual.pk, first.pk])
    page = client.get(url)
    assert page.status_code == 200
    assert "この画面からは保存できません" in visible_text(page)
    data = form_data(page.content.decode())
    assert client.post(url, data).status_code == 405
    actual.refresh_from_db()
    assert actual.value == Decimal("45.0")


def test_stored_text_is_escaped_in_the_history(kgi):
    actual = new_actual(CODE)
    client = client_for(office(kgi))
    url = reverse("admin:indicators_actual_change", args=[actual.pk])
    data = form_data(client.get(url).content.decode())
    data["note"] = "<script>alert(1)</script>"
    assert client.post(url, data).status_code == 302

    response = client.get(reverse("pages:indicator", args=[CODE]))
    html = response.content.decode()
    listed = html[html.index(HISTORY_HEADING):]
    assert "<script>alert(1)</script>" not in listed
    assert "備考：（空欄） → 「&lt;script&gt;alert(1)&lt;/script&gt;」" in listed
    admin_page = client.get(reverse("admin:indicators_actual_history", args=[actual.pk]))
    assert "<script>alert(1)</script>" not in admin_page.content.decode()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in admin_page.content.decode()


def changes_column(page: str) -> str:
    """Return the newest record's row of a history page's text (its 「変更内容」)."""
    table = page.split("その時点の内容", 1)[1]
    return table.split(" 表示 ", 1)[0]


def test_a_value_reads_with_its_decimals_and_a_choice_by_its_label(kgi):
    actual = new_actual(CODE, value="40.0")
    client = client_for(office(kgi))
    actual.value, actual.value_places = Decimal("42.50"), 2
    actual.save()
    newest = changes_column(history_text(client, "actual", actual.pk))
    assert newest.count("実績値：") == 1
    assert "実績値： 40.0 → 42.50" in newest
    assert "更新日時" not in newest

    actual.state = ActualState.NOT_MEASURED
    actual.value = None
    actual.not_measured_reason = "調査を休止"
    actual.save()
    newest = changes_column(history_text(client, "actual", actual.pk))
    assert "区分： 数値 → 評価対象外（計測なし）" in newest
    assert "実績値： 42.50 → （空欄）" in newest
    assert "評価対象外の理由： （空欄） → 調査を休止" in newest


def test_a_related_row_reads_by_its_name(kgi):
    indicator = kgi
    before = indicator.measure
    other = MeasureFactory(policy=before.policy)
    indicator.measure, indicator.initiative = other, None
    indicator.save()
    client = client_for(office(kgi))
    response = client.get(reverse("admin:indicators_indicator_history", args=[indicator.pk]))
    newest = changes_column(visible_text(response))
    assert f"施策： {before} → {other}" in newest
