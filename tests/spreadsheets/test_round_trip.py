"""Entry sheets go out, come back filled in, and import: the round trip.

The round trip, not numbers of the documents: the plans, KGIs, targets and
actuals come from factories (tests/factories.py), a 「テスト市」 with a
current plan of eight KGIs and an earlier one whose R7 results are typed
the ways the documents print them (decimals kept, 「－」, a milestone's
「移行完了」, a seven-digit count).
"""

from __future__ import annotations

import io
import re
from decimal import Decimal

import openpyxl
import pytest
from django.core.management import call_command
from django.urls import reverse

from indicators.models import Actual, ActualState, Indicator, Kind
from indicators.selectors import plan_status
from plans.models import Plan
from spreadsheets.entry_sheet import entry_sheet
from spreadsheets.resources import ActualResource
from tests.factories import (
    ActualFactory,
    DepartmentFactory,
    IndicatorFactory,
    MeasureFactory,
    MilestoneFactory,
    MunicipalityFactory,
    PlanFactory,
    TargetFactory,
    kgi_with_targets,
)
from tests.spreadsheets.test_admin import upload

pytestmark = pytest.mark.django_db


# The factory plans' codes.
PLAN, PAST = "test-plan", "past-plan"


@pytest.fixture
def city():
    return MunicipalityFactory(name="テスト市")


@pytest.fixture
def plan(city) -> Plan:
    """第2期テスト計画 (R8–R11), no actuals; TEST-01 to TEST-08 with targets every
    year: TEST-01 from 30.0% (R8); TEST-02 10件; TEST-03 and TEST-04, the two
    KGIs of one measure, 160件 and 50,000名; TEST-05 a reduction of
    1,200,000枚 (R7) by 2.0% (R8); TEST-06 a decrease; TEST-07 a milestone;
    TEST-08 in %."""
    plan = PlanFactory(municipality=city, code=PLAN, name="第2期テスト計画")
    years = plan.fiscal_years
    kgi_with_targets(plan, "TEST-01", "%", {2026: "30.0", 2027: "40.0", 2028: "50.0",
                                            2029: "60.0"}, position=1)
    kgi_with_targets(plan, "TEST-02", "件", dict.fromkeys(years, "10"), position=2)
    shared = MeasureFactory(policy__plan=plan, title="テスト施策（手続き）")
    for position, (code, unit, value) in enumerate(
        [("TEST-03", "件", "160"), ("TEST-04", "名", "50000")], start=3
    ):
        indicator = IndicatorFactory(measure=shared, code=code, position=position, unit=unit)
        for year in years:
            TargetFactory(indicator=indicator, fiscal_year=year, value=Decimal(value))
    kgi_with_targets(plan, "TEST-05", "枚", {2026: "2.0", 2027: "4.0", 2028: "6.0",
                                            2029: "8.0"}, position=5, kind=Kind.REDUCTION,
                     baseline=Decimal(1_200_000), baseline_year=2025)
    kgi_with_targets(plan, "TEST-06", "件", dict.fromkeys(years, "0"), position=6,
                     kind=Kind.DECREASE)
    MilestoneFactory(measure__policy__plan=plan, code="TEST-07", position=7)
    kgi_with_targets(plan, "TEST-08", "%", dict.fromkeys(years, "50.0"), position=8)
    return plan


@pytest.fixture
def past_plan(city) -> Plan:
    """第1期テスト計画 (R3–R7) of seven KGIs, each with an R7 result: 57件,
    64.2%, 「－」, 1,234,567件, 3.05地点, 移行完了 and 40.0%."""
    plan = PlanFactory(municipality=city, code=PAST, name="第1期テスト計画",
                       start_year=2021, end_year=2025)
    results = [("件", "57"), ("%", "64.2"), ("", None), ("件", "1234567"),
               ("地点", "3.05"), (None, "移行完了"), ("%", "40.0")]
    for position, (unit, value) in enumerate(results, start=1):
        code = f"TEST-{10 + position}"
        if unit is None:
            indicator = MilestoneFactory(measure__policy__plan=plan, code=code,
                                         position=position, done_label=value)
            ActualFactory(indicator=indicator, fiscal_year=2025, state=ActualState.DONE,
                          value=None, confirmed=True)
        elif value is None:
            indicator = kgi_with_targets(plan, code, unit, position=position)
            ActualFactory(indicator=indicator, fiscal_year=2025, value=None,
                          state=ActualState.NOT_MEASURED, confirmed=True)
        else:
            indicator = kgi_with_targets(plan, code, unit, position=position)
            ActualFactory(indicator=indicator, fiscal_year=2025, value=Decimal(value),
                          value_places=len(value.partition(".")[2]), confirmed=True)
    return plan


