"""Load the plans shipped in fixtures/ that the database does not hold yet,
and the shipped links between their KGIs (前期の指標との接続) not there yet."""

from __future__ import annotations

import json
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.db import transaction

from audit.writers import FIXTURE_REASON, record_initial_history
from indicators.models import Continuation, Indicator
from plans.models import Plan

# Fixture name = plan code. Loading only missing plans keeps whatever the
# office has edited since (targets, texts): ``make run`` never overwrites.
SHIPPED_PLANS = ("ise-1", "ise-2", "iga-2")
# The ise-1 → ise-2 links and their evidence (docs/cross-period-links.md).
SHIPPED_CONTINUATIONS = "ise-continuations"


def add_shipped_continuations() -> list[str]:
    """Add each shipped link whose two KGIs exist and were never linked; return them.

    A link is left alone when either KGI is linked already (the office's
    link, or its edited reason, stays), when the two were ever linked (a
    link the office deleted stays deleted: its history says so), or when
    it no longer passes validation (a KGI's unit or plan changed since).
    """
    path = settings.FIXTURE_DIRS[0] / f"{SHIPPED_CONTINUATIONS}.json"
    entries = [entry["fields"] for entry in json.loads(path.read_text(encoding="utf-8"))]
    codes = {entry[side][0] for entry in entries for side in ("earlier", "later")}
    found = {
        indicator.code: indicator for indicator in Indicator.objects.filter(
            code__in=codes
        ).select_related("plan", "continuation", "continues")
    }
    ever = set(Continuation.history.values_list("earlier_id", "later_id"))
    added = []
    with transaction.atomic():
        for entry in entries:
            earlier = found.get(entry["earlier"][0])
            later = found.get(entry["later"][0])
            if earlier is None or later is None or (earlier.pk, later.pk) in ever:
                continue
            if hasattr(earlier, "continuation") or hasattr(later, "continues"):
                continue
            link = Continuation(earlier=earlier, later=later, reason=entry["reason"])
            try:
                link.full_clean()
            except ValidationError:
                continue
            link._change_reason = FIXTURE_REASON
            link.save()
            added.append(str(link))
    return added


class Command(BaseCommand):
    help = (
        "同梱の計画（ise-1, ise-2, iga-2）のうち未登録のものと、"
        "第1期・第2期の指標の接続のうち未登録のものだけを読み込みます。"
    )

    def handle(self, *args: Any, **options: Any) -> None:
        existing = set(Plan.objects.filter(code__in=SHIPPED_PLANS).values_list("code", flat=True))
        missing = [code for code in SHIPPED_PLANS if code not in existing]
        if missing:
            call_command("loaddata", *missing, verbosity=0)
            record_initial_history()
            self.stdout.write(f"計画を読み込みました：{'、'.join(missing)}")
        else:
            self.stdout.write("同梱の計画はすべて登録済みです。")
        added = add_shipped_continuations()
        if added:
            self.stdout.write(f"前期の指標との接続を登録しました：{'、'.join(added)}")
