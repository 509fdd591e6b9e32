"""The edition pages (editions.views) on the shipped ise-1 plan: read, freeze, publish, withdraw.

An edition shows what was presented whatever the data does later; only the
DX office of the plan's city writes; bad input and stale pages are refused
with a message and nothing written.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.test import Client
from django.urls import reverse

from accounts.roles import Role
from editions import services, views
from editions.models import Edition, Publication
from indicators.models import Actual
from plans.models import Plan
from tests.helpers import client_for, user_with_role, visible_text

pytestmark = pytest.mark.django_db

TOKYO = ZoneInfo("Asia/Tokyo")
NOW = datetime(2026, 6, 10, 15, 0, tzinfo=TOKYO)
LATER = datetime(2026, 9, 1, 10, 0, tzinfo=TOKYO)
MEETING = "令和8年6月10日 第1回 伊勢市デジタル推進本部員会議"
LIST = reverse("editions:plan", args=["ise-1"])


@pytest.fixture
def ise1(plans) -> Plan:
    return Plan.objects.get(code="ise-1")


@pytest.fixture
def office(ise1) -> Client:
    return client_for(user_with_role(Role.OFFICE, username="ise-office"))


@pytest.fixture
def clock(monkeypatch):
    """Pin the views' clock to 令和8年6月10日 15:00."""
    monkeypatch.setattr(views, "now", lambda: NOW)


def freeze(plan: Plan, name: str = MEETING, when: datetime = NOW) -> Edition:
    return services.freeze_edition(
        plan=plan, fiscal_year=2025, meeting_name=name, meeting_date=when.date(),
        user=None, now=when,
    )


def url(name: str, edition: Edition) -> str:
    return reverse(f"editions:{name}", args=[edition.pk])


def edit_ise1_01() -> None:
    """What happens after the meeting: ISE1-01's 2025 actual and its analysis change."""
    actual = Actual.objects.get(indicator__code="ISE1-01", fiscal_year=2025)
    actual.value = Decimal("99")
    actual.analysis = "会議の後に書いた要因分析"
    actual.save()


def state() -> tuple:
    """Every row the pages can write, to show that a refusal wrote nothing."""
    return (
        list(Edition.objects.values_list("pk", "number")),
        list(Publication.objects.values_list("pk", "version", "withdrawn_at",
                                             "withdrawal_reason")),
        Edition.history.model.objects.count(), Publication.history.model.objects.count(),
    )


# Freezing and reading -------------------------------------------------------


def test_the_office_freezes_through_the_form_and_lands_on_the_edition(ise1, office, clock):
    page = office.get(LIST)
    assert page.status_code == 200
    assert "この計画の会議資料版はまだありません。" in visible_text(page)
    assert "この内容で会議資料版を作成する" in visible_text(page)
    response = office.post(LIST, {
        "fiscal_year": "2025", "meeting_name": MEETING, "meeting_date": "2026-06-10",
    }, follow=True)
    edition = Edition.objects.get()
    assert response.redirect_chain == [(url("edition", edition), 302)]
    text = visible_text(response)
    assert "を作成しました" in text
    assert "会議資料版 第1版：伊勢市デジタル行政推進ビジョン（第1期） 令和7年度（2025）" in text
    assert "令和8年6月10日 15:00" in text and "ise-office" in text
    assert edition.digest[:12] in text and "未公表" in text
    assert (edition.fiscal_year, edition.meeting_name, edition.frozen_by.username) == (
        2025, MEETING, "ise-office"
    )
    listed = visible_text(office.get(LIST))
    assert f"令和7年度（2025） 第1版 {MEETING} 令和8年6月10日 ise-office 令和8年6月10日 15:00 未公表" in listed


