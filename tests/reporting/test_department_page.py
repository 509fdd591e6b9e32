"""The department's page of a round, through the test client.

On the real ise-2 plan (tests/reporting/conftest.py): デジタル政策課 is
asked for ISE2-01 (目標 40.0%), ISE2-02 (20名《累計》) and ISE2-03
(160名《累計》); 戸籍住民課 for ISE2-13 and ISE2-14. Query counts on
factory plans of 5 and 40 KGIs.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.roles import Role
from indicators.models import COMMENT_MAX_LENGTH, Actual, ActualState, Indicator, Outlook
from reporting import services
from reporting.models import Purpose, Round, Submission, SubmissionStatus
from tests.factories import (
    BasicPolicyFactory,
    DepartmentFactory,
    IndicatorFactory,
    MeasureFactory,
    MilestoneFactory,
    PlanFactory,
    TargetFactory,
)
from tests.helpers import client_for, form_data, section, user_with_role, visible_text
from tests.reporting.conftest import DEADLINE, OPENED

pytestmark = pytest.mark.django_db


@pytest.fixture
def digital(owners, opened) -> Submission:
    return opened.submissions.get(department=owners.digital)


@pytest.fixture
def kgis(owners) -> dict[str, Indicator]:
    return {k.code: k for k in Indicator.objects.filter(code__in=[
        "ISE2-01", "ISE2-02", "ISE2-03", "ISE2-13"])}


def url(submission: Submission) -> str:
    return reverse("reporting:submission", args=[submission.pk])


def submit_url(submission: Submission) -> str:
    return reverse("reporting:submission_submit", args=[submission.pk])


def page_form(client, submission: Submission) -> dict:
    """Return the page's form as the browser would send it, unchanged."""
    response = client.get(url(submission))
    assert response.status_code == 200
    return form_data(response.content.decode(), url(submission))


def fill(data: dict, kgi: Indicator, **fields: str) -> dict:
    for name, value in fields.items():
        data[f"{name}-{kgi.pk}"] = value
    return data


def stored(kgi: Indicator) -> Actual | None:
    return Actual.objects.filter(indicator=kgi, fiscal_year=2026).first()


def block(text: str, code: str, next_code: str | None = None) -> str:
    """Return the part of the page's text about one KGI."""
    return section(text, f"{code} ", f"{next_code} " if next_code else None)


# What the page shows --------------------------------------------------------


def test_the_department_sees_its_kgis_with_targets_and_header(owners, digital, kgis):
    Actual.objects.create(indicator=kgis["ISE2-02"], fiscal_year=2025, value=Decimal(15))
    response = client_for(owners.digital_user).get(url(digital))
    assert response.status_code == 200
    text = visible_text(response)
    assert "令和8年度 実績報告" in text
    assert "第2期 伊勢市デジタル行政推進ビジョン" in text
    assert "デジタル政策課" in text
    assert "提出期限 令和9年5月29日" in text
    assert "状態 未着手" in text
    assert "3件中0件 入力済み" in text
    body = text[text.index("ISE2-01 "):]
    assert body.index("ISE2-01") < body.index("ISE2-02") < body.index("ISE2-03")
    assert "ISE2-13" not in text
    assert "目標（R8） 40.0%" in block(body, "ISE2-01", "ISE2-02")
    second = block(body, "ISE2-02", "ISE2-03")
    assert "目標（R8） 20名《累計》" in second
    assert "前年度の実績 15名" in second
    assert "前年度の実績 －" in block(body, "ISE2-01", "ISE2-02")
    assert "単位 名" in second
    html = response.content.decode()
    # Every field has its label, naming the KGI for a screen reader.
    pk = kgis["ISE2-02"].pk
    for name, label in (("value", "実績値（名）"), ("reason", "評価対象外の理由"),
                        ("progress", "取組状況"), ("analysis", "要因分析"),
                        ("direction", "今後の方向性")):
        assert f'<label for="{name}-{pk}"><span class="visually-hidden">ISE2-02 </span>{label}' \
            in html
        assert f'id="{name}-{pk}"' in html
    assert '<link rel="stylesheet" href="/static/css/reporting.' in html


