"""The confirm step: actuals are 入力中 until the DX office confirms them (確定).

A confirmed actual is locked, for everyone and on every path (admin page,
the KGI page's rows, imports), until DX推進担当 reopens it with a reason.
"""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from django.contrib import admin
from django.contrib.messages import get_messages
from django.contrib.messages.storage.fallback import FallbackStorage
from django.test import RequestFactory
from django.urls import reverse

from accounts.roles import Role
from indicators.models import Actual, Indicator
from indicators.services import actuals_confirm
from plans.models import Department, Measure, Municipality, Plan
from spreadsheets.actuals import preview_actuals
from spreadsheets.rows import read_upload
from spreadsheets.writer import apply_actuals
from tests.helpers import client_for, form_data, user_with_role, xlsx

pytestmark = pytest.mark.django_db

CHANGELIST = "admin:indicators_actual_changelist"
LOCKED = "確定済みのため変更できません。変更するには DX推進担当が確定を取り消してください。"
REASON = "集計の誤りが見つかったため"


@pytest.fixture
def office(plans):
    return user_with_role(Role.OFFICE, municipality="ise", username="ise-office")


@pytest.fixture
def department_user(plans):
    """An Ise department user whose department owns ISE2-01's measure."""
    department = Department.objects.get(municipality__code="ise", name="デジタル政策課")
    department.measures.add(Indicator.objects.get(code="ISE2-01").measure)
    return user_with_role(Role.DEPARTMENT, municipality="ise", departments=("デジタル政策課",),
                          username="ise-department")


@pytest.fixture
def iga_office(plans):
    return user_with_role(Role.OFFICE, municipality="iga", username="iga-office")


@pytest.fixture
def entered(plans) -> Actual:
    """An R8 actual a department has entered: 入力中."""
    return Actual.objects.create(indicator=Indicator.objects.get(code="ISE2-01"),
                                 fiscal_year=2026, value=Decimal("42.5"), value_places=1)


@pytest.fixture
def confirmed(plans) -> Actual:
    """ISE1-01's R7 actual, published in the document: confirmed."""
    actual = Actual.objects.get(indicator__code="ISE1-01", fiscal_year=2025)
    assert actual.confirmed
    return actual


def text(response) -> str:
    return re.sub(r"\s+", " ", response.content.decode())


def run_action(client, action: str, *actuals: Actual, **extra: str):
    return client.post(reverse(CHANGELIST), {
        "action": action, "_selected_action": [str(actual.pk) for actual in actuals], **extra,
    }, follow=True)


def last_history(actual: Actual):
    return actual.history.order_by("-history_date", "-history_id").first()


# Confirming -----------------------------------------------------------------


def test_new_actuals_are_entered_unconfirmed(office, entered):
    assert not entered.confirmed and entered.confirmed_at is None


def test_the_office_confirms_selected_actuals(office, entered):
    response = run_action(client_for(office), "confirm_selected", entered)
    assert "1件の実績値を確定しました：ISE2-01 R8" in text(response)
    entered.refresh_from_db()
    assert entered.confirmed and entered.confirmed_by == office
    assert entered.confirmed_at is not None
    history = last_history(entered)
    assert (history.history_change_reason, history.history_user, history.confirmed) == (
        "確定", office, True
    )
    # The list says so, and filters by it.
    listing = text(client_for(office).get(reverse(CHANGELIST), {"confirmed": "yes"}))
    assert "確定状況" in listing and "確定（令和" in listing and "・ise-office）" in listing


def test_confirming_an_already_confirmed_actual_changes_nothing(office, confirmed):
    before = confirmed.history.count()
    response = run_action(client_for(office), "confirm_selected", confirmed)
    assert "確定済みの1件はそのままです" in text(response)
    assert confirmed.history.count() == before


def test_confirm_writes_a_fixed_number_of_queries(office, django_assert_num_queries, plans):
    indicator = Indicator.objects.get(code="ISE2-01")
    actuals = [Actual(indicator=indicator, fiscal_year=year, value=Decimal(1))
               for year in (2026, 2027, 2028, 2029)]
    Actual.objects.bulk_create(actuals)
    rows = list(Actual.objects.filter(indicator=indicator))
    # Savepoint, the update, the history rows, savepoint release.
    with django_assert_num_queries(4):
        outcome = actuals_confirm(actuals=rows, user=office)
    assert len(outcome.changed) == 4


def test_a_department_user_can_neither_confirm_nor_reopen(department_user, entered, confirmed):
    client = client_for(department_user)
    listing = client.get(reverse(CHANGELIST)).content.decode()
    assert 'value="confirm_selected"' not in listing
    assert 'value="reopen_selected"' not in listing
    run_action(client, "confirm_selected", entered)
    entered.refresh_from_db()
    assert not entered.confirmed
    for name in ("confirm", "reopen"):
        url = reverse(f"admin:indicators_actual_{name}", args=[entered.pk])
        assert client.get(url).status_code == 403
        assert client.post(url, {"reason": REASON}).status_code == 403
    entered.refresh_from_db()
    assert not entered.confirmed
    # Its own actual's page offers neither.
    page = text(client.get(reverse("admin:indicators_actual_change", args=[entered.pk])))
    assert "この実績値を確定する" not in page and "確定を取り消す" not in page


