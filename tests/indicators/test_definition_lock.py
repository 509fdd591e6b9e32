"""The 確定 lock holds against definition changes, on every path.

Changing what a confirmed year's evaluation reads (a KGI's kind, unit,
baseline or accumulation; a target of that year) is refused until the
office reopens those actuals, in the admin and in both imports. Before,
changing 増加型 to 減少型 silently turned a confirmed 達成 into 未達成.
Also: reasons as long as the forms allow are recorded whole, on both
databases (the history's reason column held 100 characters: a 500 on
PostgreSQL). Workflow rules, on factory data.
"""

from __future__ import annotations

import io
import re
from decimal import Decimal

import openpyxl
import pytest
from django.urls import reverse

from accounts.roles import Role
from indicators.models import Actual, Indicator, Kind, Target
from indicators.services import REASON_MAX_LENGTH, actuals_reopen
from spreadsheets.definitions import definitions_template, preview_definitions
from spreadsheets.rows import read_upload
from spreadsheets.targets import preview_targets
from tests.factories import ActualFactory, IndicatorFactory, MunicipalityFactory, TargetFactory
from tests.helpers import client_for, form_data, user_with_role, visible_text, xlsx

pytestmark = pytest.mark.django_db

SAVE = {"_save": "保存"}
LOCKED_KIND = (
    "評価の型は、確定済みの実績値（令和8年度（2026））の評価を変えるため変更できません。"
    "変更するには DX推進担当がそれらの確定を取り消してください。"
)
LOCKED_TARGET = (
    "令和8年度（2026）の実績値が確定済みのため、この年度の目標値は変更・削除できません。"
    "変更するには DX推進担当が確定を取り消してください。"
)


@pytest.fixture
def city():
    return MunicipalityFactory(name="テスト市")


@pytest.fixture
def office(city):
    return user_with_role(Role.OFFICE, municipality=city.code, username="test-office")


@pytest.fixture
def kgi(city) -> Indicator:
    """An 増加型 KGI whose R8 actual (12件 against 10件: 達成) is confirmed."""
    indicator = IndicatorFactory(measure__policy__plan__municipality=city, unit="件")
    TargetFactory(indicator=indicator, fiscal_year=2026, value=Decimal(10))
    TargetFactory(indicator=indicator, fiscal_year=2027, value=Decimal(20))
    ActualFactory(indicator=indicator, fiscal_year=2026, value=Decimal(12), confirmed=True)
    return indicator


def kgi_page(client, kgi: Indicator) -> tuple[str, dict]:
    url = reverse("admin:indicators_indicator_change", args=[kgi.pk])
    return url, form_data(client.get(url).content.decode())


def reopen(kgi: Indicator, office) -> None:
    actuals_reopen(actuals=list(kgi.actuals.all()), user=office, reason="定義を見直すため")


def test_the_kind_of_a_kgi_with_a_confirmed_year_cannot_change_in_the_admin(office, kgi):
    client = client_for(office)
    url, data = kgi_page(client, kgi)
    data.update(kind=Kind.DECREASE, **SAVE)
    response = client.post(url, data)
    assert response.status_code == 200
    assert LOCKED_KIND in visible_text(response)
    kgi.refresh_from_db()
    assert kgi.kind == Kind.INCREASE

    reopen(kgi, office)
    url, data = kgi_page(client, kgi)
    data.update(kind=Kind.DECREASE, **SAVE)
    assert client.post(url, data).status_code == 302
    kgi.refresh_from_db()
    assert kgi.kind == Kind.DECREASE


def test_unit_baseline_and_accumulation_are_locked_too_and_named(office, kgi):
    client = client_for(office)
    url, data = kgi_page(client, kgi)
    data.update(unit="回", baseline="5", accumulation="cumulative", **SAVE)
    response = client.post(url, data)
    assert "単位・現状値・集計方法は、確定済みの実績値（令和8年度（2026））" in visible_text(response)


def test_other_fields_of_a_kgi_with_a_confirmed_year_still_change(office, kgi):
    client = client_for(office)
    url, data = kgi_page(client, kgi)
    data.update(item="表現を直した項目", **SAVE)
    assert client.post(url, data).status_code == 302
    kgi.refresh_from_db()
    assert kgi.item == "表現を直した項目"