def test_the_deadline_counts_down_and_then_up(owners, digital):
    today = timezone.localdate()
    client = client_for(owners.digital_user)
    Round.objects.filter(pk=digital.round_id).update(deadline=today + timedelta(days=12))
    assert "（あと12日）" in visible_text(client.get(url(digital)))
    Round.objects.filter(pk=digital.round_id).update(deadline=today - timedelta(days=3))
    text = visible_text(client.get(url(digital)))
    assert "期限を3日過ぎています" in text
    # Late is still open: the form stays.
    assert 'name="value-' in client.get(url(digital)).content.decode()


def test_a_short_name_shows_with_the_full_item_on_hover(owners, digital, kgis):
    kgi = kgis["ISE2-01"]
    Indicator.objects.filter(pk=kgi.pk).update(short_name="DX意識")
    html = client_for(owners.digital_user).get(url(digital)).content.decode()
    assert f'<span title="{kgi.item}">DX意識</span>' in html


# Saving ------------------------------------------------------------------------


def test_values_typed_as_staff_type_them_are_saved_and_evaluated(owners, digital, kgis):
    client = client_for(owners.digital_user)
    data = page_form(client, digital)
    fill(data, kgis["ISE2-01"], value="４５．０％", progress="研修を3回実施")
    fill(data, kgis["ISE2-02"], value="２０５", analysis="申込が多かった")
    fill(data, kgis["ISE2-03"], value="－", reason="調査を休止したため", direction="来年度は再開")
    response = client.post(url(digital), data)
    assert response.status_code == 302
    assert response["Location"] == url(digital)

    first, second, third = (stored(kgis[code]) for code in ("ISE2-01", "ISE2-02", "ISE2-03"))
    assert (first.value, first.value_places, first.progress) == (Decimal("45.0"), 1, "研修を3回実施")
    assert (second.value, second.analysis) == (Decimal(205), "申込が多かった")
    assert third.state == ActualState.NOT_MEASURED
    assert third.not_measured_reason == "調査を休止したため"
    assert third.direction == "来年度は再開"
    digital.refresh_from_db()
    assert digital.status == SubmissionStatus.IN_PROGRESS

    page = client.get(url(digital))
    text = visible_text(page)
    assert "保存しました（3件）" in text
    assert "状態 入力中" in text and "3件中3件 入力済み" in text
    body = text[text.index("ISE2-01 "):]
    first_block = block(body, "ISE2-01", "ISE2-02")
    assert "保存済みの実績値 45.0%" in first_block
    assert "評価 ◎ 達成 達成率 112.5%" in first_block
    assert "評価 ◎ 達成" in block(body, "ISE2-02", "ISE2-03")
    assert "評価 － 評価対象外" in block(body, "ISE2-03")
    # The form shows the stored values as they are typed again.
    again = form_data(page.content.decode(), url(digital))
    assert again[f"value-{kgis['ISE2-01'].pk}"] == "45.0"
    assert again[f"value-{kgis['ISE2-03'].pk}"] == "－"
    assert again[f"seen-{kgis['ISE2-01'].pk}"] == str(first.version)
    assert again["version"] == str(digital.version)


@pytest.mark.parametrize("typed", ["1,234", "205名", "205 名", "0"])
def test_numbers_with_separators_and_the_kgis_own_unit_are_read(owners, digital, kgis, typed):
    client = client_for(owners.digital_user)
    data = fill(page_form(client, digital), kgis["ISE2-02"], value=typed)
    assert client.post(url(digital), data).status_code == 302
    assert stored(kgis["ISE2-02"]).value == Decimal(typed.replace(",", "").rstrip("名 "))


def assert_nothing_saved(digital: Submission, kgis) -> None:
    assert not Actual.objects.filter(indicator__in=kgis.values(), fiscal_year=2026).exists()
    digital.refresh_from_db()
    assert digital.status == SubmissionStatus.NOT_STARTED


def test_a_bad_value_names_the_kgi_keeps_every_field_and_saves_nothing(owners, digital, kgis):
    client = client_for(owners.digital_user)
    data = page_form(client, digital)
    fill(data, kgis["ISE2-01"], value="45.0%", progress="研修を実施\r\n2行目")
    fill(data, kgis["ISE2-02"], value="abc", analysis="分析の下書き")
    response = client.post(url(digital), data)
    assert response.status_code == 200
    text = visible_text(response)
    assert "ISE2-02 実績値：数値として読めません：「abc」" in text
    assert "何も保存していません" in text
    assert_nothing_saved(digital, kgis)
    html = response.content.decode()
    pk = kgis["ISE2-02"].pk
    assert re.search(f'<input type="text" id="value-{pk}" [^>]*value="abc"[^>]*'
                     'aria-invalid="true">', html)
    assert html.count('aria-invalid="true"') == 1
    assert f'<a href="#value-{pk}">ISE2-02 実績値：' in html
    kept = form_data(html, url(digital))
    assert kept[f"value-{kgis['ISE2-01'].pk}"] == "45.0%"
    assert kept[f"progress-{kgis['ISE2-01'].pk}"] == "研修を実施\n2行目"
    assert kept[f"value-{pk}"] == "abc"
    assert kept[f"analysis-{pk}"] == "分析の下書き"


