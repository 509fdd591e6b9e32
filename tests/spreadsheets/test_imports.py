"""Importing actuals from the spreadsheets departments send.

Rules of the import, not numbers of the documents: the plan, its KGIs and
their targets come from factories (tests/factories.py), and the sheets are
typed for them the way departments type.
"""

from __future__ import annotations

import io
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest
from django.core.management import CommandError, call_command

from indicators.models import Actual, Indicator, Kind
from indicators.selectors import plan_status
from plans.models import Plan
from tests.factories import IndicatorFactory, MilestoneFactory, PlanFactory, TargetFactory
from tests.helpers import ACTUAL_HEADER, BAD_ROWS, DEPARTMENT_ROWS, MILESTONE, xlsx

pytestmark = pytest.mark.django_db

HEADER = ACTUAL_HEADER


def csv_bytes(rows: list[list[str]], encoding: str = "utf-8", header=HEADER) -> bytes:
    lines = [",".join(header)] + [",".join(row) for row in rows]
    return ("\r\n".join(lines) + "\r\n").encode(encoding)


def run_import(tmp_path: Path, data: bytes, name: str = "actuals.xlsx", *args: str):
    path = tmp_path / name
    path.write_bytes(data)
    out, err = io.StringIO(), io.StringIO()
    call_command("import_actuals", str(path), *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def refused(tmp_path: Path, data: bytes, name: str = "actuals.xlsx") -> tuple[str, str]:
    path = tmp_path / name
    path.write_bytes(data)
    err = io.StringIO()
    with pytest.raises(CommandError) as info:
        call_command("import_actuals", str(path), stdout=io.StringIO(), stderr=err)
    return str(info.value), err.getvalue()


def evaluations(plan: Plan, year: int) -> dict[str, str]:
    rows = plan_status(plan=plan, fiscal_year=year)
    return {row.indicator.code: row.evaluation_label for row in rows}


# The plan's KGIs: code, unit, kind, baseline, R8 target.
KGIS = [
    ("TEST-01", "%", Kind.INCREASE, None, "30.0"),
    ("TEST-02", "名", Kind.INCREASE, None, "25"),
    ("TEST-03", "名", Kind.INCREASE, None, "400"),
    ("TEST-04", "%", Kind.INCREASE, None, "50.0"),
    ("TEST-05", "%", Kind.INCREASE, None, "20.0"),
    ("TEST-06", "時間", Kind.INCREASE, None, "6000.0"),
    ("TEST-07", "枚", Kind.REDUCTION, "1280000", "2.0"),
    ("TEST-08", "件", Kind.DECREASE, None, "0"),
    ("TEST-09", "名", Kind.INCREASE, None, "3200"),
]



def kgi(plan: Plan, code: str, unit: str = "件", kind: str = Kind.INCREASE,
        baseline: str | None = None) -> Indicator:
    position = plan.indicators.count() + 1
    return IndicatorFactory(
        measure__policy__plan=plan, code=code, position=position, unit=unit, kind=kind,
        baseline=None if baseline is None else Decimal(baseline),
        baseline_year=None if baseline is None else 2025,
    )


@pytest.fixture
def plan() -> Plan:
    """A 「テスト市」 plan (R8–R11) of the KGIs of KGIS, each with its R8
    target (TEST-03 also 450名 in R9), and the milestone TEST-90; no actuals."""
    plan = PlanFactory(municipality__name="テスト市")
    for code, unit, kind, baseline, target in KGIS:
        TargetFactory(indicator=kgi(plan, code, unit, kind, baseline), fiscal_year=2026,
                      value=Decimal(target), value_places=len(target.partition(".")[2]))
    TargetFactory(indicator=plan.indicators.get(code="TEST-03"), fiscal_year=2027,
                  value=Decimal("450"))
    MilestoneFactory(measure__policy__plan=plan, code=MILESTONE, position=len(KGIS) + 1)
    return plan


def test_a_department_sheet_lands_with_the_evaluations_the_rules_give(plan, tmp_path):
    out, _ = run_import(tmp_path, xlsx(DEPARTMENT_ROWS))
    assert "新規 8件" in out and "空欄 1件" in out
    shown = evaluations(plan, 2026)
    # 42.5 ÷ 30.0
    assert shown["TEST-01"] == "達成《達成率：141.7%》"
    assert shown["TEST-02"] == "達成《達成率：100.0%》"
    # 395 ÷ 400 = 98.75, rounded half up.
    assert shown["TEST-03"] == "未達成《達成率：98.8%》"
    assert shown["TEST-04"] == "－"
    assert shown["TEST-05"] == "未入力"
    # 6,450.5 ÷ 6,000.0
    assert shown["TEST-06"] == "達成《達成率：107.5%》"
    # (1,280,000 − 1,250,000) ÷ 1,280,000 = 2.34% against a 2.0% target.
    assert shown["TEST-07"] == "達成《達成率：117.2%》"
    assert shown["TEST-08"] == "達成"
    # 3,400 ÷ 3,200
    assert shown["TEST-09"] == "達成《達成率：106.3%》"
    first = Actual.objects.get(indicator__code="TEST-01", fiscal_year=2026)
    assert f"{first.value_as_entered:f}" == "42.5" and first.note == "アンケート回収率 80%"
    dash = Actual.objects.get(indicator__code="TEST-04", fiscal_year=2026)
    assert dash.state == "not_measured" and dash.not_measured_reason == "調査を実施せず"


def test_the_same_file_twice_is_all_unchanged(plan, tmp_path):
    run_import(tmp_path, xlsx(DEPARTMENT_ROWS))
    out, _ = run_import(tmp_path, xlsx(DEPARTMENT_ROWS))
    assert "新規 0件 / 変更 0件 / 変更なし 8件" in out


def test_a_changed_value_is_an_update(plan, tmp_path):
    run_import(tmp_path, xlsx([["TEST-01", 2026, 38, None]]))
    out, _ = run_import(tmp_path, xlsx([["TEST-01", 2026, 41, None]]))
    assert "変更 1件" in out
    assert Actual.objects.get(indicator__code="TEST-01", fiscal_year=2026).value == 41


def test_dry_run_changes_nothing(plan, tmp_path):
    out, _ = run_import(tmp_path, xlsx(DEPARTMENT_ROWS), "actuals.xlsx", "--dry-run")
    assert out.startswith("確認のみ（変更していません）：新規 8件")
    assert not Actual.objects.filter(indicator__plan=plan).exists()


def test_a_percent_formatted_cell_means_points(plan, tmp_path):
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(HEADER)
    sheet.append(["TEST-01", 2026, 0.455])
    sheet["C2"].number_format = "0.0%"
    buffer = io.BytesIO()
    workbook.save(buffer)
    run_import(tmp_path, buffer.getvalue())
    actual = Actual.objects.get(indicator__code="TEST-01", fiscal_year=2026)
    assert actual.value == Decimal("45.5")
    # 45.5 ÷ 30.0
    assert evaluations(plan, 2026)["TEST-01"] == "達成《達成率：151.7%》"


@pytest.mark.parametrize(
    ("number_format", "stored", "places", "shown"),
    [("0.0%", "16.0", 1, "16.0%"), ("0%", "16", 0, "16%"), ("0.00%", "16.00", 2, "16.00%")],
)
def test_a_percent_cell_keeps_the_decimals_excel_showed(
    plan, tmp_path, number_format, stored, places, shown
):
    target = Indicator.objects.get(code="TEST-05")
    target.targets.filter(fiscal_year=2026).update(value=Decimal("15.0"), value_places=1)
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(HEADER)
    sheet.append(["TEST-05", 2026, 0.16])
    sheet["C2"].number_format = number_format
    buffer = io.BytesIO()
    workbook.save(buffer)
    run_import(tmp_path, buffer.getvalue())
    actual = Actual.objects.get(indicator__code="TEST-05", fiscal_year=2026)
    assert (f"{actual.value_as_entered:f}", actual.value_places) == (stored, places)
    row = next(row for row in plan_status(plan=plan, fiscal_year=2026)
               if row.indicator.code == "TEST-05")
    # Beside the 「15.0%」 target, as the cell showed it.
    assert (row.actual_label, row.target_label) == (shown, "15.0%")
    # 16 ÷ 15.0
    assert row.evaluation_label == "達成《達成率：106.7%》"


def test_a_value_may_carry_its_kgis_unit(plan, tmp_path):
    rows = [
        ["TEST-02", "R8", "205名", ""],
        ["TEST-03", "R8", "２０５ 名", ""],
        ["TEST-09", "R8", '"1,234名"', ""],
        ["TEST-01", "R8", "45.0%", ""],
        ["TEST-06", "R8", '"5,639.8 時間"', ""],
    ]
    run_import(tmp_path, csv_bytes(rows), "actuals.csv")
    stored = {
        actual.indicator.code: f"{actual.value_as_entered:f}"
        for actual in Actual.objects.filter(indicator__plan=plan).select_related("indicator")
    }
    assert stored == {"TEST-02": "205", "TEST-03": "205", "TEST-09": "1234",
                      "TEST-01": "45.0", "TEST-06": "5639.8"}


def test_a_target_may_carry_its_kgis_unit_and_a_reduction_its_percent():
    from spreadsheets.cells import Cell, CellError
    from spreadsheets.targets import parse_target

    assert parse_target(Cell("400名"), Indicator(kind=Kind.INCREASE, unit="名")) == (
        Decimal("400"), 0
    )
    reduction = Indicator(kind=Kind.REDUCTION, unit="枚")
    assert parse_target(Cell("R7年度比 ▲2.0%"), reduction) == (Decimal("2.0"), 1)
    with pytest.raises(CellError, match="数値として読めません：「400人」"):
        parse_target(Cell("400人"), Indicator(kind=Kind.INCREASE, unit="名"))


def test_a_value_with_another_unit_is_refused(plan, tmp_path):
    rows = [["TEST-02", "R8", "205人", ""], ["TEST-06", "R8", "45%", ""]]
    _message, errors = refused(tmp_path, csv_bytes(rows), "actuals.csv")
    assert "2行目 実績値（TEST-02）：数値として読めません：「205人」" in errors
    assert "3行目 実績値（TEST-06）：数値として読めません：「45%」" in errors
    assert not Actual.objects.filter(indicator__plan=plan).exists()


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "cp932"])
def test_csv_in_utf8_with_or_without_bom_and_in_shift_jis(plan, tmp_path, encoding):
    rows = [
        ["TEST-03", "令和8年度", "１７１", "①オンライン化"],
        ["TEST-01", "R8", "89.5%", "～"],
        ["TEST-09", "R8", '"53,500"', "髙橋"],
    ]
    run_import(tmp_path, csv_bytes(rows, encoding), "actuals.csv")
    assert Actual.objects.get(indicator__code="TEST-03", fiscal_year=2026).note == "①オンライン化"
    assert Actual.objects.get(indicator__code="TEST-03", fiscal_year=2026).value == 171
    assert Actual.objects.get(indicator__code="TEST-09", fiscal_year=2026).value == 53500
    assert Actual.objects.get(indicator__code="TEST-01", fiscal_year=2026).value == Decimal("89.5")


