"""Target revisions (上方修正 etc.): a reason and a decision date, both values kept.

Rules of revisions, not numbers of the documents: the KGIs and their
targets come from factories (tests/factories.py), on a 「テスト市」 plan.
"""

from __future__ import annotations

import datetime
import re
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from accounts.roles import Role
from indicators.models import Actual, Indicator, Kind, Target
from indicators.selectors import indicator_year_rows
from indicators.wording import revision_label
from ise_iga_dx.lib.wareki import date_text
from spreadsheets.rows import Action, read_upload
from spreadsheets.targets import preview_targets
from spreadsheets.writer import apply_targets
from tests.factories import IndicatorFactory, PlanFactory, TargetFactory
from tests.helpers import client_for, form_data, user_with_role, xlsx

pytestmark = pytest.mark.django_db

REASON = "国の目標引き上げに合わせて上方修正"
TARGET_HEADER = ["指標コード", "年度", "目標値", "変更理由", "決定日"]
EXAMPLES = "（例：2026/9/1、令和8年9月1日、R8.9.1）"


def kgi_with_targets(plan, code: str, unit: str, targets: dict[int, str]) -> Indicator:
    indicator = IndicatorFactory(measure__policy__plan=plan, code=code, unit=unit)
    for year, value in targets.items():
        TargetFactory(indicator=indicator, fiscal_year=year, value=Decimal(value),
                      value_places=len(value.partition(".")[2]))
    return indicator


@pytest.fixture
def kgis():
    """A 「テスト市」 plan (R8–R11) and three increase KGIs with targets.

    TEST-PERCENT: R8 30.0%. TEST-COUNT: R8 160件, R9 205件. TEST-NOR11:
    R8–R10 only, no R11 target yet.
    """
    plan = PlanFactory(municipality__name="テスト市")
    return [
        kgi_with_targets(plan, "TEST-PERCENT", "%", {2026: "30.0", 2027: "50.0"}),
        kgi_with_targets(plan, "TEST-COUNT", "件", {2026: "160", 2027: "205", 2028: "230"}),
        kgi_with_targets(plan, "TEST-NOR11", "人", {2026: "40000", 2027: "45000",
                                                   2028: "50000"}),
    ]


@pytest.fixture
def office(kgis):
    municipality = kgis[0].plan.municipality.code
    return user_with_role(Role.OFFICE, municipality=municipality, username="test-office")


@pytest.fixture
def office_client(office):
    return client_for(office)


def change_url(code: str) -> str:
    return reverse("admin:indicators_indicator_change",
                   args=[Indicator.objects.get(code=code).pk])


def text(response) -> str:
    return re.sub(r"\s+", " ", response.content.decode())


def post_target(client, code: str, year: int, value: str, reason: str = "",
                decided_on: str = ""):
    """Post the KGI page with one target row changed, as the office would."""
    url = change_url(code)
    data = form_data(client.get(url).content.decode())
    year_field = next(key for key, typed in data.items()
                      if re.fullmatch(r"targets-\d+-fiscal_year", key) and typed == str(year))
    prefix = year_field.removesuffix("fiscal_year")
    data.update({f"{prefix}value": value, f"{prefix}change_reason": reason,
                 f"{prefix}decided_on": decided_on})
    return client.post(url, data)


def target(code: str, year: int) -> Target:
    return Target.objects.get(indicator__code=code, fiscal_year=year)


def last_history(obj: Target):
    return obj.history.order_by("-history_date", "-history_id").first()


# The admin's KGI page -----------------------------------------------------


@pytest.mark.parametrize(
    ("reason", "decided_on", "message"),
    [
        ("", "2026-06-01", "目標値を変更するときは変更理由を入力してください。"),
        (REASON, "", "目標値を変更するときは決定日を入力してください。"),
        ("   ", "", "目標値を変更するときは変更理由を入力してください。"),
        (REASON, "2099-01-01", "決定日（2099-01-01）が未来の日付です。"),
        (REASON, "2026-13-40", "日付を正しく入力してください。"),
    ],
    ids=["no-reason", "no-date", "blank-reason", "future-date", "bad-date"],
)
def test_changing_a_target_without_reason_or_date_is_a_form_error(
    office_client, reason, decided_on, message
):
    before = target("TEST-PERCENT", 2026)
    response = post_target(office_client, "TEST-PERCENT", 2026, "42.0", reason, decided_on)
    assert response.status_code == 200
    assert message in text(response)
    assert "下記のエラーを修正してください" in text(response)
    after = target("TEST-PERCENT", 2026)
    assert (after.value, after.revised_on, after.revision_reason) == (before.value, None, "")


