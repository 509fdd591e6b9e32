"""Owners in bulk through the definitions template: its 所管課 column carries a
measure's departments, and importing sets exactly those listed.

ise-2 as shipped (its measures have no owners) with the Ise departments;
measure I-① holds ISE2-01, I-② ISE2-02 and ISE2-03.
"""

from __future__ import annotations

import io

import openpyxl
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from plans.models import Department, Measure, Plan
from spreadsheets.definitions import (
    TEMPLATE_SHEET_TITLE,
    apply_definitions,
    definitions_template,
    preview_definitions,
)
from spreadsheets.definitions.owners import department_lookup, read_owner_names
from spreadsheets.rows import read_upload
from tests.helpers import xlsx

pytestmark = pytest.mark.django_db


def department(name: str) -> Department:
    return Department.objects.get(municipality__code="ise", name=name)


def measure(policy: int, number: int) -> Measure:
    return Measure.objects.get(policy__plan__code="ise-2", policy__number=policy, number=number)


def owners(item: Measure) -> list[str]:
    return sorted(item.departments.values_list("name", flat=True))


def template() -> bytes:
    return definitions_template(plan=Plan.objects.get(code="ise-2"))


def template_cells(data: bytes) -> dict[str, str | None]:
    """The 所管課 column of a template, by 指標コード."""
    sheet = openpyxl.load_workbook(io.BytesIO(data))[TEMPLATE_SHEET_TITLE]
    headers = [cell.value for cell in sheet[1]]
    code, owner = headers.index("指標コード"), headers.index("所管課")
    return {row[code].value: row[owner].value for row in sheet.iter_rows(min_row=2)}


def with_owners(data: bytes, cells: dict[str, str | None]) -> bytes:
    """Type ``cells`` ({指標コード: 所管課}) into a template."""
    workbook = openpyxl.load_workbook(io.BytesIO(data))
    sheet = workbook[TEMPLATE_SHEET_TITLE]
    headers = [cell.value for cell in sheet[1]]
    code, owner = headers.index("指標コード"), headers.index("所管課")
    for row in sheet.iter_rows(min_row=2):
        if row[code].value in cells:
            row[owner].value = cells[row[code].value]
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def preview(data: bytes):
    return preview_definitions(sheet=read_upload(data, "指標定義.xlsx"), filename="指標定義.xlsx")


def errors(result) -> list[str]:
    return [str(error) for error in result.errors]


def test_the_template_carries_the_current_owners_and_imports_unchanged(plans):
    measure(1, 2).departments.add(department("デジタル政策課"), department("戸籍住民課"))
    data = template()
    cells = template_cells(data)
    # In the admin's order (部局, then 課名); every row of the measure.
    assert cells["ISE2-02"] == cells["ISE2-03"] == "戸籍住民課、デジタル政策課"
    assert cells["ISE2-01"] is None
    guide = openpyxl.load_workbook(io.BytesIO(data))["記入方法"]
    words = {cell.value for row in guide.iter_rows() for cell in row}
    assert "【所管課】（所管課の列に書ける名前）" in words and "高齢・障がい福祉課" in words
    result = preview(data)
    assert result.ok, errors(result)
    assert [row.changes for row in result.rows if row.changes] == []


def test_importing_sets_exactly_the_listed_owners_and_records_them(plans):
    first = measure(1, 2)
    first.departments.add(department("健康課"))
    version = first.version
    data = with_owners(template(), {"ISE2-02": "デジタル政策課、戸籍住民課",
                                    "ISE2-03": "戸籍住民課,デジタル政策課",
                                    "ISE2-01": "保育課"})
    result = preview(data)
    assert result.ok, errors(result)
    lines = {row.code: row.changes for row in result.rows if row.changes}
    assert lines == {
        "ISE2-01": ["所管課（1-1）：なし → 保育課"],
        "ISE2-02": ["所管課（1-2）：健康課 → 戸籍住民課、デジタル政策課"],
    }
    assert "所管課の設定 2件" in result.summary()
    apply_definitions(result)
    first.refresh_from_db()
    assert owners(first) == ["デジタル政策課", "戸籍住民課"]
    assert owners(measure(1, 1)) == ["保育課"]
    assert first.version == version + 1
    record = first.history.order_by("-history_date", "-history_id").first()
    assert record.history_type == "~" and record.version == first.version
    assert record.history_change_reason == (
        "ファイル取込：指標定義.xlsx／所管課の設定：戸籍住民課、デジタル政策課（変更前：健康課）"
    )


def test_nashi_clears_and_a_blank_cell_keeps_the_owners(plans):
    measure(1, 2).departments.add(department("健康課"))
    measure(1, 1).departments.add(department("保育課"))
    data = with_owners(template(), {"ISE2-02": "なし", "ISE2-03": "ｎａｓｈｉ", "ISE2-01": None})
    result = preview(data)
    # 「ｎａｓｈｉ」 is no department and not 「なし」: named as unknown.
    assert errors(result)[0].startswith("4行目 所管課（ISE2-03）：所管課「nashi」は伊勢市の")
    data = with_owners(template(), {"ISE2-02": "なし", "ISE2-03": None, "ISE2-01": None})
    apply_definitions(preview(data))
    assert owners(measure(1, 2)) == []
    assert owners(measure(1, 1)) == ["保育課"]