def import_file(tmp_path, data: bytes) -> str:
    path = tmp_path / "entry.xlsx"
    path.write_bytes(data)
    out = io.StringIO()
    call_command("import_actuals", str(path), stdout=out)
    return out.getvalue()


def fill(data: bytes, values: dict[str, object]) -> bytes:
    """Type ``values`` into the 実績値 column, by 指標コード, as a user would."""
    workbook = openpyxl.load_workbook(io.BytesIO(data))
    sheet = workbook["実績入力"]
    headers = [cell.value for cell in sheet[1]]
    code_column, value_column = headers.index("指標コード"), headers.index("実績値")
    for row in sheet.iter_rows(min_row=2):
        code = row[code_column].value
        if code in values:
            row[value_column].value = values[code]
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def test_an_untouched_sheet_imports_as_all_unchanged(past_plan, tmp_path):
    out = import_file(tmp_path, entry_sheet(plan=past_plan))
    # 7 KGIs × 5 years: the 7 R7 results come back unchanged, the rest blank.
    assert "新規 0件 / 変更 0件 / 変更なし 7件 / 空欄 28件" in out


def test_a_filled_in_sheet_imports_and_then_round_trips_unchanged(plan, tmp_path):
    filled = fill(entry_sheet(plan=plan, fiscal_year=2026), {
        "TEST-01": 42.5, "TEST-02": "－", "TEST-03": "１７５", "TEST-04": "53,500",
        "TEST-05": 1170500,
    })
    assert "新規 5件 / 変更 0件 / 変更なし 0件 / 空欄 3件" in import_file(tmp_path, filled)
    shown = {row.indicator.code: row.evaluation_label
             for row in plan_status(plan=plan, fiscal_year=2026)}
    # 42.5 ÷ 30.0 = 141.67%
    assert shown["TEST-01"] == "達成《達成率：141.7%》"
    assert shown["TEST-02"] == "－"
    # 175 ÷ 160 = 109.375%
    assert shown["TEST-03"] == "達成《達成率：109.4%》"
    # (1,200,000 − 1,170,500) ÷ 1,200,000 = 2.458% reduced, ÷ 2.0% = 122.92%
    assert shown["TEST-05"] == "達成《達成率：122.9%》"
    again = entry_sheet(plan=plan, fiscal_year=2026)
    assert "新規 0件 / 変更 0件 / 変更なし 5件 / 空欄 3件" in import_file(tmp_path, again)


def test_the_round_trip_through_the_admin(plan, admin_client_ja):
    filled = fill(entry_sheet(plan=plan, fiscal_year=2027), {"TEST-08": 50.5})
    page = re.sub(r"\s+", " ", upload(admin_client_ja, filled).content.decode())
    assert "新規 1件 / 変更 0件 / 変更なし 0件 / 空欄 7件" in page


def test_plan_list_offers_every_download_and_they_work(plan, past_plan, admin_client_ja):
    page = admin_client_ja.get(reverse("admin:plans_plan_changelist")).content.decode()
    entry = reverse("spreadsheets:entry_sheet", args=[PLAN])
    status = reverse("spreadsheets:status_table", args=[PAST, 2025])
    assert f'href="{entry}"' in page and f'href="{status}"' in page
    for url in (entry, f"{entry}?year=2026", status):
        response = admin_client_ja.get(url)
        assert response.status_code == 200
        assert response["Content-Type"].startswith("application/vnd.openxmlformats")


def test_plan_actions_download_one_plan(plan, past_plan, admin_client_ja):
    response = admin_client_ja.post(
        reverse("admin:plans_plan_changelist"),
        {"action": "download_status_table", "_selected_action": [str(past_plan.pk)]},
    )
    assert response.status_code == 302
    # The earlier plan's default year: its latest actual, R7.
    assert response["Location"] == reverse("spreadsheets:status_table", args=[PAST, 2025])
    both = [str(plan.pk) for plan in Plan.objects.all()]
    response = admin_client_ja.post(
        reverse("admin:plans_plan_changelist"),
        {"action": "download_entry_sheet", "_selected_action": both}, follow=True,
    )
    assert "計画を1件だけ選んでください。" in response.content.decode()


def test_indicator_list_for_a_plan_and_year_links_its_sheets(plan, admin_client_ja):
    page = admin_client_ja.get(
        reverse("admin:indicators_indicator_changelist"),
        {"plan__id__exact": plan.pk, "fiscal_year": 2026},
    ).content.decode()
    assert "入力シート（R8）" in page and "評価表（R8）" in page
    assert reverse("spreadsheets:status_table", args=[PLAN, 2026]) in page


