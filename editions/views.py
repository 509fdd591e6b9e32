"""The office's pages of meeting editions (会議資料版): list, freeze, read, publish.

Views parse the request, read through :mod:`editions.listing` (scope),
write only through :mod:`editions.services`, and render. A refusal
(:class:`editions.services.EditionRefused`) comes back as its Japanese
message on the page it came from, what was typed kept, nothing written.

Who gets what: the plans of the dashboard (DX office, 閲覧, システム管理者)
read their editions; a 所管課 login or another city's gets 404; only the
DX office of the plan's city (and システム管理者) freezes, publishes and
withdraws, anyone else who reaches the page gets 403 (docs/roles.md).
"""

from __future__ import annotations

from io import BytesIO
from typing import TYPE_CHECKING

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from accounts.roles import scope_of
from editions import listing, services
from editions.forms import MAX_ID, FreezeForm, PublishForm, WithdrawForm
from editions.models import Publication
from indicators.selectors import plan_default_year
from plans.selectors import plans_managed_by, plans_visible_to

if TYPE_CHECKING:
    from datetime import datetime

    from django.http import HttpRequest, HttpResponse

    from editions.models import Edition
    from plans.models import Plan

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
RELOAD = (
    "ページの情報が足りないか古くなっています。ページを開き直してから、もう一度操作してください。"
)
NOT_OFFICE = "会議資料版の作成・公表・取り下げができるのは、この計画の DX推進担当です。"


def now() -> datetime:
    """Return the current time (one place, so a test can move the clock)."""
    return timezone.now()


def may_manage(request: HttpRequest, plan: Plan) -> bool:
    return (
        scope_of(request.user).manages_plans
        and plans_managed_by(user=request.user).filter(pk=plan.pk).exists()
    )


def check_manager(request: HttpRequest, plan: Plan) -> None:
    if not may_manage(request, plan):
        raise PermissionDenied(NOT_OFFICE)


def visible_edition(request: HttpRequest, pk: int, *keep: str) -> Edition:
    """Return the edition ``pk`` if the user may read its plan (else 404), ``keep`` loaded."""
    if pk > MAX_ID:
        raise Http404("会議資料版が見つかりません。")
    return get_object_or_404(listing.editions_visible_to(user=request.user, keep=keep), pk=pk)


# The plan's editions, and freezing one.


def render_plan(
    request: HttpRequest, plan: Plan, *, form: FreezeForm | None = None, refusal: str = ""
) -> HttpResponse:
    manages = may_manage(request, plan)
    if form is None and manages:
        form = FreezeForm(plan=plan, initial={"fiscal_year": plan_default_year(plan=plan)})
    return render(request, "editions/plan_editions.html", {
        "plan": plan,
        "rows": listing.plan_edition_rows(plan=plan),
        "form": form if manages else None,
        "refusal": refusal,
    })


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def plan_editions(request: HttpRequest, code: str) -> HttpResponse:
    """List the plan's editions; the DX office freezes one here (POST)."""
    plan = get_object_or_404(plans_visible_to(user=request.user), code=code)
    if request.method != "POST":
        return render_plan(request, plan)
    check_manager(request, plan)
    form = FreezeForm(request.POST, plan=plan)
    if not form.is_valid():
        return render_plan(request, plan, form=form)
    try:
        edition = services.freeze_edition(
            plan=plan, fiscal_year=form.cleaned_data["fiscal_year"],
            meeting_name=form.cleaned_data["meeting_name"],
            meeting_date=form.cleaned_data["meeting_date"], user=request.user, now=now(),
        )
    except services.EditionRefused as error:
        return render_plan(request, plan, form=form, refusal=str(error))
    messages.success(request, (
        f"{edition}を作成しました。この版の内容は、後でデータを直しても変わりません。"
    ))
    return redirect("editions:edition", pk=edition.pk)


# One edition, publishing and withdrawing it.


