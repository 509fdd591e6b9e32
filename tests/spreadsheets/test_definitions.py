"""Loading measures and KGIs into an existing plan from the template.

Every number here is synthetic (テスト指標1, IGA2-01…): Iga's real action
plan is not among the project's documents.
"""

from __future__ import annotations

import io
import json
from decimal import Decimal

import openpyxl
import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from indicators.models import Indicator, Target
from plans.models import Initiative, Measure, Plan
from spreadsheets.definitions import (
    GUIDE_SHEET_TITLE,
    TEMPLATE_SHEET_TITLE,
    DefinitionImport,
    apply_definitions,
    definitions_template,
    preview_definitions,
    template_headers,
)
from spreadsheets.entry_sheet import entry_sheet
from spreadsheets.rows import Action, ImportRefused, read_upload

pytestmark = pytest.mark.django_db

# The template's columns, with the target years written four ways.
COLUMNS = [
    ("計画コード", "plan"),
    ("基本方針番号", "policy"),
    ("施策番号", "measure"),
    ("施策名", "measure_title"),
    ("取組", "initiative"),
    ("目的（意図）", "purpose"),
    ("指標コード", "code"),
    ("表示順", "position"),
    ("項目", "item"),
    ("単位", "unit"),
    ("評価の型", "kind"),
    ("集計方法", "accumulation"),
    ("現状値", "baseline"),
    ("現状値の年度", "baseline_year"),
    ("目標値 R8", 2026),
    ("目標値 令和9年度", 2027),
    ("目標値 2028", 2028),
    ("目標値（2029）", 2029),
    ("注記", "notes"),
]


def kgi(
    code: str, policy: object, measure: object, item: str,
    targets: dict[int, object] | None = None, **cells: object,
) -> dict:
    """Return one template row for iga-2; target years are keys 2026..2029."""
    return {"plan": "iga-2", "code": code, "policy": policy, "measure": measure,
            "item": item, **cells, **(targets or {})}


def xlsx(rows: list[dict], columns: list[tuple[str, object]] = COLUMNS) -> bytes:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append([header for header, _key in columns])
    for row in rows:
        sheet.append([row.get(key) for _header, key in columns])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def preview(rows: list[dict], columns: list[tuple[str, object]] = COLUMNS) -> DefinitionImport:
    return preview_definitions(
        sheet=read_upload(xlsx(rows, columns), "definitions.xlsx"), filename="definitions.xlsx"
    )


def load(rows: list[dict], columns: list[tuple[str, object]] = COLUMNS) -> DefinitionImport:
    result = preview(rows, columns)
    assert result.ok, [str(error) for error in result.errors]
    apply_definitions(result)
    return result


def iga_rows() -> list[dict]:
    """Ten synthetic KGIs over existing directions and one new measure 3-5."""
    return [
        kgi("IGA2-01", 1, 1, "テスト指標1", unit="件", kind="増加型", accumulation="単年度",
            initiative="テスト取組A", purpose="テスト目的A", baseline=10,
            baseline_year="R7", targets={2026: 12, 2027: 14, 2028: 16, 2029: 18}),
        kgi("IGA2-02", 1, 2, "テスト指標2", unit="%", baseline="45.0",
            targets={2026: "50.0", 2027: "55.5", 2028: "６０．０", 2029: "65.0"}),
        kgi("IGA2-03", 1, 3, "テスト指標3", unit="件", kind="減少", baseline=30,
            targets={2026: 28, 2027: 26, 2028: 24, 2029: 22}),
        kgi("IGA2-04", 1, 4, "テスト指標4", unit="人", accumulation="累計",
            targets={2026: 100, 2027: 200, 2028: 300, 2029: "1,000"}),
        kgi("IGA2-05", 2, 1, "テスト指標5", unit="回", accumulation="暦年", baseline=5,
            targets={2026: 6, 2027: 7, 2028: 8, 2029: 9}),
        kgi("IGA2-06", 2, 2, "テスト指標6", unit="枚", kind="削減率型", baseline="10,000",
            targets={2026: "▲1.0%", 2027: "R7年度比 ▲2.0%", 2028: "3.0", 2029: 4}),
        kgi("IGA2-07", 3, 1, "テスト指標7", kind="完了型", initiative="テスト取組B",
            targets={2028: "完了"}),
        kgi("IGA2-08", 3, 2, "テスト指標8", unit="件", baseline=0,
            targets={2026: 1, 2027: 2, 2028: 3, 2029: 4}),
        kgi("IGA2-09", 3, 5, "テスト指標9", measure_title="テスト施策（新設）", unit="件",
            targets={2026: 1, 2029: 4}),
        kgi("IGA2-10", 3, 5, "テスト指標10", unit="%", initiative="テスト取組C",
            purpose="テスト目的C", notes="※ テスト用の注記",
            targets={2026: "12.5", 2027: "13.0", 2028: "13.5", 2029: "14.0"}),
    ]


