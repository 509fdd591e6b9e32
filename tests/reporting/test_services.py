"""The round's state machine (reporting/services.py), rule by rule (docs/reporting-round.md)."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from indicators.models import Actual, ActualState, Indicator
from plans.models import Plan
from reporting import services
from reporting.models import ReturnNote, Round, Submission, SubmissionStatus
from tests.factories import DepartmentFactory, IndicatorFactory, MeasureFactory, PlanFactory
from tests.reporting.conftest import DEADLINE, OPENED

pytestmark = pytest.mark.django_db

Entry = services.Entry


def kgis(round_, department) -> list[Indicator]:
    return services.round_indicators(round_, department)


def fill(submission, user, values=("175", "3", "5"), **comments) -> services.SaveOutcome:
    """Save ``values`` as the department's page would, with the versions it showed."""
    indicators = kgis(submission.round, submission.department)
    shown = dict(Actual.objects.filter(indicator__in=indicators, fiscal_year=2026)
                 .values_list("indicator_id", "version"))
    entries = [
        Entry(k.pk, ActualState.MEASURED, Decimal(v), 0, seen=shown.get(k.pk), **comments)
        for k, v in zip(indicators, values, strict=False)
    ]
    submission.refresh_from_db()
    return services.entries_save(submission=submission, entries=entries, user=user,
                                 seen=submission.version, now=OPENED)


def fresh(obj):
    obj.refresh_from_db()
    return obj


@pytest.fixture
def digital(owners, opened) -> Submission:
    return opened.submissions.get(department=owners.digital)


# Opening.


def test_opening_asks_each_owning_department_for_its_kgis(owners, opened):
    assert opened.title == "令和8年度 実績報告"
    assert opened.deadline == DEADLINE and opened.is_open
    assert {s.department.name: s.status for s in opened.submissions.all()} == {
        "デジタル政策課": SubmissionStatus.NOT_STARTED,
        "戸籍住民課": SubmissionStatus.NOT_STARTED,
    }
    assert [k.code for k in kgis(opened, owners.residents)] == ["ISE2-13", "ISE2-14"]
    assert [r.history_change_reason for r in opened.history.all()] == ["実績報告の開始"]


@pytest.mark.parametrize(("year", "deadline", "message"), [
    (2025, DEADLINE, "令和7年度（2025）は第2期 伊勢市デジタル行政推進ビジョンの計画期間（令和8年度（2026）～令和11年度（2029））の外です。"),
    (2026, date(2027, 4, 14), "提出期限（令和9年4月14日）が過去の日付です。今日以降の日付を入力してください。"),
])
def test_opening_refuses_a_year_outside_the_plan_or_a_past_deadline(owners, year, deadline,
                                                                   message):
    with pytest.raises(services.RoundRefused) as refused:
        services.round_open(plan=owners.plan, fiscal_year=year, deadline=deadline,
                            user=owners.office, now=OPENED)
    assert str(refused.value) == message
    assert not Round.objects.exists()


def test_a_year_has_one_round_and_a_plan_without_owners_none(owners, opened):
    with pytest.raises(services.RoundRefused, match="令和8年度 実績報告はすでにあります"):
        services.round_open(plan=owners.plan, fiscal_year=2026, deadline=DEADLINE,
                            user=owners.office, now=OPENED)
    with pytest.raises(services.RoundRefused, match="所管課が設定されていません"):
        services.round_open(plan=Plan.objects.get(code="ise-1"), fiscal_year=2025,
                            deadline=DEADLINE, user=owners.office, now=OPENED)
    assert Round.objects.count() == 1


# Saving and submitting.


def test_saving_writes_the_actuals_with_their_comments_and_history(owners, digital):
    outcome = fill(digital, owners.digital_user, progress="研修を実施", analysis="参加増",
                   direction="継続")
    assert len(outcome.created) == 3
    actual = Actual.objects.get(indicator__code="ISE2-02", fiscal_year=2026)
    assert (actual.value, actual.progress, actual.analysis, actual.direction) == (
        Decimal(3), "研修を実施", "参加増", "継続",
    )
    assert not actual.confirmed
    record = actual.history.get()
    assert (record.history_change_reason, record.history_user) == (
        "実績報告：所管課の入力", owners.digital_user,
    )
    assert fresh(digital).status == SubmissionStatus.IN_PROGRESS
    # Saving the same again changes nothing and writes no history.
    assert fill(digital, owners.digital_user, progress="研修を実施", analysis="参加増",
                direction="継続").unchanged == 3
    assert actual.history.count() == 1


