"""The definitions template the office downloads per plan, with its guide sheet."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.utils import timezone
from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from indicators import wording
from indicators.models import Accumulation, Indicator, Kind
from indicators.wording import period_label
from ise_iga_dx.lib import wareki
from plans.models import BasicPolicy, Department, Measure, Plan
from spreadsheets.definitions.columns import (
    ACCUMULATION_CHOICES,
    ACCUMULATION_WORDS,
    DEFINITION_COLUMNS,
    DEFINITION_LABELS,
    GUIDE_SHEET_TITLE,
    KIND_CHOICES,
    KIND_WORDS,
    MILESTONE_TARGET,
    TEMPLATE_ROWS,
    TEMPLATE_SHEET_TITLE,
    accumulation_label,
    kind_label,
    target_heading,
)
from spreadsheets.definitions.owners import owners_text
from spreadsheets.xlsx import (
    BORDER,
    HEADER_FONT,
    TOP_LEFT,
    TOP_LEFT_WRAPPED,
    filename_part,
    number_format,
    set_widths,
    workbook_bytes,
    write_header,
    write_text,
)

if TYPE_CHECKING:
    from collections.abc import Iterable

    from openpyxl.worksheet.worksheet import Worksheet


# Template ---------------------------------------------------------------

TEMPLATE_WIDTHS = {
    "plan": 10, "policy": 8, "measure": 8, "measure_title": 30, "departments": 24,
    "initiative": 24,
    "purpose": 30, "code": 12, "position": 7, "item": 44, "unit": 8, "kind": 10,
    "accumulation": 9, "baseline": 11, "baseline_year": 10, "notes": 30,
}
TARGET_WIDTH = 13
WRAPPED_KEYS = frozenset(
    {"measure_title", "departments", "initiative", "purpose", "item", "notes"}
)

COLUMN_GUIDE = (
    ("計画コード", "必須", "「{plan}」と入力します（一覧から選べます）。"
     "1つのファイルには1つの計画だけを入れます。計画はファイルからは作れません。"),
    ("基本方針番号", "新規は必須",
     "下の「基本方針」にある番号（{policies}）。基本方針はファイルからは作れません。"),
    ("施策番号", "新規は必須", "基本方針の中の施策の番号（下の「登録済みの施策と取組」）。"
     "一覧にない番号を入れると新しい施策を作ります（そのときは施策名が必須）。"),
    ("施策名", "新しい施策は必須", "登録済みの施策で違う名前を入れると、施策名の変更になります"
     "（確認画面に表示されます）。空欄なら変わりません。"),
    ("所管課", "任意", "施策を担当する課の名前。複数なら「、」で区切ります（「,」「・」も可）。"
     "下の「所管課」にある名前で書きます（全角・半角や空白の違いは問いません）。"
     "書いた課だけがその施策の所管課になり、「なし」と書くと所管課を外します。"
     "空欄なら今の所管課のまま変わりません。同じ施策の行どうしで違う課を書くとエラーです。"),
    ("取組", "任意", "施策の中の取組の名前。登録済みの名前と同じなら、その取組に付けます。"
     "なければ新しい取組を作ります。"),
    ("目的（意図）", "任意", "取組の目的。取組と一緒に入力します。"),
    ("指標コード", "必須", "IGA2-01 のように英大文字・数字・ハイフンで入力します。"
     "登録済みのコードならその指標を更新し、なければ新しく登録します。"
     "ほかの計画のコードは使えません。"),
    ("表示順", "任意", "計画の中での並び順（1以上の整数）。"
     "空欄なら、新しい指標は今ある指標の後ろにファイルの順で並びます。"
     "同じ番号を2つの指標に付けることはできません。"),
    ("項目", "新規は必須", "数値目標（KGI）の内容。"),
    ("単位", "任意", "件、%、人など。数値の欄には単位を付けずに入力します。"),
    ("評価の型", "任意", "{kinds} のどれか（一覧から選べます）。空欄なら増加型。"),
    ("集計方法", "任意", "{accumulations} のどれか（一覧から選べます）。空欄なら単年度。"),
    ("現状値", "任意", "計画開始前の値を数値で入力します（5,639.8 や 45.0% も可）。"
     "削減率型では必須で、0より大きい値です。完了型には入力できません。"),
    ("現状値の年度", "任意", "R7、令和7年度、2025 のどれでも入力できます。"
     "現状値があって空欄なら{baseline_year}になります。"),
    ("目標値（年度ごと）", "任意", "年度ごとの目標値を数値で入力します。"
     "入力した小数の桁数で表示します（「30.0」と入力すれば 30.0）。"
     "空欄の年度は今の目標値のまま変わりません。"
     "登録済みの目標値はこのファイルでは変えられません（変更理由と決定日を付けて、"
     "目標値の取り込みか管理画面で変更します）。"
     "削減率型は削減率を「2.0」「▲2.0%」「R7年度比 ▲2.0%」のどれかで入力します。"
     "完了型は数値を入れず、完了予定の年度に「完了」と入力します。"),
    ("注記", "任意", "※で始まる注記など。"),
)

GENERAL_RULES = (
    "1行に1つの指標（KGI）を記入します。"
    "1行目の見出しは変えないでください（列の順番は変えても構いません）。",
    "すでに登録されている指標では、空欄の欄は登録済みの値のまま変わりません。"
    "値を消すときは管理画面で行います。",
    "ファイルにない指標・施策・取組・目標値は削除されません。",
    "取り込むと、まず確認画面に新規・変更・変更なしの件数と、指標ごとの内容"
    "（変更は「単位：件 → 回」のように変更前 → 変更後）が表示されます。"
    "この時点ではまだ何も登録されません。",
    "1行でもエラーがあると何も登録しません。"
    "エラーは「5行目 単位（IGA2-04）：…」のように行と列で示します。",
    "登録済みの指標の行は、今の登録内容を書き出したものです。変えるところだけ書き換えてください。",
)


def definitions_template_filename(*, plan: Plan) -> str:
    """Return "第2次伊賀市DX基本方針【IDXビジョン】_指標定義.xlsx"."""
    return f"{filename_part(plan.name)}_{TEMPLATE_SHEET_TITLE}.xlsx"


def template_headers(plan: Plan) -> list[tuple[str, str]]:
    """Return (key, header) pairs: the columns, then a 目標値 column a year."""
    keys = [key for key in DEFINITION_COLUMNS if key != "notes"]
    pairs = [(key, DEFINITION_LABELS[key]) for key in keys]
    pairs += [(f"target:{year}", target_heading(year)) for year in plan.fiscal_years]
    pairs.append(("notes", DEFINITION_LABELS["notes"]))
    return pairs


def list_validation(
    choices: Iterable[str], *, title: str, prompt: str, stop: bool = True
) -> DataValidation:
    return DataValidation(
        type="list",
        formula1='"{}"'.format(",".join(choices)),
        allow_blank=True,
        errorStyle="stop" if stop else "warning",
        promptTitle=title,
        prompt=prompt,
        errorTitle=title,
        error=f"一覧（{'、'.join(choices)}）から選んでください。",
        showInputMessage=True,
        showErrorMessage=True,
    )


def write_indicator_row(
    sheet: Worksheet, number: int, indicator: Indicator, columns: dict[str, int]
) -> None:
    """Write a stored KGI so that the untouched row imports unchanged."""
    measure = indicator.measure
    initiative = indicator.initiative
    texts = {
        "plan": indicator.plan.code,
        "measure_title": measure.title,
        "departments": owners_text(measure.departments.all()),
        "initiative": initiative.title if initiative else "",
        "purpose": initiative.purpose if initiative else "",
        "code": indicator.code,
        "item": indicator.item,
        "unit": indicator.unit,
        "kind": kind_label(indicator.kind),
        "accumulation": accumulation_label(indicator.accumulation),
        "notes": indicator.notes,
    }
    for key, text in texts.items():
        write_text(sheet.cell(number, columns[key]), text)
    numbers = {
        "policy": measure.policy.number,
        "measure": measure.number,
        "position": indicator.position,
        "baseline_year": indicator.baseline_year,
    }
    for key, value in numbers.items():
        cell = sheet.cell(number, columns[key], value)
        cell.number_format = "0"
    if indicator.baseline is not None:
        cell = sheet.cell(number, columns["baseline"], indicator.baseline_as_entered)
        cell.number_format = number_format(indicator.baseline_places)
    for target in indicator.targets.all():
        column = columns.get(f"target:{target.fiscal_year}")
        if column is None:
            continue
        cell = sheet.cell(number, column)
        if target.value is None:
            write_text(cell, MILESTONE_TARGET)
        else:
            cell.value = target.value_as_entered
            cell.number_format = number_format(target.value_places)
    wrapped = {columns[key] for key in WRAPPED_KEYS}
    for column in columns.values():
        cell = sheet.cell(number, column)
        cell.border = BORDER
        cell.alignment = TOP_LEFT_WRAPPED if column in wrapped else TOP_LEFT


def add_template_validations(
    sheet: Worksheet,
    *,
    plan: Plan,
    policies: list[BasicPolicy],
    columns: dict[str, int],
    last_row: int,
) -> None:
    """Offer drop-down lists on the template's rows, without writing cells.

    Cells are left empty (and unstyled) so that rows appended to the sheet
    follow the last KGI, as typed by hand.
    """
    numbers = [str(policy.number) for policy in policies] or ["1"]
    validations = {
        "plan": list_validation(
            [plan.code], title="計画コード", prompt=f"「{plan.code}」を選んでください。"
        ),
        "policy": list_validation(
            numbers, title="基本方針番号", prompt="記入方法シートの基本方針の番号です。",
            stop=False,
        ),
        "kind": list_validation(KIND_CHOICES, title="評価の型", prompt="空欄なら増加型です。"),
        "accumulation": list_validation(
            ACCUMULATION_CHOICES, title="集計方法", prompt="空欄なら単年度です。"
        ),
    }
    for key, validation in validations.items():
        letter = get_column_letter(columns[key])
        validation.add(f"{letter}2:{letter}{last_row}")
        sheet.add_data_validation(validation)
    # Text format keeps Excel from turning a typed code into a number or date.
    sheet.column_dimensions[get_column_letter(columns["code"])].number_format = "@"
    sheet.column_dimensions[get_column_letter(columns["plan"])].number_format = "@"


@dataclass(frozen=True)
class GuideLine:
    """One row of the 記入方法 sheet; ``bold`` for headings."""

    texts: tuple[str, ...] = ()
    bold: bool = False


def heading(*texts: str) -> GuideLine:
    return GuideLine(texts, bold=True)


def line(*texts: str) -> GuideLine:
    return GuideLine(texts)


def guide_lines(
    *, plan: Plan, policies: list[BasicPolicy], measures: list[Measure],
    departments: list[Department] | None = None,
) -> list[GuideLine]:
    """Return the 記入方法 sheet: rules, every column, words and numbers."""
    fill = {
        "plan": plan.code,
        "policies": "、".join(str(policy.number) for policy in policies) or "なし",
        "kinds": "・".join(KIND_CHOICES),
        "accumulations": "・".join(ACCUMULATION_CHOICES),
        "baseline_year": wareki.fiscal_year_label(plan.baseline_year),
    }
    today = timezone.localdate()
    lines = [
        line("計画", f"{plan.name}（{plan.code}）"),
        line("計画期間", period_label(plan)),
        line("出力日", wording.output_date(today)),
        line(),
        heading("【記入のきまり】"),
    ]
    lines += [line(f"{number}.", text) for number, text in enumerate(GENERAL_RULES, start=1)]
    lines += [line(), heading("【列の説明】"), heading("列", "入力", "説明")]
    lines += [line(name, need, text.format(**fill)) for name, need, text in COLUMN_GUIDE]
    lines += [line(), heading("【評価の型に書ける言葉】"), heading("言葉", "英語", "意味")]
    lines += [
        line("・".join(KIND_WORDS[Kind(kind)][:-1]), KIND_WORDS[Kind(kind)][-1], label)
        for kind, label in Kind.choices
    ]
    lines += [line(), heading("【集計方法に書ける言葉】"), heading("言葉", "英語", "意味")]
    meanings = {
        Accumulation.ANNUAL: "その年度だけの値",
        Accumulation.CUMULATIVE: "計画開始からの累計値",
        Accumulation.CALENDAR: "暦年（1〜12月）の値",
    }
    lines += [
        line("・".join(words[:-1]), words[-1], meanings[value])
        for value, words in ACCUMULATION_WORDS.items()
    ]
    lines += [line(), heading("【基本方針】"), heading("基本方針番号", "表記", "基本方針")]
    lines += [line(str(policy.number), policy.label, policy.title) for policy in policies]
    lines += [
        line(),
        heading("【登録済みの施策と取組】"),
        heading("基本方針番号-施策番号", "表記", "施策名・取組"),
    ]
    for measure in measures:
        lines.append(
            line(f"{measure.policy.number}-{measure.number}", measure.label, measure.title)
        )
        lines += [
            line("", "", f"　取組：{initiative.title}") for initiative in measure.initiatives.all()
        ]
    lines += [line(), heading("【所管課】（所管課の列に書ける名前）"), heading("課名", "部局")]
    lines += [line(department.name, department.division) for department in departments or ()]
    if not departments:
        lines.append(line("（登録されていません。管理画面の「所管課」で登録してください）"))
    return lines


def write_guide(sheet: Worksheet, lines: list[GuideLine]) -> None:
    title = sheet.cell(1, 1)
    write_text(title, "施策・指標（KGI）定義の記入方法")
    title.font = Font(bold=True, size=14)
    for number, guide in enumerate(lines, start=3):
        for column, text in enumerate(guide.texts, start=1):
            cell = sheet.cell(number, column)
            write_text(cell, text)
            cell.alignment = TOP_LEFT_WRAPPED
            if guide.bold:
                cell.font = HEADER_FONT
    set_widths(sheet, (22, 14, 90))


def definitions_template(*, plan: Plan) -> bytes:
    """Return the .xlsx the DX office fills in to load measures and KGIs.

    The first sheet has the template's headers, a 目標値 column for each
    year of the plan and the plan's stored KGIs with their measures' owners
    (so an untouched file imports unchanged), with drop-down lists for 計画コード, 基本方針番号,
    評価の型 and 集計方法. The 記入方法 sheet explains every column and
    lists the plan's policies, measures and initiatives with their numbers.
    """
    indicators = list(
        Indicator.objects.filter(plan=plan)
        .select_related("plan", "measure__policy", "initiative")
        .prefetch_related("targets", "measure__departments")
        .order_by("position")
    )
    departments = list(
        Department.objects.filter(municipality_id=plan.municipality_id).order_by(
            "division", "name"
        )
    )
    policies = list(plan.policies.order_by("number"))
    measures = list(
        Measure.objects.filter(policy__plan=plan)
        .select_related("policy")
        .prefetch_related("initiatives")
        .order_by("policy__number", "number")
    )
    pairs = template_headers(plan)
    columns = {key: number for number, (key, _header) in enumerate(pairs, start=1)}

    workbook = Workbook()
    workbook.properties.title = f"{plan.name} {TEMPLATE_SHEET_TITLE}"
    sheet = workbook.active
    sheet.title = TEMPLATE_SHEET_TITLE
    write_header(sheet, 1, [header for _key, header in pairs])
    for number, indicator in enumerate(indicators, start=2):
        write_indicator_row(sheet, number, indicator, columns)
    add_template_validations(
        sheet, plan=plan, policies=policies, columns=columns,
        last_row=TEMPLATE_ROWS + len(indicators),
    )
    set_widths(sheet, [TEMPLATE_WIDTHS.get(key, TARGET_WIDTH) for key, _header in pairs])
    sheet.row_dimensions[1].height = 32
    sheet.freeze_panes = "A2"

    write_guide(
        workbook.create_sheet(GUIDE_SHEET_TITLE),
        guide_lines(plan=plan, policies=policies, measures=measures, departments=departments),
    )
    return workbook_bytes(workbook)
