"""Uploads that cannot hurt the server, and a full valid file that still imports (issue 12).

Every hostile file of up to 5 MB (tests/spreadsheets/hostile_files.py)
is refused with its Japanese message, read in a fresh Python whose peak
memory may grow by at most 100 MB over its own baseline. How long each
refusal takes is measured by ``python -m benchmarks.hostile_uploads``
(docs/performance.md), not here.
"""

from __future__ import annotations

import io
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import Workbook

from accounts.roles import Role
from indicators.models import Actual, Indicator, Target
from plans.models import Department, Measure, Plan
from tests.helpers import client_for, form_data, user_with_role, visible_text
from tests.spreadsheets.hostile_files import (
    HOSTILE_FILES,
    LIMIT_FILES,
    measure_read,
    shared_strings_bomb,
)

UPLOAD = 5 * 1000 * 1000  # within the upload limit of 5 MiB
MEMORY_BUDGET = 100 * 1024 * 1024
IMPORT_URL = "admin:indicators_actual_import"
PROCESS_URL = "admin:indicators_actual_process_import"


@pytest.mark.parametrize("name", list(HOSTILE_FILES))
def test_a_hostile_file_is_refused_within_the_memory_budget(name):
    build, filename, message = HOSTILE_FILES[name]
    data = build(UPLOAD)
    assert len(data) <= UPLOAD

    measured = measure_read(data, filename)

    assert measured.message is not None and measured.message.startswith(message), measured
    assert measured.growth_bytes <= MEMORY_BUDGET, (
        f"{name}: the reader's memory grew by {measured.growth_bytes / 2**20:.0f} MiB"
    )


@pytest.mark.parametrize("name", list(LIMIT_FILES))
def test_the_largest_files_the_limits_let_through_stay_within_the_budget(name):
    measured = measure_read(LIMIT_FILES[name](), "limit.xlsx")

    assert measured.message is None, measured.message
    assert measured.growth_bytes <= MEMORY_BUDGET, (
        f"{name}: the reader's memory grew by {measured.growth_bytes / 2**20:.0f} MiB"
    )


def test_the_bomb_is_a_form_error_for_a_department_login(plans):
    """A 所管課 login may upload too: the bomb gets the form's Japanese error, not a 500."""
    department = Department.objects.filter(municipality__code="ise").order_by("pk").first()
    client = client_for(user_with_role(Role.DEPARTMENT, departments=(department.name,)))
    response = client.post(reverse(IMPORT_URL), {
        "import_file": SimpleUploadedFile("部署回答.xlsx", shared_strings_bomb(UPLOAD)),
        "format": "0", "resource": "0",
    })
    assert response.status_code == 200
    assert (
        "文字列の一覧（共有文字列）が大きすぎます（展開すると1,938MB、上限10MB）。"
        "不要なシート・画像・書式を削除するか、ファイルを分けてください。"
    ) in visible_text(response)
    assert reverse(PROCESS_URL) not in response.content.decode()


# The 20,000-row limit stays usable -------------------------------------------------


def synthetic_kgis(count: int) -> list[str]:
    """Add ``count`` KGIs to ise-2 (R8–R11), a target each year and no actual.

    Written in bulk: no history rows, so that the import's are the only ones.
    """
    plan = Plan.objects.get(code="ise-2")
    measure = Measure.objects.filter(policy__plan=plan).order_by("pk").first()
    indicators = Indicator.objects.bulk_create(
        Indicator(plan=plan, measure=measure, code=f"BIG-{number:05d}", position=1_000 + number,
                  item=f"合成指標{number}", unit="件", baseline=Decimal(10),
                  baseline_year=plan.baseline_year)
        for number in range(count)
    )
    Target.objects.bulk_create(
        Target(indicator=indicator, fiscal_year=year, value=Decimal(20))
        for indicator in indicators for year in plan.fiscal_years
    )
    return [indicator.code for indicator in indicators]


def actuals_file(codes: list[str], years: range) -> bytes:
    """An .xlsx of one actual per code and year, typed as departments type."""
    book = Workbook(write_only=True)
    sheet = book.create_sheet()
    sheet.append(["指標コード", "年度", "実績値", "備考"])
    for number, code in enumerate(codes):
        for year in years:
            sheet.append([code, f"R{year - 2018}", 10 + number % 30 + 0.5, "部署回答"])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def test_a_valid_file_of_20000_rows_previews_and_imports_every_row(plans, settings):
    plan = Plan.objects.get(code="ise-2")
    codes = synthetic_kgis(settings.KPI_IMPORT_MAX_ROWS // len(plan.fiscal_years))
    data = actuals_file(codes, plan.fiscal_years)
    assert len(data) < settings.KPI_IMPORT_MAX_BYTES
    office = user_with_role(Role.OFFICE, municipality="ise")
    client = client_for(office)

    response = client.post(reverse(IMPORT_URL), {
        "import_file": SimpleUploadedFile("全課回答.xlsx", data), "format": "0", "resource": "0",
    })
    assert response.status_code == 200
    page = visible_text(response)
    assert "取り込み内容の確認：新規 20,000件 / 変更 0件 / 変更なし 0件 / 空欄 0件" in page
    assert not Actual.objects.filter(indicator__code__startswith="BIG-").exists()

    confirm = form_data(response.content.decode(), action=reverse(PROCESS_URL))
    response = client.post(reverse(PROCESS_URL), confirm, follow=True)
    assert "取り込みました：新規 20,000件 / 変更 0件 / 変更なし 0件 / 空欄 0件" in visible_text(
        response
    )
    imported = Actual.objects.filter(indicator__code__startswith="BIG-")
    assert imported.count() == 20_000
    assert imported.filter(indicator__code="BIG-00007", fiscal_year=2029).get().value == Decimal(
        "17.5"
    )
    history = Actual.history.filter(indicator__code__startswith="BIG-")
    assert history.count() == 20_000
    assert set(history.values_list("history_type", "history_user")) == {("+", office.pk)}