def test_a_blank_value_keeps_the_stored_one_and_comments_need_a_value(owners, digital):
    fill(digital, owners.digital_user)
    first = kgis(digital.round, owners.digital)[0]
    stored = Actual.objects.get(indicator=first, fiscal_year=2026)
    services.entries_save(
        submission=digital, user=owners.digital_user, seen=fresh(digital).version,
        entries=[Entry(first.pk, None, progress="追記", seen=stored.version)],
    )
    stored.refresh_from_db()
    assert (stored.value, stored.progress) == (Decimal(175), "追記")
    third = Indicator.objects.get(code="ISE2-13")
    residents = digital.round.submissions.get(department=owners.residents)
    with pytest.raises(services.RoundRefused) as refused:
        services.entries_save(submission=residents, user=owners.residents_user,
                              seen=residents.version,
                              entries=[Entry(third.pk, None, progress="コメントだけ")])
    assert str(refused.value) == (
        "ISE2-13：取組状況などを保存するには、実績値（計測しない場合は「評価対象外」と理由）も"
        "入力してください。"
    )
    assert not Actual.objects.filter(indicator=third).exists()


def test_a_kgi_of_another_department_is_refused_and_nothing_saved(owners, digital):
    other = Indicator.objects.get(code="ISE2-13")
    entries = [Entry(k.pk, ActualState.MEASURED, Decimal(1)) for k in kgis(digital.round,
                                                                           owners.digital)]
    with pytest.raises(services.RoundRefused, match="この提出の対象ではない指標"):
        services.entries_save(
            submission=digital, user=owners.digital_user, seen=digital.version,
            entries=[*entries, Entry(other.pk, ActualState.MEASURED, Decimal(1))],
        )
    assert not Actual.objects.filter(fiscal_year=2026, indicator__plan__code="ise-2").exists()


def test_a_value_the_model_refuses_saves_nothing(owners, digital):
    first, second, _ = kgis(digital.round, owners.digital)
    with pytest.raises(Exception, match="評価対象外とする理由を入力してください"):
        services.entries_save(
            submission=digital, user=owners.digital_user, seen=digital.version,
            entries=[Entry(first.pk, ActualState.MEASURED, Decimal(1)),
                     Entry(second.pk, ActualState.NOT_MEASURED)],
        )
    assert not Actual.objects.filter(indicator__in=[first, second]).exists()


def test_a_stale_page_is_refused_naming_who_changed_what(owners, digital):
    fill(digital, owners.digital_user)
    first = kgis(digital.round, owners.digital)[0]
    stored = Actual.objects.get(indicator=first, fiscal_year=2026)
    seen_actual, seen_submission = stored.version, fresh(digital).version
    # A colleague saves in between.
    services.entries_save(
        submission=digital, user=owners.digital_user, seen=seen_submission,
        entries=[Entry(first.pk, ActualState.MEASURED, Decimal(180), seen=seen_actual)],
    )
    with pytest.raises(services.StaleRound) as refused:
        services.entries_save(
            submission=digital, user=owners.digital_user, seen=fresh(digital).version,
            entries=[Entry(first.pk, ActualState.MEASURED, Decimal(190), seen=seen_actual)],
        )
    assert "ISE2-01 令和8年度（2026）の実績値は、このページを開いた後にdigitalさんが" in str(
        refused.value
    )
    assert "入力した内容は保存していません" in str(refused.value)
    assert Actual.objects.get(pk=stored.pk).value == Decimal(180)
    # The submission itself moved too: an old page's version is refused.
    with pytest.raises(services.StaleRound):
        services.entries_save(submission=digital, user=owners.digital_user,
                              seen=seen_submission, entries=[])


