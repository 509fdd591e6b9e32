"""The admin import and the command write a file the same way.

Both read and check a file with :mod:`spreadsheets.actuals` and :mod:`spreadsheets.targets` and write it with
its bulk writer (``apply_actuals`` / ``apply_targets``): the same rows, the
same history rows (type, user, reason, values). Each test imports one file
through the admin (upload → preview → confirm), undoes it, imports it again
through the command's path, and compares.

How the two write, not numbers of the documents: the plan, its KGIs and
their targets come from factories (tests/factories.py), and the sheet is
typed for them the way departments type.
"""

from __future__ import annotations

import datetime
import io
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.roles import Role
from indicators.models import Actual, ActualState, Indicator, Target
from plans.models import Plan
from spreadsheets.actuals import preview_actuals
from spreadsheets.rows import CLASHED, read_upload
from spreadsheets.targets import preview_targets
from spreadsheets.writer import apply_actuals, apply_targets, blank_rows
from tests.factories import IndicatorFactory, PlanFactory, TargetFactory
from tests.helpers import (
    DEPARTMENT_ROWS,
    client_for,
    form_data,
    user_with_role,
    visible_text,
    xlsx,
)

pytestmark = pytest.mark.django_db

ACTUAL_FIELDS = ("state", "value", "value_places", "note", "not_measured_reason", "confirmed")
TARGET_FIELDS = ("value", "value_places", "original_value", "original_value_places",
                 "revision_reason", "revised_on")
TARGET_HEADER = ["指標コード", "年度", "目標値", "変更理由", "決定日"]
REVISION_REASON = "国の目標引き上げに合わせて上方修正"


class Undo(Exception):
    """Raised to roll an import back once its outcome is read."""


def outcome_of(run, read):
    """Run an import, return ``read()`` of its outcome, and undo the import."""
    try:
        with transaction.atomic():
            run()
            seen = read()
            raise Undo
    except Undo:
        return seen


# The plan's KGIs: 13 of them, so that 50 rows of its four years exist.
UNITS = ["%", "名", "名", "%", "%", "時間", "枚", "件", "名", "件", "%", "件", "件"]



@pytest.fixture
def plan() -> Plan:
    """A 「テスト市」 plan (R8–R11) of the KGIs TEST-01 to TEST-13, no actuals;
    TEST-10 has targets of 160件 (R8) and 205件 (R9), TEST-01 of R8–R10 only."""
    plan = PlanFactory(municipality__name="テスト市")
    for position, unit in enumerate(UNITS, start=1):
        IndicatorFactory(measure__policy__plan=plan, code=f"TEST-{position:02d}",
                         position=position, unit=unit)
    kgis = {kgi.code: kgi for kgi in plan.indicators.all()}
    TargetFactory(indicator=kgis["TEST-10"], fiscal_year=2026, value=Decimal("160"))
    TargetFactory(indicator=kgis["TEST-10"], fiscal_year=2027, value=Decimal("205"))
    for year, value in ((2026, "30.0"), (2027, "50.0"), (2028, "70.0")):
        TargetFactory(indicator=kgis["TEST-01"], fiscal_year=year, value=Decimal(value),
                      value_places=1)
    TargetFactory(indicator=kgis["TEST-02"], fiscal_year=2026, value=Decimal("20"))
    return plan


@pytest.fixture
def office(plan):
    return user_with_role(Role.OFFICE, municipality=plan.municipality.code,
                          username="test-office")


def upload(client, data: bytes, name: str, model: str = "actual"):
    response = client.post(
        reverse(f"admin:indicators_{model}_import"),
        {"import_file": SimpleUploadedFile(name, data), "format": "0", "resource": "0"},
    )
    assert response.status_code == 200
    return response


def admin_import(client, model: str, data: bytes, name: str) -> str:
    """Upload, preview and confirm a file in the admin; return the confirm page's text."""
    preview = upload(client, data, name, model)
    process = reverse(f"admin:indicators_{model}_process_import")
    confirm = form_data(preview.content.decode(), action=process)
    assert confirm.get("import_file_name"), visible_text(preview)[:2000]
    response = client.post(process, confirm, follow=True)
    assert response.status_code == 200
    page = visible_text(response)
    # The message counts the file's rows (取り込みました：…), not
    # django-import-export's rows, which are all skipped.
    assert "Import finished" not in page and "skipped" not in page
    return page


