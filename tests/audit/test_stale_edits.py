"""Two people, one row: a save based on what another has changed since is refused.

Each test opens a page as one user, lets another change the same row and
saves the first page as it was: the save is refused with who changed what
(and when), the page keeps what the first user typed, and the other
user's change stays. Rules of the workflow, on factory data.
"""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from django.db import transaction
from django.urls import reverse

from audit.versions import StaleEdit
from indicators.models import Actual, Target
from plans.models import Measure
from tests.factories import ActualFactory, TargetFactory
from tests.helpers import client_for, form_data, visible_text

pytestmark = pytest.mark.django_db

SAVE = {"_save": "保存"}
REENTER = "入力した内容は保存していません（画面に残しています）。"
WHEN = r"令和\d+年\d+月\d+日 \d\d:\d\d"


def opened(client, url: str) -> dict:
    """The page's form as the browser holds it when opened."""
    response = client.get(url)
    assert response.status_code == 200
    return form_data(response.content.decode())


def actual_url(actual: Actual) -> str:
    return reverse("admin:indicators_actual_change", args=[actual.pk])


def kgi_url(kgi) -> str:
    return reverse("admin:indicators_indicator_change", args=[kgi.pk])


def assert_refused(response, *, who: str, fields: str) -> str:
    assert response.status_code == 200
    shown = visible_text(response)
    assert re.search(
        f"このページを開いた後に{who}さんが{WHEN}に変更しました（変更された項目：{fields}）。", shown
    ), shown
    assert REENTER in shown
    return response.content.decode()


def test_a_stale_actual_page_is_refused_and_keeps_what_was_typed(
    office, department_user, entered
):
    url = actual_url(entered)
    mine, theirs = opened(client_for(office), url), opened(client_for(department_user), url)
    theirs.update(value="50", **SAVE)
    assert client_for(department_user).post(url, theirs).status_code == 302

    mine.update(value="61", progress="事務局が追記した取組状況", **SAVE)
    html = assert_refused(client_for(office).post(url, mine), who="dept-user", fields="実績値")
    assert 'value="61"' in html and "事務局が追記した取組状況" in html
    entered.refresh_from_db()
    assert (entered.value, entered.progress) == (Decimal(50), "")


def test_the_refused_page_can_be_saved_after_opening_it_again(office, colleague, entered):
    url = actual_url(entered)
    stale = opened(client_for(office), url)
    Actual.objects.get(pk=entered.pk).save()  # another write, by any path
    stale.update(value="61", **SAVE)
    assert client_for(office).post(url, stale).status_code == 200
    fresh = opened(client_for(office), url)
    fresh.update(value="61", **SAVE)
    assert client_for(office).post(url, fresh).status_code == 302
    entered.refresh_from_db()
    assert entered.value == Decimal(61)


def test_a_form_posted_without_the_version_it_showed_is_refused(office, entered):
    url = actual_url(entered)
    data = opened(client_for(office), url)
    del data["seen_version"]
    data.update(value="61", **SAVE)
    assert client_for(office).post(url, data).status_code == 200
    entered.refresh_from_db()
    assert entered.value == Decimal(40)


def test_a_stale_kgi_page_changing_only_a_target_keeps_the_colleagues_item(
    office, colleague, kgi
):
    """As found: a stale KGI page that changed only a target reverted the new item text."""
    target = TargetFactory(indicator=kgi, fiscal_year=2027, value=Decimal(10))
    url = kgi_url(kgi)
    mine, theirs = opened(client_for(office), url), opened(client_for(colleague), url)
    theirs.update(item="同僚が直した項目", **SAVE)
    assert client_for(colleague).post(url, theirs).status_code == 302

    mine.update({"targets-0-value": "12", "targets-0-change_reason": "国の目標に合わせる",
                 "targets-0-decided_on": "2026-09-01", **SAVE})
    assert_refused(client_for(office).post(url, mine), who="office-b", fields="項目（KGI）")
    kgi.refresh_from_db()
    target.refresh_from_db()
    assert (kgi.item, target.value) == ("同僚が直した項目", Decimal(10))