@pytest.mark.parametrize(("typed", "message"), [
    ("-5", "ISE2-02 実績値：負の値は入力できません：「-5」"),
    ("205件", "ISE2-02 実績値：数値として読めません：「205件」"),
    ("完了", "ISE2-02 実績値：「完了」「未完了」は完了型の指標だけに書けます。"),
    ("1" * 101, "ISE2-02 実績値：100文字以内で入力してください。"),
])
def test_other_bad_values_are_refused_in_the_sheets_words(owners, digital, kgis, typed,
                                                          message):
    client = client_for(owners.digital_user)
    data = fill(page_form(client, digital), kgis["ISE2-02"], value=typed)
    response = client.post(url(digital), data)
    assert response.status_code == 200
    assert message in visible_text(response)
    assert_nothing_saved(digital, kgis)


def test_not_measured_needs_a_reason(owners, digital, kgis):
    client = client_for(owners.digital_user)
    data = page_form(client, digital)
    fill(data, kgis["ISE2-01"], value="40")
    fill(data, kgis["ISE2-03"], value="－", reason="  ")
    response = client.post(url(digital), data)
    assert response.status_code == 200
    assert ("ISE2-03 評価対象外の理由：評価対象外（「－」）とする理由を入力してください。"
            in visible_text(response))
    assert_nothing_saved(digital, kgis)
    assert form_data(response.content.decode(), url(digital))[
        f"value-{kgis['ISE2-03'].pk}"] == "－"


def test_a_comment_over_the_limit_is_refused_and_kept(owners, digital, kgis):
    client = client_for(owners.digital_user)
    long = "あ" * (COMMENT_MAX_LENGTH * 2 + 1001)
    data = page_form(client, digital)
    fill(data, kgis["ISE2-01"], value="40", progress=long)
    fill(data, kgis["ISE2-02"], value="20")
    response = client.post(url(digital), data)
    assert response.status_code == 200
    assert ("ISE2-01 取組状況：2,000文字以内で入力してください（5,001文字入力されています）。"
            in visible_text(response))
    assert_nothing_saved(digital, kgis)
    assert form_data(response.content.decode(), url(digital))[
        f"progress-{kgis['ISE2-01'].pk}"] == long


def test_comments_without_a_value_are_refused_by_the_service(owners, digital, kgis):
    client = client_for(owners.digital_user)
    data = page_form(client, digital)
    fill(data, kgis["ISE2-01"], value="40")
    fill(data, kgis["ISE2-02"], value="", progress="研修を準備中")
    response = client.post(url(digital), data)
    assert response.status_code == 200
    assert ("ISE2-02：取組状況などを保存するには、実績値（計測しない場合は「評価対象外」と理由）"
            "も入力してください。" in visible_text(response))
    assert_nothing_saved(digital, kgis)
    kept = form_data(response.content.decode(), url(digital))
    assert kept[f"progress-{kgis['ISE2-02'].pk}"] == "研修を準備中"
    assert kept[f"value-{kgis['ISE2-01'].pk}"] == "40"


def test_a_stored_value_cannot_be_blanked(owners, digital, kgis):
    client = client_for(owners.digital_user)
    client.post(url(digital), fill(page_form(client, digital), kgis["ISE2-01"], value="40"))
    data = fill(page_form(client, digital), kgis["ISE2-01"], value="")
    response = client.post(url(digital), data)
    assert response.status_code == 200
    assert "ISE2-01 実績値：入力済みの実績値は空欄にできません。" in visible_text(response)
    assert stored(kgis["ISE2-01"]).value == Decimal(40)