def test_a_revision_keeps_the_original_and_evaluation_uses_the_new_target(
    office, office_client
):
    Actual.objects.create(indicator=Indicator.objects.get(code="TEST-PERCENT"),
                          fiscal_year=2026, value=Decimal(41))
    response = post_target(office_client, "TEST-PERCENT", 2026, "42.0", REASON, "2026-06-01")
    assert response.status_code == 302
    revised = target("TEST-PERCENT", 2026)
    assert f"{revised.value_as_entered:f}" == "42.0"
    assert (revised.original_value, revised.original_value_places) == (Decimal("30.0"), 1)
    assert revised.revision_reason == REASON
    assert revised.revised_on == datetime.date(2026, 6, 1)
    history = last_history(revised)
    assert history.history_change_reason == f"目標値の変更：{REASON}"
    assert history.history_user == office
    assert history.original_value == Decimal("30.0")
    # 41 ÷ 42.0 = 97.6…: the target in force, not the original 30.0 (136.7%).
    (row,) = indicator_year_rows(indicators=Indicator.objects.filter(code="TEST-PERCENT"),
                                 fiscal_year=2026)
    assert row.evaluation_label == "未達成《達成率：97.6%》"
    assert (row.target_revised, row.revision_label) == (True, "上方修正")
    assert (row.original_target_label, row.target_label) == ("30.0%", "42.0%")
    assert row.revised_on_label == "令和8年6月1日"


def test_a_second_revision_keeps_the_first_original(office_client):
    post_target(office_client, "TEST-COUNT", 2027, "210", "一度目の見直し", "2026-05-01")
    response = post_target(office_client, "TEST-COUNT", 2027, "190", "二度目の見直し",
                           "2026-07-01")
    assert response.status_code == 302
    revised = target("TEST-COUNT", 2027)
    assert (revised.value, revised.original_value) == (190, 205)
    assert (revised.revision_reason, revised.revised_on) == (
        "二度目の見直し", datetime.date(2026, 7, 1)
    )
    reasons = [record.history_change_reason for record in revised.history.order_by("history_id")]
    assert reasons[-2:] == ["目標値の変更：一度目の見直し", "目標値の変更：二度目の見直し"]
    # 190 < 205 for an increase KGI: a change, not 上方修正.
    (row,) = indicator_year_rows(indicators=Indicator.objects.filter(code="TEST-COUNT"),
                                 fiscal_year=2027)
    assert row.revision_label == "目標値変更"


def test_an_unchanged_or_new_target_needs_no_reason(office_client):
    assert not Target.objects.filter(indicator__code="TEST-NOR11", fiscal_year=2029).exists()
    url = change_url("TEST-NOR11")
    data = form_data(office_client.get(url).content.decode())
    index = int(data["targets-TOTAL_FORMS"])
    data.update({"targets-TOTAL_FORMS": str(index + 1), f"targets-{index}-fiscal_year": "2029",
                 f"targets-{index}-value": "60000"})
    assert office_client.post(url, data).status_code == 302
    added = target("TEST-NOR11", 2029)
    assert (added.value, added.original_value, added.revised_on) == (60000, None, None)
    # The same value typed with more decimals is no revision either.
    assert post_target(office_client, "TEST-NOR11", 2029, "60,000.0").status_code == 302
    assert target("TEST-NOR11", 2029).revised_on is None


def test_the_inline_shows_the_first_value_of_a_revised_target(office_client):
    post_target(office_client, "TEST-COUNT", 2027, "210", REASON, "2026-06-01")
    page = text(office_client.get(change_url("TEST-COUNT")))
    assert "変更理由（目標値を変えるとき）" in page and "決定日（目標値を変えるとき）" in page
    assert "当初 205件（令和8年6月1日 上方修正）" in page


def test_the_target_admin_page_asks_for_the_reason_too(office, office_client):
    revised = target("TEST-COUNT", 2027)
    url = reverse("admin:indicators_target_change", args=[revised.pk])
    data = form_data(office_client.get(url).content.decode())
    data["value"] = "220"
    response = office_client.post(url, data)
    assert response.status_code == 200
    assert "目標値を変更するときは変更理由を入力してください。" in text(response)
    assert target("TEST-COUNT", 2027).value == 205
    data.update({"change_reason": REASON, "decided_on": "2026-06-01"})
    assert office_client.post(url, data).status_code == 302
    revised.refresh_from_db()
    assert (revised.value, revised.original_value, revised.revision_reason) == (220, 205, REASON)
    assert last_history(revised).history_change_reason == f"目標値の変更：{REASON}"
    assert "前回の変更理由" in text(office_client.get(url))


# The targets import ---------------------------------------------------------


def preview(rows: list[list], header: list[str] = TARGET_HEADER):
    return preview_targets(sheet=read_upload(xlsx(rows, header=header), "目標値.xlsx"),
                           filename="目標値.xlsx")