def test_another_citys_office_finds_nothing_to_confirm(iga_office, entered):
    client = client_for(iga_office)
    url = reverse("admin:indicators_actual_confirm", args=[entered.pk])
    assert client.get(url).status_code == 404
    assert client.post(url).status_code == 404
    run_action(client, "confirm_selected", entered)
    entered.refresh_from_db()
    assert not entered.confirmed


def test_rows_outside_the_managed_plans_are_skipped_with_a_message(office, entered):
    """The action's own check, for a selection wider than the user's plans."""
    iga = Plan.objects.get(code="iga-2")
    measure = Measure.objects.filter(policy__plan=iga).first()
    kgi = Indicator.objects.create(plan=iga, measure=measure, code="IGA2-90", position=90,
                                   item="テスト指標", unit="件")
    outside = Actual.objects.create(indicator=kgi, fiscal_year=2026, value=Decimal(1))
    request = RequestFactory().post("/")
    request.user = office
    request.session = {}
    request._messages = FallbackStorage(request)
    model_admin = admin.site.get_model_admin(Actual)
    model_admin.confirm_selected(request, Actual.objects.filter(pk__in=[entered.pk, outside.pk]))
    shown = [str(message) for message in get_messages(request)]
    assert "1件の実績値を確定しました：ISE2-01 R8" in shown
    assert "担当外の計画の実績値1件は変更しませんでした：IGA2-90 R8" in shown
    outside.refresh_from_db()
    assert not outside.confirmed
    assert Municipality.objects.get(code="iga") == kgi.plan.municipality


def test_one_actual_is_confirmed_from_its_own_page(office, entered):
    client = client_for(office)
    page = client.get(reverse("admin:indicators_actual_change", args=[entered.pk]))
    confirm = reverse("admin:indicators_actual_confirm", args=[entered.pk])
    assert confirm in page.content.decode() and "この実績値を確定する" in text(page)
    assert "次の実績値を確定します" in text(client.get(confirm))
    response = client.post(confirm, follow=True)
    assert "1件の実績値を確定しました" in text(response)
    entered.refresh_from_db()
    assert entered.confirmed


# The lock ---------------------------------------------------------------------


def test_a_confirmed_actuals_page_is_read_only_and_says_why(office, confirmed):
    client = client_for(office)
    url = reverse("admin:indicators_actual_change", args=[confirmed.pk])
    page = client.get(url)
    assert page.status_code == 200
    assert LOCKED in text(page)
    assert 'name="_save"' not in page.content.decode()
    assert reverse("admin:indicators_actual_reopen", args=[confirmed.pk]) in page.content.decode()
    data = form_data(page.content.decode())
    data.update({"indicator": str(confirmed.indicator_id), "fiscal_year": "2025",
                 "state": "measured", "value": "150", "_save": "保存"})
    assert client.post(url, data).status_code == 403
    confirmed.refresh_from_db()
    assert confirmed.value == 142


def test_a_confirmed_actual_cannot_be_deleted(office, confirmed):
    client = client_for(office)
    url = reverse("admin:indicators_actual_delete", args=[confirmed.pk])
    assert client.get(url).status_code == 403
    assert client.post(url, {"post": "yes"}).status_code == 403
    response = run_action(client, "delete_selected", confirmed, post="yes")
    assert response.status_code == 403
    assert Actual.objects.filter(pk=confirmed.pk).exists()


def test_even_the_system_administrator_cannot_change_a_confirmed_actual(admin_client_ja,
                                                                       confirmed):
    url = reverse("admin:indicators_actual_change", args=[confirmed.pk])
    assert LOCKED in text(admin_client_ja.get(url))
    assert admin_client_ja.post(url, {"value": "1"}).status_code == 403


def indicator_page_data(client, code: str) -> tuple[str, dict[str, str]]:
    url = reverse("admin:indicators_indicator_change",
                  args=[Indicator.objects.get(code=code).pk])
    return url, form_data(client.get(url).content.decode())


def actual_prefix(data: dict[str, str], year: int) -> str:
    key = next(key for key, typed in data.items()
               if re.fullmatch(r"actuals-\d+-fiscal_year", key) and typed == str(year))
    return key.removesuffix("fiscal_year")


def test_the_kgi_page_refuses_a_change_to_a_confirmed_row(office, confirmed):
    client = client_for(office)
    url, data = indicator_page_data(client, "ISE1-01")
    prefix = actual_prefix(data, 2025)
    data[f"{prefix}value"] = "150"
    response = client.post(url, data)
    assert response.status_code == 200
    page = text(response)
    assert LOCKED in page and "下記のエラーを修正してください" in page
    confirmed.refresh_from_db()
    assert confirmed.value == 142