def snapshot() -> dict[str, list]:
    return {
        "measures": sorted(Measure.objects.values_list("pk", "title", "number")),
        "initiatives": sorted(Initiative.objects.values_list("pk", "title", "purpose")),
        "indicators": sorted(Indicator.objects.values_list(
            "pk", "code", "position", "item", "unit", "kind", "baseline", "measure_id")),
        "targets": sorted(Target.objects.values_list("pk", "indicator_id", "fiscal_year",
                                                     "value", "value_places")),
    }


def test_the_iga_office_loads_ten_kgis_into_iga_2(plans):
    measures_before = Measure.objects.count()
    result = preview(iga_rows())
    assert result.ok, [str(error) for error in result.errors]
    assert result.plan.code == "iga-2"
    assert [row.code for row in result.rows] == [f"IGA2-{n:02d}" for n in range(1, 11)]
    assert result.counts[Action.NEW] == 10
    assert result.summary() == (
        "指標 新規 10件 / 変更 0件 / 変更なし 0件（新しい施策 1件、新しい取組 3件）"
    )
    ninth = result.rows[8].changes
    assert "新しい施策：3-5 テスト施策（新設）" in ninth
    assert "目標値 令和8年度（2026）：1件" in ninth
    assert not Indicator.objects.filter(plan__code="iga-2").exists()

    assert apply_definitions(result)[Action.NEW] == 10

    indicators = {i.code: i for i in Indicator.objects.filter(plan__code="iga-2")}
    assert sorted(indicators) == [f"IGA2-{n:02d}" for n in range(1, 11)]
    assert [indicators[f"IGA2-{n:02d}"].position for n in range(1, 11)] == list(range(1, 11))
    new_measure = Measure.objects.get(policy__plan__code="iga-2", policy__number=3, number=5)
    assert (new_measure.title, new_measure.label) == ("テスト施策（新設）", "")
    assert Measure.objects.count() == measures_before + 1
    assert indicators["IGA2-09"].measure == new_measure
    assert indicators["IGA2-10"].measure == new_measure
    assert indicators["IGA2-01"].measure.title.startswith("誰もが市のサービス")
    assert indicators["IGA2-01"].initiative.purpose == "テスト目的A"
    assert indicators["IGA2-10"].initiative.measure == new_measure
    assert indicators["IGA2-07"].initiative.number == 1

    first = indicators["IGA2-01"]
    assert (first.unit, first.kind, first.accumulation) == ("件", "increase", "annual")
    assert (first.baseline, first.baseline_year) == (10, 2025)
    assert indicators["IGA2-02"].baseline_label == "45.0%"
    assert indicators["IGA2-03"].kind == "decrease"
    assert indicators["IGA2-04"].accumulation == "cumulative"
    assert indicators["IGA2-05"].accumulation == "calendar"
    assert indicators["IGA2-06"].kind == "reduction"
    assert indicators["IGA2-06"].baseline_year == 2025
    assert indicators["IGA2-07"].kind == "milestone" and indicators["IGA2-07"].baseline is None
    assert indicators["IGA2-10"].notes == "※ テスト用の注記"

    def targets(code: str) -> dict[int, str | None]:
        return {
            t.fiscal_year: None if t.value is None else f"{t.value_as_entered:f}"
            for t in Target.objects.filter(indicator__code=code)
        }

    assert targets("IGA2-02") == {2026: "50.0", 2027: "55.5", 2028: "60.0", 2029: "65.0"}
    assert targets("IGA2-04")[2029] == "1000"
    assert targets("IGA2-06") == {2026: "1.0", 2027: "2.0", 2028: "3.0", 2029: "4"}
    assert targets("IGA2-07") == {2028: None}
    assert targets("IGA2-09") == {2026: "1", 2029: "4"}

    out = io.StringIO()
    call_command("kpi_status", "--plan", "iga-2", "--year", "2026", "--format", "json",
                 stdout=out)
    listed = json.loads(out.getvalue())["indicators"]
    assert [row["code"] for row in listed] == [f"IGA2-{n:02d}" for n in range(1, 11)]
    assert listed[1]["target"] == "50.0" and listed[9]["target"] == "12.5"