def test_a_stale_row_on_the_kgi_page_refuses_the_page(office, department_user, kgi, entered):
    url = kgi_url(kgi)
    mine = opened(client_for(office), url)
    theirs = opened(client_for(department_user), actual_url(entered))
    theirs.update(value="50", **SAVE)
    assert client_for(department_user).post(actual_url(entered), theirs).status_code == 302

    mine.update({"actuals-0-value": "45", **SAVE})
    assert_refused(client_for(office).post(url, mine), who="dept-user", fields="実績値")
    entered.refresh_from_db()
    assert entered.value == Decimal(50)


def test_a_stale_row_deleted_on_the_kgi_page_is_kept(office, department_user, kgi, entered):
    url = kgi_url(kgi)
    mine = opened(client_for(office), url)
    theirs = opened(client_for(department_user), actual_url(entered))
    theirs.update(value="50", **SAVE)
    assert client_for(department_user).post(actual_url(entered), theirs).status_code == 302

    mine.update({"actuals-0-DELETE": "on", **SAVE})
    assert_refused(client_for(office).post(url, mine), who="dept-user", fields="実績値")
    assert Actual.objects.filter(pk=entered.pk).exists()


def test_saving_a_kgi_page_for_its_rows_leaves_the_kgi_itself_alone(office, colleague, kgi):
    """Its version stays: a colleague's open page of the KGI is not made stale by it."""
    TargetFactory(indicator=kgi, fiscal_year=2027, value=Decimal(10))
    url = kgi_url(kgi)
    version, records = kgi.version, kgi.history.count()
    data = opened(client_for(office), url)
    data.update({"targets-0-value": "12", "targets-0-change_reason": "国の目標に合わせる",
                 "targets-0-decided_on": "2026-09-01", **SAVE})
    assert client_for(office).post(url, data).status_code == 302
    kgi.refresh_from_db()
    assert (kgi.version, kgi.history.count()) == (version, records)
    assert Target.objects.get(indicator=kgi, fiscal_year=2027).value == Decimal(12)


def test_a_stale_target_page_is_refused(office, colleague, kgi):
    target = TargetFactory(indicator=kgi, fiscal_year=2027, value=Decimal(10))
    url = reverse("admin:indicators_target_change", args=[target.pk])
    mine, theirs = opened(client_for(office), url), opened(client_for(colleague), url)
    revision = {"change_reason": "見直し", "decided_on": "2026-09-01", **SAVE}
    theirs.update(value="11", **revision)
    assert client_for(colleague).post(url, theirs).status_code == 302
    mine.update(value="13", **revision)
    assert_refused(client_for(office).post(url, mine), who="office-b",
                   fields="目標値、当初目標値、変更理由、変更の決定日")
    target.refresh_from_db()
    assert target.value == Decimal(11)


def test_a_stale_measure_page_is_refused(office, colleague, kgi):
    url = reverse("admin:plans_measure_change", args=[kgi.measure.pk])
    mine, theirs = opened(client_for(office), url), opened(client_for(colleague), url)
    theirs.update(title="同僚の施策名", **SAVE)
    assert client_for(colleague).post(url, theirs).status_code == 302
    mine.update(title="私の施策名", **SAVE)
    assert_refused(client_for(office).post(url, mine), who="office-b", fields="施策")
    assert Measure.objects.get(pk=kgi.measure.pk).title == "同僚の施策名"


def test_a_row_changed_after_its_delete_page_was_opened_is_kept(office, department_user, entered):
    url = reverse("admin:indicators_actual_delete", args=[entered.pk])
    page = client_for(office).get(url).content.decode()
    seen = re.search(r'name="seen_version" value="(\d+)"', page).group(1)
    theirs = opened(client_for(department_user), actual_url(entered))
    theirs.update(value="50", **SAVE)
    assert client_for(department_user).post(actual_url(entered), theirs).status_code == 302

    response = client_for(office).post(url, {"post": "yes", "seen_version": seen}, follow=True)
    assert re.search(f"このページを開いた後にdept-userさんが{WHEN}に変更しました（変更された項目：実績値）",
                     visible_text(response))
    assert Actual.objects.filter(pk=entered.pk, value=Decimal(50)).exists()
    # Opened again, the page deletes it.
    page = client_for(office).get(url).content.decode()
    seen = re.search(r'name="seen_version" value="(\d+)"', page).group(1)
    assert client_for(office).post(url, {"post": "yes", "seen_version": seen}).status_code == 302
    assert not Actual.objects.filter(pk=entered.pk).exists()


