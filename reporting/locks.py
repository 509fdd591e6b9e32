"""The reporting round's lock on a department's own writes to its year.

Once a 所管課 login's department has submitted (提出済, or 確定 by the
office), or once the round is closed (締切済), the department may no
longer change that year's actuals by the entry sheet or the admin: only
the office may (after a return, or to correct). Registered with
:mod:`indicators.entry_locks` by :class:`reporting.apps.ReportingConfig`,
so the spreadsheets app and the admin ask without importing this app.
The messages are the round's own (:mod:`reporting.services`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db import connection
from django.db.models import F, OuterRef, Subquery

from accounts.roles import Role, scope_of
from reporting.models import Purpose, Round, Submission, SubmissionStatus
from reporting.services import closed_message, state_message

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser

    from indicators.entry_locks import Key

# A submission in these states is the office's to change, not the department's.
LOCKED = (SubmissionStatus.SUBMITTED, SubmissionStatus.CONFIRMED)


def round_refusals(user: AbstractBaseUser, keys: frozenset[Key]) -> dict[Key, str]:
    """Return the KGI-years of ``keys`` the round closes to ``user``, with why.

    Only a 所管課 login is locked; the DX office never is. One query for
    all keys: the rounds of the KGIs' plans and years, one row per KGI,
    each with the status of a locked submission of the user's own
    departments that owns the KGI (none: not locked by it).
    """
    scope = scope_of(user)
    if scope.manages_plans or scope.role is not Role.DEPARTMENT or not keys:
        return {}
    indicator_ids = {indicator_id for indicator_id, _year in keys}
    years = {year for _indicator_id, year in keys}
    if connection.in_atomic_block:
        # Writing (an import's confirmation, the admin's save): hold the
        # department's submissions until the write commits, so a submit
        # racing it waits (services.locked_submission locks the same rows)
        # and then sees what was written. SQLite serialises writers anyway.
        list(Submission.objects.select_for_update(of=("self",)).filter(
            round__plan__indicators__in=indicator_ids, round__fiscal_year__in=years,
            department_id__in=scope.department_ids,
        ).values_list("pk", flat=True))
    locked = Submission.objects.filter(
        round_id=OuterRef("pk"),
        department_id__in=scope.department_ids,
        department__municipality_id=scope.municipality_id,
        department__measures__indicators=OuterRef("kpi_indicator_id"),
        status__in=LOCKED,
    ).order_by("status").values("status")[:1]
    rounds = (
        # An outlook round (見込み報告) locks its outlooks, never the actuals.
        Round.objects.filter(plan__indicators__in=indicator_ids, fiscal_year__in=years,
                             purpose=Purpose.ACTUAL)
        # The filter's join to the KGIs, reused: one row per round and KGI.
        .annotate(kpi_indicator_id=F("plan__indicators"), kpi_locked=Subquery(locked))
        .select_related("plan__municipality")
    )
    refused: dict[Key, str] = {}
    for round_ in rounds:
        key = (round_.kpi_indicator_id, round_.fiscal_year)
        if key not in keys:
            continue
        if not round_.is_open:
            refused[key] = closed_message(round_)
        elif round_.kpi_locked:
            submission = Submission(round=round_, status=round_.kpi_locked)
            refused[key] = state_message(submission, "edit")
    return refused
