"""The office's pages of a round: the list, opening one, the board and its actions.

Views parse the request, read through :mod:`reporting.selectors` (scope)
and :mod:`reporting.board` (the rows), write only through
:mod:`reporting.services`, and render. The round's rules are the
services': a refusal (``RoundRefused``, ``StaleRound``) comes back as its
Japanese message, shown on the page it came from, and nothing is written.

Who gets what: a round or submission outside the user's scope is 404; the
DX office (and システム管理者) of the round's city runs it; a 所管課 or
閲覧 login that reaches it gets 403 (docs/roles.md).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from accounts.roles import Role, scope_of
from ise_iga_dx.forms import JapaneseDateField
from ise_iga_dx.lib import wareki
from plans.models import Plan
from plans.selectors import plans_managed_by
from reporting import board as rows
from reporting import selectors, services
from reporting.models import Purpose

if TYPE_CHECKING:
    from datetime import date, datetime

    from django.core.paginator import Page
    from django.db.models import QuerySet
    from django.http import HttpRequest, HttpResponse

    from reporting.models import Round, Submission

# Primary keys are 64-bit; a larger id is a 404, not a database overflow.
MAX_ID = 2**63 - 1
DATE_HELP = "カレンダーから選ぶか、年・月・日を数字で入力します。"
DATE_INVALID = "日付を 2027-05-29 または 令和9年5月29日 の形で入力してください。"
RELOAD = (
    "ページの情報が足りないか古くなっています。ページを開き直してから、もう一度操作してください。"
)
GENERAL = "general"


def now() -> datetime:
    """Return the current time (one place, so a test can move the clock)."""
    return timezone.now()


def today() -> date:
    return timezone.localtime(now()).date()


# Forms: they parse what was typed; the services decide.


class DeadlineField(JapaneseDateField):
    """A deadline: 2027-05-29 from the date input, or 令和9年5月29日 as typed."""

    default_error_messages = {"invalid": DATE_INVALID}


class PlanChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Plan) -> str:
        return f"{obj.municipality.name} {obj.name}"


class RoundOpenForm(forms.Form):
    plan = PlanChoiceField(
        label="計画", queryset=Plan.objects.none(), empty_label=None,
        error_messages={
            "invalid_choice": "選べない計画です。一覧にある計画を選んでください。",
            "required": "計画を選んでください。",
        },
    )
    purpose = forms.ChoiceField(
        label="種類", choices=Purpose.choices, initial=Purpose.ACTUAL,
        help_text="実績報告は年度の実績値を、見込み報告は年度途中に年度末の見込み値を集めます。",
        error_messages={
            "invalid_choice": "選べない種類です。実績報告か見込み報告を選んでください。",
        },
    )
    fiscal_year = forms.TypedChoiceField(
        label="年度", coerce=int,
        error_messages={
            "invalid_choice": "選べない年度です。一覧にある年度を選んでください。",
            "required": "年度を選んでください。",
        },
    )
    deadline = DeadlineField(
        label="提出期限", help_text=DATE_HELP,
        error_messages={"required": "提出期限を入力してください。"},
    )

    def __init__(self, *args: object, plans: QuerySet[Plan], **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        shown = list(plans)
        self.fields["plan"].queryset = plans
        years = sorted({year for plan in shown for year in plan.fiscal_years})
        self.fields["fiscal_year"].choices = [
            (year, wareki.fiscal_year_label(year)) for year in years
        ]


def open_initial(plans: list[Plan], day: date) -> dict[str, object]:
    """Suggest the year just ended (April's round) and a plan that covers it."""
    year = wareki.fiscal_year_of(day) - 1
    covering = [plan for plan in plans if year in plan.fiscal_years]
    if covering:
        return {"plan": covering[-1].pk, "fiscal_year": year}
    if plans:
        return {"plan": plans[0].pk, "fiscal_year": plans[0].start_year}
    return {}


class ExtendForm(forms.Form):
    version = forms.IntegerField(min_value=0, max_value=MAX_ID, widget=forms.HiddenInput)
    deadline = DeadlineField(
        label="新しい提出期限", help_text=DATE_HELP,
        error_messages={"required": "新しい提出期限を入力してください。"},
    )


class VersionForm(forms.Form):
    version = forms.IntegerField(min_value=0, max_value=MAX_ID, widget=forms.HiddenInput)


def posted_version(request: HttpRequest) -> int | None:
    form = VersionForm(request.POST)
    return form.cleaned_data["version"] if form.is_valid() else None


def posted_numbers(request: HttpRequest, prefix: str) -> dict[int, str]:
    """Return the POST fields ``<prefix><id>`` by id (other names are ignored)."""
    found = {}
    for name, value in request.POST.items():
        key = name.removeprefix(prefix)
        if name.startswith(prefix) and key.isascii() and key.isdigit() and len(key) <= 18:
            found[int(key)] = value
    return found


# Reaching a round or a submission.


def check_id(pk: int) -> None:
    if pk > MAX_ID:
        raise Http404("見つかりません。")


def office_round(request: HttpRequest, pk: int) -> Round:
    """Return the round ``pk`` if the user runs it; 404 out of scope, 403 for other roles."""
    check_id(pk)
    round_ = get_object_or_404(selectors.rounds_visible_to(user=request.user), pk=pk)
    if not selectors.may_manage(request.user, round_):
        raise PermissionDenied("実績報告を管理できるのは DX推進担当です。")
    return round_


def office_submission(request: HttpRequest, pk: int) -> Submission:
    """Return the submission ``pk`` if the user runs its round (as :func:`office_round`)."""
    check_id(pk)
    submission = get_object_or_404(selectors.submissions_visible_to(user=request.user), pk=pk)
    if not selectors.may_manage(request.user, submission.round):
        raise PermissionDenied("差戻し・確定ができるのは DX推進担当です。")
    return submission


# The list of rounds.


@login_required
@require_safe
def rounds(request: HttpRequest) -> HttpResponse:
    """The office's rounds (and a button to open one); a department's own submissions."""
    scope = scope_of(request.user)
    if scope.manages_plans:
        visible = selectors.rounds_visible_to(user=request.user).filter(
            plan__in=plans_managed_by(user=request.user)
        )
        return rounds_page(request, office=True, page=rows.round_list(
            rounds=visible, page=request.GET.get("page")
        ))
    if scope.role is Role.DEPARTMENT:
        return rounds_page(request, office=False, page=rows.submission_list(
            submissions=selectors.submissions_visible_to(user=request.user), today=today(),
            page=request.GET.get("page"),
        ))
    raise PermissionDenied("実績報告の一覧を見られるのは DX推進担当と所管課です。")


def rounds_page(request: HttpRequest, *, office: bool, page: Page) -> HttpResponse:
    return render(request, "reporting/rounds.html", {
        "office": office,
        "page": page,
        "page_numbers": page.paginator.get_elided_page_range(page.number, on_each_side=2),
    })


# Opening a round.


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def round_open(request: HttpRequest) -> HttpResponse:
    if not scope_of(request.user).manages_plans:
        raise PermissionDenied("実績報告を開始できるのは DX推進担当です。")
    plans = plans_managed_by(user=request.user)
    refusal = ""
    if request.method == "POST":
        form = RoundOpenForm(request.POST, plans=plans)
        if form.is_valid():
            try:
                round_ = services.round_open(
                    plan=form.cleaned_data["plan"], fiscal_year=form.cleaned_data["fiscal_year"],
                    deadline=form.cleaned_data["deadline"], user=request.user,
                    purpose=Purpose(form.cleaned_data["purpose"]), now=now(),
                )
            except services.RoundRefused as error:
                refusal = str(error)
            else:
                messages.success(request, (
                    f"{round_.plan.name}の{round_.title}を開始しました"
                    f"（提出期限 {wareki.date_text(round_.deadline)}）。"
                    f"{round_.submissions.count()}課に入力を依頼し、"
                    f"メール{round_.messages.count()}件を送信待ちとして記録しました。"
                ))
                return redirect("reporting:board", pk=round_.pk)
    else:
        form = RoundOpenForm(plans=plans, initial=open_initial(list(plans), today()))
    return render(request, "reporting/round_open.html", {"form": form, "refusal": refusal})


# The board and its actions.


def render_board(
    request: HttpRequest, round_: Round, *, extend_value: str = "", extend_error: str = ""
) -> HttpResponse:
    return render(request, "reporting/board.html", {
        "board": rows.round_board(round_=round_, today=today()),
        "extend_value": extend_value,
        "extend_error": extend_error,
    })


@login_required
@require_safe
def board(request: HttpRequest, pk: int) -> HttpResponse:
    return render_board(request, office_round(request, pk))


@login_required
@require_POST
def round_extend(request: HttpRequest, pk: int) -> HttpResponse:
    """Move the deadline; a refusal shows the board again with the date as typed."""
    round_ = office_round(request, pk)
    form = ExtendForm(request.POST)
    typed = request.POST.get("deadline", "")[:40]
    if not form.is_valid():
        error = RELOAD if "version" in form.errors else " ".join(form.errors["deadline"])
        return render_board(request, round_, extend_value=typed, extend_error=error)
    try:
        extended = services.round_extend(
            round_=round_, deadline=form.cleaned_data["deadline"], user=request.user,
            seen=form.cleaned_data["version"], now=now(),
        )
    except services.RoundRefused as error:
        round_.refresh_from_db()
        return render_board(request, round_, extend_value=typed, extend_error=str(error))
    messages.success(request, (
        f"提出期限を{wareki.date_text(extended.deadline)}に変更しました。"
        "まだ提出していない課にメールで知らせます。"
    ))
    return redirect("reporting:board", pk=round_.pk)


@login_required
@require_POST
def round_close(request: HttpRequest, pk: int) -> HttpResponse:
    round_ = office_round(request, pk)
    version = posted_version(request)
    if version is None:
        messages.error(request, RELOAD)
        return redirect("reporting:board", pk=round_.pk)
    try:
        closed = services.round_close(round_=round_, user=request.user, seen=version, now=now())
    except services.RoundRefused as error:
        messages.error(request, str(error))
    else:
        messages.success(request, (
            f"{closed.title}を締め切りました。これ以降、所管課も DX推進担当も"
            "この実績報告の入力・提出・差戻し・確定はできません。"
        ))
    return redirect("reporting:board", pk=round_.pk)


def render_return(
    request: HttpRequest, submission: Submission, *, typed: dict[str, str] | None = None,
    refusal: str = "",
) -> HttpResponse:
    kgis, general_notes = rows.submission_kgis(submission=submission)
    typed = typed or {}
    return render(request, "reporting/return.html", {
        "submission": submission,
        "round": submission.round,
        "kgis": [(kgi, typed.get(str(kgi.indicator.pk), "")) for kgi in kgis],
        "general_notes": general_notes,
        "general_comment": typed.get(GENERAL, ""),
        "returnable": (submission.round.is_open
                       and submission.status in services.RETURNABLE),
        "state_message": (services.closed_message(submission.round)
                          if not submission.round.is_open
                          else services.state_message(submission, "return")),
        "max_length": services.RETURN_MAX_LENGTH,
        "refusal": refusal,
    })


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def submission_return(request: HttpRequest, pk: int) -> HttpResponse:
    """Return (差戻し) a submission with a comment per KGI and one for the whole."""
    submission = office_submission(request, pk)
    if request.method != "POST":
        return render_return(request, submission)
    typed = {str(key): text for key, text in posted_numbers(request, "comment-").items()}
    typed[GENERAL] = request.POST.get(f"comment-{GENERAL}", "")
    comments: dict[int | None, str] = {
        int(key): text for key, text in typed.items() if key != GENERAL
    }
    comments[None] = typed[GENERAL]
    version = posted_version(request)
    try:
        if version is None:
            raise services.RoundRefused(RELOAD)
        services.submission_return(submission=submission, comments=comments,
                                   user=request.user, seen=version, now=now())
    except services.RoundRefused as error:
        submission.refresh_from_db()
        return render_return(request, submission, typed=typed, refusal=str(error))
    count = rows.comment_count(list(comments.values()))
    messages.success(request, (
        f"{submission.department.name}の提出を差し戻しました（コメント{count}件）。"
        "所管課にメールで知らせます。"
    ))
    return redirect("reporting:board", pk=submission.round_id)


@login_required
@require_POST
def submission_confirm(request: HttpRequest, pk: int) -> HttpResponse:
    """Confirm (確定) a submission as shown: its version and each actual's."""
    submission = office_submission(request, pk)
    version = posted_version(request)
    seen: dict[int, int] = {}
    for key, value in posted_numbers(request, "actual-").items():
        value = value.strip()
        if not (value.isascii() and value.isdigit() and len(value) <= 18):
            version = None
            break
        seen[key] = int(value)
    try:
        if version is None:
            raise services.RoundRefused(RELOAD)
        services.submission_confirm(submission=submission, user=request.user, seen=version,
                                    seen_actuals=seen, now=now())
    except services.RoundRefused as error:
        messages.error(request, f"{submission.department.name}：{error}")
    else:
        messages.success(request, f"{submission.department.name}の提出を確定しました。")
    return redirect("reporting:board", pk=submission.round_id)
