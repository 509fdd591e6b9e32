"""The audit trail's writers: history rows written without a model save.

Imports, the confirm step and the fixtures write their rows in bulk, which
sends no signal; they record the same history a save would: the user
(「システム」 without one), the time, the values, and a reason such as
「ファイル取込：<file name>」.

What is recorded, not numbers of the documents: the KGIs, targets and
actuals come from factories (tests/factories.py). The definitions import
keeps iga-2's template, as tests/spreadsheets/test_admin_definitions.py
builds it.
"""

from __future__ import annotations

import io
from datetime import datetime
from decimal import Decimal

import pytest
from django.apps import apps
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.db import connection
from django.db.models import TextField
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.roles import Role
from audit.writers import (
    AUDITED,
    FIXTURE_REASON,
    REASON_MAX_LENGTH,
    history_create,
    import_reason,
    record_initial_history,
)
from indicators.history import indicator_change_history
from indicators.models import Actual, Indicator, Target
from indicators.services import REASON_MAX_LENGTH as FORM_REASON_MAX_LENGTH
from indicators.services import revision_history_reason
from plans.models import Department, Measure, Plan
from tests.audit.helpers import kgi_history, new_actual, office_of
from tests.factories import DepartmentFactory, IndicatorFactory, PlanFactory
from tests.helpers import client_for, form_data, user_with_role, visible_text, xlsx
from tests.spreadsheets.test_admin_definitions import TWO_KGIS, filled_template

pytestmark = pytest.mark.django_db


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


def office(plan: Plan, username: str = "test-office"):
    """A named DX office user of the plan's city."""
    return office_of(plan.municipality.code, username=username)


@pytest.fixture
def plan() -> Plan:
    return PlanFactory(municipality__name="テスト市")


@pytest.fixture
def department_sheet(plan) -> tuple[list[Indicator], list[list]]:
    """Nine increase KGIs of the plan, the first in 時間 with an R8 actual of
    6,000.0, and an R8 sheet typed as departments type: 7 new, 1 changed, 1 blank."""
    kgis = [IndicatorFactory(measure__policy__plan=plan, unit="時間" if n == 0 else "件")
            for n in range(9)]
    new_actual(kgis[0].code, value="6000.0")
    codes = [kgi.code for kgi in kgis]
    rows = [
        [codes[0], "R8", "6,450.5", None],
        [codes[1], "令和8年度", "２０", ""],
        [codes[2], 2026, "158", None],
        [codes[3], "2026年度", "－", "調査を実施せず"],
        [codes[4], "Ｒ８", "", "集計中"],
        [codes[5], "R8", "1,250,000", None],
        [codes[6], "R8", "0", None],
        [codes[7], "令和8年度", "３，４００", None],
        [codes[8], "R8", "42", None],
    ]
    return kgis, rows


def test_an_admin_import_records_the_user_and_the_file_for_every_row_written(
    plan, department_sheet
):
    kgis, rows = department_sheet
    user = office(plan)
    client = client_for(user)
    response = upload_actuals(client, rows)
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

    listed = kgi_history(client, kgis[0].code)
    assert "令和8年度（2026） 実績値：6,000.0時間 → 6,450.5時間" in listed
    assert reason in listed


def test_an_admin_targets_import_records_the_user_and_the_file(plan):
    user = office(plan)
    client = client_for(user)
    kgi = IndicatorFactory(measure__policy__plan=plan)
    assert not Target.objects.filter(indicator=kgi, fiscal_year=2027).exists()
    data = xlsx([[kgi.code, "R9", "210"]], header=["指標コード", "年度", "目標値"])
    response = client.post(
        reverse("admin:indicators_target_import"),
        {"import_file": SimpleUploadedFile("目標.xlsx", data), "format": "0", "resource": "0"},
    )
    assert "新規 1件" in visible_text(response)
    confirm(client, response, "target")
    record = imported("ファイル取込：目標.xlsx", Target).get()
    assert (record.history_type, record.history_user, record.value) == ("+", user, 210)


def test_the_import_command_records_the_user_given(plan, department_sheet, tmp_path):
    kgis, rows = department_sheet
    user = office(plan, username="test-importer")
    path = tmp_path / "回答R8.xlsx"
    path.write_bytes(xlsx(rows))
    call_command("import_actuals", str(path), "--user", user.username, stdout=io.StringIO())

    records = imported("ファイル取込：回答R8.xlsx")
    written = Actual.objects.filter(fiscal_year=2026, indicator__plan=plan)
    assert records.count() == written.count() == 8
    assert set(records.values_list("history_user", flat=True)) == {user.pk}
    # The history holds each row as stored, its id included.
    for actual in written:
        latest = actual.history.first()
        assert latest.history_change_reason == "ファイル取込：回答R8.xlsx"
        assert (latest.state, latest.value, latest.value_places, latest.note) == (
            actual.state, actual.value, actual.value_places, actual.note
        )
    assert Actual.history.filter(id=written.get(indicator=kgis[0]).pk,
                                 history_type="~").count() == 1


