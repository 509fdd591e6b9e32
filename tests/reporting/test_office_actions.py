"""The office's actions on a round through its pages: open, extend, close, return, confirm.

Each action is tried as the office would (the form the page shows, posted
back), refused when stale or out of order (the message shown, nothing
changed, never a 500), and forbidden to every other role with the exact
status code: 403 within reach, 404 out of scope, 302 to the login page.
"""

from __future__ import annotations

from datetime import date
from unittest import mock

import pytest
from django.contrib.auth import get_user_model
from django.db.models import F
from django.test import Client
from django.urls import reverse

from accounts.roles import Role
from indicators.models import Actual, Outlook
from plans.models import Plan
from reporting import services
from reporting.models import Message, Purpose, ReturnNote, Round, RoundStatus, SubmissionStatus
from tests.factories import DepartmentFactory
from tests.helpers import PASSWORD, client_for, form_data, user_with_role, visible_text
from tests.reporting.conftest import DEADLINE, OPENED
from tests.reporting.test_board import entries

pytestmark = pytest.mark.django_db

OPEN_URL = reverse("reporting:round_open")


@pytest.fixture(autouse=True)
def clock():
    """The pages' clock stands on 令和9年4月15日 (the fixture round's opening day)."""
    with mock.patch("reporting.views.office.now", return_value=OPENED) as now:
        yield now


@pytest.fixture
def office(owners):
    return client_for(owners.office)


@pytest.fixture
def digital(owners, opened):
    return opened.submissions.get(department=owners.digital)


@pytest.fixture
def residents(owners, opened):
    return opened.submissions.get(department=owners.residents)


@pytest.fixture
def submitted(owners, opened, digital):
    """デジタル政策課 has entered its three KGIs and submitted."""
    kgis = services.round_indicators(opened, owners.digital)
    services.entries_save(submission=digital, entries=entries(
        [("ISE2-01", "45.0"), ("ISE2-02", "18"), ("ISE2-03", "170")], kgis,
    ), user=owners.digital_user, seen=digital.version, now=OPENED)
    digital.refresh_from_db()
    services.submission_submit(submission=digital, user=owners.digital_user,
                               seen=digital.version, now=OPENED)
    digital.refresh_from_db()
    return digital


def ise2() -> Plan:
    return Plan.objects.get(code="ise-2")


def open_form(client) -> dict:
    response = client.get(OPEN_URL)
    assert response.status_code == 200
    return form_data(response.content.decode(), action=OPEN_URL)


# Opening a round.


@pytest.mark.parametrize("typed", ["2027-05-29", "令和9年5月29日"])
def test_office_opens_a_round_through_the_form(owners, office, typed):
    data = open_form(office)
    # April 2027: the round of fiscal 2026 on the plan that covers it.
    assert (data["plan"], data["purpose"], data["fiscal_year"]) == (
        str(ise2().pk), "actual", "2026")
    data["deadline"] = typed
    response = office.post(OPEN_URL, data, follow=True)
    round_ = Round.objects.get(plan=ise2(), fiscal_year=2026)
    assert response.redirect_chain == [(reverse("reporting:board", args=[round_.pk]), 302)]
    assert round_.deadline == DEADLINE
    assert {s.department.name for s in round_.submissions.all()} == {"デジタル政策課", "戸籍住民課"}
    assert sorted(round_.messages.values_list("to", flat=True)) == [
        "digital@city.ise.example", "residents@city.ise.example"]
    assert ("第2期 伊勢市デジタル行政推進ビジョンの令和8年度 実績報告を開始しました（提出期限 令和9年5月29日）。"
            "2課に入力を依頼し、メール2件を送信待ちとして記録しました。") in visible_text(response)


def test_an_outlook_round_beside_the_actual_round(owners, opened, office):
    response = post_open(office, purpose="outlook", deadline="令和9年5月31日")
    outlook = Round.objects.get(purpose=Purpose.OUTLOOK)
    assert response["Location"] == reverse("reporting:board", args=[outlook.pk])
    assert (outlook.title, outlook.deadline) == ("令和8年度 見込み報告", date(2027, 5, 31))
    assert Round.objects.count() == 2