def test_english_column_names_and_extra_columns(plan, tmp_path):
    data = xlsx([["x", "TEST-02", "2026", "15"]], header=["memo", "code", "fiscal_year", "actual"])
    run_import(tmp_path, data)
    assert Actual.objects.get(indicator__code="TEST-02", fiscal_year=2026).value == 15


def test_milestone_done_and_not_done(plan, tmp_path):
    run_import(tmp_path, xlsx([[MILESTONE, "R9", "未完了", None], [MILESTONE, "R8", "完了", None]]))
    states = dict(Actual.objects.filter(indicator__code=MILESTONE).values_list("fiscal_year", "state"))
    assert states[2027] == "not_done" and states[2026] == "done"


def test_a_file_with_bad_rows_is_refused_whole_with_every_bad_row_named(plan, tmp_path):
    message, errors = refused(tmp_path, xlsx(BAD_ROWS))
    assert "7件のエラー" in message and "何も取り込みませんでした" in message
    lines = errors.strip().splitlines()
    assert [line.split("行目")[0] for line in lines] == ["3", "4", "5", "6", "7", "8", "9"]
    assert "3行目 指標コード（TEST-99）：指標コード「TEST-99」は登録されていません。" in errors
    assert "4行目 実績値（TEST-02）" in errors and "たくさん" in errors
    assert "5行目 年度（TEST-03）：令和12年度（2030）は計画期間" in errors
    assert "6行目 年度（TEST-01）：同じ指標・年度が2行目にもあります。" in errors
    assert "7行目 実績値（TEST-09）" in errors and "負の値" in errors
    assert f"8行目 実績値（{MILESTONE}）：完了型の指標です" in errors
    assert "9行目 年度（TEST-06）" in errors and "来年" in errors
    assert not Actual.objects.filter(indicator__plan=plan).exists()