def test_an_import_without_a_user_is_the_systems(plan, tmp_path, client):
    kgi = IndicatorFactory(measure__policy__plan=plan, unit="%")
    path = tmp_path / "回答.xlsx"
    path.write_bytes(xlsx([[kgi.code, "R8", "42.5%", None]]))
    call_command("import_actuals", str(path), stdout=io.StringIO())
    record = imported("ファイル取込：回答.xlsx").get()
    assert record.history_user is None
    listed = kgi_history(client_for(office(plan)), kgi.code)
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


def test_a_long_file_name_is_clipped_to_the_longest_reason_written():
    reason = import_reason("あ" * 2000 + ".xlsx")
    assert len(reason) == REASON_MAX_LENGTH
    assert reason.startswith("ファイル取込：あ") and reason.endswith("…")


def test_a_file_name_and_the_longest_reason_a_form_allows_are_kept_whole():
    detail = revision_history_reason("理" * FORM_REASON_MAX_LENGTH)
    reason = import_reason("あ" * 255 + ".xlsx", detail=detail)
    assert reason.endswith(detail)


def test_an_import_reason_keeps_a_rows_own_reason_after_the_file_name():
    assert import_reason("目標.xlsx", detail="目標値の変更：国に合わせる") == (
        "ファイル取込：目標.xlsx／目標値の変更：国に合わせる"
    )
    assert import_reason("") == "ファイル取込"
    exact = import_reason("あ" * (REASON_MAX_LENGTH - len("ファイル取込：")))
    assert len(exact) == REASON_MAX_LENGTH and not exact.endswith("…")


# The reason column and the audited models ---------------------------------------


def audited_models() -> list[type]:
    """Every model with a history, found through simple-history, not by name."""
    return [
        model for model in apps.get_models()
        if hasattr(model._meta, "simple_history_manager_attribute")
    ]


def test_every_audited_models_reason_column_holds_any_reason_written():
    """A text column: 「確定取消：」 and 500 characters were a 500 on PostgreSQL (100)."""
    models = audited_models()
    # The plan data (8), the outlook (見込み), the links between periods' KGIs
    # (前期の指標との接続), the reporting round's rounds and submissions, the
    # meeting editions and their publications.
    assert len(models) == 14
    for model in models:
        column = model.history.model._meta.get_field("history_change_reason")
        assert isinstance(column, TextField) and column.max_length is None, model


def test_every_audited_model_is_named_for_the_first_records():
    assert sorted(AUDITED) == sorted(model._meta.label for model in audited_models())


# history_create and record_initial_history -------------------------------------


def test_history_create_writes_nothing_for_no_rows():
    with CaptureQueriesContext(connection) as queries:
        assert history_create([], model=Actual, reason="なし") == []
    assert queries.captured_queries == []


def test_history_create_records_the_user_the_reason_and_one_time(plan):
    user = office(plan)
    code = IndicatorFactory(measure__policy__plan=plan, unit="%").code
    first, second = new_actual(code, value="40.0"), new_actual(code, year=2027, value="41.0")
    second._change_reason = "行の理由"
    when = timezone.make_aware(datetime(2026, 11, 22, 14, 5))
    written = history_create(
        [first, second], model=Actual, reason="ファイル取込：a.xlsx", user=user,
        update=True, when=when,
    )
    assert len(written) == 2
    records = {record.id: record for record in Actual.history.filter(history_date=when)}
    assert {(r.history_type, r.history_user, r.history_date) for r in records.values()} == {
        ("~", user, when)
    }
    assert records[first.pk].history_change_reason == "ファイル取込：a.xlsx"
    assert records[second.pk].history_change_reason == "行の理由"
    assert records[first.pk].value == Decimal("40.0")


def test_history_create_without_a_time_or_user_is_the_systems_now():
    actual = new_actual(IndicatorFactory(unit="%").code)
    before = timezone.now()
    (record,) = history_create([actual], model=Actual, reason="理由")
    stored = Actual.history.get(history_id=record.history_id)
    assert (stored.history_type, stored.history_user, stored.history_change_reason) == (
        "+", None, "理由"
    )
    assert stored.history_date >= before


def test_record_initial_history_gives_a_first_record_only_to_rows_without_one():
    department = DepartmentFactory()
    Department.history.filter(id=department.pk).delete()
    assert record_initial_history() == 1
    record = Department.history.get(id=department.pk)
    assert (record.history_type, record.history_change_reason) == ("+", FIXTURE_REASON)
    assert record_initial_history() == 0