def test_the_form_offers_only_the_users_plans_and_their_years(owners, office):
    html = office.get(OPEN_URL).content.decode()
    assert "第2期 伊勢市デジタル行政推進ビジョン" in html
    assert "伊勢市デジタル行政推進ビジョン（第1期）" in html
    assert "伊賀市" not in html
    assert "令和8年度（2026）" in html and "令和11年度（2029）" in html
    assert 'type="date"' in html


def post_open(client, **fields):
    data = {"plan": ise2().pk, "purpose": "actual", "fiscal_year": 2026,
            "deadline": "2027-05-29"} | fields
    return client.post(OPEN_URL, data)


@pytest.mark.parametrize(("fields", "message"), [
    ({"fiscal_year": 2025}, "令和7年度（2025）は第2期 伊勢市デジタル行政推進ビジョンの計画期間"
                            "（令和8年度（2026）～令和11年度（2029））の外です。"),
    ({"deadline": "2020-04-01"}, "提出期限（令和2年4月1日）が過去の日付です。今日以降の日付を入力してください。"),
    ({"deadline": "来年の5月"}, "日付を 2027-05-29 または 令和9年5月29日 の形で入力してください。"),
    ({"fiscal_year": 2040}, "選べない年度です。一覧にある年度を選んでください。"),
    ({"plan": "x"}, "選べない計画です。一覧にある計画を選んでください。"),
    ({"purpose": "forecast"}, "選べない種類です。実績報告か見込み報告を選んでください。"),
])
def test_a_refused_opening_says_why_and_creates_nothing(owners, office, fields, message):
    response = post_open(office, **fields)
    assert response.status_code == 200
    assert message in visible_text(response)
    assert not Round.objects.exists()
    assert not Message.objects.exists()
    # What was typed is kept.
    kept = form_data(response.content.decode(), action=OPEN_URL)
    assert kept["deadline"] == str(fields.get("deadline", "2027-05-29"))


def test_a_second_round_of_the_same_year_is_refused(owners, opened, office):
    response = post_open(office)
    assert response.status_code == 200
    assert ("第2期 伊勢市デジタル行政推進ビジョンの令和8年度 実績報告はすでにあります。"
            in visible_text(response))
    assert Round.objects.count() == 1


def test_another_citys_plan_is_an_invalid_choice(owners, office):
    iga = Plan.objects.get(code="iga-2")
    response = post_open(office, plan=iga.pk)
    assert response.status_code == 200
    assert "選べない計画です" in visible_text(response)
    assert not Round.objects.exists()


def test_a_plan_without_owners_is_refused(owners, office):
    response = post_open(office, plan=Plan.objects.get(code="ise-1").pk, fiscal_year=2025)
    assert response.status_code == 200
    assert "所管課が設定されていません" in visible_text(response)
    assert not Round.objects.exists()


# Extending and closing.


def board_form(client, round_, name: str) -> tuple[str, dict]:
    url = reverse(f"reporting:{name}", args=[round_.pk])
    html = client.get(reverse("reporting:board", args=[round_.pk])).content.decode()
    return url, form_data(html, action=url)


def test_extend_moves_the_deadline_and_tells_the_departments(owners, opened, office):
    url, data = board_form(office, opened, "round_extend")
    assert data == {"csrfmiddlewaretoken": data["csrfmiddlewaretoken"],
                    "version": str(opened.version), "deadline": "2027-05-29"}
    data["deadline"] = "2027-06-30"
    response = office.post(url, data, follow=True)
    assert response.redirect_chain[-1][0] == reverse("reporting:board", args=[opened.pk])
    assert "提出期限を令和9年6月30日に変更しました。" in visible_text(response)
    opened.refresh_from_db()
    assert opened.deadline == date(2027, 6, 30)
    assert Message.objects.filter(round=opened, kind="deadline").count() == 2