def test_the_edition_shows_what_was_presented_whatever_the_data_does_later(ise1, office):
    edition = freeze(ise1)
    before = office.get(url("workbook", edition))
    before_bytes = b"".join(before.streaming_content)
    edit_ise1_01()
    # The live print page has the new value; the edition's pages the old.
    live = visible_text(office.get(reverse("pages:plan_print_year", args=["ise-1", 2025])))
    assert "99件" in live
    for name in ("edition", "print", "sheet"):
        text = visible_text(office.get(url(name, edition)))
        assert "142件" in text, name
        assert "99件" not in text, name
    sheet = visible_text(office.get(url("sheet", edition)))
    assert "会議の後に書いた要因分析" not in sheet
    assert f"会議資料版（第1版・{MEETING}）" in sheet
    assert f"会議資料版（第1版・{MEETING}）" in visible_text(office.get(url("print", edition)))
    # The 評価表: the stored bytes, before and after the edit, with the stored name.
    after = office.get(url("workbook", edition))
    after_bytes = b"".join(after.streaming_content)
    stored = Edition.objects.get(pk=edition.pk)
    assert after_bytes == before_bytes == bytes(stored.workbook)
    assert after["Content-Type"] == (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    assert "filename*=utf-8''" in after["Content-Disposition"]
    assert services.digest_of(stored) == stored.digest


def test_the_second_edition_marks_and_lists_what_changed(ise1, office):
    first = freeze(ise1)
    assert "前回の版はありません（第1版）" in visible_text(office.get(url("changes", first)))
    edit_ise1_01()
    second = freeze(ise1, name="第2回", when=LATER)
    for name in ("print", "sheet", "edition"):
        text = visible_text(office.get(url(name, second)))
        assert text.count("◆変更あり") == 1, name
        assert "変更点の一覧：No.1 ISE1-01（実績値・評価・要因分析）" in text, name
    changes = visible_text(office.get(url("changes", second)))
    assert "第1版（" + MEETING + "）から変わった指標：1件" in changes
    assert "実績値 142件 99件" in changes
    assert "評価 達成《達成率：118.3%》 未達成《達成率：82.5%》" in changes
    assert "要因分析 （未記入） 会議の後に書いた要因分析" in changes
    assert "ISE1-02" not in changes
    # The first edition is now superseded, on its page and in the list.
    assert "差し替え済み： 第2版（第2回） があります。" in visible_text(
        office.get(url("edition", first))
    )
    assert "差し替え済み（第2版あり）" in visible_text(office.get(LIST))
    third = freeze(ise1, name="第3回", when=LATER)
    assert "第2版（第2回）から変更はありません。" in visible_text(
        office.get(url("changes", third))
    )


def test_publishing_and_withdrawing_through_the_page(ise1, office, clock):
    edition = freeze(ise1)
    response = office.post(url("publish", edition), {"with_comments": "on", "in_force": 0},
                           follow=True)
    publication = Publication.objects.get()
    assert publication.in_force and publication.with_comments
    text = visible_text(response)
    assert "を公表しました（取組状況・要因分析・今後の方向性を含む）。" in text
    assert "公表中（令和8年6月10日から）" in text
    # Publishing again: the service's refusal, as a message.
    again = office.post(url("publish", edition), {"in_force": publication.pk}, follow=True)
    assert "すでに公表中です" in visible_text(again)
    # A page without what it showed (an old tab): reopen, nothing done.
    blind = office.post(url("publish", edition), {}, follow=True)
    assert "ページを開き直してから" in visible_text(blind)
    assert Publication.objects.count() == 1
    page = office.get(url("edition", edition)).content.decode()
    assert f'name="version" value="{publication.version}"' in page
    response = office.post(url("withdraw", edition), {
        "publication": publication.pk, "version": publication.version,
        "reason": "数値の誤りが見つかったため",
    }, follow=True)
    publication.refresh_from_db()
    assert not publication.in_force
    assert publication.withdrawal_reason == "数値の誤りが見つかったため"
    assert "取下げ（令和8年6月10日、理由：数値の誤りが見つかったため）" in visible_text(response)
    assert "取下げ（令和8年6月10日、理由：数値の誤りが見つかったため）" in visible_text(
        office.get(LIST)
    )


def test_a_publish_page_opened_before_another_edition_was_published_is_refused(ise1, office,
                                                                               clock):
    first, second = freeze(ise1), freeze(ise1, name="第2回")
    stale = office.get(url("edition", first)).content.decode()
    assert 'name="in_force" value="0"' in stale
    office.post(url("publish", second), {"in_force": 0})
    response = office.post(url("publish", first), {"in_force": 0}, follow=True)
    assert "この年度の公表が変わっています（いま：第2版が公表中）" in visible_text(response)
    assert Publication.objects.get(withdrawn_at__isnull=True).edition == second
    fresh = visible_text(office.get(url("edition", first)))
    assert "この年度は第2版が公表中です" in fresh.replace(" ", "")


# Bad input --------------------------------------------------------------------


@pytest.mark.parametrize(("typed", "message"), [
    ({"meeting_name": "   "}, "会議名を入力してください。"),
    ({"meeting_name": "x" * 201}, "会議名は200文字以内で入力してください。"),
    ({"fiscal_year": "2031"}, "年度：選べない年度です。"),
    ({"fiscal_year": "二〇二五"}, "年度：選べない年度です。"),
    ({"meeting_date": "2026-02-30"}, "会議の日付を 2027-06-10 または 令和9年6月10日 の形で"),
    ({"meeting_date": ""}, "会議の日付を入力してください。"),
])
def test_bad_freeze_input_shows_the_form_again_and_writes_nothing(ise1, office, typed, message):
    data = {"fiscal_year": "2025", "meeting_name": "第1回会議", "meeting_date": "2026-06-10",
            **typed}
    response = office.post(LIST, data)
    assert response.status_code == 200
    text = visible_text(response)
    assert message in text
    assert "何も作成していません" in text
    assert not Edition.objects.exists()
    assert not Edition.history.model.objects.exists()
    if typed.get("meeting_name", "").strip():
        assert f'value="{typed["meeting_name"]}"' in response.content.decode()


def test_a_freeze_refused_by_the_service_shows_its_message(ise1, office, monkeypatch):
    def refuse(**kwargs):
        raise services.EditionRefused("この計画はいま作成できません。")

    monkeypatch.setattr(services, "freeze_edition", refuse)
    response = office.post(LIST, {
        "fiscal_year": "2025", "meeting_name": "第1回会議", "meeting_date": "2026-06-10",
    })
    assert response.status_code == 200
    assert "この計画はいま作成できません。" in visible_text(response)
    assert 'value="第1回会議"' in response.content.decode()


@pytest.fixture
def published(ise1) -> Publication:
    edition = freeze(ise1)
    return services.publish_edition(edition=edition, user=None, with_comments=False, now=NOW)


@pytest.mark.parametrize(("change", "message"), [
    ({"reason": "  "}, "取り下げの理由を入力してください。"),
    ({"reason": "x" * 501}, "取り下げの理由は500文字以内で入力してください（501文字）。"),
    ({"version": "0"}, "この公表は、ページを開いた後に変更されています。"),
    ({"version": "abc"}, "ページの情報が足りないか古くなっています。"),
    ({"publication": "999999"}, "ページの情報が足りないか古くなっています。"),
])
def test_a_bad_withdrawal_is_refused_and_writes_nothing(published, office, change, message):
    before = state()
    data = {"publication": published.pk, "version": published.version,
            "reason": "理由", **change}
    response = office.post(url("withdraw", published.edition), data)
    assert response.status_code == 200
    assert message in visible_text(response)
    assert state() == before
    if change.get("reason", "").strip():
        assert change["reason"] in response.content.decode()


def test_a_withdrawal_from_a_page_shown_before_another_change_is_refused(published, office):
    page_version = published.version
    services.withdraw_publication(publication=published, seen_version=page_version, user=None,
                                  reason="先に取り下げ", now=NOW)
    before = state()
    response = office.post(url("withdraw", published.edition), {
        "publication": published.pk, "version": page_version, "reason": "後から取り下げ",
    })
    assert "ページを開いた後に変更されています" in visible_text(response)
    assert state() == before


# Who may do what ---------------------------------------------------------------


def edition_urls(edition: Edition) -> list[str]:
    return [LIST] + [url(name, edition) for name in
                     ("edition", "print", "sheet", "workbook", "changes")]


def posts(edition: Edition, publication: Publication) -> list[tuple[str, dict]]:
    return [
        (LIST, {"fiscal_year": "2025", "meeting_name": "会議", "meeting_date": "2026-06-10"}),
        (url("publish", edition), {"in_force": 0}),
        (url("withdraw", edition), {"publication": publication.pk,
                                    "version": publication.version, "reason": "理由"}),
    ]


def test_a_viewer_reads_every_page_but_may_not_write(published):
    viewer = client_for(user_with_role(Role.VIEWER))
    edition = published.edition
    for address in edition_urls(edition):
        assert viewer.get(address).status_code == 200, address
    text = visible_text(viewer.get(url("edition", edition)))
    assert "公表する" not in text and "取り下げる" not in text
    assert "この内容で会議資料版を作成する" not in visible_text(viewer.get(LIST))
    before = state()
    for address, data in posts(edition, published):
        assert viewer.post(address, data).status_code == 403, address
    assert state() == before


@pytest.mark.parametrize("who", ["department", "other-city-office"])
def test_a_department_or_another_city_gets_404_everywhere(published, who):
    if who == "department":
        user = user_with_role(Role.DEPARTMENT, departments=("デジタル政策課",))
    else:
        user = user_with_role(Role.OFFICE, municipality="iga")
    client = client_for(user)
    edition = published.edition
    for address in edition_urls(edition):
        assert client.get(address).status_code == 404, address
    before = state()
    for address, data in posts(edition, published):
        assert client.post(address, data).status_code == 404, address
    assert state() == before


def test_anonymous_is_sent_to_login(published):
    client = Client()
    edition = published.edition
    for address in edition_urls(edition):
        response = client.get(address)
        assert response.status_code == 302 and "/login/" in response["Location"], address
    before = state()
    for address, data in posts(edition, published):
        assert client.post(address, data).status_code == 302, address
    assert state() == before


def test_the_system_administrator_may_freeze(ise1, clock):
    system = client_for(user_with_role(Role.SYSTEM, municipality=None, username="kanri"))
    response = system.post(LIST, {
        "fiscal_year": "2025", "meeting_name": "会議", "meeting_date": "令和8年6月10日",
    })
    assert response.status_code == 302
    assert Edition.objects.get().meeting_date.isoformat() == "2026-06-10"


def test_an_unknown_edition_or_plan_is_404(ise1, office):
    assert office.get(reverse("editions:edition", args=[2**63])).status_code == 404
    assert office.get(reverse("editions:edition", args=[12345])).status_code == 404
    assert office.get(reverse("editions:plan", args=["no-such-plan"])).status_code == 404


# Queries ----------------------------------------------------------------------


@pytest.mark.parametrize("editions", [1, 4])
def test_the_list_runs_a_fixed_number_of_queries(ise1, office, editions,
                                                 django_assert_num_queries):
    for number in range(editions):
        edition = freeze(ise1, name=f"第{number + 1}回")
        services.publish_edition(edition=edition, user=None, with_comments=False, now=NOW)
    office.get(LIST)
    # Session, user and scope; the plan; may the login freeze, its default
    # year; editions, their publications, each year's latest number. The
    # same for one edition as for four.
    with django_assert_num_queries(11):
        office.get(LIST)
