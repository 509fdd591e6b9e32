"""Load the plans shipped in fixtures/ that the database does not hold yet."""

from __future__ import annotations

from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand

from audit.writers import record_initial_history
from plans.models import Plan

# Fixture name = plan code. Loading only missing plans keeps whatever the
# office has edited since (targets, texts): ``make run`` never overwrites.
SHIPPED_PLANS = ("ise-1", "ise-2", "iga-2")


class Command(BaseCommand):
    help = "同梱の計画（ise-1, ise-2, iga-2）のうち、未登録のものだけを読み込みます。"

    def handle(self, *args: Any, **options: Any) -> None:
        existing = set(Plan.objects.filter(code__in=SHIPPED_PLANS).values_list("code", flat=True))
        missing = [code for code in SHIPPED_PLANS if code not in existing]
        if not missing:
            self.stdout.write("同梱の計画はすべて登録済みです。")
            return
        call_command("loaddata", *missing, verbosity=0)
        record_initial_history()
        self.stdout.write(f"計画を読み込みました：{'、'.join(missing)}")
