"""The department's page of a round: its KGIs, values and comments; save and submit.

GET shows the page: a form to the department's own logins while the
submission takes values (未着手, 入力中, 差戻し) and the round is open;
otherwise the values printed, with why and whom to ask. The DX office
(and システム管理者) read the same page, with the links to return or
confirm a submitted one. A POST saves every KGI of the page through
``services.entries_save``, or nothing: a bad field shows the page again
with what was typed (:mod:`reporting.entry_form`).

Outside the user's scope a submission is 404; within it, a login that
may neither enter nor manage it (閲覧) gets 403.

Queries, whatever the number of KGIs (tests/reporting/
test_department_page.py): a GET ten (session, user and scope five, the
page five); a refused save eleven; a save about twenty, its writes in bulk.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from indicators.models import COMMENT_MAX_LENGTH
from reporting import entry_form, entry_page, selectors, services
from reporting.models import SubmissionStatus

if TYPE_CHECKING:
    from django.http import HttpRequest, HttpResponse

    from reporting.models import Submission

# Primary keys are 64-bit; a larger id is a 404, not a database overflow.
MAX_ID = 2**63 - 1
SAVED = "保存しました（{count}件）"
UNCHANGED = "保存しました（変更はありません）"
SUBMITTED = "提出しました。DX推進担当が確認します。"
# The fields of a KGI in the order the page shows them (the error summary's order).
FIELD_ORDER = ("value", "reason", "progress", "analysis", "direction")


def reachable_submission(request: HttpRequest, pk: int) -> tuple[Submission, bool]:
    """Return the submission and whether the user enters it (else manages it).

    404 outside the user's scope, 403 for a login that may do neither.
    """
    if pk > MAX_ID:
        raise Http404
    submission = get_object_or_404(selectors.submissions_visible_to(user=request.user), pk=pk)
    enters = selectors.may_enter(request.user, submission)
    if not enters and not selectors.may_manage(request.user, submission.round):
        raise PermissionDenied
    return submission, enters


def takes_values(submission: Submission) -> bool:
    return submission.round.is_open and submission.status in services.EDITABLE


def read_only_reason(submission: Submission, *, enters: bool) -> str:
    """Say why the page shows no form, and whom to ask."""
    round_ = submission.round
    if not round_.is_open:
        return services.closed_message(round_)
    if not enters:
        return (
            f"DX推進担当の確認用の表示です。実績値と取組状況などは{submission.department.name}"
            "が入力します。"
        )
    if submission.status == SubmissionStatus.CONFIRMED:
        office = round_.plan.secretariat or "DX推進本部事務局"
        return (
            "DX推進担当が確定したため変更できません。変更が必要な場合は、"
            f"{round_.plan.municipality.name}の DX推進担当（{office}）にお問い合わせください。"
        )
    return services.state_message(submission, "edit")


def error_list(form_blocks: list[entry_form.Block]) -> list[tuple[str, str]]:
    """Return (field id, message) of every field error, in the page's order."""
    return [
        (f"{name}-{block.row.indicator.pk}", block.fields.errors[name])
        for block in form_blocks
        for name in FIELD_ORDER
        if name in block.fields.errors
    ]


def render_page(
    request: HttpRequest, submission: Submission, *, enters: bool,
    parsed: entry_form.ParsedPage | None = None, refusal: str = "",
) -> HttpResponse:
    """Render the page; after a refused POST, the form again with what was typed."""
    page = entry_page.submission_page(submission=submission, today=timezone.localdate())
    form_blocks = entry_form.blocks(page.rows, parsed.typed if parsed else None)
    # After a refused save the form stays, even if the submission no longer
    # takes values, so that nothing typed is lost.
    editable = enters and (parsed is not None or takes_values(submission))
    problems = [*(parsed.problems if parsed else []), *([refusal] if refusal else [])]
    if parsed is not None:
        version = "" if parsed.version is None else str(parsed.version)
    else:
        version = str(submission.version)
    round_ = submission.round
    return render(request, "reporting/submission.html", {
        "submission": submission,
        "round": round_,
        "page": page,
        "blocks": form_blocks,
        "editable": editable,
        "version": version,
        "read_only_reason": "" if editable else read_only_reason(submission, enters=enters),
        "problems": problems,
        "errors": error_list(form_blocks),
        "submittable": enters and takes_values(submission),
        "comment_max_length": COMMENT_MAX_LENGTH,
        "office_actions": (not enters and round_.is_open
                           and submission.status == SubmissionStatus.SUBMITTED),
    })


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def submission(request: HttpRequest, pk: int) -> HttpResponse:
    """Show the page; on POST (下書き保存) save every KGI's fields, or nothing."""
    submission, enters = reachable_submission(request, pk)
    if request.method != "POST":
        return render_page(request, submission, enters=enters)
    if not enters:
        raise PermissionDenied
    indicators = list(entry_page.asked_indicators(submission))
    parsed = entry_form.entries_from_post(request.POST, indicators,
                                          value_word=submission.round.value_word)
    if not parsed.valid:
        return render_page(request, submission, enters=enters, parsed=parsed)
    try:
        outcome = services.entries_save(
            submission=submission, entries=parsed.entries, user=request.user,
            seen=parsed.version,
        )
    except services.RoundRefused as error:
        return render_page(request, submission, enters=enters, parsed=parsed,
                           refusal=str(error))
    except ValidationError as error:
        # The form checks what the models check; should one slip through,
        # it is still a message, and the transaction wrote nothing.
        return render_page(request, submission, enters=enters, parsed=parsed,
                           refusal="".join(error.messages))
    count = len(outcome.created) + len(outcome.updated)
    messages.success(request, SAVED.format(count=count) if count else UNCHANGED)
    return redirect("reporting:submission", pk=submission.pk)


@login_required
@require_POST
def submit(request: HttpRequest, pk: int) -> HttpResponse:
    """Submit (提出) the department's answer; a refusal shows the page with its reason."""
    submission, enters = reachable_submission(request, pk)
    if not enters:
        raise PermissionDenied
    version, ok = entry_form.optional_version(request.POST.get("version", ""))
    if version is None or not ok:
        return render_page(request, submission, enters=enters, refusal=entry_form.STALE_PAGE)
    try:
        services.submission_submit(submission=submission, user=request.user, seen=version)
    except services.RoundRefused as error:
        submission.refresh_from_db()
        return render_page(request, submission, enters=enters, refusal=str(error))
    messages.success(request, SUBMITTED)
    return redirect("reporting:submission", pk=submission.pk)
