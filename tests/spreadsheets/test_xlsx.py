"""What every export writes through spreadsheets.xlsx: text that stays text
(never a formula) and the plan period check."""

from __future__ import annotations

import zipfile
from io import BytesIO

import openpyxl
import pytest

from indicators.models import Indicator
from plans.models import Plan
from spreadsheets import entry_sheet, status_table, xlsx
from tests.helpers import entry_rows, load_xlsx, status_rows

pytestmark = pytest.mark.django_db


def written(text: str):
    """Return the cell ``text`` becomes after a save and a reload."""
    workbook = openpyxl.Workbook()
    xlsx.write_text(workbook.active["A1"], text)
    buffer = BytesIO()
    workbook.save(buffer)
    return load_xlsx(buffer.getvalue()).active["A1"]


@pytest.mark.parametrize(
    "text", ['=HYPERLINK("http://x")', "@SUM(1)", "+81-596-00-0000", "-1+2", "=1+1"]
)
def test_formula_like_text_stays_text(text):
    cell = written(text)
    assert (cell.value, cell.data_type, cell.quotePrefix) == (text, "s", True)


@pytest.mark.parametrize("text", ["－", "-", "#N/A", "移行完了"])
def test_dashes_and_plain_text_are_written_as_they_are(text):
    cell = written(text)
    assert (cell.value, cell.data_type, cell.quotePrefix) == (text, "s", False)


def test_characters_xml_cannot_hold_are_dropped_and_empty_text_leaves_a_blank():
    assert written("a\x01b\x1fc").value == "abc"
    assert written("").value is None


def test_exports_refuse_a_year_outside_the_plan_period(plans):
    plan = Plan.objects.get(code="ise-2")
    with pytest.raises(ValueError):
        entry_sheet.entry_sheet(plan=plan, fiscal_year=2030)
    with pytest.raises(ValueError):
        status_table.status_table(plan=plan, fiscal_year=2025)


def sheet_xml(data: bytes) -> str:
    with zipfile.ZipFile(BytesIO(data)) as archive:
        return archive.read("xl/worksheets/sheet1.xml").decode()


def test_formula_text_from_the_database_is_never_a_formula(plans):
    measure = Indicator.objects.get(code="ISE2-01").measure
    measure.title = '=HYPERLINK("http://x")'
    measure.save()
    Indicator.objects.filter(code="ISE2-02").update(item="@SUM(1)")
    plan = Plan.objects.get(code="ise-2")

    data = entry_sheet.entry_sheet(plan=plan, fiscal_year=2026)
    rows = entry_rows(load_xlsx(data).worksheets[0])
    title, item = rows["ISE2-01", 2026][3], rows["ISE2-02", 2026][4]
    assert (title.value, title.data_type) == ('① =HYPERLINK("http://x")', "s")
    assert (item.value, item.data_type, item.quotePrefix) == ("@SUM(1)", "s", True)
    assert "<f>" not in sheet_xml(data)

    data = status_table.status_table(plan=plan, fiscal_year=2026)
    title = status_rows(load_xlsx(data).active)["ISE2-01"][1]
    assert (title.value, title.data_type, title.quotePrefix) == (
        '=HYPERLINK("http://x")', "s", True
    )
    assert "<f>" not in sheet_xml(data)
