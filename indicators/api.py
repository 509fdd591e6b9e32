"""The JSON API: a plan's status for one fiscal year.

The document is the one ``manage.py kpi_status --format json`` prints
(:mod:`indicators.serializers`). Errors are JSON too, with a Japanese
``detail``: 401 without a session, 400 for a bad year, 404 for an
unknown plan.
"""

from __future__ import annotations

from functools import wraps
from typing import TYPE_CHECKING

from django.http import HttpResponse, JsonResponse
from django.views.decorators.cache import never_cache

from indicators.selectors import plan_status
from indicators.serializers import status_json
from indicators.wording import outside_period_message
from ise_iga_dx.lib.params import parse_year
from plans.selectors import plans_visible_to

if TYPE_CHECKING:
    from collections.abc import Callable

    from django.http import HttpRequest

SHOWN_INPUT = 20
JSON = "application/json; charset=utf-8"


def error(status: int, detail: str) -> JsonResponse:
    return JsonResponse(
        {"detail": detail}, status=status, content_type=JSON,
        json_dumps_params={"ensure_ascii": False},
    )


def api_login_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Answer 401 in JSON rather than redirect a client to the login page."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
        if not request.user.is_authenticated:
            return error(401, "ログインが必要です。")
        return view(request, *args, **kwargs)

    return wrapper


@never_cache
@api_login_required
def plan_status_view(request: HttpRequest, code: str) -> HttpResponse:
    if request.method not in ("GET", "HEAD"):
        response = error(405, "GET で取得してください。")
        response["Allow"] = "GET, HEAD"
        return response
    plan = plans_visible_to(user=request.user).filter(code=code).first()
    if plan is None:
        return error(404, f"計画コード「{code[:SHOWN_INPUT]}」はありません。")
    fiscal_year = parse_year(request.GET.get("year"))
    if fiscal_year is None:
        return error(400, "年度は西暦4桁の半角数字で指定してください（例：?year=2026）。")
    if fiscal_year not in plan.fiscal_years:
        return error(400, outside_period_message(fiscal_year, plan))
    rows = plan_status(plan=plan, fiscal_year=fiscal_year)
    document = status_json(plan=plan, fiscal_year=fiscal_year, rows=rows)
    return HttpResponse(document, content_type=JSON)