def test_a_stale_extension_is_refused_with_the_date_kept(owners, opened, office):
    url, data = board_form(office, opened, "round_extend")
    services.round_extend(round_=opened, deadline=date(2027, 6, 15), user=owners.office,
                          seen=opened.version, now=OPENED)
    data["deadline"] = "2027-07-31"
    response = office.post(url, data)
    assert response.status_code == 200
    text = visible_text(response)
    assert "「令和8年度 実績報告」は、このページを開いた後にise-officeさんが" in text
    assert "入力した内容は保存していません" in text
    opened.refresh_from_db()
    assert opened.deadline == date(2027, 6, 15)
    again = form_data(response.content.decode(), action=url)
    assert again["deadline"] == "2027-07-31"
    assert again["version"] == str(opened.version)


@pytest.mark.parametrize(("deadline", "version", "message"), [
    ("2020-01-01", None, "新しい提出期限（令和2年1月1日）が過去の日付です。"),
    ("2027-05-29", None, "提出期限が今と同じです。"),
    ("5月末", None, "日付を 2027-05-29 または 令和9年5月29日 の形で入力してください。"),
    ("2027-06-30", "abc", "ページの情報が足りないか古くなっています。"),
])
def test_a_refused_extension_changes_nothing(owners, opened, office, deadline, version, message):
    url = reverse("reporting:round_extend", args=[opened.pk])
    response = office.post(url, {"version": version or opened.version, "deadline": deadline})
    assert response.status_code == 200
    assert message in visible_text(response)
    before = opened.version
    opened.refresh_from_db()
    assert (opened.deadline, opened.version) == (DEADLINE, before)


def test_close_then_the_departments_save_is_refused(owners, opened, office, digital):
    url, data = board_form(office, opened, "round_close")
    response = office.post(url, data, follow=True)
    assert "令和8年度 実績報告を締め切りました。" in visible_text(response)
    opened.refresh_from_db()
    assert opened.status == RoundStatus.CLOSED
    kgis = services.round_indicators(opened, owners.digital)
    with pytest.raises(services.RoundRefused) as refused:
        services.entries_save(submission=digital, entries=entries([("ISE2-01", "45.0")], kgis),
                              user=owners.digital_user, seen=digital.version)
    assert "令和8年度 実績報告は締め切られました" in str(refused.value)
    assert "伊勢市の DX推進担当（伊勢市 情報戦略局 デジタル政策課）にお問い合わせください" in str(
        refused.value)
    assert not Actual.objects.filter(indicator__in=kgis, fiscal_year=2026).exists()


def test_a_stale_close_is_refused(owners, opened, office):
    url, data = board_form(office, opened, "round_close")
    services.round_extend(round_=opened, deadline=date(2027, 6, 15), user=owners.office,
                          seen=opened.version, now=OPENED)
    response = office.post(url, data, follow=True)
    assert "このページを開いた後にise-officeさんが" in visible_text(response)
    opened.refresh_from_db()
    assert opened.status == RoundStatus.OPEN


def test_closing_twice_says_it_is_closed(owners, opened, office):
    url, data = board_form(office, opened, "round_close")
    office.post(url, data)
    opened.refresh_from_db()
    response = office.post(url, {"version": opened.version}, follow=True)
    assert "令和8年度 実績報告は締め切られました" in visible_text(response)


# Returning a submission.


def return_url(submission) -> str:
    return reverse("reporting:submission_return", args=[submission.pk])


def test_the_return_page_shows_what_the_department_sent(owners, opened, office, submitted):
    response = office.get(return_url(submitted))
    assert response.status_code == 200
    text = visible_text(response)
    for code, value in (("ISE2-01", "45.0%"), ("ISE2-02", "18名"), ("ISE2-03", "170名")):
        assert f"{code}の取組" in text
        assert value in text
    kgis = services.round_indicators(opened, owners.digital)
    data = form_data(response.content.decode(), action=return_url(submitted))
    assert set(data) == {"csrfmiddlewaretoken", "version", "comment-general",
                         *(f"comment-{kgi.pk}" for kgi in kgis)}