def test_a_file_without_the_column_leaves_every_owner(plans):
    measure(1, 1).departments.add(department("健康課"))
    data = xlsx([["ise-2", 1, 1, "ISE2-01", "変えた項目"]],
                header=["計画コード", "基本方針番号", "施策番号", "指標コード", "項目"])
    result = preview(data)
    assert result.ok, errors(result)
    apply_definitions(result)
    assert owners(measure(1, 1)) == ["健康課"]


def test_an_unknown_name_is_refused_naming_the_row_and_the_name(plans):
    data = with_owners(template(), {"ISE2-03": "デジタル課、保育課"})
    result = preview(data)
    (message,) = errors(result)
    known = "、".join(item.name for item in sorted(
        Department.objects.filter(municipality__code="ise"),
        key=lambda item: (item.division, item.name),
    ))
    assert message == (
        "4行目 所管課（ISE2-03）：所管課「デジタル課」は伊勢市の所管課に登録されていません。"
        f"登録済みの所管課：{known}。"
    )
    assert "高齢・障がい福祉課" in message
    assert owners(measure(1, 2)) == []


def test_two_rows_of_a_measure_naming_different_owners_are_refused(plans):
    data = with_owners(template(), {"ISE2-02": "デジタル政策課", "ISE2-03": "健康課"})
    assert errors(preview(data)) == [
        "4行目 所管課（ISE2-03）：施策 1-2 の所管課が3行目（デジタル政策課）と違います：「健康課」"
    ]
    # One row may state them and the others stay blank.
    result = preview(with_owners(template(), {"ISE2-02": "デジタル政策課", "ISE2-03": None}))
    assert result.ok, errors(result)


@pytest.mark.parametrize(("typed", "names"), [
    ("デジタル政策課・戸籍住民課", ["デジタル政策課", "戸籍住民課"]),
    ("　デジタル 政策課 ，戸籍住民課 ", ["デジタル政策課", "戸籍住民課"]),
    ("情報戦略局 デジタル政策課\n健康課", ["デジタル政策課", "健康課"]),
    ("高齢・障がい福祉課、保育課", ["保育課", "高齢・障がい福祉課"]),
    ("高齢・障がい福祉課・保育課", ["保育課", "高齢・障がい福祉課"]),
])
def test_names_are_read_as_staff_type_them(plans, typed, names):
    lookup = department_lookup(Department.objects.filter(municipality__code="ise"))
    found, unknown = read_owner_names(typed, lookup)
    assert unknown == []
    assert sorted(department.name for department in found) == sorted(names)


def test_an_unknown_name_is_quoted_as_typed():
    lookup = department_lookup([Department(pk=1, name="保育課", division="")])
    assert read_owner_names("保育課・健康推進課、子ども・家庭課", lookup)[1] == [
        "健康推進課", "子ども・家庭課"
    ]


def test_a_cell_of_dots_is_read_in_linear_time():
    lookup = department_lookup([Department(pk=1, name="保育課", division="")])
    found, unknown = read_owner_names("・" * 30_000 + "保育課", lookup)
    assert [department.name for department in found] == ["保育課"] and unknown == []


def test_a_new_measure_gets_its_owners_with_its_first_history_row(plans):
    data = xlsx(
        [["ise-2", 3, 9, "テスト施策（新設）", "健康課、保育課", "ISE2-90", "テスト指標"]],
        header=["計画コード", "基本方針番号", "施策番号", "施策名", "所管課", "指標コード", "項目"],
    )
    result = preview(data)
    assert result.ok, errors(result)
    # In the admin's order, whatever the file's.
    assert "所管課（3-9）：保育課、健康課" in result.rows[0].changes
    apply_definitions(result)
    created = measure(3, 9)
    assert owners(created) == ["保育課", "健康課"]
    (record,) = created.history.all()
    assert record.history_type == "+"
    assert record.history_change_reason == (
        "ファイル取込：指標定義.xlsx／所管課の設定：保育課、健康課（変更前：なし）"
    )


def preview_queries(data: bytes) -> int:
    sheet = read_upload(data, "t.xlsx")
    with CaptureQueriesContext(connection) as queries:
        result = preview_definitions(sheet=sheet, filename="t.xlsx")
    assert result.ok, errors(result)
    return len(queries.captured_queries)


def test_the_preview_with_owners_takes_as_many_queries_for_2_rows_as_for_16(plans):
    header = ["計画コード", "基本方針番号", "施策番号", "所管課", "指標コード", "項目"]
    codes = [f"ISE2-{n:02d}" for n in range(1, 17)]
    measures = {
        indicator_code: (policy, number) for indicator_code, policy, number in
        Measure.objects.filter(indicators__code__in=codes).values_list(
            "indicators__code", "policy__number", "number")
    }
    rows = [["ise-2", *measures[code], "デジタル政策課", code, ""] for code in codes]
    few = preview_queries(xlsx(rows[:2], header=header))
    many = preview_queries(xlsx(rows, header=header))
    assert few == many