def stored(model, fields: tuple[str, ...]) -> list[tuple]:
    """Every row of the 「テスト市」 plan's years (R8–R11), by code and year."""
    return sorted(model.objects.filter(indicator__plan__municipality__name="テスト市",
                                       fiscal_year__gte=2026)
                  .values_list("indicator__code", "fiscal_year", *fields))


def history_since(model, first_id: int, fields: tuple[str, ...]) -> list[tuple]:
    """The history rows written after ``first_id``, without their ids and times.

    Each also says whether it holds the id of the stored row it records.
    """
    ids = {(row.indicator_id, row.fiscal_year): row.pk for row in model.objects.all()}
    codes = dict(Indicator.objects.values_list("pk", "code"))
    return sorted(
        (codes[record.indicator_id], record.fiscal_year, record.history_type,
         record.history_user_id, record.history_change_reason,
         *(getattr(record, name) for name in fields),
         ids.get((record.indicator_id, record.fiscal_year)) == record.id)
        for record in model.history.filter(history_id__gt=first_id)
    )


def last_history_id(model) -> int:
    return model.history.order_by("-history_id").values_list("history_id", flat=True).first() or 0


# Actuals --------------------------------------------------------------------


def test_actuals_imported_in_the_admin_and_by_the_command_are_the_same(plan, office, tmp_path):
    indicators = {i.code: i for i in plan.indicators.all()}
    Actual.objects.create(indicator=indicators["TEST-06"], fiscal_year=2026,
                          value=Decimal("6000.0"), value_places=1)
    # The sheet's 「２５」: unchanged.
    Actual.objects.create(indicator=indicators["TEST-02"], fiscal_year=2026,
                          value=Decimal("25"))
    Actual.objects.create(indicator=indicators["TEST-10"], fiscal_year=2026,
                          value=Decimal("150"))
    rows = [
        *DEPARTMENT_ROWS,
        # Changed to not measured, without a note: the default reason.
        ["TEST-10", "R8", "－", None],
        # New: the decimals typed are kept.
        ["TEST-11", "R9", "12.50", "再集計"],
    ]
    data = xlsx(rows)
    name = "部署回答.xlsx"
    first_id = last_history_id(Actual)

    def read():
        return stored(Actual, ACTUAL_FIELDS), history_since(Actual, first_id, ACTUAL_FIELDS)

    page = []
    by_admin = outcome_of(
        lambda: page.append(admin_import(client_for(office), "actual", data, name)), read
    )

    def command():
        path = tmp_path / name
        path.write_bytes(data)
        call_command("import_actuals", str(path), "--user", office.username,
                     stdout=io.StringIO())

    by_command = outcome_of(command, read)

    assert "取り込みました：新規 7件 / 変更 2件 / 変更なし 1件 / 空欄 1件" in page[0]
    assert by_admin == by_command
    actuals, history = by_admin
    assert len(actuals) == 10
    reason = f"ファイル取込：{name}"
    records = {(code, year): tuple(record) for code, year, *record in history}
    assert {key: record[0] for key, record in records.items()} == {
        **{(code, 2026): "+" for code in ("TEST-01", "TEST-03", "TEST-04", "TEST-07",
                                          "TEST-08", "TEST-09")},
        ("TEST-11", 2027): "+", ("TEST-06", 2026): "~", ("TEST-10", 2026): "~",
    }
    # Every row by the importing user, with the file's name, holding the stored row's id.
    assert {(record[1], record[2], record[-1]) for record in records.values()} == {
        (office.pk, reason, True)
    }
    # state, value, places, note, not_measured_reason, confirmed
    assert records[("TEST-04", 2026)][3:9] == (
        ActualState.NOT_MEASURED, None, 0, "調査を実施せず", "調査を実施せず", False
    )
    assert records[("TEST-10", 2026)][3:9] == (
        ActualState.NOT_MEASURED, None, 0, "",
        "取込ファイルで「－」（評価対象外）と入力されました。", False,
    )
    assert records[("TEST-06", 2026)][3:6] == (ActualState.MEASURED, Decimal("6450.5"), 1)
    assert records[("TEST-11", 2027)][3:7] == (ActualState.MEASURED, Decimal("12.50"), 2, "再集計")