def test_return_with_comments(owners, opened, office, submitted):
    kgis = services.round_indicators(opened, owners.digital)
    data = form_data(office.get(return_url(submitted)).content.decode(),
                     action=return_url(submitted))
    data[f"comment-{kgis[0].pk}"] = "回答数の根拠を添えてください。"
    data["comment-general"] = "全体として取組状況を具体的に。"
    response = office.post(return_url(submitted), data, follow=True)
    assert response.redirect_chain[-1][0] == reverse("reporting:board", args=[opened.pk])
    assert "デジタル政策課の提出を差し戻しました（コメント2件）。" in visible_text(response)
    submitted.refresh_from_db()
    assert submitted.status == SubmissionStatus.RETURNED
    assert set(ReturnNote.objects.values_list("indicator__code", "comment")) == {
        ("ISE2-01", "回答数の根拠を添えてください。"), (None, "全体として取組状況を具体的に。")}
    mail = Message.objects.get(kind="returned")
    assert mail.to == "digital@city.ise.example"
    assert "コメント 2件" in mail.body
    # The return page now lists the comments as earlier ones.
    submitted_again = services.submission_submit(submission=submitted, user=owners.digital_user,
                                                 seen=submitted.version)
    assert "回答数の根拠を添えてください。" in visible_text(office.get(return_url(submitted_again)))


def test_a_return_without_a_comment_is_refused(office, submitted):
    data = form_data(office.get(return_url(submitted)).content.decode(),
                     action=return_url(submitted))
    response = office.post(return_url(submitted), data)
    assert response.status_code == 200
    assert "差し戻す理由を、少なくとも1つの指標に入力してください。" in visible_text(response)
    assert not ReturnNote.objects.exists()


def test_a_stale_return_is_refused_with_the_comments_kept(owners, opened, office, submitted):
    kgis = services.round_indicators(opened, owners.digital)
    data = form_data(office.get(return_url(submitted)).content.decode(),
                     action=return_url(submitted))
    # Someone else returned it meanwhile, and the department submitted again.
    services.submission_return(submission=submitted, comments={None: "先に"},
                               user=owners.office, seen=submitted.version)
    submitted.refresh_from_db()
    services.submission_submit(submission=submitted, user=owners.digital_user,
                               seen=submitted.version)
    data[f"comment-{kgis[1].pk}"] = "人数の内訳を"
    response = office.post(return_url(submitted), data)
    assert response.status_code == 200
    text = visible_text(response)
    assert "デジタル政策課の提出は、このページを開いた後にdigitalさんが" in text
    again = form_data(response.content.decode(), action=return_url(submitted))
    assert again[f"comment-{kgis[1].pk}"] == "人数の内訳を"
    assert ReturnNote.objects.count() == 1


def test_a_submission_not_submitted_cannot_be_returned(office, residents):
    response = office.get(return_url(residents))
    assert response.status_code == 200
    assert "「未着手」の提出は差戻しできません。" in visible_text(response)
    assert 'name="comment-general"' not in response.content.decode()
    response = office.post(return_url(residents), {"version": residents.version,
                                                   "comment-general": "x"})
    assert "「未着手」の提出は差戻しできません。" in visible_text(response)
    assert not ReturnNote.objects.exists()


# Confirming a submission.


def confirm_url(submission) -> str:
    return reverse("reporting:submission_confirm", args=[submission.pk])


def confirm_form(client, opened, submission) -> dict:
    html = client.get(reverse("reporting:board", args=[opened.pk])).content.decode()
    return form_data(html, action=confirm_url(submission))


def test_confirm_from_the_board(owners, opened, office, submitted):
    data = confirm_form(office, opened, submitted)
    actuals = Actual.objects.filter(indicator__measure__departments=owners.digital,
                                    fiscal_year=2026)
    assert {key for key in data if key.startswith("actual-")} == {
        f"actual-{actual.pk}" for actual in actuals}
    response = office.post(confirm_url(submitted), data, follow=True)
    assert response.redirect_chain[-1][0] == reverse("reporting:board", args=[opened.pk])
    assert "デジタル政策課の提出を確定しました。" in visible_text(response)
    submitted.refresh_from_db()
    assert submitted.status == SubmissionStatus.CONFIRMED
    assert all(actual.confirmed for actual in actuals.all())
    assert actuals.count() == 3