def test_the_downloaded_template_filled_in_imports(plans):
    plan = Plan.objects.get(code="iga-2")
    workbook = openpyxl.load_workbook(io.BytesIO(definitions_template(plan=plan)))
    assert workbook.sheetnames == [TEMPLATE_SHEET_TITLE, GUIDE_SHEET_TITLE]
    sheet = workbook[TEMPLATE_SHEET_TITLE]
    headers = [cell.value for cell in sheet[1]]
    assert headers[:5] == ["計画コード", "基本方針番号", "施策番号", "施策名", "所管課"]
    assert headers[15:] == [
        "目標値 令和8年度（2026）", "目標値 令和9年度（2027）", "目標値 令和10年度（2028）",
        "目標値 令和11年度（2029）", "注記",
    ]
    assert sheet.max_row == 1
    lists = {v.formula1: str(v.sqref) for v in sheet.data_validations.dataValidation}
    assert lists['"増加型,減少型,削減率型,完了型"'] == "L2:L1000"
    assert lists['"単年度,累計,暦年"'] == "M2:M1000"
    assert lists['"iga-2"'] == "A2:A1000"
    assert lists['"1,2,3"'] == "B2:B1000"

    keys = [key for key, _header in template_headers(plan)]
    for row in iga_rows():
        sheet.append([row.get(int(key[7:]) if key.startswith("target:") else key)
                      for key in keys])
    buffer = io.BytesIO()
    workbook.save(buffer)

    result = preview_definitions(sheet=read_upload(buffer.getvalue(), "template.xlsx"))
    assert result.ok, [str(error) for error in result.errors]
    assert result.counts[Action.NEW] == 10
    apply_definitions(result)
    assert Indicator.objects.filter(plan=plan).count() == 10


def test_the_guide_sheet_explains_every_column_and_lists_the_plan(plans):
    plan = Plan.objects.get(code="iga-2")
    workbook = openpyxl.load_workbook(io.BytesIO(definitions_template(plan=plan)))
    text = "\n".join(
        str(cell.value) for row in workbook[GUIDE_SHEET_TITLE].iter_rows() for cell in row
        if cell.value is not None
    )
    for header, _key in COLUMNS[:14]:
        assert header in text
    for word in ("増加型", "減少型", "削減率型", "完了型", "単年度", "累計", "暦年"):
        assert word in text
    assert "持続可能な自治体経営をめざしたデジタル化を推進" in text
    assert "3-4" in text and "安定的なインフラを提供できる環境を整備する。" in text
    assert "令和7年度（2025）" in text


@pytest.mark.parametrize("code", ["ise-1", "ise-2"])
def test_an_untouched_template_of_a_plan_with_kgis_imports_unchanged(plans, code):
    plan = Plan.objects.get(code=code)
    result = preview_definitions(sheet=read_upload(definitions_template(plan=plan), "t.xlsx"))
    assert result.ok, [str(error) for error in result.errors]
    assert result.counts[Action.UNCHANGED] == plan.indicators.count()
    assert [row.changes for row in result.rows if row.changes] == []


def test_template_texts_cannot_become_formulas(plans):
    Indicator.objects.filter(code="ISE2-13").update(item="=HYPERLINK(\"http://x\",\"x\")")
    data = definitions_template(plan=Plan.objects.get(code="ise-2"))
    sheet = openpyxl.load_workbook(io.BytesIO(data))[TEMPLATE_SHEET_TITLE]
    cell = next(c for c in sheet["J"] if c.value and str(c.value).startswith("=HYPERLINK"))
    assert cell.data_type == "s" and cell.quotePrefix
    result = preview_definitions(sheet=read_upload(data, "t.xlsx"))
    assert result.ok and result.counts[Action.CHANGED] == 0