def test_a_targets_file_without_the_revision_columns_cannot_change_a_target(kgis):
    result = preview([["TEST-COUNT", "R9", "210"], ["TEST-COUNT", "R8", "160"]],
                     header=["指標コード", "年度", "目標値"])
    assert [str(error) for error in result.errors] == [(
        "2行目 目標値（TEST-COUNT）：登録済みの目標値（205件）を変更するには、"
        "列「変更理由」「決定日」に変更理由と決定日を書いてください。"
    )]
    # The unchanged row alone is fine.
    result = preview([["TEST-COUNT", "R8", "160"]], header=["指標コード", "年度", "目標値"])
    assert result.ok and result.counts[Action.UNCHANGED] == 1


@pytest.mark.parametrize(
    ("reason", "decided_on", "error"),
    [
        ("", "2026/6/1",
         "2行目 変更理由（TEST-COUNT）：目標値を変更するときは変更理由を入力してください。"),
        (REASON, None, "2行目 決定日（TEST-COUNT）：目標値を変更するときは決定日を入力してください。"),
        (REASON, "来月", f"2行目 決定日（TEST-COUNT）：日付として読めません：「来月」{EXAMPLES}"),
        (REASON, "2026/2/30",
         f"2行目 決定日（TEST-COUNT）：日付として読めません：「2026/2/30」{EXAMPLES}"),
        (REASON, "2099/1/1", ("2行目 決定日（TEST-COUNT）：決定日（2099-01-01）が未来の日付です。"
                              "決定した日を入力してください。")),
    ],
    ids=["no-reason", "no-date", "not-a-date", "no-such-day", "future"],
)
def test_a_revising_row_needs_both_columns_filled(kgis, reason, decided_on, error):
    result = preview([["TEST-COUNT", "R9", "210", reason, decided_on]])
    assert [str(found) for found in result.errors] == [error]
    with pytest.raises(Exception, match="エラーのある行"):
        apply_targets(result)
    assert target("TEST-COUNT", 2027).value == 205


@pytest.mark.parametrize(
    "decided_on",
    ["2026/6/1", "2026-06-01", "2026年6月1日", "令和8年6月1日", "R8.6.1", "Ｒ８．６．１",
     datetime.datetime(2026, 6, 1)],
)
def test_the_decision_date_is_read_as_staff_write_it(kgis, decided_on):
    result = preview([["TEST-COUNT", "R9", "210", REASON, decided_on]])
    assert result.ok, [str(error) for error in result.errors]
    assert result.rows[0].revised_on == datetime.date(2026, 6, 1)


def test_a_targets_file_with_reason_and_date_records_the_revision(kgis):
    result = preview([["TEST-COUNT", "R9", "210", REASON, "2026/6/1"],
                      ["TEST-COUNT", "R8", "160", None, None]])
    assert result.ok
    assert result.summary() == "新規 0件 / 変更 1件 / 変更なし 1件 / 空欄 0件"
    assert result.rows[0].new_label == f"210件（令和8年6月1日決定。理由：{REASON}）"
    apply_targets(result)
    revised = target("TEST-COUNT", 2027)
    assert (revised.value, revised.original_value, revised.revision_reason, revised.revised_on) == (
        210, 205, REASON, datetime.date(2026, 6, 1)
    )


def test_the_admin_targets_import_records_the_revision(office_client):
    data = xlsx([["TEST-COUNT", "R9", "210", REASON, "2026/6/1"]], header=TARGET_HEADER)
    response = office_client.post(
        reverse("admin:indicators_target_import"),
        {"import_file": SimpleUploadedFile("目標値.xlsx", data), "format": "0", "resource": "0"},
    )
    assert f"210件（令和8年6月1日決定。理由：{REASON}）" in text(response)
    process = reverse("admin:indicators_target_process_import")
    office_client.post(process, form_data(response.content.decode(), action=process))
    revised = target("TEST-COUNT", 2027)
    assert (revised.value, revised.original_value, revised.revision_reason, revised.revised_on) == (
        210, 205, REASON, datetime.date(2026, 6, 1)
    )


# Labels -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "original", "value", "label"),
    [
        (Kind.INCREASE, "100", "120", "上方修正"),
        (Kind.INCREASE, "100", "90", "目標値変更"),
        (Kind.DECREASE, "10", "5", "上方修正"),
        (Kind.DECREASE, "10", "12", "目標値変更"),
        (Kind.REDUCTION, "2.0", "2.5", "上方修正"),
        (Kind.REDUCTION, "2.0", "1.5", "目標値変更"),
    ],
)
def test_revision_label_says_upward_only_for_a_more_ambitious_target(
    kind, original, value, label
):
    indicator = Indicator(kind=kind)
    revised = Target(value=Decimal(value), original_value=Decimal(original),
                     revised_on=datetime.date(2026, 6, 1))
    assert revision_label(indicator, revised) == label


@pytest.mark.parametrize(
    ("day", "label"),
    [
        (datetime.date(2026, 9, 1), "令和8年9月1日"),
        (datetime.date(2019, 5, 1), "令和元年5月1日"),
        (datetime.date(2019, 4, 30), "平成31年4月30日"),
    ],
)
def test_date_text(day, label):
    assert date_text(day) == label
