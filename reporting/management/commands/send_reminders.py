"""Record today's reminders of every open round (run daily; deploy/systemd has a timer).

The messages are sent by the worker (``manage.py db_worker``); running this
twice on one day records nothing twice.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand
from django.utils import timezone

from reporting.reminders import reminders_record


class Command(BaseCommand):
    help = "実績報告の督促メール（期限前・期限後の未提出の所管課へ）を記録します。"

    def handle(self, *args: Any, **options: Any) -> None:
        counts = reminders_record(
            today=timezone.localdate(), days_before=settings.REPORTING_REMIND_DAYS_BEFORE
        )
        self.stdout.write(
            f"督促メール {counts['reminder']}件、期限超過の一覧（DX推進担当あて）"
            f"{counts['late']}件を記録しました。"
        )