def test_the_same_file_twice_is_all_unchanged(plans):
    load(iga_rows())
    before = snapshot()
    again = preview(iga_rows())
    assert again.ok and again.counts[Action.UNCHANGED] == 10
    assert again.summary() == "指標 新規 0件 / 変更 0件 / 変更なし 10件"
    apply_definitions(again)
    assert snapshot() == before


def test_a_changed_unit_shows_old_and_new(plans):
    load(iga_rows())
    rows = iga_rows()
    rows[0].update({"unit": "回"})
    result = preview(rows)
    assert result.counts[Action.CHANGED] == 1 and result.counts[Action.UNCHANGED] == 9
    assert result.rows[0].changes == ["単位：件 → 回"]
    apply_definitions(result)
    first = Indicator.objects.get(code="IGA2-01")
    assert first.unit == "回"
    assert first.targets.get(fiscal_year=2026).value == 12


def test_a_changed_stored_target_is_refused_and_points_to_the_targets_import(plans):
    """A revision needs a reason and a decision date, which this file cannot hold."""
    load(iga_rows())
    rows = iga_rows()
    rows[0].update({2026: 15})
    rows[8].update({2027: 2})  # a year IGA2-09 has no target for: added as before
    result = preview(rows)
    assert [str(error) for error in result.errors] == [
        "2行目 目標値 R8（IGA2-01）：登録済みの目標値（12件）はこのファイルでは変更できません。"
        "目標値の変更には変更理由と決定日が必要です。目標値の取り込み（列「変更理由」「決定日」）"
        "か、管理画面の指標の画面で変更してください：「15」"
    ]
    rows[0].update({2026: 12})
    result = preview(rows)
    assert result.ok and result.rows[8].changes == ["目標値 令和9年度（2027）：未設定 → 2件"]


def test_a_one_row_file_cannot_revise_an_ise_target(plans):
    indicator = Indicator.objects.get(code="ISE2-13")
    columns = [("計画コード", "plan"), ("基本方針番号", "policy"), ("施策番号", "measure"),
               ("指標コード", "code"), ("項目", "item"), ("目標値 R9", 2027)]
    result = preview([{"plan": "ise-2", "policy": 3, "measure": 1, "code": "ISE2-13",
                       2027: 210}], columns)
    assert [error.column for error in result.errors] == ["目標値 R9"]
    assert "登録済みの目標値（200件）はこのファイルでは変更できません" in str(result.errors[0])
    with pytest.raises(ImportRefused):
        apply_definitions(result)
    targets = dict(indicator.targets.values_list("fiscal_year", "value"))
    assert targets == {2026: 170, 2027: 200, 2028: 230, 2029: 260}


def test_blank_numbers_keep_an_existing_kgi_in_its_measure(plans):
    columns = [("計画コード", "plan"), ("基本方針番号", "policy"), ("施策番号", "measure"),
               ("指標コード", "code"), ("項目", "item"), ("単位", "unit")]
    result = preview([{"plan": "ise-2", "code": "ISE2-13", "unit": "手続"}], columns)
    assert result.rows[0].changes == ["単位：件 → 手続"]


def test_english_headers_and_other_notations(plans):
    columns = [("plan", "plan"), ("Policy", "policy"), ("MEASURE", "measure"),
               ("ｃｏｄｅ", "code"), ("item", "item"), ("unit", "unit"), ("kind", "kind"),
               ("accumulation", "accumulation"), ("baseline", "baseline"),
               ("target 2026", 2026), ("target R9", 2027), ("目標値 令和10年度（2028）", 2028)]
    load([{"plan": "ＩＧＡ-2", "policy": "１", "measure": "①", "code": "iga2-x1",
           "item": "テスト指標", "unit": "件", "kind": "Decrease", "accumulation": "《累計》",
           "baseline": 9, 2026: 8, 2027: 7, 2028: 6}], columns)
    indicator = Indicator.objects.get(code="IGA2-X1")
    assert (indicator.kind, indicator.accumulation) == ("decrease", "cumulative")
    assert dict(indicator.targets.values_list("fiscal_year", "value")) == {
        2026: 8, 2027: 7, 2028: 6,
    }


