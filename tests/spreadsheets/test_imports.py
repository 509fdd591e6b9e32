"""Importing actuals from the spreadsheets departments send."""

from __future__ import annotations

import io
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest
from django.core.management import CommandError, call_command

from indicators.models import Actual
from indicators.selectors import plan_status
from plans.models import Plan
from tests.helpers import ACTUAL_HEADER, BAD_ROWS, DEPARTMENT_ROWS, xlsx

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


def evaluations(code: str, year: int) -> dict[str, str]:
    rows = plan_status(plan=Plan.objects.get(code=code), fiscal_year=year)
    return {row.indicator.code: row.evaluation_label for row in rows}


# DEPARTMENT_ROWS (tests.helpers): a sheet typed the way departments type.
def test_a_department_sheet_lands_with_the_evaluations_the_rules_give(plans, tmp_path):
    out, _ = run_import(tmp_path, xlsx(DEPARTMENT_ROWS))
    assert "新規 8件" in out and "空欄 1件" in out
    shown = evaluations("ise-2", 2026)
    assert shown["ISE2-01"] == "達成《達成率：106.3%》"
    assert shown["ISE2-02"] == "達成《達成率：100.0%》"
    assert shown["ISE2-03"] == "未達成《達成率：98.8%》"
    assert shown["ISE2-04"] == "－"
    assert shown["ISE2-05"] == "未入力"
    assert shown["ISE2-08"] == "達成《達成率：102.4%》"
    # (5,828,872 − 5,700,000) ÷ 5,828,872 = 2.21% against a 2.0% target.
    assert shown["ISE2-11"] == "達成《達成率：110.5%》"
    assert shown["ISE2-12"] == "達成"
    assert shown["ISE2-16"] == "達成《達成率：100.9%》"
    first = Actual.objects.get(indicator__code="ISE2-01", fiscal_year=2026)
    assert f"{first.value_as_entered:f}" == "42.5" and first.note == "アンケート回収率 80%"
    dash = Actual.objects.get(indicator__code="ISE2-04", fiscal_year=2026)
    assert dash.state == "not_measured" and dash.not_measured_reason == "調査を実施せず"


def test_the_same_file_twice_is_all_unchanged(plans, tmp_path):
    run_import(tmp_path, xlsx(DEPARTMENT_ROWS))
    out, _ = run_import(tmp_path, xlsx(DEPARTMENT_ROWS))
    assert "新規 0件 / 変更 0件 / 変更なし 8件" in out


def test_a_changed_value_is_an_update(plans, tmp_path):
    run_import(tmp_path, xlsx([["ISE2-01", 2026, 38, None]]))
    out, _ = run_import(tmp_path, xlsx([["ISE2-01", 2026, 41, None]]))
    assert "変更 1件" in out
    assert Actual.objects.get(indicator__code="ISE2-01", fiscal_year=2026).value == 41


def test_dry_run_changes_nothing(plans, tmp_path):
    out, _ = run_import(tmp_path, xlsx(DEPARTMENT_ROWS), "actuals.xlsx", "--dry-run")
    assert out.startswith("確認のみ（変更していません）：新規 8件")
    assert not Actual.objects.filter(fiscal_year=2026).exists()


def test_a_percent_formatted_cell_means_points(plans, tmp_path):
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(HEADER)
    sheet.append(["ISE2-09", 2026, 0.455])
    sheet["C2"].number_format = "0.0%"
    buffer = io.BytesIO()
    workbook.save(buffer)
    run_import(tmp_path, buffer.getvalue())
    actual = Actual.objects.get(indicator__code="ISE2-09", fiscal_year=2026)
    assert actual.value == Decimal("45.5")
    assert evaluations("ise-2", 2026)["ISE2-09"] == "達成《達成率：101.1%》"


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "cp932"])
def test_csv_in_utf8_with_or_without_bom_and_in_shift_jis(plans, tmp_path, encoding):
    rows = [
        ["ISE2-13", "令和8年度", "１７１", "①オンライン化"],
        ["ISE2-14", "R8", "89.5%", "～"],
        ["ISE2-16", "R8", '"53,500"', "髙橋"],
    ]
    run_import(tmp_path, csv_bytes(rows, encoding), "actuals.csv")
    assert Actual.objects.get(indicator__code="ISE2-13", fiscal_year=2026).note == "①オンライン化"
    assert Actual.objects.get(indicator__code="ISE2-13", fiscal_year=2026).value == 171
    assert Actual.objects.get(indicator__code="ISE2-16", fiscal_year=2026).value == 53500
    assert Actual.objects.get(indicator__code="ISE2-14", fiscal_year=2026).value == Decimal("89.5")


def test_english_column_names_and_extra_columns(plans, tmp_path):
    data = xlsx([["x", "ISE2-15", "2026", "15"]], header=["memo", "code", "fiscal_year", "actual"])
    run_import(tmp_path, data)
    assert Actual.objects.get(indicator__code="ISE2-15", fiscal_year=2026).value == 15


def test_milestone_done_and_not_done(plans, tmp_path):
    run_import(tmp_path, xlsx([["ISE1-14", "R6", "未完了", None], ["ISE1-14", "R5", "完了", None]]))
    states = dict(Actual.objects.filter(indicator__code="ISE1-14").values_list("fiscal_year", "state"))
    assert states[2024] == "not_done" and states[2023] == "done"