# Targets --------------------------------------------------------------------


def test_targets_imported_in_the_admin_and_by_the_command_are_the_same(office):
    assert not Target.objects.filter(indicator__code="TEST-01", fiscal_year=2029).exists()
    rows = [
        ["TEST-10", "R9", "210", REVISION_REASON, "2026/6/1"],  # a revision
        ["TEST-10", "R8", "160", None, None],  # unchanged
        ["TEST-01", "R11", "105.0", None, None],  # new
        ["TEST-02", "R8", None, None, None],  # blank
    ]
    data = xlsx(rows, header=TARGET_HEADER)
    name = "目標値.xlsx"
    first_id = last_history_id(Target)

    def read():
        return stored(Target, TARGET_FIELDS), history_since(Target, first_id, TARGET_FIELDS)

    page = []
    by_admin = outcome_of(
        lambda: page.append(admin_import(client_for(office), "target", data, name)), read
    )

    def command_writer():
        # No command imports targets: this is what it would run (the
        # actuals command's preview and writer for targets).
        preview = preview_targets(sheet=read_upload(data, name), filename=name, user=office)
        assert preview.ok, preview.errors
        apply_targets(preview, user=office)

    by_command = outcome_of(command_writer, read)

    assert "取り込みました：新規 1件 / 変更 1件 / 変更なし 1件 / 空欄 1件" in page[0]
    assert by_admin == by_command
    _targets, history = by_admin
    records = {(code, year): tuple(record) for code, year, *record in history}
    assert set(records) == {("TEST-10", 2027), ("TEST-01", 2029)}
    revision = records[("TEST-10", 2027)]
    assert revision[0:2] == ("~", office.pk)
    # The revision's own reason after the file's name, as an edit records it.
    assert revision[2] == f"ファイル取込：{name}／目標値の変更：{REVISION_REASON}"
    assert revision[3:] == (Decimal("210"), 0, Decimal("205"), 0, REVISION_REASON,
                            datetime.date(2026, 6, 1), True)
    new = records[("TEST-01", 2029)]
    assert new[:3] == ("+", office.pk, f"ファイル取込：{name}")
    assert new[3] == Decimal("105.0") and new[-1] is True


# Queries --------------------------------------------------------------------


def actual_rows(count: int) -> list[list]:
    """``count`` rows of the 「テスト市」 plan's KGIs and years, every one a value."""
    codes = sorted(Indicator.objects.filter(plan__municipality__name="テスト市")
                   .values_list("code", flat=True))
    keys = [(code, year) for year in (2026, 2027, 2028, 2029) for code in codes][:count]
    return [[code, year, f"{n + 1}.5", "部署回答"] for n, (code, year) in enumerate(keys)]


def queries_to_import(rows: list[list], *, changed: int, step) -> int:
    """Return the queries ``step(data)`` counts importing ``rows``; undo the import.

    The first ``changed`` rows' actuals exist already, with another value.
    """
    indicators = {i.code: i for i in Indicator.objects.filter(plan__municipality__name="テスト市")}
    counted = []

    def run():
        Actual.objects.bulk_create(
            Actual(indicator=indicators[code], fiscal_year=year, value=Decimal(1))
            for code, year, *_ in rows[:changed]
        )
        counted.append(step(xlsx(rows)))

    def read():
        return Actual.history.filter(history_change_reason="ファイル取込：回答.xlsx").count()

    assert outcome_of(run, read) == len(rows)
    return counted[0]


def writer_queries(data: bytes) -> int:
    """The queries of the command's writer, apply_actuals()."""
    preview = preview_actuals(sheet=read_upload(data, "回答.xlsx"), filename="回答.xlsx")
    with CaptureQueriesContext(connection) as queries:
        apply_actuals(preview)
    return len(queries.captured_queries)