def test_a_confirmation_of_a_value_changed_since_is_refused(owners, opened, office, submitted):
    data = confirm_form(office, opened, submitted)
    Actual.objects.filter(indicator__code="ISE2-02", fiscal_year=2026).update(
        version=F("version") + 1)
    response = office.post(confirm_url(submitted), data, follow=True)
    assert "ISE2-02 令和8年度（2026）の実績値は、このページを開いた後に" in visible_text(response)
    submitted.refresh_from_db()
    assert submitted.status == SubmissionStatus.SUBMITTED
    assert not Actual.objects.filter(confirmed=True, fiscal_year=2026).exists()


def test_a_stale_submission_is_not_confirmed(owners, opened, office, submitted):
    data = confirm_form(office, opened, submitted)
    services.submission_return(submission=submitted, comments={None: "先に"},
                               user=owners.office, seen=submitted.version)
    response = office.post(confirm_url(submitted), data, follow=True)
    assert "デジタル政策課の提出は、このページを開いた後に" in visible_text(response)
    submitted.refresh_from_db()
    assert submitted.status == SubmissionStatus.RETURNED
    assert not Actual.objects.filter(confirmed=True).filter(fiscal_year=2026).exists()


def test_an_actual_of_another_department_is_refused(owners, opened, office, submitted,
                                                    residents):
    kgis = services.round_indicators(opened, owners.residents)
    services.entries_save(submission=residents, entries=entries([("ISE2-13", "180")], kgis),
                          user=owners.residents_user, seen=residents.version)
    other = Actual.objects.get(indicator__code="ISE2-13", fiscal_year=2026)
    data = confirm_form(office, opened, submitted) | {f"actual-{other.pk}": other.version}
    response = office.post(confirm_url(submitted), data, follow=True)
    assert "この提出の対象ではない指標が含まれています。" in visible_text(response)
    assert not Actual.objects.filter(confirmed=True, fiscal_year=2026).exists()


def test_confirming_an_outlook_round_confirms_its_outlooks(owners, opened, office):
    round_ = services.round_open(plan=ise2(), fiscal_year=2026, deadline=DEADLINE,
                                 user=owners.office, purpose=Purpose.OUTLOOK, now=OPENED)
    submission = round_.submissions.get(department=owners.digital)
    kgis = services.round_indicators(round_, owners.digital)
    services.entries_save(submission=submission, entries=entries(
        [("ISE2-01", "41.0"), ("ISE2-02", "19"), ("ISE2-03", "150")], kgis,
    ), user=owners.digital_user, seen=submission.version, now=OPENED)
    submission.refresh_from_db()
    services.submission_submit(submission=submission, user=owners.digital_user,
                               seen=submission.version, now=OPENED)
    data = confirm_form(office, round_, submission)
    outlooks = Outlook.objects.filter(indicator__in=kgis, fiscal_year=2026)
    assert {key for key in data if key.startswith("actual-")} == {
        f"actual-{row.pk}" for row in outlooks}
    response = office.post(confirm_url(submission), data, follow=True)
    assert "デジタル政策課の提出を確定しました。" in visible_text(response)
    assert [row.confirmed for row in outlooks.all()] == [True, True, True]
    assert not Actual.objects.filter(fiscal_year=2026).exists()


@pytest.mark.parametrize("field", ["version", "actual"])
def test_a_garbled_confirmation_is_refused(owners, opened, office, submitted, field):
    data = confirm_form(office, opened, submitted)
    key = "version" if field == "version" else next(k for k in data if k.startswith("actual-"))
    data[key] = "1e3"
    response = office.post(confirm_url(submitted), data, follow=True)
    assert "ページの情報が足りないか古くなっています。" in visible_text(response)
    assert not Actual.objects.filter(confirmed=True, fiscal_year=2026).exists()


