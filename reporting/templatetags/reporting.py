"""The reporting round on other apps' pages: the home page's banner.

The pages app sits below reporting (pyproject.toml's layers), so its home
page reaches the round through these tags rather than a Python import:
``{% load reporting %}{% reporting_banner %}``. One query per request,
whatever the number of submissions, and none for a login that enters
nothing.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django import template
from django.utils import timezone

from ise_iga_dx.lib import wareki
from reporting import entry_page, selectors

if TYPE_CHECKING:
    from django.template.context import Context

    from reporting.models import Submission

register = template.Library()


def open_submissions(context: Context) -> list[Submission]:
    """Return the user's open submissions with their counts, read once per request."""
    request = context.get("request")
    cached = getattr(request, "_reporting_open", None)
    if cached is not None:
        return cached
    user = request.user if request is not None else context.get("user")
    if user is None:
        return []
    submissions = list(
        entry_page.submissions_with_progress(selectors.open_submissions_of(user=user))
    )
    if request is not None:
        request._reporting_open = submissions
    return submissions


@register.simple_tag(takes_context=True)
def open_reporting(context: Context) -> list[Submission]:
    """Return the login's submissions in open rounds: ``{% open_reporting as rounds %}``."""
    return open_submissions(context)


@register.inclusion_tag("reporting/includes/entry_banner.html", takes_context=True)
def reporting_banner(context: Context) -> dict[str, object]:
    """Draw a line per open submission, with a link to its page.

    「令和8年度 実績報告：3件中1件 入力済み　期限 令和9年5月29日（あと12日）」
    """
    today = timezone.localdate()
    return {"items": [
        {
            "submission": submission,
            "progress": entry_page.progress_label(submission.answered_count,
                                                  submission.asked_count),
            "deadline_text": wareki.date_text(submission.round.deadline),
            "deadline": entry_page.deadline_label(submission.round.deadline, today),
            "overdue": submission.round.deadline < today,
        }
        for submission in open_submissions(context)
    ]}