def test_the_writer_takes_as_many_queries_for_50_rows_as_for_5(plan):
    few = queries_to_import(actual_rows(5), changed=2, step=writer_queries)
    many = queries_to_import(actual_rows(50), changed=20, step=writer_queries)
    assert few == many


def admin_queries(client, counted: list[tuple[int, int]]):
    """A step counting the queries of the admin's preview and of its confirm."""
    def step(data: bytes) -> int:
        with CaptureQueriesContext(connection) as preview_queries:
            preview = upload(client, data, "回答.xlsx")
        process = reverse("admin:indicators_actual_process_import")
        confirm = form_data(preview.content.decode(), action=process)
        with CaptureQueriesContext(connection) as queries:
            response = client.post(process, confirm)
        assert response.status_code == 302
        counted.append((len(preview_queries.captured_queries), len(queries.captured_queries)))
        return len(queries.captured_queries)
    return step


def test_the_admin_confirm_takes_as_many_queries_for_50_rows_as_for_5(office):
    counted: list[tuple[int, int]] = []
    step = admin_queries(client_for(office), counted)
    queries_to_import(actual_rows(5), changed=2, step=step)  # warm-up: caches, content types
    few = queries_to_import(actual_rows(5), changed=2, step=step)
    many = queries_to_import(actual_rows(50), changed=20, step=step)
    assert few == many
    # The preview step neither: it writes nothing, row by row or otherwise.
    assert counted[1][0] == counted[2][0]


# Refusals at confirmation ---------------------------------------------------


CHANGED_SINCE = (
    "確認後にデータが変わったため、取り込みませんでした。もう一度アップロードしてください。"
)


def confirm_after(client, data: bytes, meanwhile) -> str:
    """Upload ``data``, run ``meanwhile()``, confirm; return the page's text."""
    preview = upload(client, data, "部署回答.xlsx")
    assert "取り込めません" not in visible_text(preview)
    meanwhile()
    process = reverse("admin:indicators_actual_process_import")
    response = client.post(process, form_data(preview.content.decode(), action=process),
                           follow=True)
    assert response.redirect_chain[-1][0] == reverse("admin:indicators_actual_import")
    return visible_text(response)


def test_a_row_confirmed_after_the_preview_stops_the_whole_file(plan, office):
    stored_actual = Actual.objects.create(
        indicator=Indicator.objects.get(code="TEST-06"), fiscal_year=2026,
        value=Decimal("6000.0"), value_places=1,
    )
    history = Actual.history.count()

    def confirm_it():
        Actual.objects.filter(pk=stored_actual.pk).update(confirmed=True)

    page = confirm_after(client_for(office), xlsx(DEPARTMENT_ROWS), confirm_it)
    assert CHANGED_SINCE in page
    assert list(Actual.objects.filter(indicator__plan=plan)) == [stored_actual]
    assert Actual.history.count() == history


def test_a_clash_while_writing_keeps_nothing(plan, office, monkeypatch):
    """Another writer stores a row of the file first: the writer's refusal stops all."""
    from spreadsheets import resources

    history = Actual.history.count()

    def clashing(preview, *, user=None):
        row = preview.rows[0]
        Actual.objects.create(indicator=row.indicator, fiscal_year=row.fiscal_year,
                              value=Decimal(1))
        return apply_actuals(preview, user=user)

    page = confirm_after(
        client_for(office), xlsx(DEPARTMENT_ROWS),
        lambda: monkeypatch.setattr(resources.ActualResource, "apply_function",
                                    staticmethod(clashing)),
    )
    assert CLASHED in page
    # Nothing of the file; the clashing row too was written inside
    # django-import-export's transaction here, and went with it.
    assert not Actual.objects.filter(indicator__plan=plan).exists()
    assert Actual.history.count() == history


@pytest.mark.parametrize("model", [Actual, Target])
def test_a_blank_row_is_the_row_the_keyword_constructor_builds(model):
    indicator = IndicatorFactory()
    built = blank_rows(model)(indicator, 2027)
    expected = model(indicator=indicator, fiscal_year=2027)
    fields = [field.attname for field in model._meta.concrete_fields]
    assert [getattr(built, name) for name in fields] == [
        getattr(expected, name) for name in fields
    ]
    assert built.indicator is indicator and built.pk is None