def test_the_target_of_a_confirmed_year_cannot_change_or_go_on_the_kgi_page(office, kgi):
    client = client_for(office)
    url, data = kgi_page(client, kgi)
    revision = {"change_reason": "見直し", "decided_on": "2026-09-01"}
    row = next(key.split("-")[1] for key, value in data.items()
               if key.startswith("targets-") and key.endswith("-fiscal_year") and value == "2026")
    changed = {**data, f"targets-{row}-value": "8", **{f"targets-{row}-{k}": v
                                                        for k, v in revision.items()}, **SAVE}
    response = client.post(url, changed)
    assert LOCKED_TARGET in visible_text(response)
    deleted = {**data, f"targets-{row}-DELETE": "on", **SAVE}
    response = client.post(url, deleted)
    assert LOCKED_TARGET in visible_text(response)
    assert Target.objects.get(indicator=kgi, fiscal_year=2026).value == Decimal(10)

    # A year whose actual is not confirmed is revised as before.
    other = next(key.split("-")[1] for key, value in data.items()
                 if key.startswith("targets-") and key.endswith("-fiscal_year") and value == "2027")
    revised = {**data, f"targets-{other}-value": "25",
               **{f"targets-{other}-{k}": v for k, v in revision.items()}, **SAVE}
    assert client.post(url, revised).status_code == 302
    assert Target.objects.get(indicator=kgi, fiscal_year=2027).value == Decimal(25)


def test_the_target_of_a_confirmed_year_cannot_be_deleted_from_the_targets_list(office, kgi):
    client = client_for(office)
    locked = Target.objects.get(indicator=kgi, fiscal_year=2026)
    url = reverse("admin:indicators_target_delete", args=[locked.pk])
    assert client.post(url, {"post": "yes"}).status_code == 403
    changelist = reverse("admin:indicators_target_changelist")
    response = client.post(changelist, {"action": "delete_selected",
                                        "_selected_action": [locked.pk], "post": "yes"})
    assert response.status_code == 403
    assert Target.objects.filter(pk=locked.pk).exists()
    free = Target.objects.get(indicator=kgi, fiscal_year=2027)
    assert client.post(reverse("admin:indicators_target_delete", args=[free.pk]),
                       {"post": "yes", "seen_version": free.version}).status_code == 302
    assert not Target.objects.filter(pk=free.pk).exists()


def test_the_targets_import_refuses_a_confirmed_years_target(kgi):
    data = xlsx([[kgi.code, "R8", "8", "見直し", "2026/9/1"]],
                header=["指標コード", "年度", "目標値", "変更理由", "決定日"])
    result = preview_targets(sheet=read_upload(data, "目標値.xlsx"))
    assert [str(error) for error in result.errors] == [
        f"2行目 目標値（{kgi.code}）：{LOCKED_TARGET}"
    ]


def definitions_file_with(kgi: Indicator, **cells: str) -> bytes:
    """The plan's definitions template, downloaded, with the KGI's row edited."""
    workbook = openpyxl.load_workbook(io.BytesIO(definitions_template(plan=kgi.plan)))
    sheet = workbook.worksheets[0]
    headers = {cell.value: cell.column for cell in sheet[1]}
    row = next(cells_row[0].row for cells_row in sheet.iter_rows(min_row=2)
               if kgi.code in [cell.value for cell in cells_row])
    for header, value in cells.items():
        sheet.cell(row=row, column=headers[header], value=value)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def test_the_definitions_import_refuses_a_kind_change_under_a_confirmed_year(office, kgi):
    data = definitions_file_with(kgi, 評価の型="減少型")
    result = preview_definitions(sheet=read_upload(data, "定義.xlsx"))
    assert any(LOCKED_KIND in str(error) for error in result.errors), result.errors

    reopen(kgi, office)
    assert preview_definitions(sheet=read_upload(data, "定義.xlsx")).ok


def test_the_untouched_definitions_template_still_imports_unchanged(kgi):
    result = preview_definitions(sheet=read_upload(definitions_file_with(kgi), "定義.xlsx"))
    assert result.ok, result.errors


# Reasons as long as the forms allow ---------------------------------------------


def test_a_reopen_reason_of_the_longest_length_is_recorded_whole(office, kgi):
    reason = "理" * REASON_MAX_LENGTH
    url = reverse("admin:indicators_actual_reopen", args=[kgi.actuals.get().pk])
    client = client_for(office)
    seen = re.findall(r'name="seen" value="([^"]+)"', client.get(url).content.decode())
    assert client.post(url, {"reason": reason, "seen": seen}).status_code == 302
    record = Actual.history.filter(id=kgi.actuals.get().pk).order_by("-history_id").first()
    assert record.history_change_reason == f"確定取消：{reason}"


def test_a_target_revision_reason_of_the_longest_length_is_recorded_whole(office, kgi):
    target = Target.objects.get(indicator=kgi, fiscal_year=2027)
    url = reverse("admin:indicators_target_change", args=[target.pk])
    client = client_for(office)
    data = form_data(client.get(url).content.decode())
    reason = "理" * REASON_MAX_LENGTH
    data.update(value="25", change_reason=reason, decided_on="2026-09-01", **SAVE)
    assert client.post(url, data).status_code == 302
    record = target.history.order_by("-history_id").first()
    assert record.history_change_reason == f"目標値の変更：{reason}"