def test_a_row_added_by_someone_else_since_the_page_was_shown_is_stale(owners, digital):
    first = kgis(digital.round, owners.digital)[0]
    Actual.objects.create(indicator=first, fiscal_year=2026, value=Decimal(1))
    with pytest.raises(services.StaleRound):
        services.entries_save(
            submission=digital, user=owners.digital_user, seen=digital.version,
            entries=[Entry(first.pk, ActualState.MEASURED, Decimal(2), seen=None)],
        )


def test_submitting_needs_every_value_and_then_locks_the_page(owners, digital):
    fill(digital, owners.digital_user, values=("175",))
    with pytest.raises(services.RoundRefused) as refused:
        services.submission_submit(submission=digital, user=owners.digital_user,
                                   seen=fresh(digital).version)
    assert str(refused.value).startswith(
        "実績値が未入力の指標があるため提出できません：ISE2-02、ISE2-03。"
    )
    fill(digital, owners.digital_user)
    submitted = services.submission_submit(submission=digital, user=owners.digital_user,
                                           seen=fresh(digital).version, now=OPENED)
    assert (submitted.status, submitted.submitted_by) == (SubmissionStatus.SUBMITTED,
                                                         owners.digital_user)
    with pytest.raises(services.RoundRefused) as refused:
        fill(digital, owners.digital_user, values=("1", "1", "1"))
    assert str(refused.value) == (
        "提出済みのため変更できません。変更が必要な場合は DX推進担当に差戻しを依頼してください。"
    )
    assert [r.history_change_reason for r in fresh(digital).history.order_by("history_id")] == [
        "実績報告の開始", "実績報告：所管課の入力", "実績報告：所管課の入力", "実績報告：提出",
    ]


# The office's answer.


def submitted(owners, submission):
    fill(submission, owners.digital_user)
    return services.submission_submit(submission=submission, user=owners.digital_user,
                                      seen=fresh(submission).version, now=OPENED)


def test_a_return_keeps_a_comment_per_kgi_and_reopens_the_page(owners, digital):
    submission = submitted(owners, digital)
    first, second, _ = kgis(digital.round, owners.digital)
    services.submission_return(
        submission=submission, user=owners.office, seen=submission.version, now=OPENED,
        comments={first.pk: "根拠資料を添えてください", second.pk: "  ", None: "全体に確認を"},
    )
    notes = {(n.indicator_id, n.comment) for n in ReturnNote.objects.all()}
    assert notes == {(first.pk, "根拠資料を添えてください"), (None, "全体に確認を")}
    assert fresh(digital).status == SubmissionStatus.RETURNED
    # The department fixes it and submits again.
    fill(digital, owners.digital_user, values=("176", "3", "5"))
    again = services.submission_submit(submission=digital, user=owners.digital_user,
                                       seen=fresh(digital).version)
    assert again.status == SubmissionStatus.SUBMITTED
    # A second return adds notes; the first stay as written.
    services.submission_return(submission=again, user=owners.office, seen=again.version,
                               comments={first.pk: "まだ足りません"})
    assert ReturnNote.objects.count() == 3


@pytest.mark.parametrize(("comments", "message"), [
    ({}, "差し戻す理由を、少なくとも1つの指標に入力してください。"),
    ({None: "あ" * 501}, "差戻しの理由は500文字以内で入力してください。"),
])
def test_a_return_needs_a_reason_of_at_most_500_characters(owners, digital, comments, message):
    submission = submitted(owners, digital)
    with pytest.raises(services.RoundRefused) as refused:
        services.submission_return(submission=submission, user=owners.office,
                                   seen=submission.version, comments=comments)
    assert str(refused.value) == message
    assert fresh(digital).status == SubmissionStatus.SUBMITTED


def test_only_a_submitted_answer_is_returned_or_confirmed(owners, digital):
    with pytest.raises(services.RoundRefused, match="「未着手」の提出は差戻しできません"):
        services.submission_return(submission=digital, user=owners.office,
                                   seen=digital.version, comments={None: "x"})
    with pytest.raises(services.RoundRefused, match="「未着手」の提出は確定できません"):
        services.submission_confirm(submission=digital, user=owners.office,
                                    seen=digital.version)