def test_a_stale_save_is_refused_and_keeps_what_was_typed(owners, digital, kgis):
    first = client_for(owners.digital_user)
    colleague = user_with_role(Role.DEPARTMENT, departments=("デジタル政策課",),
                               username="digital-2")
    colleague.last_name = "伊勢"
    colleague.save()
    second = client_for(colleague)
    mine = page_form(first, digital)
    theirs = page_form(second, digital)
    assert second.post(url(digital), fill(theirs, kgis["ISE2-02"], value="30")).status_code \
        == 302
    response = first.post(url(digital), fill(mine, kgis["ISE2-02"], value="25",
                                             progress="自分の下書き"))
    assert response.status_code == 200
    text = visible_text(response)
    assert "デジタル政策課の提出は、このページを開いた後に" in text
    assert "入力した内容は保存していません（画面に残しています）" in text
    assert stored(kgis["ISE2-02"]).value == Decimal(30)
    kept = form_data(response.content.decode(), url(digital))
    assert kept[f"value-{kgis['ISE2-02'].pk}"] == "25"
    assert kept[f"progress-{kgis['ISE2-02'].pk}"] == "自分の下書き"
    # The page keeps the version it showed: saving again is refused again.
    assert kept["version"] == mine["version"]
    assert first.post(url(digital), kept).status_code == 200
    assert stored(kgis["ISE2-02"]).value == Decimal(30)


def test_a_page_without_its_version_saves_nothing(owners, digital, kgis):
    client = client_for(owners.digital_user)
    data = fill(page_form(client, digital), kgis["ISE2-01"], value="40")
    data["version"] = "x"
    response = client.post(url(digital), data)
    assert response.status_code == 200
    assert "ページを開き直してから" in visible_text(response)
    assert_nothing_saved(digital, kgis)


def test_a_milestone_kgi_is_a_select(owners, digital, kgis):
    milestone = MilestoneFactory(plan=owners.plan, measure=kgis["ISE2-01"].measure,
                                 code="ISE2-T90", position=90, item="システム移行",
                                 done_label="移行完了")
    TargetFactory(indicator=milestone, fiscal_year=2026, value=None)
    client = client_for(owners.digital_user)
    data = page_form(client, digital)
    html = client.get(url(digital)).content.decode()
    assert f'<select id="value-{milestone.pk}"' in html
    assert '<option value="完了">移行完了</option>' in html
    assert data[f"value-{milestone.pk}"] == ""
    response = client.post(url(digital), fill(data, milestone, value="完了"))
    assert response.status_code == 302
    assert stored(milestone).state == ActualState.DONE
    text = visible_text(client.get(url(digital)))
    assert "保存済みの実績値 移行完了" in section(text, "ISE2-T90 ")
    assert "◎ 達成" in section(text, "ISE2-T90 ")
    refused = client.post(url(digital), fill(page_form(client, digital), milestone, value="5"))
    assert ("ISE2-T90 実績値：完了型の指標です。数値ではなく「完了」か「未完了」と書いてください"
            in visible_text(refused))
    # What was sent stays selected.
    assert '<option value="5" selected>5</option>' in refused.content.decode()


def test_an_outlook_round_writes_outlooks_and_says_so(owners, opened, kgis):
    outlook = services.round_open(plan=owners.plan, fiscal_year=2026, deadline=DEADLINE,
                                  user=owners.office, purpose=Purpose.OUTLOOK, now=OPENED)
    submission = outlook.submissions.get(department=owners.digital)
    client = client_for(owners.digital_user)
    response = client.get(url(submission))
    assert "令和8年度 見込み報告" in visible_text(response)
    pk = kgis["ISE2-02"].pk
    assert (f'<label for="value-{pk}"><span class="visually-hidden">ISE2-02 </span>見込み値（名）'
            in response.content.decode())
    refused = client.post(url(submission),
                          fill(page_form(client, submission), kgis["ISE2-02"], value="abc"))
    assert "ISE2-02 見込み値：数値として読めません：「abc」" in visible_text(refused)
    data = fill(page_form(client, submission), kgis["ISE2-02"], value="２２")
    assert client.post(url(submission), data).status_code == 302
    assert Outlook.objects.get(indicator=kgis["ISE2-02"], fiscal_year=2026).value == Decimal(22)
    assert stored(kgis["ISE2-02"]) is None
    text = visible_text(client.get(url(submission)))
    second = block(text[text.index("ISE2-01 "):], "ISE2-02", "ISE2-03")
    assert "保存済みの見込み値 22名（見込み）" in second
    assert "◎ 達成 達成率 110.0%（見込み）" in second
    assert "3件中1件 入力済み" in text
    # The actual round's page still asks for the actual.
    assert "3件中0件 入力済み" in visible_text(client.get(url(opened.submissions.get(
        department=owners.digital))))


