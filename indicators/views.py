"""Downloads of the spreadsheet exports, for DX office staff."""

from __future__ import annotations

import re
from io import BytesIO
from typing import TYPE_CHECKING

from django.contrib.admin.views.decorators import staff_member_required
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from indicators import definitions, exports
from plans.models import Department, Plan

if TYPE_CHECKING:
    from django.http import HttpRequest

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
YEAR = re.compile(r"[0-9]{4}")
# Bounded so that a huge number is a 404, not a database overflow.
ID = re.compile(r"[0-9]{1,18}")


def plan_year(plan: Plan, year: int) -> int:
    if year not in plan.fiscal_years:
        raise Http404("計画期間外の年度です。")
    return year


def year_param(plan: Plan, value: str | None) -> int | None:
    """Return ``?year=`` as a plan year; absent or empty means every year."""
    if not value:
        return None
    if not YEAR.fullmatch(value):
        raise Http404("年度は西暦4桁で指定してください。")
    return plan_year(plan, int(value))


def department_param(plan: Plan, value: str | None) -> Department | None:
    """Return ``?department=`` as a section of the plan's municipality."""
    if not value:
        return None
    if not ID.fullmatch(value):
        raise Http404("所管課が見つかりません。")
    return get_object_or_404(Department, pk=int(value), municipality_id=plan.municipality_id)


def xlsx_response(data: bytes, filename: str) -> FileResponse:
    # FileResponse writes the RFC 5987 filename*=utf-8''… form that browsers
    # need for Japanese names.
    return FileResponse(BytesIO(data), as_attachment=True, filename=filename, content_type=XLSX)


@staff_member_required
@never_cache
@require_GET
def entry_sheet_download(request: HttpRequest, code: str) -> FileResponse:
    plan = get_object_or_404(Plan, code=code)
    fiscal_year = year_param(plan, request.GET.get("year"))
    department = department_param(plan, request.GET.get("department"))
    data = exports.entry_sheet(plan=plan, fiscal_year=fiscal_year, department=department)
    filename = exports.entry_sheet_filename(
        plan=plan, fiscal_year=fiscal_year, department=department
    )
    return xlsx_response(data, filename)


@staff_member_required
@never_cache
@require_GET
def status_table_download(request: HttpRequest, code: str, year: int) -> FileResponse:
    plan = get_object_or_404(Plan, code=code)
    fiscal_year = plan_year(plan, year)
    data = exports.status_table(plan=plan, fiscal_year=fiscal_year)
    return xlsx_response(data, exports.status_table_filename(plan=plan, fiscal_year=fiscal_year))


@staff_member_required
@never_cache
@require_GET
def definitions_template_download(request: HttpRequest, code: str) -> FileResponse:
    plan = get_object_or_404(Plan, code=code)
    return xlsx_response(
        definitions.definitions_template(plan=plan),
        definitions.definitions_template_filename(plan=plan),
    )
