"""The audit trail: who changed what and when, from the admin and from imports.

Every change is recorded with its user (「システム」 without one), time and
values; an import gives 「ファイル取込：<file name>」 as the reason. The
admin's history pages and the KGI page's short list show it.
"""

from __future__ import annotations

import io
import re
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.roles import Role
from indicators.audit import import_reason, indicator_change_history
from indicators.models import Actual, Indicator, Target
from plans.models import Measure
from tests.formdata import form_data
from tests.indicators.test_admin_definitions import TWO_KGIS, filled_template
from tests.indicators.test_imports import DEPARTMENT_ROWS, xlsx
from tests.pages.helpers import section, visible_text
from tests.roles import client_for, user_with_role

pytestmark = pytest.mark.django_db

HISTORY_HEADING = "変更履歴（最近10件）"
WHEN = re.compile(r"令和\d+年\d+月\d+日 \d\d:\d\d")


def ise_office(username: str = "ise-office", full_name: str = "伊勢 花子"):
    user = user_with_role(Role.OFFICE, municipality="ise", username=username)
    user.first_name = full_name
    user.save()
    return user


def kgi_history(client, code: str) -> str:
    """Return the visible text of the KGI page's change list."""
    response = client.get(reverse("pages:indicator", args=[code]))
    assert response.status_code == 200
    return section(visible_text(response), HISTORY_HEADING)


def indicator_change_url(code: str) -> str:
    return reverse("admin:indicators_indicator_change",
                   args=[Indicator.objects.get(code=code).pk])


def history_text(client, model: str, pk: int) -> str:
    response = client.get(reverse(f"admin:indicators_{model}_history", args=[pk]))
    assert response.status_code == 200
    return visible_text(response)


def new_actual(code: str = "ISE2-01", year: int = 2026, value: str = "40.0") -> Actual:
    return Actual.objects.create(
        indicator=Indicator.objects.get(code=code), fiscal_year=year, value=Decimal(value),
        value_places=len(value.partition(".")[2]),
    )


def inline_field(data: dict[str, str], prefix: str, year: int, name: str) -> str:
    """Return the form field ``name`` of the inline row for ``year``."""
    year_field = next(
        key for key, value in data.items()
        if key.startswith(f"{prefix}-") and key.endswith("-fiscal_year") and value == str(year)
    )
    return year_field.replace("fiscal_year", name)


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


# Imports --------------------------------------------------------------------


def upload_actuals(client, rows: list[list], name: str = "部署回答.xlsx"):
    response = client.post(
        reverse("admin:indicators_actual_import"),
        {"import_file": SimpleUploadedFile(name, xlsx(rows)), "format": "0", "resource": "0"},
    )
    assert response.status_code == 200
    return response


def confirm(client, response, model: str):
    url = reverse(f"admin:indicators_{model}_process_import")
    return client.post(url, form_data(response.content.decode(), action=url), follow=True)


def imported(reason: str, model: type = Actual):
    return model.history.filter(history_change_reason=reason)


def test_an_admin_import_records_the_user_and_the_file_for_every_row_written(plans):
    new_actual("ISE2-08", value="6000.0")
    user = ise_office()
    client = client_for(user)
    response = upload_actuals(client, DEPARTMENT_ROWS)
    assert "新規 7件 / 変更 1件" in visible_text(response)
    reason = "ファイル取込：部署回答.xlsx"
    # The preview writes nothing, its history neither.
    assert not imported(reason).exists()

    response = confirm(client, response, "actual")
    assert "取り込みました：新規 7件 / 変更 1件" in visible_text(response)
    records = imported(reason)
    assert records.count() == 8
    assert set(records.values_list("history_user", flat=True)) == {user.pk}
    assert sorted(records.values_list("history_type", flat=True)) == ["+"] * 7 + ["~"]
    changed = records.get(history_type="~")
    assert changed.value == Decimal("6450.5")

    listed = kgi_history(client, "ISE2-08")
    assert "令和8年度（2026） 実績値：6,000.0時間 → 6,450.5時間" in listed
    assert reason in listed


def test_an_admin_targets_import_records_the_user_and_the_file(plans):
    user = ise_office()
    client = client_for(user)
    Target.objects.filter(indicator__code="ISE2-13", fiscal_year=2027).delete()
    data = xlsx([["ISE2-13", "R9", "210"]], header=["指標コード", "年度", "目標値"])
    response = client.post(
        reverse("admin:indicators_target_import"),
        {"import_file": SimpleUploadedFile("目標.xlsx", data), "format": "0", "resource": "0"},
    )
    assert "新規 1件" in visible_text(response)
    confirm(client, response, "target")
    record = imported("ファイル取込：目標.xlsx", Target).get()
    assert (record.history_type, record.history_user, record.value) == ("+", user, 210)


