"""The daily reminders of the reporting round (``manage.py send_reminders``).

Not a change of state, so not in :mod:`reporting.services`: this only
records the day's messages (:mod:`reporting.mail`), which the worker
sends. The rule, in Japanese: docs/reporting-round.md 「メール」.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db import transaction
from django.utils import timezone

from reporting import mail
from reporting.models import Round, RoundStatus, SubmissionStatus

if TYPE_CHECKING:
    from datetime import date, datetime

WAITING = (SubmissionStatus.NOT_STARTED, SubmissionStatus.IN_PROGRESS, SubmissionStatus.RETURNED)


def reminders_record(
    *, today: date, days_before: int, now: datetime | None = None
) -> dict[str, int]:
    """Record the day's reminders for every open round; return how many of each.

    A department that has not submitted is reminded ``days_before`` days
    before the deadline, on the deadline, and on each day after it; after
    the deadline the office also gets the list of late departments. Each
    message is recorded once per department (or round) and day, so running
    the job twice a day sends nothing twice.
    """
    now = now or timezone.now()
    counts = {"reminder": 0, "late": 0}
    rounds = Round.objects.filter(status=RoundStatus.OPEN).select_related("plan")
    with transaction.atomic():
        for round_ in rounds:
            days = (round_.deadline - today).days
            if days not in (days_before, 0) and days > 0:
                continue
            waiting = list(round_.submissions.filter(status__in=WAITING)
                           .select_related("department", "round__plan"))
            for submission in waiting:
                counts["reminder"] += len(mail.reminder(submission, today=today, now=now))
            if days < 0:
                counts["late"] += len(mail.late_summary(round_, waiting, today=today, now=now))
    return counts