def test_measure_renames_moves_and_swapped_positions(plans):
    columns = [("計画コード", "plan"), ("基本方針番号", "policy"), ("施策番号", "measure"),
               ("施策名", "measure_title"), ("指標コード", "code"), ("表示順", "position"),
               ("項目", "item")]
    rows = [
        {"plan": "ise-2", "policy": 1, "measure": 1, "code": "ISE2-01", "position": 2},
        {"plan": "ise-2", "policy": 1, "measure": 2, "code": "ISE2-02", "position": 1,
         "measure_title": "テスト施策名"},
        {"plan": "ise-2", "policy": 2, "measure": 1, "code": "ISE2-03"},
    ]
    result = preview(rows, columns)
    assert result.ok, [str(error) for error in result.errors]
    assert result.rows[0].changes == ["表示順：1 → 2"]
    assert result.rows[1].changes == [
        "施策名（1-2）：「計画的なDX人材育成」 → 「テスト施策名」", "表示順：2 → 1",
    ]
    assert result.rows[2].changes[0].startswith("施策：1-2 ② 計画的なDX人材育成 → 2-1 ①")
    assert result.rows[2].changes[1] == "取組：「" + Initiative.objects.get(
        indicators__code="ISE2-03").title + "」 → なし"
    apply_definitions(result)
    positions = dict(Indicator.objects.filter(plan__code="ise-2").values_list("code", "position"))
    assert (positions["ISE2-01"], positions["ISE2-02"], positions["ISE2-03"]) == (2, 1, 3)
    assert Measure.objects.get(policy__plan__code="ise-2", policy__number=1, number=2).title == (
        "テスト施策名"
    )
    assert Indicator.objects.get(code="ISE2-03").initiative is None


BAD_ROWS = [
    kgi("IGA2-01", 1, 1, "テスト指標1", targets={2026: 1}),                 # 2: fine
    {**kgi("IGA2-02", 1, 1, "テスト指標2"), "plan": "iga-9"},         # 3: unknown plan
    {**kgi("IGA2-03", 1, 1, "テスト指標3"), "plan": "ise-2"},         # 4: another plan
    kgi("IGA2-04", 4, 1, "テスト指標4"),                              # 5: no policy 4
    kgi("IGA2-05", 3, 9, "テスト指標5"),                              # 6: new measure, no title
    kgi("IGA2-06", 1, 1, "テスト指標6", kind="上昇型"),               # 7: unknown kind
    kgi("IGA2-07", 1, 1, "テスト指標7", accumulation="月次"),         # 8: unknown accumulation
    kgi("IGA2-08", 1, 1, "テスト指標8", baseline="たくさん"),         # 9: not a number
    kgi("IGA2-09", 1, 1, "テスト指標9", targets={2026: "-5"}),              # 10: negative target
    kgi("IGA2-10", 1, 1, "テスト指標10", kind="削減率型"),            # 11: reduction, no baseline
    kgi("iga2_11", 1, 1, "テスト指標11"),                             # 12: bad code
    kgi("IGA2-01", 1, 1, "テスト指標1の重複"),                        # 13: code twice
    kgi("IGA2-14", 1, 1, "テスト指標14", position=5),                 # 14: fine
    kgi("IGA2-15", 1, 1, "テスト指標15", position=5),                 # 15: position twice
    kgi("ISE2-01", 1, 1, "テスト指標16"),                             # 16: code of ise-2
    kgi("IGA2-17", 1, 1, "テスト指標17", kind="完了型", baseline=10),  # 17: milestone baseline
    kgi("IGA2-18", 1, 1, "テスト指標18", kind="完了", targets={2027: 100}), # 18: milestone value
    kgi("IGA2-19", 1, 1, "テスト指標19", targets={2026: "完了"}),           # 19: 完了 on a number
    kgi("IGA2-20", 1, 1, ""),                                         # 20: no item
    kgi("IGA2-21", "1.5", 1, "テスト指標21"),                         # 21: policy not whole
    kgi("IGA2-22", 1, 1, "テスト指標22", purpose="テスト目的"),       # 22: purpose alone
    kgi("IGA2-23", 1, 1, "テスト指標23", baseline_year="来年"),       # 23: not a year
    kgi("IGA2-24", 1, 1, "テスト指標24", kind="削減率", baseline=0),  # 24: reduction from 0
    kgi("IGA2-25", 1, 1, "テスト指標25", baseline="▲3"),             # 25: negative baseline
    kgi("IGA2-26", 3, 6, "テスト指標26", measure_title="テスト施策X"),  # 26: fine, new measure
    kgi("IGA2-27", 3, 6, "テスト指標27", measure_title="テスト施策Y"),  # 27: other title
    kgi("IGA2-28", 1, 1, "テスト指標28", initiative="テスト取組Z",
        purpose="テスト目的P"),                                       # 28: fine, new initiative
    kgi("IGA2-29", 1, 1, "テスト指標29", initiative="テスト取組Z",
        purpose="テスト目的Q"),                                       # 29: other purpose
]