# Submitting, read-only states, returns ------------------------------------------


def save_all(client, submission: Submission, kgis) -> None:
    data = page_form(client, submission)
    for code, value in (("ISE2-01", "40"), ("ISE2-02", "20"), ("ISE2-03", "160")):
        fill(data, kgis[code], value=value, progress=f"{code}の取組")
    assert client.post(url(submission), data).status_code == 302


def test_submitting_makes_the_page_read_only_with_whom_to_ask(owners, digital, kgis):
    client = client_for(owners.digital_user)
    save_all(client, digital, kgis)
    version = form_data(client.get(url(digital)).content.decode(), submit_url(digital))["version"]
    response = client.post(submit_url(digital), {"version": version})
    assert response.status_code == 302
    text = visible_text(client.get(url(digital)))
    assert "提出しました。DX推進担当が確認します。" in text
    assert "状態 提出済" in text
    assert "提出済みのため変更できません。変更が必要な場合は DX推進担当に差戻しを依頼してください。" \
        in text
    assert "ISE2-01の取組" in text and "要因分析 （未記入）" in text
    html = client.get(url(digital)).content.decode()
    assert 'name="value-' not in html and "<textarea" not in html
    assert 'action="/reporting/submissions/' not in html
    # A save from a tab left open is refused, not written.
    data = {"version": version, f"value-{kgis['ISE2-01'].pk}": "99",
            f"seen-{kgis['ISE2-01'].pk}": str(stored(kgis["ISE2-01"]).version)}
    digital.refresh_from_db()
    data["version"] = str(digital.version)
    refused = client.post(url(digital), data)
    assert refused.status_code == 200
    assert "提出済みのため変更できません" in visible_text(refused)
    assert stored(kgis["ISE2-01"]).value == Decimal(40)


def test_submitting_with_missing_values_says_which(owners, digital, kgis):
    client = client_for(owners.digital_user)
    client.post(url(digital), fill(page_form(client, digital), kgis["ISE2-01"], value="40"))
    digital.refresh_from_db()
    response = client.post(submit_url(digital), {"version": str(digital.version)})
    assert response.status_code == 200
    assert "実績値が未入力の指標があるため提出できません：ISE2-02、ISE2-03。" in visible_text(response)
    digital.refresh_from_db()
    assert digital.status == SubmissionStatus.IN_PROGRESS


def test_a_stale_submit_is_refused(owners, digital, kgis):
    client = client_for(owners.digital_user)
    save_all(client, digital, kgis)
    response = client.post(submit_url(digital), {"version": "1"})
    assert response.status_code == 200
    assert "このページを開いた後に" in visible_text(response)
    digital.refresh_from_db()
    assert digital.status == SubmissionStatus.IN_PROGRESS


def test_a_closed_round_shows_why_and_whom_to_ask(owners, opened, digital, kgis):
    client = client_for(owners.digital_user)
    data = fill(page_form(client, digital), kgis["ISE2-01"], value="40")
    services.round_close(round_=opened, user=owners.office, seen=opened.version)
    response = client.get(url(digital))
    text = visible_text(response)
    assert "令和8年度 実績報告は締め切られました" in text
    assert "伊勢市の DX推進担当" in text and "お問い合わせください" in text
    assert 'name="value-' not in response.content.decode()
    refused = client.post(url(digital), data)
    assert refused.status_code == 200
    assert "締め切られました" in visible_text(refused)
    assert_nothing_saved(digital, kgis)
    # What was typed is still on the page.
    assert form_data(refused.content.decode(), url(digital))[
        f"value-{kgis['ISE2-01'].pk}"] == "40"