def test_the_kgi_page_refuses_to_delete_a_confirmed_row(office, confirmed):
    client = client_for(office)
    url, data = indicator_page_data(client, "ISE1-01")
    data[f"{actual_prefix(data, 2025)}DELETE"] = "on"
    response = client.post(url, data)
    assert response.status_code == 200
    assert ("令和7年度（2025）の実績値：確定済みのため削除できません。"
            "削除するには DX推進担当が確定を取り消してください。") in text(response)
    assert Actual.objects.filter(pk=confirmed.pk).exists()


def test_the_kgi_page_saves_when_confirmed_rows_are_untouched(office, confirmed):
    client = client_for(office)
    url, data = indicator_page_data(client, "ISE1-01")
    page = client.get(url).content.decode()
    # The row says it is confirmed, linking to its own page.
    change = reverse("admin:indicators_actual_change", args=[confirmed.pk])
    assert f'<a href="{change}">確定</a>' in page
    assert client.post(url, data).status_code == 302
    # A browser sends a textarea's line breaks as CRLF: still no change.
    Actual.objects.filter(pk=confirmed.pk).update(progress="一行目\n二行目")
    url, data = indicator_page_data(client, "ISE1-01")
    data[f"{actual_prefix(data, 2025)}progress"] = "一行目\r\n二行目"
    assert client.post(url, data).status_code == 302


def test_the_kgi_page_shows_who_confirmed(office, entered):
    actuals_confirm(actuals=[entered], user=office)
    page = text(client_for(office).get(reverse(
        "admin:indicators_indicator_change", args=[entered.indicator_id]
    )))
    assert re.search(r"確定（令和\d+年\d+月\d+日・ise-office）", page)


def entry_file(rows: list[list[str]]) -> bytes:
    return xlsx(rows, header=["指標コード", "年度", "実績値"])


def test_an_import_refuses_a_changed_value_for_a_confirmed_actual(confirmed):
    result = preview_actuals(sheet=read_upload(entry_file([
        ["ISE1-01", "R7", "150"], ["ISE1-02", "R7", "9"],
    ]), "回答.xlsx"))
    messages = [str(error) for error in result.errors]
    assert messages[0] == (
        "2行目 実績値（ISE1-01）：確定済みの実績値（142件）は変更できません。"
        "変更するには DX推進担当が確定を取り消してください（値が同じ行はそのまま取り込めます）。"
    )
    assert all(error.column == "実績値" for error in result.errors)
    with pytest.raises(Exception, match="エラーのある行"):
        apply_actuals(result)
    confirmed.refresh_from_db()
    assert confirmed.value == 142


def test_an_import_accepts_the_unchanged_value_of_a_confirmed_actual(confirmed, entered):
    result = preview_actuals(sheet=read_upload(entry_file([
        ["ISE1-01", "R7", "142"], ["ISE2-01", "R8", "43.0"],
    ]), "回答.xlsx"))
    assert result.ok, [str(error) for error in result.errors]
    assert result.summary() == "新規 0件 / 変更 1件 / 変更なし 1件 / 空欄 0件"
    apply_actuals(result)
    entered.refresh_from_db()
    # A changed actual stays 入力中 until the office confirms it.
    assert entered.value == Decimal("43.0") and not entered.confirmed


# Reopening --------------------------------------------------------------------


def test_reopening_from_the_list_needs_a_reason(office, confirmed):
    client = client_for(office)
    page = run_action(client, "reopen_selected", confirmed)
    assert "確定を取り消す理由" in text(page)
    confirmed.refresh_from_db()
    assert confirmed.confirmed
    page = run_action(client, "reopen_selected", confirmed, apply="1", reason="  ")
    assert "確定を取り消す理由を入力してください。" in text(page)
    confirmed.refresh_from_db()
    assert confirmed.confirmed

    page = run_action(client, "reopen_selected", confirmed, apply="1", reason=REASON)
    assert "1件の実績値を入力中に戻しました（確定取消）" in text(page)
    confirmed.refresh_from_db()
    assert not confirmed.confirmed and confirmed.confirmed_by is None
    history = last_history(confirmed)
    assert (history.history_change_reason, history.history_user) == (f"確定取消：{REASON}", office)
    # Unlocked: the page can be saved again.
    url = reverse("admin:indicators_actual_change", args=[confirmed.pk])
    assert 'name="_save"' in client.get(url).content.decode()


def test_reopening_one_actual_from_its_page(office, confirmed):
    client = client_for(office)
    url = reverse("admin:indicators_actual_reopen", args=[confirmed.pk])
    response = client.post(url, {"reason": ""})
    assert response.status_code == 200
    assert "確定を取り消す理由を入力してください。" in text(response)
    response = client.post(url, {"reason": REASON})
    assert response.status_code == 302
    confirmed.refresh_from_db()
    assert not confirmed.confirmed
    assert last_history(confirmed).history_change_reason == f"確定取消：{REASON}"