def test_every_refusal_names_the_row_and_column(plans):
    result = preview(BAD_ROWS)
    assert not result.ok
    where = {}
    for error in result.errors:
        where.setdefault(error.row, set()).add(error.column)
    assert where == {
        3: {"計画コード"},
        4: {"計画コード"},
        5: {"基本方針番号"},
        6: {"施策名"},
        7: {"評価の型"},
        8: {"集計方法"},
        9: {"現状値"},
        10: {"目標値 R8"},
        11: {"現状値"},
        12: {"指標コード"},
        13: {"指標コード"},
        15: {"表示順"},
        16: {"指標コード"},
        17: {"現状値"},
        18: {"目標値 令和9年度"},
        19: {"目標値 R8"},
        20: {"項目"},
        21: {"基本方針番号"},
        22: {"目的（意図）"},
        23: {"現状値の年度"},
        24: {"現状値"},
        25: {"現状値"},
        27: {"施策名"},
        29: {"目的（意図）"},
    }
    messages = "\n".join(str(error) for error in result.errors)
    for expected in (
        "3行目 計画コード（IGA2-02）：計画コード「iga-9」は登録されていません。",
        "4行目 計画コード（IGA2-03）：1つのファイルには1つの計画だけを入れてください"
        "（2行目は「iga-2」、この行は「ise-2」）。",
        "5行目 基本方針番号（IGA2-04）：基本方針番号「4」はこの計画（iga-2）にありません"
        "（登録済みの番号：1、2、3）。",
        "6行目 施策名（IGA2-05）：施策番号「9」は基本方針3に登録されていません。",
        "7行目 評価の型（IGA2-06）：評価の型「上昇型」は使えません。",
        "8行目 集計方法（IGA2-07）：集計方法「月次」は使えません。",
        "9行目 現状値（IGA2-08）：数値として読めません：「たくさん」",
        "10行目 目標値 R8（IGA2-09）：負の値は入力できません：「-5」",
        "11行目 現状値（IGA2-10）：削減率型の指標には 0 より大きい現状値が必要です（空欄です）。",
        "12行目 指標コード（IGA2_11）：指標コードは ISE2-01 のように",
        "13行目 指標コード（IGA2-01）：同じ指標コードが2行目にもあります。",
        "15行目 表示順（IGA2-15）：表示順「5」が14行目（IGA2-14）と重なっています。",
        "16行目 指標コード（ISE2-01）：指標コード「ISE2-01」は別の計画（ise-2）で使われています。",
        "17行目 現状値（IGA2-17）：完了型の指標には現状値を入力できません：「10」",
        "18行目 目標値 令和9年度（IGA2-18）：完了型の指標の目標は「完了」と書きます：「100」",
        "19行目 目標値 R8（IGA2-19）：数値として読めません：「完了」",
        "20行目 項目（IGA2-20）：項目が空欄です",
        "21行目 基本方針番号（IGA2-21）：基本方針番号は1以上の整数で入力してください：「1.5」",
        "22行目 目的（意図）（IGA2-22）：目的（意図）「テスト目的」は取組と一緒に入力してください。",
        "23行目 現状値の年度（IGA2-23）：年度として読めません：「来年」",
        "24行目 現状値（IGA2-24）：削減率型の指標には 0 より大きい現状値が必要です：「0」",
        "25行目 現状値（IGA2-25）：負の値は入力できません：「▲3」",
        "27行目 施策名（IGA2-27）：施策 3-6 の施策名が26行目（「テスト施策X」）と違います："
        "「テスト施策Y」",
        "29行目 目的（意図）（IGA2-29）：取組「テスト取組Z」の目的（意図）が28行目と違います："
        "「テスト目的Q」",
    ):
        assert expected in messages, expected
    with pytest.raises(ImportRefused):
        apply_definitions(result)
    assert not Indicator.objects.filter(plan__code="iga-2").exists()