def test_a_return_shows_the_offices_comments_beside_the_fields(owners, digital, kgis):
    client = client_for(owners.digital_user)
    save_all(client, digital, kgis)
    digital.refresh_from_db()
    services.submission_submit(submission=digital, user=owners.digital_user,
                               seen=digital.version)
    digital.refresh_from_db()
    services.submission_return(
        submission=digital, user=owners.office, seen=digital.version,
        comments={kgis["ISE2-02"].pk: "人数の根拠を書いてください", None: "全体に記入が短いです"},
    )
    response = client.get(url(digital))
    text = visible_text(response)
    assert "状態 差戻し" in text
    top = text[:text.index("ISE2-01 ")]
    assert "差戻しの理由（DX推進担当から） 全体に記入が短いです" in top
    second = block(text[text.index("ISE2-01 "):], "ISE2-02", "ISE2-03")
    assert "差戻しの理由（DX推進担当から） 人数の根拠を書いてください" in second
    assert "人数の根拠" not in block(text[text.index("ISE2-01 "):], "ISE2-01", "ISE2-02")
    html = response.content.decode()
    pk = kgis["ISE2-02"].pk
    assert f'aria-describedby="hint-value-{pk} note-{pk}"' in html
    # Returned takes values again.
    data = fill(form_data(html, url(digital)), kgis["ISE2-02"], value="22")
    assert client.post(url(digital), data).status_code == 302
    assert stored(kgis["ISE2-02"]).value == Decimal(22)


def test_a_confirmed_submission_is_read_only(owners, digital, kgis):
    client = client_for(owners.digital_user)
    save_all(client, digital, kgis)
    digital.refresh_from_db()
    services.submission_submit(submission=digital, user=owners.digital_user,
                               seen=digital.version)
    digital.refresh_from_db()
    services.submission_confirm(submission=digital, user=owners.office, seen=digital.version)
    text = visible_text(client.get(url(digital)))
    assert "状態 確定" in text
    assert "DX推進担当が確定したため変更できません。" in text


# The office's view and who may reach the page -------------------------------------


def test_the_office_reads_the_page_and_acts_only_on_a_submitted_one(owners, digital, kgis):
    office = client_for(owners.office)
    response = office.get(url(digital))
    assert response.status_code == 200
    html = response.content.decode()
    assert 'name="value-' not in html
    assert "DX推進担当の確認用の表示です。" in visible_text(response)
    assert "submission_confirm" not in html and "/confirm/" not in html

    client = client_for(owners.digital_user)
    save_all(client, digital, kgis)
    digital.refresh_from_db()
    services.submission_submit(submission=digital, user=owners.digital_user,
                               seen=digital.version)
    digital.refresh_from_db()
    html = office.get(url(digital)).content.decode()
    confirm = reverse("reporting:submission_confirm", args=[digital.pk])
    data = form_data(html, confirm)
    actuals = Actual.objects.filter(indicator__in=kgis.values(), fiscal_year=2026)
    assert data == {
        "csrfmiddlewaretoken": data["csrfmiddlewaretoken"],
        "version": str(digital.version),
        **{f"actual-{actual.pk}": str(actual.version) for actual in actuals},
    }
    assert f'href="{reverse("reporting:submission_return", args=[digital.pk])}"' in html
    assert "ISE2-02の取組" in visible_text(office.get(url(digital)))
    assert office.get(reverse("reporting:submission_return", args=[digital.pk])).status_code \
        == 200
    # The office reads; it does not enter or submit.
    assert office.post(url(digital), form_data(html, url(digital))).status_code == 403
    assert office.post(submit_url(digital), {"version": data["version"]}).status_code == 403
    # The confirm form, as the page carries it, confirms what was shown.
    assert office.post(confirm, data).status_code == 302
    digital.refresh_from_db()
    assert digital.status == SubmissionStatus.CONFIRMED
    assert all(actual.confirmed for actual in actuals.all())
    assert "/confirm/" not in office.get(url(digital)).content.decode()


def test_a_system_administrator_reads_the_page(owners, digital):
    admin = user_with_role(Role.SYSTEM, municipality=None, username="sysadmin")
    assert client_for(admin).get(url(digital)).status_code == 200