def test_confirming_locks_the_actuals_as_the_confirm_step_does(owners, digital):
    submission = submitted(owners, digital)
    seen_actuals = dict(Actual.objects.filter(fiscal_year=2026).values_list("pk", "version"))
    confirmed = services.submission_confirm(submission=submission, user=owners.office,
                                            seen=submission.version,
                                            seen_actuals=seen_actuals, now=OPENED)
    assert confirmed.status == SubmissionStatus.CONFIRMED
    actuals = Actual.objects.filter(pk__in=seen_actuals)
    assert {(a.confirmed, a.confirmed_by) for a in actuals} == {(True, owners.office)}


def test_confirming_what_moved_since_the_board_showed_it_is_refused(owners, digital):
    submission = submitted(owners, digital)
    seen_actuals = dict(Actual.objects.filter(fiscal_year=2026).values_list("pk", "version"))
    moved = Actual.objects.get(indicator__code="ISE2-03", fiscal_year=2026)
    moved.value = Decimal(6)
    moved.save()
    with pytest.raises(services.StaleRound, match="ISE2-03 令和8年度（2026）の実績値"):
        services.submission_confirm(submission=submission, user=owners.office,
                                    seen=submission.version, seen_actuals=seen_actuals)
    assert not Actual.objects.filter(confirmed=True, fiscal_year=2026).exists()
    assert fresh(digital).status == SubmissionStatus.SUBMITTED


# Deadline and closing.


def test_extending_moves_the_deadline_and_tells_who_has_not_submitted(owners, opened):
    later = DEADLINE + timedelta(days=7)
    services.round_extend(round_=opened, deadline=later, user=owners.office,
                          seen=opened.version, now=OPENED)
    assert fresh(opened).deadline == later
    assert opened.history.latest().history_change_reason == (
        "実績報告：期限の延長（令和9年5月29日→令和9年6月5日）"
    )
    assert opened.messages.filter(kind="deadline").count() == 2
    with pytest.raises(services.RoundRefused, match="提出期限が今と同じです"):
        services.round_extend(round_=opened, deadline=later, user=owners.office,
                              seen=fresh(opened).version, now=OPENED)


def test_a_closed_round_refuses_every_write_and_says_whom_to_ask(owners, digital):
    fill(digital, owners.digital_user)
    round_ = digital.round
    services.round_close(round_=round_, user=owners.office, seen=fresh(round_).version,
                         now=OPENED)
    message = (
        "令和8年度 実績報告は締め切られました（令和9年4月15日）。変更が必要な場合は、"
        "伊勢市の DX推進担当（伊勢市 情報戦略局 デジタル政策課）にお問い合わせください。"
    )
    for attempt in (
        lambda: fill(digital, owners.digital_user),
        lambda: services.submission_submit(submission=digital, user=owners.digital_user,
                                           seen=fresh(digital).version),
        lambda: services.round_extend(round_=round_, deadline=DEADLINE, user=owners.office,
                                      seen=fresh(round_).version, now=OPENED),
        lambda: services.round_close(round_=round_, user=owners.office,
                                     seen=fresh(round_).version),
    ):
        with pytest.raises(services.RoundRefused) as refused:
            attempt()
        assert str(refused.value) == message


def test_a_stale_round_page_is_refused(owners, opened):
    seen = opened.version
    services.round_extend(round_=opened, deadline=DEADLINE + timedelta(days=1),
                          user=owners.office, seen=seen, now=OPENED)
    with pytest.raises(services.StaleRound, match="「令和8年度 実績報告」"):
        services.round_close(round_=opened, user=owners.office, seen=seen)
    assert fresh(opened).is_open


# Size.


def department_with_kgis(count: int):
    plan = PlanFactory()
    department = DepartmentFactory(municipality=plan.municipality)
    measure = MeasureFactory(policy__plan=plan)
    measure.departments.add(department)
    indicators = [IndicatorFactory(measure=measure, plan=plan) for _ in range(count)]
    return plan, department, indicators


