"""The audit trail: who changed what and when, from the admin and from imports.

Every change is recorded with its user (「システム」 without one), time and
values; an import gives 「ファイル取込：<file name>」 as the reason. The
admin's history pages and the KGI page's short list show it.
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.roles import Role
from indicators.audit import indicator_change_history
from indicators.models import Actual, Indicator, Target
from tests.audit.helpers import (
    HISTORY_HEADING,
    WHEN,
    history_text,
    indicator_change_url,
    inline_field,
    ise_office,
    kgi_history,
    new_actual,
)
from tests.formdata import form_data
from tests.pages.helpers import visible_text
from tests.roles import client_for, user_with_role

pytestmark = pytest.mark.django_db


# The admin ------------------------------------------------------------------


def test_an_admin_change_of_an_actual_records_who_when_and_old_to_new(plans):
    actual = new_actual(value="40.0")
    user = ise_office()
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
    assert "変更履歴：ISE2-01 R8 実績" in admin_page
    assert "変更 伊勢 花子" in admin_page
    assert "実績値： 40.0 → 42.5" in admin_page
    # A record, not an undo button.
    assert "戻す操作はできません" in admin_page

    listed = kgi_history(client, "ISE2-01")
    first = listed[len(HISTORY_HEADING):].split("令和8年度（2026） 実績値：")[0]
    assert WHEN.search(first)
    assert "伊勢 花子" in first
    assert "令和8年度（2026） 実績値：40.0% → 42.5%" in listed


def test_an_inline_save_records_each_changed_target_and_actual_with_the_user(plans):
    actual = new_actual(value="40.0")
    target = Target.objects.get(indicator__code="ISE2-01", fiscal_year=2026)
    indicator = actual.indicator
    counts = (indicator.history.count(), target.history.count(), actual.history.count())
    user = ise_office()
    client = client_for(user)
    url = indicator_change_url("ISE2-01")
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

    listed = kgi_history(client, "ISE2-01")
    assert "令和8年度（2026） 実績値：40.0% → 44.0%" in listed
    assert "令和8年度（2026） 目標値：40.0% → 42.0%" in listed


def test_saving_a_page_where_nothing_changed_records_nothing(plans, admin_client_ja):
    actual = new_actual(value="40.0")
    indicator = actual.indicator
    before = (indicator.history.count(), Target.history.count(), actual.history.count())
    url = indicator_change_url("ISE2-01")
    assert admin_client_ja.post(url, form_data(admin_client_ja.get(url).content.decode())
                                ).status_code == 302
    actual_url = reverse("admin:indicators_actual_change", args=[actual.pk])
    assert admin_client_ja.post(
        actual_url, form_data(admin_client_ja.get(actual_url).content.decode())
    ).status_code == 302
    assert (indicator.history.count(), Target.history.count(), actual.history.count()) == before


def test_a_deleted_actual_and_target_stay_in_the_kgi_history(plans):
    actual = new_actual(value="42.5")
    user = ise_office()
    client = client_for(user)
    url = reverse("admin:indicators_actual_delete", args=[actual.pk])
    assert client.post(url, {"post": "yes"}).status_code == 302
    assert not Actual.objects.filter(pk=actual.pk).exists()
    deleted = Actual.history.filter(id=actual.pk).first()
    assert (deleted.history_type, deleted.history_user) == ("-", user)

    page = indicator_change_url("ISE2-01")
    data = form_data(client.get(page).content.decode())
    data[inline_field(data, "targets", 2029, "DELETE")] = "on"
    assert client.post(page, data).status_code == 302
    assert not Target.objects.filter(indicator__code="ISE2-01", fiscal_year=2029).exists()

    listed = kgi_history(client, "ISE2-01")
    assert "令和8年度（2026） 実績値を削除（削除前：42.5%）" in listed
    assert "令和11年度（2029） 目標値を削除（削除前：100.0%）" in listed
    assert listed.count("伊勢 花子") >= 2


def test_history_pages_follow_the_users_scope(plans):
    actual = new_actual()
    record = actual.history.first()
    pages = [
        reverse("admin:indicators_actual_history", args=[actual.pk]),
        reverse("admin:indicators_actual_simple_history", args=[actual.pk, record.pk]),
        reverse("admin:indicators_indicator_history", args=[actual.indicator_id]),
        reverse("admin:indicators_target_history",
                args=[Target.objects.filter(indicator=actual.indicator).first().pk]),
        reverse("admin:plans_plan_history", args=[actual.indicator.plan_id]),
    ]
    iga = client_for(user_with_role(Role.OFFICE, municipality="iga"))
    ise = client_for(ise_office())
    for url in pages:
        assert iga.get(url).status_code == 404, url
        assert ise.get(url).status_code == 200, url


def test_a_past_version_is_shown_but_never_saved_back(plans):
    actual = new_actual(value="40.0")
    first = actual.history.first()
    actual.value = Decimal("45.0")
    actual.save()
    client = client_for(ise_office())
    url = reverse("admin:indicators_actual_simple_history", args=[actual.pk, first.pk])
    page = client.get(url)
    assert page.status_code == 200
    assert "この画面からは保存できません" in visible_text(page)
    data = form_data(page.content.decode())
    assert client.post(url, data).status_code == 405
    actual.refresh_from_db()
    assert actual.value == Decimal("45.0")


def test_stored_text_is_escaped_in_the_history(plans):
    actual = new_actual()
    client = client_for(ise_office())
    url = reverse("admin:indicators_actual_change", args=[actual.pk])
    data = form_data(client.get(url).content.decode())
    data["note"] = "<script>alert(1)</script>"
    assert client.post(url, data).status_code == 302

    response = client.get(reverse("pages:indicator", args=["ISE2-01"]))
    html = response.content.decode()
    listed = html[html.index(HISTORY_HEADING):]
    assert "<script>alert(1)</script>" not in listed
    assert "備考：（空欄） → 「&lt;script&gt;alert(1)&lt;/script&gt;」" in listed
    admin_page = client.get(reverse("admin:indicators_actual_history", args=[actual.pk]))
    assert "<script>alert(1)</script>" not in admin_page.content.decode()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in admin_page.content.decode()


# The KGI page's list ----------------------------------------------------------


def test_the_list_shows_the_latest_ten_in_a_fixed_number_of_queries(plans):
    actual = new_actual(value="1.0")
    for number in range(2, 30):
        actual.value = Decimal(number)
        actual.save()
    indicator = Indicator.objects.get(code="ISE2-01")
    with CaptureQueriesContext(connection) as queries:
        entries = indicator_change_history(indicator=indicator)
    assert len(queries.captured_queries) == 3
    assert len(entries) == 10
    assert entries[0].changes == ("令和8年度（2026） 実績値：28.0% → 29.0%",)
    assert entries[0].who == "システム"


def test_the_list_names_confirmations_and_reasons(plans):
    actual = new_actual(value="40.0")
    actual.confirmed = True
    actual._change_reason = "確定"
    actual.save()
    target = Target.objects.get(indicator__code="ISE2-01", fiscal_year=2027)
    target.value = Decimal("65.0")
    target._change_reason = "目標値の変更：国の目標に合わせる"
    target.save()

    entries = indicator_change_history(indicator=Indicator.objects.get(code="ISE2-01"))
    assert [(entry.changes, entry.reason) for entry in entries[:2]] == [
        (("令和9年度（2027） 目標値：60.0% → 65.0%",), "目標値の変更：国の目標に合わせる"),
        (("令和8年度（2026） 確定",), "確定"),
    ]