def test_a_target_column_outside_the_plan_period_is_refused_at_row_1(plans):
    columns = [*COLUMNS, ("目標値 R12", 2030), ("目標値 来年", "next")]
    result = preview([kgi("IGA2-01", 1, 1, "テスト指標1", targets={2030: 5})], columns)
    assert [str(error) for error in result.errors] == [
        "1行目 目標値 R12：令和12年度（2030）は計画期間（令和8年度（2026）〜令和11年度（2029））"
        "の外です。",
        "1行目 目標値 来年：列「目標値 来年」の年度を読めません。"
        "「目標値 R8」「目標値 2026」のように年度を付けてください。",
    ]


def test_a_position_taken_by_a_stored_kgi_is_refused(plans):
    columns = [("計画コード", "plan"), ("基本方針番号", "policy"), ("施策番号", "measure"),
               ("指標コード", "code"), ("表示順", "position"), ("項目", "item")]
    result = preview([{"plan": "ise-2", "policy": 1, "measure": 1, "code": "ISE2-90",
                       "position": 4, "item": "テスト指標"}], columns)
    assert [str(error) for error in result.errors] == [
        "2行目 表示順（ISE2-90）：表示順「4」は登録済みの指標 ISE2-04 が使っています。"
    ]


def test_a_new_kind_that_stored_values_break_is_refused(plans):
    columns = [("計画コード", "plan"), ("基本方針番号", "policy"), ("施策番号", "measure"),
               ("指標コード", "code"), ("項目", "item"), ("評価の型", "kind")]
    result = preview([{"plan": "ise-2", "code": "ISE2-13", "kind": "完了型"}], columns)
    messages = [str(error) for error in result.errors]
    assert messages[0] == (
        "2行目 評価の型（ISE2-13）：完了型にするには、登録済みの現状値（142件）を管理画面で消してください。"
    )
    assert any("登録済みの目標値 令和8年度（2026）（170件）と合いません" in m for m in messages)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (None, "1行目に必要な列がありません：計画コード、基本方針番号、施策番号"),
        (xlsx([]), "2行目から下に指標の行がありません"),
    ],
    ids=["entry-sheet", "no-rows"],
)
def test_a_file_that_is_no_definitions_sheet_is_refused(plans, data, message):
    if data is None:
        data = entry_sheet(plan=Plan.objects.get(code="ise-2"), fiscal_year=2026)
    with pytest.raises(ImportRefused, match=message):
        preview_definitions(sheet=read_upload(data, "x.xlsx"))


def test_a_bad_last_row_leaves_the_database_unchanged(plans):
    before = snapshot()
    columns = [("計画コード", "plan"), ("基本方針番号", "policy"), ("施策番号", "measure"),
               ("指標コード", "code"), ("項目", "item"), ("単位", "unit"), ("目標値 R8", 2026)]
    rows = [{"plan": "ise-2", "code": f"ISE2-{n:02d}", "unit": "テスト"}
            for n in range(1, 16)]
    rows.append({"plan": "ise-2", "code": "ISE2-16", 2026: "x"})
    result = preview(rows, columns)
    assert [str(error) for error in result.errors] == [
        "17行目 目標値 R8（ISE2-16）：数値として読めません：「x」"
    ]
    with pytest.raises(ImportRefused):
        apply_definitions(result)
    assert snapshot() == before


def test_data_changed_after_the_preview_is_refused_whole(plans):
    result = preview(iga_rows())
    Indicator.objects.filter(code="ISE2-01").update(code="IGA2-10")
    before = snapshot()
    with pytest.raises(ImportRefused):
        apply_definitions(result)
    assert snapshot() == before
    assert any("別の計画（ise-2）" in str(error) for error in result.errors)


