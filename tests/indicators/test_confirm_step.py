"""The confirm step: actuals are 入力中 until the DX office confirms them (確定).

A confirmed actual is locked, for everyone and on every path (admin page,
the KGI page's rows, imports), until DX推進担当 reopens it with a reason.

Rules of the workflow, not numbers of the documents: the city, its plan,
KGIs and actuals come from factories (tests/factories.py). Only that the
documents' published actuals load confirmed is checked on the shipped plans.
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
from spreadsheets.actuals import preview_actuals
from spreadsheets.rows import read_upload
from spreadsheets.writer import apply_actuals
from tests.factories import (
    ActualFactory,
    DepartmentFactory,
    IndicatorFactory,
    MunicipalityFactory,
    PlanFactory,
)
from tests.helpers import client_for, form_data, user_with_role, xlsx

pytestmark = pytest.mark.django_db

CHANGELIST = "admin:indicators_actual_changelist"
LOCKED = "確定済みのため変更できません。変更するには DX推進担当が確定を取り消してください。"
REASON = "集計の誤りが見つかったため"


@pytest.fixture
def city():
    return MunicipalityFactory(name="テスト市")


@pytest.fixture
def plan(city):
    """The city's plan, R8–R11."""
    return PlanFactory(municipality=city)


@pytest.fixture
def kgi(plan) -> Indicator:
    """A KGI of the plan, counted in 件, with no actuals yet."""
    return IndicatorFactory(measure__policy__plan=plan)


@pytest.fixture
def office(city):
    return user_with_role(Role.OFFICE, municipality=city.code, username="test-office")


@pytest.fixture
def department_user(city, kgi):
    """A department user of the city whose department owns the KGI's measure."""
    department = DepartmentFactory(municipality=city)
    department.measures.add(kgi.measure)
    return user_with_role(Role.DEPARTMENT, municipality=city.code,
                          departments=(department.name,), username="test-department")


@pytest.fixture
def other_city():
    return MunicipalityFactory(name="別テスト市")


@pytest.fixture
def other_office(other_city):
    return user_with_role(Role.OFFICE, municipality=other_city.code, username="other-office")


@pytest.fixture
def entered(kgi) -> Actual:
    """An R8 actual a department has entered: 入力中."""
    return ActualFactory(indicator=kgi, fiscal_year=2026, value=Decimal("42.5"), value_places=1)


@pytest.fixture
def confirmed(plan) -> Actual:
    """An R8 actual of 30件 on another KGI of the plan, confirmed as a
    document's published actual is loaded: no date, no user."""
    actual = ActualFactory(indicator__measure__policy__plan=plan, fiscal_year=2026,
                           value=Decimal(30), confirmed=True)
    assert actual.confirmed
    return actual


def test_the_documents_published_actuals_load_confirmed(plans):
    """About the documents: ISE1-01's R7 actual, published, is loaded confirmed."""
    assert Actual.objects.get(indicator__code="ISE1-01", fiscal_year=2025).confirmed


def text(response) -> str:
    return re.sub(r"\s+", " ", response.content.decode())


def seen(*actuals: Actual) -> list[str]:
    """The versions a confirmation page posts back: the rows as stored now."""
    stored = Actual.objects.in_bulk([actual.pk for actual in actuals])
    return [f"{pk}:{actual.version}" for pk, actual in stored.items()]


def run_action(client, action: str, *actuals: Actual, **extra: str):
    """Run a list action; confirming posts its confirmation page's form, as a user does."""
    data = {"action": action, "_selected_action": [str(actual.pk) for actual in actuals], **extra}
    if action == "confirm_selected" or "apply" in extra:
        data = {"apply": "1", "seen": seen(*actuals), **data}
    return client.post(reverse(CHANGELIST), data, follow=True)


def last_history(actual: Actual):
    return actual.history.order_by("-history_date", "-history_id").first()


# Confirming -----------------------------------------------------------------


def test_new_actuals_are_entered_unconfirmed(office, entered):
    assert not entered.confirmed and entered.confirmed_at is None


def test_the_office_confirms_selected_actuals(office, entered):
    response = run_action(client_for(office), "confirm_selected", entered)
    assert f"1件の実績値を確定しました：{entered.indicator.code} R8" in text(response)
    entered.refresh_from_db()
    assert entered.confirmed and entered.confirmed_by == office
    assert entered.confirmed_at is not None
    history = last_history(entered)
    assert (history.history_change_reason, history.history_user, history.confirmed) == (
        "確定", office, True
    )
    # The list says so, and filters by it.
    listing = text(client_for(office).get(reverse(CHANGELIST), {"confirmed": "yes"}))
    assert "確定状況" in listing and "確定（令和" in listing and "・test-office）" in listing


def test_confirming_an_already_confirmed_actual_changes_nothing(office, confirmed):
    before = confirmed.history.count()
    response = run_action(client_for(office), "confirm_selected", confirmed)
    assert "確定済みの1件はそのままです" in text(response)
    assert confirmed.history.count() == before


def test_confirm_writes_a_fixed_number_of_queries(office, django_assert_num_queries, kgi):
    indicator = kgi
    actuals = [Actual(indicator=indicator, fiscal_year=year, value=Decimal(1))
               for year in (2026, 2027, 2028, 2029)]
    Actual.objects.bulk_create(actuals)
    rows = list(Actual.objects.filter(indicator=indicator))
    # Savepoint, the rows locked (their versions), the rows read again as
    # locked, the update, the history rows, savepoint release.
    with django_assert_num_queries(6):
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