def test_a_not_submitted_submission_is_not_confirmed(office, opened, residents):
    response = office.post(confirm_url(residents), {"version": residents.version}, follow=True)
    assert "戸籍住民課：「未着手」の提出は確定できません。" in visible_text(response)


# The rounds page.


def test_the_office_lists_its_rounds(owners, opened, office, submitted):
    response = office.get(reverse("reporting:rounds"))
    text = visible_text(response)
    assert "令和8年度 実績報告 伊勢市 第2期 伊勢市デジタル行政推進ビジョン 令和9年5月29日 受付中 1／2課" in text
    assert OPEN_URL in response.content.decode()


def test_a_department_lists_its_own_submissions(owners, opened, digital):
    response = client_for(owners.digital_user).get(reverse("reporting:rounds"))
    assert response.status_code == 200
    html = response.content.decode()
    assert reverse("reporting:submission", args=[digital.pk]) in html
    residents = opened.submissions.get(department=owners.residents)
    assert reverse("reporting:submission", args=[residents.pk]) not in html
    assert "令和8年度 実績報告" in visible_text(response)
    assert "未着手" in visible_text(response)
    assert OPEN_URL not in html


def test_the_rounds_list_is_shown_a_page_at_a_time(owners, opened, office):
    """Newest year first; a page number out of range or not a number still shows a page."""
    services.round_open(plan=opened.plan, fiscal_year=2027, deadline=date(2028, 5, 31),
                        user=owners.office, now=OPENED)
    with mock.patch("reporting.board.ROUNDS_PER_PAGE", 1):
        first = visible_text(office.get(reverse("reporting:rounds")))
        second = visible_text(office.get(reverse("reporting:rounds"), {"page": "2"}))
        beyond = visible_text(office.get(reverse("reporting:rounds"), {"page": "99"}))
        garbled = visible_text(office.get(reverse("reporting:rounds"), {"page": "x'1"}))
    assert "全2件のうち 1〜1件目" in first
    assert "令和9年度 実績報告" in first and "令和8年度 実績報告" not in first
    assert "全2件のうち 2〜2件目" in second and "令和8年度 実績報告" in second
    assert beyond == second
    assert garbled == first


# Who may do what: every URL and action × role, with the exact status.

ROLES = ("システム管理者", "DX推進担当-ise", "所管課-ise", "閲覧-ise", "DX推進担当-iga",
         "所管課-iga", "権限なし", "未ログイン")
ENDPOINTS = ("一覧", "開始画面", "開始", "提出状況", "延長", "締切", "差戻し画面", "差戻し",
             "確定", "他課の差戻し画面", "他課の差戻し", "他課の確定")
# Columns in the order of ENDPOINTS. 302 is a redirect: to the board after
# an action done, to the login page for a visitor.
EXPECTED = {
    "システム管理者":  (200, 200, 302, 200, 302, 302, 200, 302, 302, 200, 200, 302),
    "DX推進担当-ise": (200, 200, 302, 200, 302, 302, 200, 302, 302, 200, 200, 302),
    "所管課-ise":     (200, 403, 403, 403, 403, 403, 403, 403, 403, 404, 404, 404),
    "閲覧-ise":       (403, 403, 403, 403, 403, 403, 403, 403, 403, 403, 403, 403),
    "DX推進担当-iga": (200, 200, 200, 404, 404, 404, 404, 404, 404, 404, 404, 404),
    "所管課-iga":     (200, 403, 403, 404, 404, 404, 404, 404, 404, 404, 404, 404),
    "権限なし":        (403, 403, 403, 404, 404, 404, 404, 404, 404, 404, 404, 404),
    "未ログイン":      (302, 302, 302, 302, 302, 302, 302, 302, 302, 302, 302, 302),
}
# The cells whose request changes the database; every other leaves it as it was
# (the office's return and confirmation of 戸籍住民課, not submitted, are refused).
CHANGES = {(role, endpoint) for role in ("システム管理者", "DX推進担当-ise")
           for endpoint in ("開始", "延長", "締切", "差戻し", "確定")}