def save_and_submit_queries(count: int, owners) -> tuple[int, int]:
    plan, _department, indicators = department_with_kgis(count)
    round_ = services.round_open(plan=plan, fiscal_year=2026, deadline=DEADLINE,
                                 user=owners.office, now=OPENED)
    submission = round_.submissions.get()
    entries = [Entry(k.pk, ActualState.MEASURED, Decimal(i), 0, progress="p")
               for i, k in enumerate(indicators)]
    with CaptureQueriesContext(connection) as save:
        services.entries_save(submission=submission, entries=entries,
                              user=owners.digital_user, seen=submission.version)
    submission.refresh_from_db()
    with CaptureQueriesContext(connection) as submit:
        services.submission_submit(submission=submission, user=owners.digital_user,
                                   seen=submission.version)
    assert Actual.objects.filter(indicator__in=indicators).count() == count
    assert submission.history.latest().history_change_reason == "実績報告：提出"
    return len(save), len(submit)


def test_saving_and_submitting_take_the_same_queries_for_5_or_30_kgis(owners):
    # 30, not 40: SQLite takes at most 999 parameters a query, so Django
    # inserts 40 history rows (27 columns) in two batches; PostgreSQL in one.
    # The department page's own test measures 40 (tests/reporting/).
    assert save_and_submit_queries(5, owners) == save_and_submit_queries(30, owners)


# An outlook round (見込み): the same flow, its own rows, the actual untouched.


def test_an_outlook_round_keeps_its_values_beside_the_actuals(owners, opened):
    from indicators.models import Outlook
    from reporting.models import Purpose

    first = Indicator.objects.get(code="ISE2-01")
    Actual.objects.create(indicator=first, fiscal_year=2026, value=Decimal(80))
    outlook = services.round_open(plan=owners.plan, fiscal_year=2026, deadline=DEADLINE,
                                  user=owners.office, purpose=Purpose.OUTLOOK, now=OPENED)
    assert outlook.title == "令和8年度 見込み報告"
    assert Round.objects.filter(plan=owners.plan, fiscal_year=2026).count() == 2
    digital = outlook.submissions.get(department=owners.digital)
    with pytest.raises(services.RoundRefused) as refused:
        services.submission_submit(submission=digital, user=owners.digital_user,
                                   seen=digital.version)
    assert str(refused.value).startswith(
        "見込み値が未入力の指標があるため提出できません：ISE2-01、ISE2-02、ISE2-03。"
    )
    services.entries_save(
        submission=digital, user=owners.digital_user, seen=digital.version, now=OPENED,
        entries=[Entry(k.pk, ActualState.MEASURED, Decimal(90), 0, progress="見込み")
                 for k in kgis(outlook, owners.digital)],
    )
    assert Outlook.objects.filter(fiscal_year=2026).count() == 3
    assert Actual.objects.get(indicator=first, fiscal_year=2026).value == Decimal(80)
    submission = services.submission_submit(submission=digital, user=owners.digital_user,
                                            seen=fresh(digital).version)
    services.submission_confirm(submission=submission, user=owners.office,
                                seen=submission.version)
    assert set(Outlook.objects.values_list("confirmed", flat=True)) == {True}
    assert not Actual.objects.get(indicator=first, fiscal_year=2026).confirmed
    with pytest.raises(services.RoundRefused, match="令和8年度 見込み報告はすでにあります"):
        services.round_open(plan=owners.plan, fiscal_year=2026, deadline=DEADLINE,
                            user=owners.office, purpose=Purpose.OUTLOOK, now=OPENED)


def test_an_outlook_is_evaluated_like_an_actual(owners):
    from indicators.evaluation import indicator_year
    from indicators.models import Outlook, Target

    kgi = Indicator.objects.get(code="ISE2-02")
    target = Target.objects.get(indicator=kgi, fiscal_year=2026)
    outlook = Outlook(indicator=kgi, fiscal_year=2026, value=target.value)
    row = indicator_year(indicator=kgi, fiscal_year=2026, target=target, actual=outlook)
    assert row.evaluation_label == "達成《達成率：100.0%》"