def test_a_file_with_bad_rows_is_refused_whole_with_every_bad_row_named(plans, tmp_path):
    message, errors = refused(tmp_path, xlsx(BAD_ROWS))
    assert "7件のエラー" in message and "何も取り込みませんでした" in message
    lines = errors.strip().splitlines()
    assert [line.split("行目")[0] for line in lines] == ["3", "4", "5", "6", "7", "8", "9"]
    assert "3行目 指標コード（ISE9-99）：指標コード「ISE9-99」は登録されていません。" in errors
    assert "4行目 実績値（ISE2-02）" in errors and "たくさん" in errors
    assert "5行目 年度（ISE2-03）：令和12年度（2030）は計画期間" in errors
    assert "6行目 年度（ISE2-01）：同じ指標・年度が2行目にもあります。" in errors
    assert "7行目 実績値（ISE2-10）" in errors and "負の値" in errors
    assert "8行目 実績値（ISE1-14）：完了型の指標です" in errors
    assert "9行目 年度（ISE2-13）" in errors and "来年" in errors
    assert not Actual.objects.filter(fiscal_year=2026).exists()


def test_a_bad_last_row_leaves_the_database_unchanged(plans, tmp_path):
    before = sorted(Actual.objects.values_list("pk", "value", "updated_at"))
    rows = [[f"ISE2-{n:02d}", "R8", "1", None] for n in range(1, 16)] + [["ISE2-16", "R8", "x", None]]
    _message, errors = refused(tmp_path, xlsx(rows))
    assert "17行目 実績値（ISE2-16）" in errors
    assert sorted(Actual.objects.values_list("pk", "value", "updated_at")) == before


def test_a_formula_without_a_cached_value_is_refused(plans, tmp_path):
    _, errors = refused(tmp_path, xlsx([["ISE2-01", "R8", "=40+2", None]]))
    assert "2行目 実績値（ISE2-01）" in errors and "数式" in errors


@pytest.mark.parametrize(
    ("data", "name", "message"),
    [
        (b"%PDF-1.4\n\x00\x01binary", "report.pdf", "スプレッドシート"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 64, "old.xls", ".xlsx"),
        (b"", "empty.csv", ""),
        (csv_bytes([["ISE2-01", "R8", "1"]], header=["コード", "年", "値"]), "x.csv",
         "必要な列がありません：指標コード、年度、実績値"),
    ],
    ids=["pdf", "old-xls", "empty", "no-columns"],
)
def test_a_file_that_is_not_an_actuals_sheet_is_refused(plans, tmp_path, data, name, message):
    text, _ = refused(tmp_path, data, name)
    assert message in text


def test_size_and_row_limits(plans, tmp_path, settings):
    settings.KPI_IMPORT_MAX_BYTES = 100
    text, _ = refused(tmp_path, xlsx(DEPARTMENT_ROWS))
    assert "ファイルが大きすぎます" in text and "上限は100バイト" in text
    settings.KPI_IMPORT_MAX_BYTES = 5 * 1024 * 1024
    settings.KPI_IMPORT_MAX_ROWS = 3
    text, _ = refused(tmp_path, xlsx(DEPARTMENT_ROWS))
    assert "行数が上限（3行）を超えています" in text


def test_a_missing_file_is_a_clear_error(plans, tmp_path):
    with pytest.raises(CommandError, match="ファイルを読めません"):
        call_command("import_actuals", str(tmp_path / "nope.xlsx"))


def test_targets_file_revises_targets_in_one_go(plans, tmp_path):
    from indicators.models import Target
    from spreadsheets.rows import read_upload
    from spreadsheets.targets import preview_targets
    from spreadsheets.writer import apply_targets

    # A changed target is a revision: 変更理由 and 決定日 travel with it.
    data = xlsx(
        [["ISE2-13", "R9", "210", None, "上方修正の決定", "2026/6/1"],
         ["ISE2-11", "R8", "R7年度比 ▲2.5%", None, "削減目標の見直し", "R8.6.1"],
         ["ISE2-01", "R8", "", None, None, None], ["ISE2-02", "R8", "20", None, None, None]],
        header=["指標コード", "年度", "目標値", "備考", "変更理由", "決定日"],
    )
    preview = preview_targets(sheet=read_upload(data, "targets.xlsx"))
    assert preview.ok, preview.errors
    assert preview.summary() == "新規 0件 / 変更 2件 / 変更なし 1件 / 空欄 1件"
    assert [(r.old_label, r.new_label) for r in preview.rows[:2]] == [
        ("200件", "210件（令和8年6月1日決定。理由：上方修正の決定）"),
        ("R7年度比 ▲2.0%", "R7年度比 ▲2.5%（令和8年6月1日決定。理由：削減目標の見直し）"),
    ]
    apply_targets(preview)
    assert Target.objects.get(indicator__code="ISE2-13", fiscal_year=2027).value == 210
    reduction = Target.objects.get(indicator__code="ISE2-11", fiscal_year=2026)
    assert f"{reduction.value_as_entered:f}" == "2.5"


def test_targets_file_refuses_bad_rows_whole(plans, tmp_path):
    from spreadsheets.rows import read_upload
    from spreadsheets.targets import preview_targets

    data = xlsx(
        [["ISE2-13", "R9", "210", "上方修正の決定", "2026/6/1"], ["ISE2-13", "R13", "1"],
         ["ISE1-14", "R7", "3"]],
        header=["指標コード", "年度", "目標値", "変更理由", "決定日"],
    )
    preview = preview_targets(sheet=read_upload(data, "targets.xlsx"))
    assert [str(error) for error in preview.errors] == [
        "3行目 年度（ISE2-13）：令和13年度（2031）は計画期間（令和8年度（2026）〜令和11年度（2029））の外です。",
        "4行目 目標値（ISE1-14）：完了型の指標の目標は「完了」と書きます：「3」",
    ]
