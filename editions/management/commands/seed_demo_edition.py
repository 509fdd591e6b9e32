"""Freeze and publish ise-1's 令和7年度 on a fresh demo installation (``make run``).

Only when the demo logins exist (``create_demo_user``) and no edition has
been made yet. ise-1's R7 results are already public (the documents print
them), so the demo's public pages (/public/) show real, published numbers.
The meeting is the demo's own, and its name says so: no real meeting is
claimed. Anything else: nothing.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.utils import timezone

from editions.models import Edition
from editions.services import EditionRefused, freeze_edition, publish_edition
from plans.models import Plan

DEMO_PLAN = "ise-1"
DEMO_YEAR = 2025
DEMO_OFFICE = "ise-office"
DEMO_MEETING = "（デモ）第1期 令和7年度 実績の報告（計画書に掲載の実績値）"


class Command(BaseCommand):
    help = (
        "デモ用に、伊勢市 第1期 令和7年度の会議資料版を作成して公表します（まだ一つもなければ）。"
    )

    def handle(self, *args: Any, **options: Any) -> None:
        office = get_user_model().objects.filter(username=DEMO_OFFICE, is_active=True).first()
        plan = Plan.objects.filter(code=DEMO_PLAN).first()
        if office is None or plan is None or Edition.objects.exists():
            return
        now = timezone.now()
        try:
            edition = freeze_edition(
                plan=plan, fiscal_year=DEMO_YEAR, meeting_name=DEMO_MEETING,
                meeting_date=timezone.localdate(), user=office, now=now,
            )
            publish_edition(edition=edition, user=office, with_comments=False, now=now)
        except EditionRefused as refusal:
            self.stdout.write(f"デモ用の会議資料版は作成しませんでした：{refusal}")
            return
        self.stdout.write(
            f"デモ用に「{edition}」を作成し、公表しました"
            f"（ログインなしで /public/{plan.municipality.code}/ から見られます）。"
        )