def test_department_list_links_the_departments_own_sheet(plan, admin_client_ja):
    department = DepartmentFactory(municipality=plan.municipality, name="テスト政策課")
    measure = Indicator.objects.get(code="TEST-03").measure
    measure.departments.add(department)
    page = admin_client_ja.get(reverse("admin:plans_department_changelist")).content.decode()
    url = f"{reverse('spreadsheets:entry_sheet', args=[PLAN])}?department={department.pk}"
    assert url in page
    data = admin_client_ja.get(url).getvalue()
    codes = {row[0] for row in openpyxl.load_workbook(io.BytesIO(data))["実績入力"].iter_rows(
        min_row=2, values_only=True)}
    # TEST-03 and TEST-04 are the two KGIs of measure テスト施策（手続き）.
    assert codes == {"TEST-03", "TEST-04"}


def notes_column(data: bytes) -> dict[str, str | None]:
    """Return the 備考 column of an entry sheet, by 指標コード."""
    sheet = openpyxl.load_workbook(io.BytesIO(data))["実績入力"]
    headers = [cell.value for cell in sheet[1]]
    code, note = headers.index("指標コード"), headers.index("備考")
    return {row[code].value: row[note].value for row in sheet.iter_rows(min_row=2)}


@pytest.fixture
def entered(plan) -> dict[str, Actual]:
    """R8 actuals as the office enters them in the admin: TEST-02 not measured
    with its reason only (confirmed), TEST-03 not measured with a reason and a
    note, TEST-08 a number with a note."""
    indicators = {indicator.code: indicator for indicator in plan.indicators.all()}
    return {
        "TEST-02": ActualFactory(
            indicator=indicators["TEST-02"], state=ActualState.NOT_MEASURED, value=None,
            not_measured_reason="アンケートを実施しなかったため", confirmed=True,
        ),
        "TEST-03": ActualFactory(
            indicator=indicators["TEST-03"], state=ActualState.NOT_MEASURED, value=None,
            not_measured_reason="システム更新で集計できず", note="次年度に再集計",
        ),
        "TEST-08": ActualFactory(
            indicator=indicators["TEST-08"], value=Decimal("45.0"), value_places=1,
            note="速報値",
        ),
    }


ROW_FIELDS = ("indicator__code", "state", "value", "value_places", "note",
              "not_measured_reason", "confirmed", "updated_at", "version")


def test_the_not_measured_reason_fills_the_notes_column(entered, plan):
    notes = notes_column(entry_sheet(plan=plan, fiscal_year=2026))
    assert notes["TEST-02"] == "アンケートを実施しなかったため"
    # The reason, which an import records from this column; the note stays in the admin.
    assert notes["TEST-03"] == "システム更新で集計できず"
    assert notes["TEST-08"] == "速報値"
    assert notes["TEST-01"] in (None, "")


def test_an_exported_reason_imports_again_as_unchanged(entered, plan, tmp_path):
    before = sorted(Actual.objects.values_list(*ROW_FIELDS))
    out = import_file(tmp_path, entry_sheet(plan=plan, fiscal_year=2026))
    assert "新規 0件 / 変更 0件 / 変更なし 3件 / 空欄 5件" in out
    assert sorted(Actual.objects.values_list(*ROW_FIELDS)) == before


def test_a_changed_reason_is_imported_as_the_reason(entered, plan, tmp_path):
    workbook = openpyxl.load_workbook(io.BytesIO(entry_sheet(plan=plan, fiscal_year=2026)))
    sheet = workbook["実績入力"]
    headers = [cell.value for cell in sheet[1]]
    for row in sheet.iter_rows(min_row=2):
        if row[headers.index("指標コード")].value == "TEST-03":
            row[headers.index("備考")].value = "委託先の集計が遅れたため"
    buffer = io.BytesIO()
    workbook.save(buffer)
    assert "変更 1件 / 変更なし 2件" in import_file(tmp_path, buffer.getvalue())
    actual = Actual.objects.get(pk=entered["TEST-03"].pk)
    assert actual.not_measured_reason == "委託先の集計が遅れたため"
    assert notes_column(entry_sheet(plan=plan, fiscal_year=2026))["TEST-03"] == (
        "委託先の集計が遅れたため"
    )


def test_the_admin_export_gives_the_reason_too(entered, plan):
    dataset = ActualResource().export(queryset=Actual.objects.filter(indicator__plan=plan))
    notes = dict(zip(dataset["指標コード"], dataset["備考"], strict=True))
    assert notes == {"TEST-02": "アンケートを実施しなかったため",
                     "TEST-03": "システム更新で集計できず", "TEST-08": "速報値"}