def test_the_import_command_records_the_user_given(plans, tmp_path):
    new_actual("ISE2-08", value="6000.0")
    user = ise_office(username="ise-importer")
    path = tmp_path / "回答R8.xlsx"
    path.write_bytes(xlsx(DEPARTMENT_ROWS))
    call_command("import_actuals", str(path), "--user", user.username, stdout=io.StringIO())

    records = imported("ファイル取込：回答R8.xlsx")
    written = Actual.objects.filter(fiscal_year=2026, indicator__plan__code="ise-2")
    assert records.count() == written.count() == 8
    assert set(records.values_list("history_user", flat=True)) == {user.pk}
    # The history holds each row as stored, its id included.
    for actual in written:
        latest = actual.history.first()
        assert latest.history_change_reason == "ファイル取込：回答R8.xlsx"
        assert (latest.state, latest.value, latest.value_places, latest.note) == (
            actual.state, actual.value, actual.value_places, actual.note
        )
    assert Actual.history.filter(id=written.get(indicator__code="ISE2-08").pk,
                                 history_type="~").count() == 1


def test_an_import_without_a_user_is_the_systems(plans, tmp_path, client):
    path = tmp_path / "回答.xlsx"
    path.write_bytes(xlsx([["ISE2-01", "R8", "42.5%", None]]))
    call_command("import_actuals", str(path), stdout=io.StringIO())
    record = imported("ファイル取込：回答.xlsx").get()
    assert record.history_user is None
    listed = kgi_history(client_for(ise_office()), "ISE2-01")
    assert "システム 令和8年度（2026） 実績値を登録：42.5% ファイル取込：回答.xlsx" in listed


def test_a_definitions_import_records_new_kgis_targets_and_measures(plans, admin_client_ja):
    user = user_with_role(Role.OFFICE, municipality="iga", username="iga-office")
    client = client_for(user)
    name = "IDXアクションプラン.xlsx"
    response = client.post(reverse("admin:indicators_indicator_import"), {
        "import_file": SimpleUploadedFile(name, filled_template(admin_client_ja, TWO_KGIS)),
        "format": "0", "resource": "0",
    })
    confirm(client, response, "indicator")
    assert Indicator.objects.filter(plan__code="iga-2").count() == 2

    reason = f"ファイル取込：{name}"
    indicators = imported(reason, Indicator)
    assert sorted(indicators.values_list("code", flat=True)) == ["IGA2-01", "IGA2-02"]
    targets = imported(reason, Target)
    assert targets.count() == Target.objects.filter(indicator__plan__code="iga-2").count() == 3
    measures = imported(reason, Measure)
    assert list(measures.values_list("title", flat=True)) == ["テスト施策"]
    for records in (indicators, targets, measures):
        assert {(r.history_type, r.history_user_id) for r in records} == {("+", user.pk)}

    listed = kgi_history(client, "IGA2-01")
    assert "指標を登録" in listed and "令和11年度（2029） 目標値を登録：40件《累計》" in listed


def test_an_unchanged_definitions_row_records_nothing(plans, admin_client_ja, tmp_path):
    path = tmp_path / "定義.xlsx"
    path.write_bytes(filled_template(admin_client_ja, TWO_KGIS))
    call_command("import_definitions", str(path), stdout=io.StringIO())
    changed = [dict(TWO_KGIS[0], 単位="回"), TWO_KGIS[1]]
    path.write_bytes(filled_template(admin_client_ja, changed))
    call_command("import_definitions", str(path), stdout=io.StringIO())

    second = Indicator.history.filter(code="IGA2-02")
    assert second.count() == 1
    first = Indicator.history.filter(code="IGA2-01").first()
    assert (first.history_type, first.unit) == ("~", "回")
    assert indicator_change_history(indicator=Indicator.objects.get(code="IGA2-01"))[0].changes \
        == ("指標 単位：「件」 → 「回」",)


def test_a_long_file_name_is_clipped_to_the_reason_column():
    reason = import_reason("あ" * 200 + ".xlsx")
    assert len(reason) == 100 and reason.startswith("ファイル取込：あ") and reason.endswith("…")


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