def test_a_bad_last_row_leaves_the_database_unchanged(plan, tmp_path):
    for n in range(len(KGIS) + 1, 17):
        kgi(plan, f"TEST-{n:02d}")
    before = sorted(Actual.objects.values_list("pk", "value", "updated_at"))
    rows = [[f"TEST-{n:02d}", "R8", "1", None] for n in range(1, 16)] + [["TEST-16", "R8", "x", None]]
    _message, errors = refused(tmp_path, xlsx(rows))
    assert "17行目 実績値（TEST-16）" in errors
    assert sorted(Actual.objects.values_list("pk", "value", "updated_at")) == before


def test_a_formula_without_a_cached_value_is_refused(plan, tmp_path):
    _, errors = refused(tmp_path, xlsx([["TEST-01", "R8", "=40+2", None]]))
    assert "2行目 実績値（TEST-01）" in errors and "数式" in errors


@pytest.mark.parametrize(
    ("data", "name", "message"),
    [
        (b"%PDF-1.4\n\x00\x01binary", "report.pdf", "スプレッドシート"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 64, "old.xls", ".xlsx"),
        (b"", "empty.csv", ""),
        (csv_bytes([["TEST-01", "R8", "1"]], header=["コード", "年", "値"]), "x.csv",
         "必要な列がありません：指標コード、年度、実績値"),
    ],
    ids=["pdf", "old-xls", "empty", "no-columns"],
)
def test_a_file_that_is_not_an_actuals_sheet_is_refused(tmp_path, data, name, message):
    text, _ = refused(tmp_path, data, name)
    assert message in text


