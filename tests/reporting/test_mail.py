"""The round's e-mail through a real SMTP server on loopback: nothing lost, nothing twice.

The messages are recorded by the round's actions (services) and sent by
the worker's task; here the ready tasks are run in-process
(:func:`work_off`), and once by the real ``db_worker`` command in a
transactional test, so the worker itself is shown to send them.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db import transaction
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from indicators.models import ActualState
from reporting import reminders, services, tasks
from reporting.models import Message, MessageStatus, Submission, SubmissionStatus
from tests.mailserver import free_port, smtp_server, subject
from tests.reporting.conftest import DEADLINE, OPENED, TOKYO

pytestmark = pytest.mark.django_db

SITE = "https://kpi.city.ise.example"


@pytest.fixture
def smtp_settings(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = free_port()
    settings.EMAIL_TIMEOUT = 5
    settings.DEFAULT_FROM_EMAIL = "kpi@city.ise.example"
    settings.SITE_URL = SITE
    return settings


def work_off() -> int:
    """Run every task that is due now, as the worker would; return how many ran."""
    ran = 0
    while (result := DBTaskResult.objects.ready().order_by("enqueued_at").first()) is not None:
        result.claim("test-worker")
        try:
            value = result.task.call(*result.task_result.args, **result.task_result.kwargs)
        except Exception as error:  # pragma: no cover (a test failure shows it)
            result.set_failed(error)
            raise
        result.set_successful(value)
        ran += 1
    return ran


def open_round(owners):
    return services.round_open(plan=owners.plan, fiscal_year=2026, deadline=DEADLINE,
                               user=owners.office, now=OPENED)


def test_opening_a_round_mails_each_department_a_link_in_japanese(owners, smtp_settings):
    round_ = open_round(owners)
    with smtp_server(smtp_settings.EMAIL_PORT) as (inbox, _port):
        assert work_off() == 2
    digital = Submission.objects.get(round=round_, department=owners.digital)
    [message] = inbox.to("digital@city.ise.example")
    assert subject(message) == (
        f"【実績報告のお願い】{owners.plan.name} 令和8年度 実績報告（期限 令和9年5月29日）"
    )
    assert message["From"] == "kpi@city.ise.example"
    body = message.get_content()
    assert "デジタル政策課 ご担当者様" in body
    assert f"{SITE}/reporting/submissions/{digital.pk}/" in body
    assert message.get_content_charset() == "utf-8"
    assert re.fullmatch(r"<kpi-message-\d+@city\.ise\.example>", message["Message-ID"])
    [residents] = inbox.to("residents@city.ise.example")
    assert "戸籍住民課 ご担当者様" in residents.get_content()
    assert set(Message.objects.values_list("status", flat=True)) == {MessageStatus.SENT}


def test_bodies_carry_links_and_counts_not_the_values(owners, smtp_settings, opened):
    digital = opened.submissions.get(department=owners.digital)
    kgis = services.round_indicators(opened, owners.digital)
    services.entries_save(
        submission=digital, user=owners.digital_user, seen=digital.version, now=OPENED,
        entries=[services.Entry(k.pk, ActualState.MEASURED, Decimal("123456"), 0)
                 for k in kgis],
    )
    digital.refresh_from_db()
    services.submission_submit(submission=digital, user=owners.digital_user,
                               seen=digital.version, now=OPENED)
    with smtp_server(smtp_settings.EMAIL_PORT) as (inbox, _port):
        work_off()
    [to_office] = inbox.to("office@city.ise.example")
    assert "デジタル政策課が提出しました（1/2課）" in subject(to_office)
    text = to_office.get_content()
    assert "提出済み：2課中1課" in text
    assert "123456" not in text and "123,456" not in text


def test_an_smtp_outage_delays_the_mail_and_loses_none(owners, smtp_settings):
    open_round(owners)
    # Nothing listens on the port: both sends fail and are kept for later.
    assert work_off() == 2
    messages = list(Message.objects.order_by("pk"))
    assert [m.status for m in messages] == [MessageStatus.PENDING] * 2
    assert [m.attempts for m in messages] == [1, 1]
    assert all("Connection refused" in m.last_error or "Errno" in m.last_error
               for m in messages)
    retries = DBTaskResult.objects.filter(status="READY")
    assert retries.count() == 2
    assert all(r.run_after and r.run_after > timezone.now() for r in retries)
    assert work_off() == 0  # not due yet
    # A minute later the server is back.
    retries.update(run_after=timezone.now() - timedelta(seconds=1))
    with smtp_server(smtp_settings.EMAIL_PORT) as (inbox, _port):
        assert work_off() == 2
        # The task enqueued once more, by mistake or by a second worker: nothing twice.
        for message in messages:
            tasks.send_message.enqueue(message.pk)
        work_off()
    assert sorted(r[0] for r in inbox.recipients) == [
        "digital@city.ise.example", "residents@city.ise.example",
    ]
    assert set(Message.objects.values_list("status", flat=True)) == {MessageStatus.SENT}


def test_a_message_claimed_by_another_worker_is_not_sent_again(owners, smtp_settings):
    open_round(owners)
    message = Message.objects.first()
    now = timezone.now()
    assert tasks.claim(message.pk, now=now) is not None
    with smtp_server(smtp_settings.EMAIL_PORT) as (inbox, _port):
        assert tasks.deliver(message.pk, now=now + timedelta(minutes=1)).status == "skipped"
        assert inbox.messages == []
        # The other worker died mid-send: after the claim times out it is sent, once.
        later = now + tasks.CLAIM_TIMEOUT + timedelta(seconds=1)
        assert tasks.deliver(message.pk, now=later).status == MessageStatus.SENT
        assert tasks.deliver(message.pk, now=later).status == "skipped"
    assert len(inbox.messages) == 1


def test_after_the_last_attempt_the_message_is_marked_failed(owners, smtp_settings):
    open_round(owners)
    message = Message.objects.first()
    Message.objects.filter(pk=message.pk).update(attempts=tasks.MAX_ATTEMPTS - 1)
    assert tasks.deliver(message.pk).status == MessageStatus.FAILED
    message.refresh_from_db()
    assert message.status == MessageStatus.FAILED and message.last_error


def test_an_action_rolled_back_records_and_sends_no_mail(owners, smtp_settings):
    class Abort(Exception):
        pass

    with pytest.raises(Abort), transaction.atomic():
        open_round(owners)
        raise Abort
    assert Message.objects.count() == 0
    assert DBTaskResult.objects.count() == 0


def test_a_refused_action_records_no_mail(owners, smtp_settings, opened):
    digital = opened.submissions.get(department=owners.digital)
    with pytest.raises(services.RoundRefused):
        services.submission_submit(submission=digital, user=owners.digital_user,
                                   seen=digital.version)
    assert not Message.objects.filter(kind="submitted").exists()


def test_reminders_before_and_after_the_deadline_once_a_day(owners, smtp_settings, opened):
    before = DEADLINE - timedelta(days=3)
    counts = reminders.reminders_record(today=before, days_before=3)
    assert counts == {"reminder": 2, "late": 0}
    # The job runs again the same day: nothing new.
    assert reminders.reminders_record(today=before, days_before=3) == {"reminder": 0, "late": 0}
    # Two days before: not a reminder day.
    assert reminders.reminders_record(today=DEADLINE - timedelta(days=2), days_before=3) == {
        "reminder": 0, "late": 0,
    }
    # デジタル政策課 submits; after the deadline only 戸籍住民課 is reminded, daily.
    digital = opened.submissions.get(department=owners.digital)
    kgis = services.round_indicators(opened, owners.digital)
    services.entries_save(
        submission=digital, user=owners.digital_user, seen=digital.version, now=OPENED,
        entries=[services.Entry(k.pk, ActualState.MEASURED, Decimal(1), 0) for k in kgis],
    )
    digital.refresh_from_db()
    services.submission_submit(submission=digital, user=owners.digital_user,
                               seen=digital.version, now=OPENED)
    after = DEADLINE + timedelta(days=2)
    assert reminders.reminders_record(today=after, days_before=3) == {"reminder": 1, "late": 1}
    assert reminders.reminders_record(today=after + timedelta(days=1), days_before=3) == {
        "reminder": 1, "late": 1,
    }
    with smtp_server(smtp_settings.EMAIL_PORT) as (inbox, _port):
        work_off()
    received = inbox.to("residents@city.ise.example")
    subjects = [subject(m) for m in received]
    assert "【実績報告】提出のお願い：提出期限まで あと3日です（令和8年度 実績報告）" in subjects
    assert "【実績報告】提出のお願い：提出期限を2日過ぎています（令和8年度 実績報告）" in subjects
    assert not any("過ぎて" in subject(m) for m in inbox.to("digital@city.ise.example")
                   if "提出のお願い" in subject(m))
    late = [m for m in inbox.to("office@city.ise.example") if "期限を過ぎて" in subject(m)]
    assert len(late) == 2
    assert "・戸籍住民課（未着手）" in late[0].get_content()
    assert "デジタル政策課" not in late[0].get_content()


def test_closed_rounds_send_no_reminders(owners, smtp_settings, opened):
    services.round_close(round_=opened, user=owners.office, seen=opened.version)
    assert reminders.reminders_record(today=DEADLINE + timedelta(days=1), days_before=3) == {
        "reminder": 0, "late": 0,
    }


def test_the_reminder_command_reports_what_it_recorded(owners, smtp_settings, opened,
                                                       monkeypatch, capsys):
    monkeypatch.setattr(timezone, "localdate", lambda: DEADLINE + timedelta(days=1))
    call_command("send_reminders")
    assert "督促メール 2件、期限超過の一覧（DX推進担当あて）1件を記録しました。" in (
        capsys.readouterr().out
    )


@pytest.mark.django_db(transaction=True)
def test_the_db_worker_command_sends_the_recorded_mail(plans, smtp_settings):
    """The real worker (``manage.py db_worker --batch``), committed data, a real server."""
    from accounts.roles import Role
    from plans.models import Plan
    from tests.helpers import user_with_role
    from tests.reporting.conftest import give_measures

    plan = Plan.objects.get(code="ise-2")
    give_measures(plan)
    office = user_with_role(Role.OFFICE, username="ise-office")
    user = user_with_role(Role.DEPARTMENT, departments=("デジタル政策課",), username="digital")
    user.email = "digital@city.ise.example"
    user.save()
    services.round_open(plan=plan, fiscal_year=2026, deadline=DEADLINE, user=office,
                        now=datetime(2027, 4, 15, 9, 0, tzinfo=TOKYO))
    with smtp_server(smtp_settings.EMAIL_PORT) as (inbox, _port):
        call_command("db_worker", batch=True, verbosity=0)
    assert inbox.recipients == [["digital@city.ise.example"]]
    assert Message.objects.get().status == MessageStatus.SENT
    assert Submission.objects.filter(status=SubmissionStatus.NOT_STARTED).count() == 2
    assert not DBTaskResult.objects.filter(status="READY").exists()


def test_the_demo_round_opens_once_on_a_fresh_demo_installation(plans, capsys):
    call_command("create_demo_user")
    call_command("seed_demo_round")
    out = capsys.readouterr().out
    assert "デモ用に「第2期 伊勢市デジタル行政推進ビジョン 令和8年度 実績報告」を開始しました" in out
    from reporting.models import Round

    round_ = Round.objects.get()
    assert sorted(round_.submissions.values_list("department__name", flat=True)) == [
        "デジタル政策課", "戸籍住民課",
    ]
    assert Message.objects.filter(to="ise-dept@example.invalid", kind="opened").count() == 1
    call_command("seed_demo_round")
    assert Round.objects.count() == 1
