"""The round's e-mail: who is told what, recorded in the action's own transaction.

Every function here is called by :mod:`reporting.services` inside the
transaction of the action that causes the mail. It writes one
:class:`~reporting.models.Message` per recipient and enqueues its sending
(:func:`reporting.tasks.send_message`; with the database task backend the
task row is written in the same transaction). So a rolled-back action
sends nothing, and a committed one loses no mail even when the SMTP
server is down: the worker retries.

Subjects and bodies are Japanese; bodies carry a link and counts, never
the values themselves (mail leaves the city's network).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.conf import settings
from django.contrib.auth import get_user_model
from django.urls import reverse

from accounts.roles import Role
from ise_iga_dx.lib import wareki
from reporting.models import Message, SubmissionStatus

if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence
    from datetime import date, datetime

    from reporting.models import Round, Submission

SIGNATURE = "（このメールは KPI 進行管理システムから自動で送信しています。）"


def link(name: str, pk: int) -> str:
    """Return the absolute address of a round page (SITE_URL + path)."""
    return settings.SITE_URL.rstrip("/") + reverse(f"reporting:{name}", args=[pk])


def department_users(department_ids: Iterable[int]) -> dict[int, list[tuple[int, str, str]]]:
    """Return the active 所管課 users with an e-mail address, by department."""
    users: dict[int, list[tuple[int, str, str]]] = {}
    rows = get_user_model().objects.filter(
        is_active=True, groups__name=Role.DEPARTMENT.value,
        affiliation__departments__in=list(department_ids),
    ).exclude(email="").values_list("affiliation__departments", "pk", "email", "username")
    for department_id, pk, email, username in rows.distinct():
        users.setdefault(department_id, []).append((pk, email, username))
    return users


def office_users(municipality_id: int) -> list[tuple[int, str, str]]:
    """Return the municipality's active DX推進担当 users with an e-mail address."""
    return list(
        get_user_model().objects.filter(
            is_active=True, groups__name=Role.OFFICE.value,
            affiliation__municipality_id=municipality_id,
        ).exclude(email="").values_list("pk", "email", "username").distinct()
    )


def record(
    *, kind: str, key: str, round_: Round | None, recipients: Iterable[tuple[int, str, str]],
    subject: str, body: str, now: datetime,
) -> list[Message]:
    """Record one message per recipient and enqueue its sending; return the new ones.

    ``key`` (with the recipient's id appended) makes a message unique: one
    already recorded under the same key is not recorded again.
    """
    from reporting.tasks import send_message

    wanted = {f"{key}:{pk}": email for pk, email, _username in recipients}
    if not wanted:
        return []
    existing = set(Message.objects.filter(key__in=list(wanted)).values_list("key", flat=True))
    messages = Message.objects.bulk_create(
        Message(key=full_key, kind=kind, round=round_, to=email, subject=subject, body=body,
                created_at=now)
        for full_key, email in wanted.items() if full_key not in existing
    )
    if messages and messages[0].pk is None:
        # Back-ends that return no ids from a bulk insert (none of ours today).
        messages = list(Message.objects.filter(key__in=[m.key for m in messages]))
    for message in messages:
        send_message.enqueue(message.pk)
    return messages


def deadline_text(round_: Round) -> str:
    return wareki.date_text(round_.deadline)


def round_opened(
    round_: Round, submissions: Sequence[Submission], *, now: datetime
) -> None:
    """Ask each department for its KGIs' results, with a link to its page."""
    users = department_users(s.department_id for s in submissions)
    plan = round_.plan
    for submission in submissions:
        record(
            kind="opened", key=f"opened:{submission.pk}", round_=round_,
            recipients=users.get(submission.department_id, []),
            subject=(
                f"【実績報告のお願い】{plan.name} {round_.title}（期限 {deadline_text(round_)}）"
            ),
            body=(
                f"{submission.department} ご担当者様\n\n"
                f"{plan.name}の{round_.title}を開始しました。\n"
                "所管する指標（KGI）の実績値と、取組状況・要因分析・今後の方向性を入力し、"
                f"提出期限 {deadline_text(round_)} までに「提出」してください。\n\n"
                f"入力ページ：{link('submission', submission.pk)}\n\n{SIGNATURE}\n"
            ),
            now=now,
        )