def test_size_and_row_limits(plan, tmp_path, settings):
    settings.KPI_IMPORT_MAX_BYTES = 100
    text, _ = refused(tmp_path, xlsx(DEPARTMENT_ROWS))
    assert "ファイルが大きすぎます" in text and "上限は100バイト" in text
    settings.KPI_IMPORT_MAX_BYTES = 5 * 1024 * 1024
    settings.KPI_IMPORT_MAX_ROWS = 3
    text, _ = refused(tmp_path, xlsx(DEPARTMENT_ROWS))
    assert "行数が上限（3行）を超えています" in text


def test_a_missing_file_is_a_clear_error(tmp_path):
    with pytest.raises(CommandError, match="ファイルを読めません"):
        call_command("import_actuals", str(tmp_path / "nope.xlsx"))


def test_targets_file_revises_targets_in_one_go(plan, tmp_path):
    from indicators.models import Target
    from spreadsheets.rows import read_upload
    from spreadsheets.targets import preview_targets
    from spreadsheets.writer import apply_targets

    # A changed target is a revision: 変更理由 and 決定日 travel with it.
    data = xlsx(
        [["TEST-03", "R9", "460", None, "上方修正の決定", "2026/6/1"],
         ["TEST-07", "R8", "R7年度比 ▲2.5%", None, "削減目標の見直し", "R8.6.1"],
         ["TEST-01", "R8", "", None, None, None], ["TEST-02", "R8", "25", None, None, None]],
        header=["指標コード", "年度", "目標値", "備考", "変更理由", "決定日"],
    )
    preview = preview_targets(sheet=read_upload(data, "targets.xlsx"))
    assert preview.ok, preview.errors
    assert preview.summary() == "新規 0件 / 変更 2件 / 変更なし 1件 / 空欄 1件"
    assert [(r.old_label, r.new_label) for r in preview.rows[:2]] == [
        ("450名", "460名（令和8年6月1日決定。理由：上方修正の決定）"),
        ("R7年度比 ▲2.0%", "R7年度比 ▲2.5%（令和8年6月1日決定。理由：削減目標の見直し）"),
    ]
    apply_targets(preview)
    assert Target.objects.get(indicator__code="TEST-03", fiscal_year=2027).value == 460
    reduction = Target.objects.get(indicator__code="TEST-07", fiscal_year=2026)
    assert f"{reduction.value_as_entered:f}" == "2.5"


def test_targets_file_refuses_bad_rows_whole(plan, tmp_path):
    from spreadsheets.rows import read_upload
    from spreadsheets.targets import preview_targets

    data = xlsx(
        [["TEST-03", "R9", "460", "上方修正の決定", "2026/6/1"], ["TEST-03", "R13", "1"],
         [MILESTONE, "R8", "3"]],
        header=["指標コード", "年度", "目標値", "変更理由", "決定日"],
    )
    preview = preview_targets(sheet=read_upload(data, "targets.xlsx"))
    assert [str(error) for error in preview.errors] == [
        "3行目 年度（TEST-03）：令和13年度（2031）は計画期間（令和8年度（2026）〜令和11年度（2029））の外です。",
        f"4行目 目標値（{MILESTONE}）：完了型の指標の目標は「完了」と書きます：「3」",
    ]
