"""Downloads of the spreadsheet exports, within the user's scope.

A plan the user may not see at all answers 404; a plan they see but may
not use this way (閲覧 asking for an entry sheet) answers 403.
"""

from __future__ import annotations

from io import BytesIO
from typing import TYPE_CHECKING

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from accounts.roles import scope_of
from indicators.selectors import indicators_with_entry_by, plans_with_entry_by
from ise_iga_dx.lib.params import parse_id, parse_year
from plans.models import Department, Plan
from plans.selectors import plans_visible_to
from spreadsheets import definitions, entry_sheet, status_table

if TYPE_CHECKING:
    from django.http import HttpRequest

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def plan_year(plan: Plan, year: int) -> int:
    if year not in plan.fiscal_years:
        raise Http404("計画期間外の年度です。")
    return year


def year_param(plan: Plan, value: str | None) -> int | None:
    """Return ``?year=`` as a plan year; absent or empty means every year."""
    if not value:
        return None
    year = parse_year(value)
    if year is None:
        raise Http404("年度は西暦4桁で指定してください。")
    return plan_year(plan, year)


def department_param(request: HttpRequest, plan: Plan, value: str | None) -> Department | None:
    """Return ``?department=`` as a section of the plan's municipality the user may use."""
    if not value:
        return None
    department_id = parse_id(value)
    if department_id is None:
        raise Http404("所管課が見つかりません。")
    departments = Department.objects.filter(municipality_id=plan.municipality_id)
    scope = scope_of(request.user)
    if not scope.manages_plan(plan):
        departments = departments.filter(pk__in=scope.department_ids)
    return get_object_or_404(departments, pk=department_id)


def readable_plan(request: HttpRequest, code: str) -> Plan:
    return get_object_or_404(plans_visible_to(user=request.user), code=code)


def xlsx_response(data: bytes, filename: str) -> FileResponse:
    # FileResponse writes the RFC 5987 filename*=utf-8''… form that browsers
    # need for Japanese names.
    return FileResponse(BytesIO(data), as_attachment=True, filename=filename, content_type=XLSX)


@login_required
@never_cache
@require_GET
def entry_sheet_download(request: HttpRequest, code: str) -> FileResponse:
    """The entry sheet: the whole plan for the DX office, a department's own KGIs for it."""
    plan = plans_with_entry_by(user=request.user).filter(code=code).first()
    if plan is None:
        readable_plan(request, code)  # 404 when the plan is out of sight
        raise PermissionDenied("入力シートは実績を入力する担当者だけが取得できます。")
    fiscal_year = year_param(plan, request.GET.get("year"))
    department = department_param(request, plan, request.GET.get("department"))
    data = entry_sheet.entry_sheet(
        plan=plan, fiscal_year=fiscal_year, department=department,
        within=indicators_with_entry_by(user=request.user),
    )
    filename = entry_sheet.entry_sheet_filename(
        plan=plan, fiscal_year=fiscal_year, department=department
    )
    return xlsx_response(data, filename)


@login_required
@never_cache
@require_GET
def status_table_download(request: HttpRequest, code: str, year: int) -> FileResponse:
    plan = readable_plan(request, code)
    fiscal_year = plan_year(plan, year)
    data = status_table.status_table(plan=plan, fiscal_year=fiscal_year)
    filename = status_table.status_table_filename(plan=plan, fiscal_year=fiscal_year)
    return xlsx_response(data, filename)


@login_required
@never_cache
@require_GET
def definitions_template_download(request: HttpRequest, code: str) -> FileResponse:
    plan = readable_plan(request, code)
    if not scope_of(request.user).manages_plan(plan):
        raise PermissionDenied("指標定義テンプレートは DX推進担当だけが取得できます。")
    return xlsx_response(
        definitions.definitions_template(plan=plan),
        definitions.definitions_template_filename(plan=plan),
    )
