"""Sending the recorded e-mail (django-tasks, database backend): see reporting.mail."""

from __future__ import annotations

from django_tasks import task


@task()
def send_message(message_id: int) -> None:
    """Send one recorded message (filled in with retries by the mail work)."""
    raise NotImplementedError