def test_who_may_not_reach_the_page(owners, opened, digital):
    residents = opened.submissions.get(department=owners.residents)
    viewer = client_for(user_with_role(Role.VIEWER, username="ise-viewer"))
    assert viewer.get(url(digital)).status_code == 403
    assert viewer.post(url(digital), {}).status_code == 403
    assert viewer.post(submit_url(digital), {}).status_code == 403
    other_department = client_for(owners.residents_user)
    assert other_department.get(url(digital)).status_code == 404
    assert other_department.post(submit_url(digital), {}).status_code == 404
    assert client_for(owners.digital_user).get(url(residents)).status_code == 404
    iga_office = client_for(user_with_role(Role.OFFICE, municipality="iga",
                                           username="iga-office"))
    assert iga_office.get(url(digital)).status_code == 404
    iga_department = client_for(user_with_role(Role.DEPARTMENT, municipality="iga",
                                               username="iga-dept"))
    assert iga_department.get(url(digital)).status_code == 404
    assert client_for(owners.digital_user).get(
        reverse("reporting:submission", args=[2**63])).status_code == 404
    anonymous = client_for(owners.digital_user)
    anonymous.logout()
    response = anonymous.get(url(digital))
    assert response.status_code == 302 and "/login" in response["Location"]


# Query counts ------------------------------------------------------------------------


def department_round(size: int) -> tuple[Submission, object, list[Indicator]]:
    """A テスト市 plan whose department owns ``size`` KGIs, with its round opened."""
    plan = PlanFactory()
    department = DepartmentFactory(municipality=plan.municipality)
    policy = BasicPolicyFactory(plan=plan)
    measures = [MeasureFactory(policy=policy) for _ in range(3)]
    for measure in measures:
        measure.departments.add(department)
    indicators = []
    for position in range(size):
        indicator = IndicatorFactory(measure=measures[position % 3], position=position + 1)
        TargetFactory(indicator=indicator, fiscal_year=2026, value=Decimal(10))
        indicators.append(indicator)
    indicators.append(MilestoneFactory(measure=measures[0], position=size + 1))
    code = plan.municipality.code
    office = user_with_role(Role.OFFICE, municipality=code, username=f"office-{code}")
    user = user_with_role(Role.DEPARTMENT, municipality=code, departments=(department.name,),
                          username=f"dept-{code}")
    round_ = services.round_open(plan=plan, fiscal_year=2026, deadline=DEADLINE, user=office,
                                 now=OPENED)
    return round_.submissions.get(), user, indicators


WRITES = ("INSERT", "UPDATE")


@dataclass(frozen=True)
class Queries:
    """One request's queries: reads, and writes (INSERT, UPDATE)."""

    reads: int
    writes: int


def counted(client, method: str, path: str, data: dict | None = None) -> Queries:
    with CaptureQueriesContext(connection) as captured:
        response = getattr(client, method)(path, data) if data else client.get(path)
    assert response.status_code in (200, 302), response.status_code
    # An executemany() is logged as "<n> times: UPDATE …".
    writes = sum(re.sub(r"^\d+ times: ", "", query["sql"]).startswith(WRITES)
                 for query in captured.captured_queries)
    return Queries(reads=len(captured) - writes, writes=writes)


def page_queries(size: int) -> dict[str, Queries]:
    """Return the queries of a GET, a first save, a second save, and a refused save."""
    submission, user, indicators = department_round(size)
    client = client_for(user)
    client.get(url(submission))  # the session and content types, outside the count
    get = counted(client, "get", url(submission))
    data = page_form(client, submission)
    for number, indicator in enumerate(indicators):
        fill(data, indicator, value="完了" if indicator.kind == "milestone" else str(number),
             progress="取組", analysis="分析", direction="方向")
    created = counted(client, "post", url(submission), data)
    assert Actual.objects.filter(indicator__in=indicators).count() == size + 1
    data = page_form(client, submission)
    for indicator in indicators[:-1]:
        fill(data, indicator, value="7", progress="取組を更新")
    updated = counted(client, "post", url(submission), data)
    assert Actual.objects.filter(indicator__in=indicators, value=7).count() == size
    fill(data, indicators[0], value="abc")
    refused = counted(client, "post", url(submission), data)
    return {"get": get, "created": created, "updated": updated, "refused": refused}


def test_the_page_and_its_saves_take_the_same_queries_for_5_and_40_kgis():
    small = page_queries(5)
    large = page_queries(40)
    for name in small:
        assert small[name].reads == large[name].reads, name
        # Bulk writes, one statement per table; SQLite's limit of 999
        # parameters a statement splits 40 rows' into a few (PostgreSQL
        # not). A write per KGI would add 35.
        assert small[name].writes <= large[name].writes <= small[name].writes + 3, name
    assert large["get"] == Queries(reads=10, writes=0)
    assert large["refused"] == Queries(reads=11, writes=0)
    assert large["created"].reads <= 14 and large["updated"].reads <= 14
