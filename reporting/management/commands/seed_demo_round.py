"""Open a demo reporting round on a fresh demo installation (``make run``).

Only when the demo logins exist (``create_demo_user``), ise-2's measures
have owners and no round has been opened yet: 「令和8年度 実績報告」 of
ise-2, due 30 days from today, opened by ise-office. The departments'
e-mails go to the demo addresses (…@example.invalid) and, with the
console backend, are printed by the worker. Anything else: nothing.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.utils import timezone

from plans.models import Plan
from reporting.models import Round
from reporting.services import RoundRefused, round_open

DEMO_PLAN = "ise-2"
DEMO_OFFICE = "ise-office"
DEMO_YEAR = 2026
DAYS_TO_DEADLINE = 30


class Command(BaseCommand):
    help = "デモ用の実績報告（伊勢市 第2期 令和8年度）を、まだ一つもなければ開始します。"

    def handle(self, *args: Any, **options: Any) -> None:
        office = get_user_model().objects.filter(username=DEMO_OFFICE, is_active=True).first()
        plan = Plan.objects.filter(code=DEMO_PLAN).first()
        if office is None or plan is None or Round.objects.exists():
            return
        try:
            round_ = round_open(
                plan=plan, fiscal_year=DEMO_YEAR, user=office,
                deadline=timezone.localdate() + timedelta(days=DAYS_TO_DEADLINE),
            )
        except RoundRefused as refusal:
            self.stdout.write(f"デモ用の実績報告は開始しませんでした：{refusal}")
            return
        self.stdout.write(
            f"デモ用に「{plan.name} {round_.title}」を開始しました"
            f"（所管課 {round_.submissions.count()}課、ise-dept でログインすると入力できます）。"
        )
