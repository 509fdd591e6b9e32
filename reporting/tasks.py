"""Sending the recorded e-mail: a django-tasks task, run by ``manage.py db_worker``.

:mod:`reporting.mail` records each message and enqueues
:func:`send_message` in the transaction of the action that causes it. The
worker then sends it in three steps, none holding a transaction while it
talks to the SMTP server:

1. **claim** (one short transaction, the row locked): a message already
   sent, failed for good, or claimed by another worker less than
   ``CLAIM_TIMEOUT`` ago is left alone; otherwise it is marked as being
   sent, and the attempt counted;
2. **send**, with a Message-ID made from the message's own id, so that a
   message sent again after a worker died between 2 and 3 is recognisably
   the same one;
3. **record** (another short transaction): 送信済み; or, when the server
   refused or could not be reached, the error, and the task is enqueued
   again to run after a back-off (``RETRY_AFTER``). After
   ``MAX_ATTEMPTS`` the message is 送信失敗 and the office's board lists it.

So an SMTP outage delays mail and loses none, and two workers (or the task
enqueued twice) never send one message twice.
"""

from __future__ import annotations

import smtplib
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import transaction
from django.utils import timezone
from django_tasks import task

from reporting.models import Message, MessageStatus

if TYPE_CHECKING:
    from datetime import datetime

# Minutes to wait before each retry: about a day in all before giving up.
RETRY_AFTER = (1, 5, 15, 30, 60, 120, 240, 480, 720)
MAX_ATTEMPTS = len(RETRY_AFTER) + 1
CLAIM_TIMEOUT = timedelta(minutes=10)
ERROR_MAX_LENGTH = 1000


@dataclass(frozen=True)
class Delivery:
    """What one run of :func:`deliver` did: ``status`` and when to try again."""

    status: str
    retry_at: datetime | None = None


def message_id_header(message: Message) -> str:
    """The Message-ID header: the same for every attempt of one message."""
    domain = settings.DEFAULT_FROM_EMAIL.rpartition("@")[2] or "localhost"
    return f"<kpi-message-{message.pk}@{domain}>"


def claim(message_pk: int, *, now: datetime) -> Message | None:
    """Mark the message as being sent by this worker; None if it is not to be sent."""
    with transaction.atomic():
        message = Message.objects.select_for_update().filter(pk=message_pk).first()
        if message is None or message.status != MessageStatus.PENDING:
            return None
        if message.claimed_at is not None and now - message.claimed_at < CLAIM_TIMEOUT:
            return None
        message.claimed_at = now
        message.attempts += 1
        message.save(update_fields=["claimed_at", "attempts"])
    return message


def deliver(message_pk: int, *, now: datetime | None = None) -> Delivery:
    """Send one recorded message, once; say what happened (see the module's steps)."""
    now = now or timezone.now()
    message = claim(message_pk, now=now)
    if message is None:
        return Delivery("skipped")
    email = EmailMessage(
        subject=message.subject, body=message.body, from_email=settings.DEFAULT_FROM_EMAIL,
        to=[message.to], headers={"Message-ID": message_id_header(message)},
    )
    try:
        email.send()
    except (smtplib.SMTPException, OSError) as error:
        return record_failure(message, error, now=now)
    with transaction.atomic():
        Message.objects.filter(pk=message.pk).update(
            status=MessageStatus.SENT, sent_at=timezone.now(), claimed_at=None, last_error=""
        )
    return Delivery(MessageStatus.SENT)


def record_failure(message: Message, error: Exception, *, now: datetime) -> Delivery:
    """Keep the error; retry later, or give up after MAX_ATTEMPTS."""
    text = f"{type(error).__name__}: {error}"[:ERROR_MAX_LENGTH]
    given_up = message.attempts >= MAX_ATTEMPTS
    with transaction.atomic():
        Message.objects.filter(pk=message.pk).update(
            last_error=text, claimed_at=None,
            status=MessageStatus.FAILED if given_up else MessageStatus.PENDING,
        )
    if given_up:
        return Delivery(MessageStatus.FAILED)
    wait = RETRY_AFTER[min(message.attempts, len(RETRY_AFTER)) - 1]
    return Delivery(MessageStatus.PENDING, retry_at=now + timedelta(minutes=wait))


@task()
def send_message(message_id: int) -> str:
    """Send one recorded message; on failure, enqueue itself again after a back-off."""
    delivery = deliver(message_id)
    if delivery.retry_at is not None:
        send_message.using(run_after=delivery.retry_at).enqueue(message_id)
    return str(delivery.status)