def test_another_citys_office_finds_nothing_to_confirm(other_office, entered):
    client = client_for(other_office)
    url = reverse("admin:indicators_actual_confirm", args=[entered.pk])
    assert client.get(url).status_code == 404
    assert client.post(url).status_code == 404
    run_action(client, "confirm_selected", entered)
    entered.refresh_from_db()
    assert not entered.confirmed


def test_rows_outside_the_managed_plans_are_skipped_with_a_message(office, entered, other_city):
    """The action's own check, for a selection wider than the user's plans."""
    kgi = IndicatorFactory(measure__policy__plan__municipality=other_city)
    outside = Actual.objects.create(indicator=kgi, fiscal_year=2026, value=Decimal(1))
    request = RequestFactory().post("/", {"apply": "1", "seen": seen(entered, outside)})
    request.user = office
    request.session = {}
    request._messages = FallbackStorage(request)
    model_admin = admin.site.get_model_admin(Actual)
    model_admin.confirm_selected(request, Actual.objects.filter(pk__in=[entered.pk, outside.pk]))
    shown = [str(message) for message in get_messages(request)]
    assert f"1件の実績値を確定しました：{entered.indicator.code} R8" in shown
    assert f"担当外の計画の実績値1件は変更しませんでした：{kgi.code} R8" in shown
    outside.refresh_from_db()
    assert not outside.confirmed
    assert other_city == kgi.plan.municipality


def test_one_actual_is_confirmed_from_its_own_page(office, entered):
    client = client_for(office)
    page = client.get(reverse("admin:indicators_actual_change", args=[entered.pk]))
    confirm = reverse("admin:indicators_actual_confirm", args=[entered.pk])
    assert confirm in page.content.decode() and "この実績値を確定する" in text(page)
    page = client.get(confirm)
    assert "次の実績値を確定します" in text(page)
    response = client.post(confirm, {"seen": seen(entered)}, follow=True)
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
    data.update({"indicator": str(confirmed.indicator_id), "fiscal_year": "2026",
                 "state": "measured", "value": "150", "_save": "保存"})
    assert client.post(url, data).status_code == 403
    confirmed.refresh_from_db()
    assert confirmed.value == 30


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
    url, data = indicator_page_data(client, confirmed.indicator.code)
    prefix = actual_prefix(data, 2026)
    data[f"{prefix}value"] = "150"
    response = client.post(url, data)
    assert response.status_code == 200
    page = text(response)
    assert LOCKED in page and "下記のエラーを修正してください" in page
    confirmed.refresh_from_db()
    assert confirmed.value == 30


def test_the_kgi_page_refuses_to_delete_a_confirmed_row(office, confirmed):
    client = client_for(office)
    url, data = indicator_page_data(client, confirmed.indicator.code)
    data[f"{actual_prefix(data, 2026)}DELETE"] = "on"
    response = client.post(url, data)
    assert response.status_code == 200
    assert ("令和8年度（2026）の実績値：確定済みのため削除できません。"
            "削除するには DX推進担当が確定を取り消してください。") in text(response)
    assert Actual.objects.filter(pk=confirmed.pk).exists()


def test_the_kgi_page_saves_when_confirmed_rows_are_untouched(office, confirmed):
    client = client_for(office)
    url, data = indicator_page_data(client, confirmed.indicator.code)
    page = client.get(url).content.decode()
    # The row says it is confirmed, linking to its own page.
    change = reverse("admin:indicators_actual_change", args=[confirmed.pk])
    assert f'<a href="{change}">確定</a>' in page
    assert client.post(url, data).status_code == 302
    # A browser sends a textarea's line breaks as CRLF: still no change.
    Actual.objects.filter(pk=confirmed.pk).update(progress="一行目\n二行目")
    url, data = indicator_page_data(client, confirmed.indicator.code)
    data[f"{actual_prefix(data, 2026)}progress"] = "一行目\r\n二行目"
    assert client.post(url, data).status_code == 302


def test_the_kgi_page_shows_who_confirmed(office, entered):
    actuals_confirm(actuals=[entered], user=office)
    page = text(client_for(office).get(reverse(
        "admin:indicators_indicator_change", args=[entered.indicator_id]
    )))
    assert re.search(r"確定（令和\d+年\d+月\d+日・test-office）", page)


def entry_file(rows: list[list[str]]) -> bytes:
    return xlsx(rows, header=["指標コード", "年度", "実績値"])


def test_an_import_refuses_a_changed_value_for_a_confirmed_actual(confirmed, kgi):
    code = confirmed.indicator.code
    result = preview_actuals(sheet=read_upload(entry_file([
        [code, "R8", "150"], [kgi.code, "R8", "9"],
    ]), "回答.xlsx"))
    messages = [str(error) for error in result.errors]
    assert messages[0] == (
        f"2行目 実績値（{code}）：確定済みの実績値（30件）は変更できません。"
        "変更するには DX推進担当が確定を取り消してください（値が同じ行はそのまま取り込めます）。"
    )
    assert all(error.column == "実績値" for error in result.errors)
    with pytest.raises(Exception, match="エラーのある行"):
        apply_actuals(result)
    confirmed.refresh_from_db()
    assert confirmed.value == 30


def test_an_import_accepts_the_unchanged_value_of_a_confirmed_actual(confirmed, entered):
    result = preview_actuals(sheet=read_upload(entry_file([
        [confirmed.indicator.code, "R8", "30"], [entered.indicator.code, "R8", "43.0"],
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
    response = client.post(url, {"reason": REASON, "seen": seen(confirmed)})
    assert response.status_code == 302
    confirmed.refresh_from_db()
    assert not confirmed.confirmed
    assert last_history(confirmed).history_change_reason == f"確定取消：{REASON}"