def login_for(role: str, owners):
    if role == "未ログイン":
        return None
    if role == "システム管理者":
        return get_user_model().objects.create_superuser("system", "", PASSWORD)
    if role == "DX推進担当-ise":
        return owners.office
    if role == "所管課-ise":
        return owners.digital_user
    if role == "閲覧-ise":
        return user_with_role(Role.VIEWER, username="viewer")
    if role == "DX推進担当-iga":
        return user_with_role(Role.OFFICE, municipality="iga", username="iga-office")
    if role == "所管課-iga":
        DepartmentFactory(municipality=Plan.objects.get(code="iga-2").municipality,
                          name="伊賀テスト課")
        return user_with_role(Role.DEPARTMENT, municipality="iga", departments=("伊賀テスト課",),
                              username="iga-dept")
    return get_user_model().objects.create_user("norole", password=PASSWORD)


def requests_for(opened, submitted, residents) -> dict[str, tuple[str, str, dict]]:
    """Each endpoint as (method, url, data): data a permitted user could post."""
    kgi = services.round_indicators(opened, submitted.department)[0]
    seen = {f"actual-{pk}": version for pk, version in Actual.objects.filter(
        indicator__measure__departments=submitted.department, fiscal_year=2026,
    ).values_list("pk", "version")}
    return {
        "一覧": ("get", reverse("reporting:rounds"), {}),
        "開始画面": ("get", OPEN_URL, {}),
        "開始": ("post", OPEN_URL, {"plan": ise2().pk, "purpose": "actual",
                                   "fiscal_year": 2027, "deadline": "2028-05-31"}),
        "提出状況": ("get", reverse("reporting:board", args=[opened.pk]), {}),
        "延長": ("post", reverse("reporting:round_extend", args=[opened.pk]),
               {"version": opened.version, "deadline": "2027-06-30"}),
        "締切": ("post", reverse("reporting:round_close", args=[opened.pk]),
               {"version": opened.version}),
        "差戻し画面": ("get", return_url(submitted), {}),
        "差戻し": ("post", return_url(submitted),
                 {"version": submitted.version, f"comment-{kgi.pk}": "根拠を"}),
        "確定": ("post", confirm_url(submitted), {"version": submitted.version} | seen),
        "他課の差戻し画面": ("get", return_url(residents), {}),
        "他課の差戻し": ("post", return_url(residents),
                     {"version": residents.version, "comment-general": "x"}),
        "他課の確定": ("post", confirm_url(residents), {"version": residents.version}),
    }


def state(opened) -> tuple:
    """What an action would change: rounds, versions, notes, confirmed values."""
    return (
        list(Round.objects.order_by("pk").values_list("pk", "version", "deadline", "status")),
        list(opened.submissions.order_by("pk").values_list("pk", "version", "status")),
        ReturnNote.objects.count(),
        Actual.objects.filter(confirmed=True, fiscal_year=2026).count(),
    )


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_permissions(owners, opened, submitted, residents, role, endpoint):
    user = login_for(role, owners)
    client = client_for(user) if user else Client()
    method, url, data = requests_for(opened, submitted, residents)[endpoint]
    before = state(opened)
    response = getattr(client, method)(url, data)
    expected = EXPECTED[role][ENDPOINTS.index(endpoint)]
    assert response.status_code == expected
    if expected == 302:
        login = reverse("login")
        if role == "未ログイン":
            assert response["Location"].startswith(f"{login}?next=")
        else:
            assert not response["Location"].startswith(login)
    assert (state(opened) != before) == ((role, endpoint) in CHANGES)


def test_a_huge_id_is_not_found(office):
    for name in ("board", "submission_return"):
        assert office.get(reverse(f"reporting:{name}", args=[2**64])).status_code == 404
    assert office.post(reverse("reporting:round_close", args=[2**64]),
                       {"version": 1}).status_code == 404


def test_an_action_is_post_only(office, opened):
    response = office.get(reverse("reporting:round_close", args=[opened.pk]))
    assert response.status_code == 405
    opened.refresh_from_db()
    assert opened.status == RoundStatus.OPEN