def deadline_changed(round_: Round, *, now: datetime) -> None:
    """Tell the departments that have not submitted the new deadline."""
    waiting = list(round_.submissions.filter(status__in=(
        SubmissionStatus.NOT_STARTED, SubmissionStatus.IN_PROGRESS, SubmissionStatus.RETURNED,
    )).select_related("department"))
    users = department_users(s.department_id for s in waiting)
    stamp = now.strftime("%Y%m%d%H%M%S")
    for submission in waiting:
        record(
            kind="deadline", key=f"deadline:{submission.pk}:{stamp}", round_=round_,
            recipients=users.get(submission.department_id, []),
            subject=f"【実績報告】提出期限が {deadline_text(round_)} に変更されました",
            body=(
                f"{submission.department} ご担当者様\n\n"
                f"{round_.plan.name}の{round_.title}の提出期限を "
                f"{deadline_text(round_)} に変更しました。\n\n"
                f"入力ページ：{link('submission', submission.pk)}\n\n{SIGNATURE}\n"
            ),
            now=now,
        )


def submitted(submission: Submission, *, now: datetime) -> None:
    """Tell the office that a department submitted, with the board's counts."""
    round_ = submission.round
    total = round_.submissions.count()
    done = round_.submissions.filter(
        status__in=(SubmissionStatus.SUBMITTED, SubmissionStatus.CONFIRMED)
    ).count()
    record(
        kind="submitted", key=f"submitted:{submission.pk}:{now.strftime('%Y%m%d%H%M%S')}",
        round_=round_, recipients=office_users(round_.plan.municipality_id),
        subject=f"【実績報告】{submission.department}が提出しました（{done}/{total}課）",
        body=(
            f"{round_.plan.name}の{round_.title}に、{submission.department}が提出しました。\n"
            f"提出済み：{total}課中{done}課\n\n"
            f"確認ページ：{link('submission', submission.pk)}\n"
            f"提出状況：{link('board', round_.pk)}\n\n{SIGNATURE}\n"
        ),
        now=now,
    )


def returned(submission: Submission, *, count: int, now: datetime) -> None:
    """Tell the department its answer was returned, and on how many KGIs."""
    round_ = submission.round
    record(
        kind="returned", key=f"returned:{submission.pk}:{now.strftime('%Y%m%d%H%M%S')}",
        round_=round_,
        recipients=department_users([submission.department_id]).get(submission.department_id,
                                                                     []),
        subject=f"【実績報告】差戻しがあります（{round_.title}）",
        body=(
            f"{submission.department} ご担当者様\n\n"
            f"{round_.plan.name}の{round_.title}について、DX推進担当から差戻しがありました"
            f"（コメント {count}件）。\n"
            "入力ページで各指標の横に表示されるコメントを確認し、修正して再度「提出」してください。"
            f"\n提出期限：{deadline_text(round_)}\n\n"
            f"入力ページ：{link('submission', submission.pk)}\n\n{SIGNATURE}\n"
        ),
        now=now,
    )


def reminder(submission: Submission, *, today: date, now: datetime) -> list[Message]:
    """Remind a department that has not submitted: before the deadline, or each day after."""
    round_ = submission.round
    days = (round_.deadline - today).days
    when = f"提出期限まで あと{days}日です" if days > 0 else (
        "本日が提出期限です" if days == 0 else f"提出期限を{-days}日過ぎています"
    )
    return record(
        kind="reminder", key=f"reminder:{submission.pk}:{today:%Y%m%d}", round_=round_,
        recipients=department_users([submission.department_id]).get(submission.department_id,
                                                                     []),
        subject=f"【実績報告】提出のお願い：{when}（{round_.title}）",
        body=(
            f"{submission.department} ご担当者様\n\n"
            f"{round_.plan.name}の{round_.title}は、まだ提出されていません"
            f"（状態：{submission.get_status_display()}）。\n"
            f"提出期限 {deadline_text(round_)}：{when}。\n"
            "実績値と取組状況・要因分析・今後の方向性を入力し、「提出」してください。\n\n"
            f"入力ページ：{link('submission', submission.pk)}\n\n{SIGNATURE}\n"
        ),
        now=now,
    )


def late_summary(
    round_: Round, late: Sequence[Submission], *, today: date, now: datetime
) -> list[Message]:
    """Tell the office which departments are past the deadline without submitting."""
    if not late:
        return []
    days = (today - round_.deadline).days
    names = "\n".join(
        f"・{submission.department}（{submission.get_status_display()}）" for submission in late
    )
    return record(
        kind="late", key=f"late:{round_.pk}:{today:%Y%m%d}", round_=round_,
        recipients=office_users(round_.plan.municipality_id),
        subject=f"【実績報告】期限を過ぎて未提出の所管課：{len(late)}課（{round_.title}）",
        body=(
            f"{round_.plan.name}の{round_.title}は、提出期限 {deadline_text(round_)} を"
            f"{days}日過ぎました。まだ提出していない所管課（{len(late)}課）：\n{names}\n\n"
            "各課には本日、提出のお願いを送信しました。\n"
            f"提出状況：{link('board', round_.pk)}\n\n{SIGNATURE}\n"
        ),
        now=now,
    )