def render_edition(
    request: HttpRequest, edition: Edition, *, withdraw_form: WithdrawForm | None = None,
    refusal: str = "",
) -> HttpResponse:
    page = listing.edition_page(edition=edition)
    in_force = page.in_force
    if withdraw_form is None and in_force is not None:
        withdraw_form = WithdrawForm(initial={
            "publication": in_force.pk, "version": in_force.version,
        })
    return render(request, "editions/edition.html", {
        "edition": edition,
        "plan": edition.plan,
        "page": page,
        "manages": may_manage(request, edition.plan),
        "publish_form": PublishForm(initial={
            "in_force": page.year_in_force.pk if page.year_in_force else 0,
        }),
        "withdraw_form": withdraw_form,
        "refusal": refusal,
    })


@login_required
@require_safe
def edition(request: HttpRequest, pk: int) -> HttpResponse:
    return render_edition(request, visible_edition(request, pk, "dashboard_html"))


@login_required
@require_POST
def publish(request: HttpRequest, pk: int) -> HttpResponse:
    found = visible_edition(request, pk)
    check_manager(request, found.plan)
    form = PublishForm(request.POST)
    if not form.is_valid():
        messages.error(request, RELOAD)
        return redirect("editions:edition", pk=found.pk)
    with_comments = form.cleaned_data["with_comments"]
    try:
        services.publish_edition(
            edition=found, user=request.user, with_comments=with_comments, now=now(),
            seen_in_force=form.cleaned_data["in_force"],
        )
    except services.EditionRefused as error:
        messages.error(request, str(error))
    else:
        messages.success(request, (
            f"{found}を公表しました"
            + ("（取組状況・要因分析・今後の方向性を含む）。" if with_comments else "。")
        ))
    return redirect("editions:edition", pk=found.pk)


@login_required
@require_POST
def withdraw(request: HttpRequest, pk: int) -> HttpResponse:
    """Withdraw the edition's publication in force, with a reason, as the page showed it."""
    found = visible_edition(request, pk, "dashboard_html")
    check_manager(request, found.plan)
    form = WithdrawForm(request.POST)
    if not form.is_valid():
        return render_edition(request, found, refusal=RELOAD)
    publication = Publication.objects.filter(
        edition=found, pk=form.cleaned_data["publication"]
    ).first()
    try:
        if publication is None:
            raise services.EditionRefused(RELOAD)
        services.withdraw_publication(
            publication=publication, seen_version=form.cleaned_data["version"],
            user=request.user, reason=form.cleaned_data["reason"], now=now(),
        )
    except services.EditionRefused as error:
        return render_edition(request, found, withdraw_form=form, refusal=str(error))
    messages.success(request, f"{found}の公表を取り下げました。公表ページからは消えます。")
    return redirect("editions:edition", pk=found.pk)


# The frozen pages and the 評価表.


@login_required
@require_safe
def edition_print(request: HttpRequest, pk: int) -> HttpResponse:
    found = visible_edition(request, pk, "print_html")
    return render(request, "editions/edition_print.html", {"edition": found})


@login_required
@require_safe
def edition_sheet(request: HttpRequest, pk: int) -> HttpResponse:
    found = visible_edition(request, pk, "sheet_html")
    return render(request, "editions/edition_sheet.html", {"edition": found})


@login_required
@require_safe
def workbook(request: HttpRequest, pk: int) -> FileResponse:
    """Send the 評価表 exactly as frozen (the stored bytes, the stored name)."""
    found = visible_edition(request, pk, "workbook")
    # FileResponse writes the RFC 5987 filename*=utf-8''… form that browsers
    # need for Japanese names.
    return FileResponse(
        BytesIO(bytes(found.workbook)), as_attachment=True, filename=found.workbook_name,
        content_type=XLSX,
    )


@login_required
@require_safe
def changes(request: HttpRequest, pk: int) -> HttpResponse:
    found = visible_edition(request, pk, "data")
    return render(request, "editions/edition_changes.html", {
        "edition": found,
        "previous": found.data.get("previous"),
        "kgis": listing.changed_kgis(found.data),
    })