def test_a_target_changed_after_the_preview_is_refused(plans):
    load(iga_rows())
    # IGA2-09 has no R9 target: the file adds one, someone else adds it first.
    result = preview([kgi("IGA2-09", 3, 5, "テスト指標9", targets={2027: 2})])
    assert result.ok and result.rows[0].changes == ["目標値 令和9年度（2027）：未設定 → 2件"]
    Target.objects.create(indicator=Indicator.objects.get(code="IGA2-09"), fiscal_year=2027,
                          value=2)
    with pytest.raises(ImportRefused, match="確認の後でデータが変更された"):
        apply_definitions(result)
    assert Target.objects.filter(indicator__code="IGA2-09", fiscal_year=2027).count() == 1


def test_preview_queries_do_not_grow_with_rows(plans):
    def rows(count: int) -> list[dict]:
        return [
            kgi(f"IGA2-{n:02d}", 1 + n % 3, 1 + n % 2, f"テスト指標{n}", unit="件",
                initiative=f"テスト取組{n % 4}", baseline=n, targets={2026: n + 1, 2027: n + 2})
            for n in range(1, count + 1)
        ]

    counts = []
    for count in (10, 40):
        sheet = read_upload(xlsx(rows(count)), "x.xlsx")
        with CaptureQueriesContext(connection) as queries:
            result = preview_definitions(sheet=sheet)
        assert result.ok and len(result.rows) == count
        counts.append(len(queries))
    assert counts[0] == counts[1] <= 7
    # Once stored, the same 40 rows are checked against their KGIs and targets.
    apply_definitions(result)
    sheet = read_upload(xlsx(rows(40)), "x.xlsx")
    with CaptureQueriesContext(connection) as queries:
        assert preview_definitions(sheet=sheet).counts[Action.UNCHANGED] == 40
    assert len(queries) == counts[0]


def test_decimals_typed_are_kept_and_equal_numbers_are_unchanged(plans):
    load([kgi("IGA2-01", 1, 1, "テスト指標", unit="%", baseline="45.0", targets={2026: "50.0"})])
    indicator = Indicator.objects.get(code="IGA2-01")
    assert indicator.baseline_as_entered == Decimal("45.0")
    # An Excel number cell reads 45.0 as 45: the same value, nothing to change.
    again = preview([kgi("IGA2-01", 1, 1, "テスト指標", unit="%", baseline=45.0,
                         targets={2026: 50.0})])
    assert again.counts[Action.UNCHANGED] == 1


def test_a_csv_saved_by_excel_in_shift_jis_imports(plans):
    lines = [
        "計画コード,基本方針番号,施策番号,施策名,指標コード,項目,単位,評価の型,集計方法,現状値,目標値 R8",
        "iga-2,１,２,,ＩＧＡ２－０１,テスト指標①,件,減少型,暦年,\"1,200\",\"1,150\"",
    ]
    data = ("\r\n".join(lines) + "\r\n").encode("cp932")
    result = preview_definitions(sheet=read_upload(data, "definitions.csv"))
    assert result.ok, [str(error) for error in result.errors]
    apply_definitions(result)
    indicator = Indicator.objects.get(code="IGA2-01")
    assert (indicator.item, indicator.kind, indicator.accumulation) == (
        "テスト指標①", "decrease", "calendar",
    )
    assert indicator.baseline == 1200
    assert indicator.targets.get(fiscal_year=2026).value == 1150


def test_a_baseline_and_targets_may_carry_the_kgis_unit(plans):
    result = preview([
        kgi("IGA2-01", 1, 1, "テスト指標1", unit="枚", kind="削減率型",
            baseline="1,280,000枚", baseline_year="R7", targets={2026: "R7年度比 ▲2.0%"}),
        kgi("IGA2-02", 1, 2, "テスト指標2", unit="名", baseline="２０５ 名",
            targets={2026: "250名"}),
    ])
    assert result.ok, [str(error) for error in result.errors]
    apply_definitions(result)
    indicators = {i.code: i for i in Indicator.objects.filter(plan__code="iga-2")}
    assert indicators["IGA2-01"].baseline == 1_280_000
    assert indicators["IGA2-02"].baseline == 205
    assert indicators["IGA2-02"].targets.get(fiscal_year=2026).value == 250


def test_a_baseline_with_another_unit_is_refused(plans):
    result = preview([kgi("IGA2-01", 1, 1, "テスト指標1", unit="名", baseline="205人")])
    assert not result.ok
    assert any("数値として読めません：「205人」" in str(error) for error in result.errors)