# Confirming and reopening ---------------------------------------------------


def confirm_page(client, actual: Actual) -> tuple[str, dict]:
    url = reverse("admin:indicators_actual_confirm", args=[actual.pk])
    page = client.get(url)
    assert "次の実績値を確定します" in visible_text(page)
    return url, {"seen": re.findall(r'name="seen" value="([^"]+)"', page.content.decode())}


def test_the_confirm_page_never_confirms_a_value_it_did_not_show(
    office, department_user, entered
):
    """As found: the page showed one value and confirmed another changed in between."""
    url, shown = confirm_page(client_for(office), entered)
    theirs = opened(client_for(department_user), actual_url(entered))
    theirs.update(value="55", **SAVE)
    assert client_for(department_user).post(actual_url(entered), theirs).status_code == 302

    response = client_for(office).post(url, shown, follow=True)
    assert re.search(f"このページを開いた後にdept-userさんが{WHEN}に変更しました", visible_text(response))
    entered.refresh_from_db()
    assert (entered.value, entered.confirmed) == (Decimal(55), False)


def test_confirming_from_the_list_shows_the_rows_first_and_confirms_what_was_shown(
    office, department_user, entered
):
    changelist = reverse("admin:indicators_actual_changelist")
    client = client_for(office)
    page = client.post(changelist, {"action": "confirm_selected",
                                    "_selected_action": [entered.pk]})
    assert "次の実績値を確定します" in visible_text(page) and "40" in visible_text(page)
    entered.refresh_from_db()
    assert not entered.confirmed
    shown = form_data(page.content.decode(), action=changelist)
    stale = Actual.objects.get(pk=entered.pk)
    stale.value = Decimal(71)
    stale.save()  # a real write: the version moves
    response = client.post(changelist, shown, follow=True)
    assert re.search(f"このページを開いた後にシステムが{WHEN}に変更しました（変更された項目：実績値）",
                     visible_text(response))
    entered.refresh_from_db()
    assert not entered.confirmed

    page = client.post(changelist, {"action": "confirm_selected",
                                    "_selected_action": [entered.pk]})
    response = client.post(changelist, form_data(page.content.decode(), action=changelist),
                           follow=True)
    assert "1件の実績値を確定しました" in visible_text(response)
    entered.refresh_from_db()
    assert (entered.value, entered.confirmed) == (Decimal(71), True)


def test_a_stale_reopen_is_refused(office, colleague, kgi):
    actual = ActualFactory(indicator=kgi, fiscal_year=2026, value=Decimal(30), confirmed=True)
    url = reverse("admin:indicators_actual_reopen", args=[actual.pk])
    page = client_for(office).get(url)
    shown = re.findall(r'name="seen" value="([^"]+)"', page.content.decode())
    theirs = client_for(colleague).get(url)
    their_seen = re.findall(r'name="seen" value="([^"]+)"', theirs.content.decode())
    assert client_for(colleague).post(
        url, {"reason": "同僚の理由", "seen": their_seen}
    ).status_code == 302
    response = client_for(office).post(url, {"reason": "私の理由", "seen": shown}, follow=True)
    assert re.search(f"このページを開いた後にoffice-bさんが{WHEN}に変更しました（変更された項目：確定",
                     visible_text(response))
    assert actual.history.filter(history_change_reason="確定取消：私の理由").count() == 0


# The model: compare-and-set on every ORM save ---------------------------------


def test_two_saves_of_one_row_cannot_both_land(entered):
    first, second = Actual.objects.get(pk=entered.pk), Actual.objects.get(pk=entered.pk)
    first.value = Decimal(1)
    first.save()
    second.value = Decimal(2)
    with pytest.raises(StaleEdit), transaction.atomic():
        second.save()
    entered.refresh_from_db()
    assert (entered.value, entered.version) == (Decimal(1), first.version)
    assert second.version == first.version - 1


def test_every_save_raises_the_version_and_the_history_records_it(entered):
    version = entered.version
    entered.value = Decimal(41)
    entered.save()
    entered.refresh_from_db()
    assert entered.version == version + 1
    assert entered.history.order_by("-history_id").first().version == version + 1
