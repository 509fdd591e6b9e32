"""Loading measures (施策) and KGIs into an existing plan from a template.

Iga's plan document lists its directions but not its KGIs, which live in a
separate action plan; the DX office loads them from the workbook that
:func:`definitions_template` writes. The rules are those of the actuals
importer (:mod:`indicators.imports`): :func:`preview_definitions` checks
every row and says what would change without writing, and
:func:`apply_definitions` writes everything in one transaction or nothing.

A row is one KGI. For a KGI already stored, a blank cell keeps the stored
value, as a blank target cell keeps that year's target; for a new KGI it
means the default. Nothing is deleted: a KGI, measure or target missing
from the file stays as it is.
"""

from __future__ import annotations

import unicodedata
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Max, Q
from django.utils import timezone
from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from audit.writers import history_create, import_reason
from indicators import achievement, wording
from indicators.imports import (
    REFUSED,
    Action,
    ImportRefused,
    RowError,
    normalise_code,
    parse_target,
    read_upload,
)
from indicators.models import Accumulation, Indicator, Kind, Target
from indicators.wording import outside_period_message, period_label, target_text
from ise_iga_dx.lib import wareki
from plans.models import BasicPolicy, Initiative, Measure, Plan
from plans.selectors import plans_managed_by
from spreadsheets.reading import (
    Cell,
    CellError,
    normalise_header,
    parse_fiscal_year,
    parse_number,
    parse_text,
)
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
    from collections.abc import Callable, Iterable
    from datetime import datetime

    from django.contrib.auth.models import AbstractBaseUser
    from django.db.models import Model, QuerySet
    from openpyxl.worksheet.worksheet import Worksheet

    from spreadsheets.reading import Sheet, SheetRow

# Column key -> accepted header texts (compared after normalise_header); the
# first is the template's header, the last the English alias.
DEFINITION_COLUMNS: dict[str, tuple[str, ...]] = {
    "plan": ("計画コード", "plan"),
    "policy": ("基本方針番号", "policy"),
    "measure": ("施策番号", "measure"),
    "measure_title": ("施策名", "measure_title"),
    "initiative": ("取組", "initiative"),
    "purpose": ("目的（意図）", "purpose"),
    "code": ("指標コード", "code"),
    "position": ("表示順", "position"),
    "item": ("項目", "項目（KGI）", "item"),
    "unit": ("単位", "unit"),
    "kind": ("評価の型", "kind"),
    "accumulation": ("集計方法", "accumulation"),
    "baseline": ("現状値", "baseline"),
    "baseline_year": ("現状値の年度", "baseline_year"),
    "notes": ("注記", "注記（※）", "notes"),
}
# Without these the file is some other sheet (the entry sheet has 項目 and
# 指標コード but no numbers for policy and measure).
REQUIRED_DEFINITION_COLUMNS = ("plan", "policy", "measure", "code", "item")
DEFINITION_LABELS = {key: names[0] for key, names in DEFINITION_COLUMNS.items()}
# 「目標値 R8」, 「目標値（2026）」, "target 2026": one column per fiscal year.
TARGET_PREFIXES = tuple(normalise_header(text) for text in ("目標値", "target"))
TARGET_SEPARATORS = " _:・-"

KIND_WORDS: dict[Kind, tuple[str, ...]] = {
    Kind.INCREASE: ("増加型", "増加", "increase"),
    Kind.DECREASE: ("減少型", "減少", "decrease"),
    Kind.REDUCTION: ("削減率型", "削減率", "reduction"),
    Kind.MILESTONE: ("完了型", "完了", "milestone"),
}
ACCUMULATION_WORDS: dict[Accumulation, tuple[str, ...]] = {
    Accumulation.ANNUAL: ("単年度", "単年", "annual"),
    Accumulation.CUMULATIVE: ("累計", "cumulative"),
    Accumulation.CALENDAR: ("暦年", "暦年目標", "calendar"),
}
KIND_CHOICES = tuple(words[0] for words in KIND_WORDS.values())
ACCUMULATION_CHOICES = tuple(words[0] for words in ACCUMULATION_WORDS.values())
# Brackets the documents print around 《累計》 and 【累計】.
WORD_BRACKETS = "《》【】「」"
MILESTONE_TARGET = "完了"
# Changing a stored target is a revision, with a reason and a decision date.
REVISION_HINT = (
    "目標値の変更には変更理由と決定日が必要です。目標値の取り込み（列「変更理由」「決定日」）"
    "か、管理画面の指標の画面で変更してください"
)

# Model field -> column, for messages of clean_fields() and clean().
FIELD_COLUMNS = {
    "measure": "measure",
    "initiative": "initiative",
    "code": "code",
    "position": "position",
    "item": "item",
    "unit": "unit",
    "kind": "kind",
    "accumulation": "accumulation",
    "baseline": "baseline",
    "baseline_year": "baseline_year",
    "notes": "notes",
    NON_FIELD_ERRORS: "code",
}
INDICATOR_FIELDS = (
    "measure", "initiative", "position", "item", "unit", "kind", "accumulation",
    "baseline", "baseline_places", "baseline_year", "notes",
)
MAX_POSITION = 32767
QUOTE_LIMIT = 40
NONE_TEXT = "なし"

TEMPLATE_SHEET_TITLE = "指標定義"
GUIDE_SHEET_TITLE = "記入方法"
# Rows of the template that offer the drop-down lists.
TEMPLATE_ROWS = 1000


# Results ----------------------------------------------------------------


@dataclass
class DefinitionRow:
    """One KGI row of the file, checked, with what importing it would do.

    ``changes`` are the lines the preview shows: 「単位：件 → 回」, or what a
    new KGI will be.
    """

    row: int
    code: str
    action: Action
    changes: list[str] = field(default_factory=list)
    item: str = ""
    # What apply_definitions() writes: the KGI as it will be stored, the
    # stored one it replaces, and its new or changed targets.
    indicator: Indicator | None = field(default=None, repr=False)
    existing: Indicator | None = field(default=None, repr=False)
    targets: list[Target] = field(default_factory=list, repr=False)


@dataclass
class DefinitionWrites:
    """Measures and initiatives to create or change, beside the KGI rows."""

    new_measures: list[Measure] = field(default_factory=list)
    renamed_measures: list[Measure] = field(default_factory=list)
    new_initiatives: list[Initiative] = field(default_factory=list)
    changed_initiatives: list[Initiative] = field(default_factory=list)


@dataclass
class DefinitionImport:
    """The outcome of reading a definitions file: rows to import, or errors."""

    filename: str
    plan: Plan | None = None
    rows: list[DefinitionRow] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    writes: DefinitionWrites = field(default_factory=DefinitionWrites, repr=False)
    # Kept so that apply_definitions() can check the file again.
    sheet: Sheet | None = field(default=None, repr=False)

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def counts(self) -> dict[Action, int]:
        tally = Counter(row.action for row in self.rows)
        return {action: tally.get(action, 0) for action in Action}

    def summary(self) -> str:
        counts = self.counts
        text = (
            f"指標 新規 {counts[Action.NEW]}件 / 変更 {counts[Action.CHANGED]}件 / "
            f"変更なし {counts[Action.UNCHANGED]}件"
        )
        extras = [
            f"{label} {len(items)}件"
            for label, items in (
                ("新しい施策", self.writes.new_measures),
                ("施策名の変更", self.writes.renamed_measures),
                ("新しい取組", self.writes.new_initiatives),
                ("取組の目的の変更", self.writes.changed_initiatives),
            )
            if items
        ]
        if extras:
            text += f"（{'、'.join(extras)}）"
        return text

    def fingerprint(self) -> list[tuple[int, str, Action, tuple[str, ...]]]:
        """Return what the preview showed, to tell whether data changed since."""
        return [(row.row, row.code, row.action, tuple(row.changes)) for row in self.rows]


# Texts ------------------------------------------------------------------


def clip(text: str, limit: int = QUOTE_LIMIT) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[:limit] + "…"


def quote(text: str) -> str:
    return f"「{clip(text)}」" if text else NONE_TEXT


def with_text(message: str, text: str) -> str:
    """Return a model's message followed by the text it refused."""
    return f"{message.rstrip('。')}：「{clip(text)}」"


def cell_text(text: str) -> str:
    """Return a typed text as stored: stripped, with Excel's CRLF as LF."""
    return text.replace("\r\n", "\n").replace("\r", "\n").strip()


def same_text(stored: str, typed: str) -> bool:
    return cell_text(stored) == cell_text(typed)


def folded(text: str) -> str:
    """Return ``text`` for comparing names: 「ＤＸ研修」 and 「DX研修」 match."""
    return " ".join(unicodedata.normalize("NFKC", text).split()).casefold()


def measure_text(measure: Measure) -> str:
    return f"{measure.policy.number}-{measure.number} {clip(str(measure), 30)}"


def kind_label(kind: str) -> str:
    return wording.KIND_LABELS[achievement.Kind(kind)]


def accumulation_label(accumulation: str) -> str:
    return wording.ACCUMULATION_LABELS[achievement.Accumulation(accumulation)]


def year_label(fiscal_year: int | None) -> str:
    return NONE_TEXT if fiscal_year is None else wareki.fiscal_year_label(fiscal_year)


def target_heading(fiscal_year: int) -> str:
    return f"目標値 {wareki.fiscal_year_label(fiscal_year)}"


def baseline_label(value: Decimal | None, places: int, unit: str) -> str:
    if value is None:
        return NONE_TEXT
    return wording.format_number(value, unit, places)


def words_lookup(words: dict[str, tuple[str, ...]], labels: dict[str, str]) -> dict[str, str]:
    lookup = {normalise_header(word): value for value, names in words.items() for word in names}
    # The admin's longer labels, 「増加型（実績が目標以上で達成）」, read too.
    lookup.update({normalise_header(label): value for value, label in labels.items()})
    return lookup


KIND_LOOKUP = words_lookup(KIND_WORDS, dict(Kind.choices))
ACCUMULATION_LOOKUP = words_lookup(ACCUMULATION_WORDS, dict(Accumulation.choices))


# Columns ----------------------------------------------------------------


@dataclass(frozen=True)
class TargetColumn:
    """A 目標値 column: where it is, its header and the year it names."""

    index: int
    header: str
    fiscal_year: int | None


def target_year(header: str) -> int | None | bool:
    """Return the year a 目標値 header names; False for another header.

    None means the header starts with 目標値 but its year cannot be read.
    """
    text = normalise_header(header)
    prefix = next((prefix for prefix in TARGET_PREFIXES if text.startswith(prefix)), None)
    if prefix is None:
        return False
    rest = text[len(prefix):].strip(TARGET_SEPARATORS)
    if rest.startswith("(") and rest.endswith(")"):
        rest = rest[1:-1].strip()
    try:
        return parse_fiscal_year(Cell(rest))
    except CellError:
        return None


def definition_columns(headers: tuple[str, ...]) -> tuple[dict[str, int], list[TargetColumn]]:
    """Map column keys and 目標値 columns to positions; refuse a foreign file."""
    wanted = {
        normalise_header(name): key for key, names in DEFINITION_COLUMNS.items() for name in names
    }
    found: dict[str, int] = {}
    targets: list[TargetColumn] = []
    for index, header in enumerate(headers):
        key = wanted.get(normalise_header(header))
        if key is not None:
            found.setdefault(key, index)
            continue
        year = target_year(header)
        if year is not False:
            targets.append(TargetColumn(index, header, year))
    missing = [DEFINITION_LABELS[key] for key in REQUIRED_DEFINITION_COLUMNS if key not in found]
    if missing:
        english = ", ".join(names[-1] for names in DEFINITION_COLUMNS.values())
        raise ImportRefused(
            f"1行目に必要な列がありません：{'、'.join(missing)}"
            f"（英語の列名 {english}, target 2026 も使えます）。"
            "施策・指標の定義は、定義用のテンプレートに記入してください。"
        )
    return found, targets


def header_errors(targets: list[TargetColumn], plan: Plan | None) -> list[RowError]:
    """Return the refusals of row 1: unreadable, repeated or out-of-period years."""
    errors: list[RowError] = []
    seen: dict[int, str] = {}
    for column in targets:
        year = column.fiscal_year
        if year is None:
            reason = (
                f"列「{column.header}」の年度を読めません。"
                "「目標値 R8」「目標値 2026」のように年度を付けてください。"
            )
        elif year in seen:
            reason = f"{wareki.fiscal_year_label(year)}の目標値の列が「{seen[year]}」と重なっています。"
        elif plan is not None and year not in plan.fiscal_years:
            reason = outside_period_message(year, plan)
        else:
            seen[year] = column.header
            continue
        errors.append(RowError(1, column.header, "", reason))
    return errors


# Reading cells ----------------------------------------------------------


def parse_whole(cell: Cell, what: str, *, limit: int = MAX_POSITION) -> int | None:
    """Return a positive whole number (番号, 表示順), or None when blank."""
    parsed = parse_number(cell)
    if parsed is None:
        return None
    value, _places = parsed
    if value != value.to_integral_value() or not 1 <= value <= limit:
        raise CellError(f"{what}は1以上の整数で入力してください：「{parse_text(cell)}」")
    return int(value)


def parse_word(
    cell: Cell, lookup: dict[str, str], what: str, choices: tuple[str, ...]
) -> str | None:
    """Return the value a word such as 「累計」 stands for, or None when blank."""
    text = parse_text(cell)
    if not text:
        return None
    value = lookup.get(normalise_header(text.strip(WORD_BRACKETS)))
    if value is None:
        raise CellError(
            f"{what}「{clip(text)}」は使えません。{'・'.join(choices)}のどれかを入力してください。"
        )
    return value


def check_code(code: str) -> list[str]:
    """Return why ``code`` cannot be a 指標コード (the model's validators)."""
    if not code:
        return ["指標コードが空欄です。"]
    reasons = []
    for validator in Indicator._meta.get_field("code").validators:
        try:
            validator(code)
        except ValidationError as error:
            reasons += [with_text(message, code) for message in error.messages]
    return reasons


@dataclass
class RowCells:
    """The cells of one row, read; "" or None where blank (or no column)."""

    number: int
    cells: tuple[Cell, ...]
    plan_code: str = ""
    policy: int | None = None
    measure: int | None = None
    measure_title: str = ""
    initiative: str = ""
    purpose: str = ""
    code: str = ""
    position: int | None = None
    item: str = ""
    unit: str = ""
    kind: str | None = None
    accumulation: str | None = None
    baseline: tuple[Decimal, int] | None = None
    baseline_text: str = ""
    baseline_year: int | None = None
    notes: str = ""
    errors: list[RowError] = field(default_factory=list)
    # Column keys already refused, so that later checks do not pile up.
    failed: set[str] = field(default_factory=set)


# Stored data ------------------------------------------------------------


@dataclass
class Stored:
    """What the database holds for the file's plan, read in five queries."""

    policies: dict[int, BasicPolicy] = field(default_factory=dict)
    measures: dict[tuple[int, int], Measure] = field(default_factory=dict)
    measures_by_id: dict[int, Measure] = field(default_factory=dict)
    initiatives: dict[tuple[int, str], Initiative] = field(default_factory=dict)
    initiatives_by_id: dict[int, Initiative] = field(default_factory=dict)
    last_initiative: dict[int, int] = field(default_factory=dict)
    indicators: dict[str, Indicator] = field(default_factory=dict)
    plan_indicators: list[Indicator] = field(default_factory=list)
    targets: dict[tuple[int, int], Target] = field(default_factory=dict)


def stored_definitions(*, plan: Plan, codes: set[str]) -> Stored:
    """Return the plan's structure and the KGIs named, without per-row queries."""
    stored = Stored()
    policies_by_id = {}
    for policy in BasicPolicy.objects.filter(plan=plan):
        policy.plan = plan
        stored.policies[policy.number] = policy
        policies_by_id[policy.pk] = policy
    for measure in Measure.objects.filter(policy__plan=plan):
        measure.policy = policies_by_id[measure.policy_id]
        stored.measures[(measure.policy.number, measure.number)] = measure
        stored.measures_by_id[measure.pk] = measure
    for initiative in Initiative.objects.filter(measure__policy__plan=plan):
        initiative.measure = stored.measures_by_id[initiative.measure_id]
        stored.initiatives[(initiative.measure_id, folded(initiative.title))] = initiative
        stored.initiatives_by_id[initiative.pk] = initiative
        stored.last_initiative[initiative.measure_id] = max(
            initiative.number, stored.last_initiative.get(initiative.measure_id, 0)
        )
    indicators = Indicator.objects.filter(Q(plan=plan) | Q(code__in=codes)).select_related("plan")
    for indicator in indicators:
        stored.indicators[indicator.code] = indicator
        if indicator.plan_id == plan.pk:
            stored.plan_indicators.append(indicator)
    for target in Target.objects.filter(indicator__plan=plan, indicator__code__in=codes):
        stored.targets[(target.indicator_id, target.fiscal_year)] = target
    return stored


# Preview ----------------------------------------------------------------


class DefinitionReader:
    """Check a definitions sheet against the stored plan; write nothing."""

    def __init__(self, *, sheet: Sheet, filename: str, plans: QuerySet[Plan] | None = None) -> None:
        self.sheet = sheet
        # The plans this import may change (a user's scope); None: every plan.
        self.plans = Plan.objects.all() if plans is None else plans
        self.columns, self.target_columns = definition_columns(sheet.headers)
        if not sheet.rows:
            raise ImportRefused(
                "2行目から下に指標の行がありません。1行に1つの指標を記入してください。"
            )
        self.result = DefinitionImport(filename=filename, sheet=sheet)
        self.labels = {
            key: sheet.headers[self.columns[key]] if key in self.columns else label
            for key, label in DEFINITION_LABELS.items()
        }
        self.plan: Plan | None = None
        self.stored = Stored()
        # What several rows may state once: codes, measure titles, purposes.
        self.code_rows: dict[str, int] = {}
        self.measure_titles: dict[tuple[int, int], list[tuple[int, str]]] = defaultdict(list)
        self.purposes: dict[tuple[int, int, str], list[tuple[int, str]]] = defaultdict(list)
        self.new_measures: dict[tuple[int, int], Measure] = {}
        self.renamed: dict[tuple[int, int], Measure] = {}
        self.new_initiatives: dict[tuple[int, int, str], Initiative] = {}
        self.changed_initiatives: dict[tuple[int, int, str], Initiative] = {}
        self.next_initiative: dict[tuple[int, int], int] = {}
        self.next_position = 0

    def read(self) -> DefinitionImport:
        cells = [self.read_cells(row) for row in self.sheet.rows]
        self.find_plan(cells)
        columns = self.check_headers()
        definitions: list[DefinitionRow] = []
        plan = self.plan
        if plan is not None:
            codes = {row.code for row in cells if row.code}
            self.stored = stored_definitions(plan=plan, codes=codes)
            self.collect(cells)
            for row in cells:
                if row.plan_code != plan.code or "code" in row.failed:
                    continue
                definition = self.resolve(row, columns)
                if definition is not None:
                    definitions.append(definition)
            self.check_positions(definitions, {row.number: row for row in cells})
        failed = {row.number for row in cells if row.errors}
        self.result.errors += [error for row in cells for error in row.errors]
        self.result.rows = [row for row in definitions if row.row not in failed]
        self.result.writes = DefinitionWrites(
            new_measures=list(self.new_measures.values()),
            renamed_measures=list(self.renamed.values()),
            new_initiatives=list(self.new_initiatives.values()),
            changed_initiatives=list(self.changed_initiatives.values()),
        )
        return self.result

    def refuser(self, row: RowCells) -> Callable[[str, str], None]:
        """Return refuse(key, reason), which files a RowError for ``row``.

        ``key`` is a column key or, for a 目標値 column, its header.
        """

        def refuse(key: str, reason: str) -> None:
            row.errors.append(RowError(row.number, self.labels.get(key, key), row.code, reason))
            row.failed.add(key)

        return refuse

    def cell(self, row: RowCells, key: str) -> Cell:
        index = self.columns.get(key)
        return Cell(None) if index is None else row.cells[index]

    def read_cells(self, sheet_row: SheetRow) -> RowCells:
        """Read every cell of a row; refuse what no plan could accept."""
        row = RowCells(number=sheet_row.number, cells=sheet_row.cells)
        refuse = self.refuser(row)

        def read(key: str, parse: Callable[[Cell], object]) -> object:
            try:
                return parse(self.cell(row, key))
            except CellError as error:
                refuse(key, str(error))
                return None

        try:
            row.code = normalise_code(self.cell(row, "code"))
        except CellError as error:
            refuse("code", str(error))
        if "code" not in row.failed:
            for reason in check_code(row.code):
                refuse("code", reason)
        plan_code = read("plan", parse_text) or ""
        row.plan_code = unicodedata.normalize("NFKC", plan_code).strip().lower()
        row.policy = read("policy", lambda cell: parse_whole(cell, "基本方針番号"))
        row.measure = read("measure", lambda cell: parse_whole(cell, "施策番号"))
        for key in ("measure_title", "initiative", "purpose", "item", "unit", "notes"):
            setattr(row, key, cell_text(read(key, parse_text) or ""))
        row.position = read("position", lambda cell: parse_whole(cell, "表示順"))
        row.kind = read(
            "kind", lambda cell: parse_word(cell, KIND_LOOKUP, "評価の型", KIND_CHOICES)
        )
        row.accumulation = read(
            "accumulation",
            lambda cell: parse_word(cell, ACCUMULATION_LOOKUP, "集計方法", ACCUMULATION_CHOICES),
        )
        row.baseline = read("baseline", parse_number)
        if row.baseline is not None:
            row.baseline_text = parse_text(self.cell(row, "baseline"))
        if not self.cell(row, "baseline_year").blank:
            row.baseline_year = read("baseline_year", parse_fiscal_year)
        if row.purpose and not row.initiative:
            refuse("purpose", f"目的（意図）{quote(row.purpose)}は取組と一緒に入力してください。")
        if row.code and "code" not in row.failed:
            first = self.code_rows.setdefault(row.code, row.number)
            if first != row.number:
                refuse("code", f"同じ指標コードが{first}行目にもあります。")
        return row

    def find_plan(self, cells: list[RowCells]) -> None:
        """Take the plan of the first row that names one; refuse any other."""
        codes = {row.plan_code for row in cells if row.plan_code}
        plans = {plan.code: plan for plan in self.plans.filter(code__in=codes)}
        first = next((row for row in cells if row.plan_code), None)
        self.plan = plans.get(first.plan_code) if first else None
        self.result.plan = self.plan
        for row in cells:
            code = row.plan_code
            if not code:
                reason = "計画コードが空欄です。"
            elif code not in plans:
                reason = (
                    f"計画コード「{clip(code)}」は登録されていません。"
                    "計画を先に登録してから取り込んでください。"
                )
            elif code != first.plan_code:
                reason = (
                    "1つのファイルには1つの計画だけを入れてください"
                    f"（{first.number}行目は「{first.plan_code}」、この行は「{code}」）。"
                )
            else:
                continue
            row.errors.insert(0, RowError(row.number, self.labels["plan"], row.code, reason))
            row.failed.add("plan")

    def check_headers(self) -> list[TargetColumn]:
        """Refuse bad 目標値 headers at row 1; return the usable columns."""
        errors = header_errors(self.target_columns, self.plan)
        self.result.errors += errors
        refused = {error.column for error in errors}
        return [column for column in self.target_columns if column.header not in refused]

    def collect(self, cells: list[RowCells]) -> None:
        """Note what several rows may state once: titles, purposes, positions."""
        for row in cells:
            if row.policy is None or row.measure is None:
                continue
            key = (row.policy, row.measure)
            if row.measure_title:
                self.measure_titles[key].append((row.number, row.measure_title))
            if row.initiative and row.purpose:
                self.purposes[(*key, folded(row.initiative))].append((row.number, row.purpose))
        # A KGI without 表示順 goes after every position stored or typed.
        self.next_position = max(
            [indicator.position for indicator in self.stored.plan_indicators]
            + [row.position for row in cells if row.position is not None]
            + [0]
        )

    # Resolving one row ---------------------------------------------------

    def resolve(self, row: RowCells, targets: list[TargetColumn]) -> DefinitionRow | None:
        """Place the row's KGI in the plan and say what importing it would do."""
        plan = self.plan
        refuse = self.refuser(row)
        changes: list[str] = []
        existing = self.stored.indicators.get(row.code)
        if existing is not None and existing.plan_id != plan.pk:
            refuse(
                "code",
                f"指標コード「{row.code}」は別の計画（{existing.plan.code}）で使われています。",
            )
            return None
        measure = self.resolve_measure(row, existing, refuse, changes)
        if measure is None:
            return None
        initiative = self.resolve_initiative(row, measure, existing, refuse, changes)

        kind = row.kind or (existing.kind if existing else Kind.INCREASE)
        accumulation = row.accumulation or (
            existing.accumulation if existing else Accumulation.ANNUAL
        )
        if row.baseline is not None:
            baseline, baseline_places = row.baseline
            if existing is not None and existing.baseline == baseline:
                # 45 and 45.0 read alike from an Excel number cell: keep the
                # decimals stored.
                baseline_places = existing.baseline_places
        elif existing is not None:
            baseline, baseline_places = existing.baseline, existing.baseline_places
        else:
            baseline, baseline_places = None, 0
        baseline_year = row.baseline_year
        if baseline_year is None and existing is not None:
            baseline_year = existing.baseline_year
        elif baseline_year is None and baseline is not None:
            # The document's 現状値 is the figure of the year before the plan.
            baseline_year = plan.baseline_year
        self.check_kind(row, kind, baseline, existing, refuse)

        item = row.item or (existing.item if existing else "")
        if not item and "item" not in row.failed:
            refuse("item", "項目が空欄です（新しい指標には必須です）。")
        position = row.position
        if position is None and existing is not None:
            position = existing.position
        elif position is None:
            self.next_position += 1
            position = self.next_position
        candidate = Indicator(
            pk=existing.pk if existing else None,
            plan=plan,
            measure=measure,
            initiative=initiative,
            code=row.code,
            position=position,
            item=item,
            unit=row.unit or (existing.unit if existing else ""),
            kind=kind,
            accumulation=accumulation,
            baseline=baseline,
            baseline_places=baseline_places,
            baseline_year=baseline_year,
            done_label=existing.done_label if existing else "",
            notes=row.notes or (existing.notes if existing else ""),
        )
        if not row.errors:
            self.clean_indicator(candidate, refuse)
        new_targets = self.resolve_targets(row, targets, candidate, existing, refuse)
        if existing is None:
            # A new measure or initiative is already named by its own line.
            placed = {change.partition("：")[0] for change in changes}
            changes += [
                change for change in new_indicator_lines(candidate, new_targets)
                if f"新しい{change.partition('：')[0]}" not in placed
            ]
            action = Action.NEW
        else:
            changes += indicator_changes(existing, candidate, self.stored)
            changes += [
                f"{target_heading(target.fiscal_year)}："
                f"{self.old_target_label(existing, target.fiscal_year)} → "
                f"{target_text(candidate, target.value, target.value_places)}"
                for target in new_targets
            ]
            action = Action.CHANGED if changes else Action.UNCHANGED
        return DefinitionRow(
            row=row.number, code=row.code, action=action, changes=changes, item=item,
            indicator=candidate, existing=existing, targets=new_targets,
        )

    def resolve_measure(
        self,
        row: RowCells,
        existing: Indicator | None,
        refuse: Callable[[str, str], None],
        changes: list[str],
    ) -> Measure | None:
        """Return the row's measure: stored, renamed or new."""
        if row.policy is None and row.measure is None and existing is not None:
            return self.stored.measures_by_id[existing.measure_id]
        if row.policy is None or row.measure is None:
            for key, label in (("policy", "基本方針番号"), ("measure", "施策番号")):
                if getattr(row, key) is None and key not in row.failed:
                    refuse(key, f"{label}が空欄です（新しい指標には必須です）。")
            return None
        policy = self.stored.policies.get(row.policy)
        if policy is None:
            numbers = "、".join(str(number) for number in sorted(self.stored.policies)) or "なし"
            refuse(
                "policy",
                f"基本方針番号「{row.policy}」はこの計画（{self.plan.code}）にありません"
                f"（登録済みの番号：{numbers}）。基本方針はファイルからは作れません。",
            )
            return None
        key = (row.policy, row.measure)
        titles = self.measure_titles.get(key, [])
        first_row, title = titles[0] if titles else (0, "")
        for number, other in titles:
            if number == row.number and not same_text(other, title):
                refuse(
                    "measure_title",
                    f"施策 {row.policy}-{row.measure} の施策名が{first_row}行目（{quote(title)}）"
                    f"と違います：{quote(other)}",
                )
        stored = self.stored.measures.get(key)
        if stored is not None:
            if title and not same_text(stored.title, title):
                if key not in self.renamed:
                    self.renamed[key] = renamed_measure(stored, cell_text(title))
                if row.number == first_row:
                    changes.append(
                        f"施策名（{row.policy}-{row.measure}）：{quote(stored.title)} → {quote(title)}"
                    )
            return stored
        if not title:
            refuse(
                "measure_title",
                f"施策番号「{row.measure}」は基本方針{row.policy}に登録されていません。"
                "新しい施策にするには施策名を入力してください。",
            )
            return None
        measure = self.new_measures.get(key)
        if measure is None:
            measure = Measure(policy=policy, number=row.measure, label="", title=cell_text(title))
            try:
                measure.clean_fields(exclude={"policy"})
            except ValidationError as error:
                for message in error.messages:
                    refuse("measure_title", with_text(message, title))
                return None
            self.new_measures[key] = measure
            changes.append(f"新しい施策：{measure_text(measure)}")
        return measure

    def resolve_initiative(
        self,
        row: RowCells,
        measure: Measure,
        existing: Indicator | None,
        refuse: Callable[[str, str], None],
        changes: list[str],
    ) -> Initiative | None:
        """Return the row's initiative: stored, new, kept or none."""
        if not row.initiative:
            if existing is not None and existing.measure_id == measure.pk:
                return self.stored.initiatives_by_id.get(existing.initiative_id)
            return None
        key = (measure.policy.number, measure.number, folded(row.initiative))
        purposes = self.purposes.get(key, [])
        first_row, purpose = purposes[0] if purposes else (0, "")
        for number, other in purposes:
            if number == row.number and not same_text(other, purpose):
                refuse(
                    "purpose",
                    f"取組{quote(row.initiative)}の目的（意図）が{first_row}行目と違います："
                    f"{quote(other)}",
                )
        stored = None
        if measure.pk is not None:
            stored = self.stored.initiatives.get((measure.pk, folded(row.initiative)))
        if stored is not None:
            if purpose and not same_text(stored.purpose, purpose):
                if key not in self.changed_initiatives:
                    changed = Initiative(
                        pk=stored.pk, measure=measure, number=stored.number,
                        title=stored.title, purpose=cell_text(purpose),
                    )
                    self.changed_initiatives[key] = changed
                if row.number == first_row:
                    changes.append(
                        f"取組の目的（{quote(stored.title)}）：{quote(stored.purpose)} → "
                        f"{quote(purpose)}"
                    )
            return stored
        initiative = self.new_initiatives.get(key)
        if initiative is None:
            measure_key = (measure.policy.number, measure.number)
            number = self.next_initiative.get(
                measure_key, self.stored.last_initiative.get(measure.pk, 0)
            ) + 1
            self.next_initiative[measure_key] = number
            initiative = Initiative(
                measure=measure, number=number, title=row.initiative,
                purpose=cell_text(purpose),
            )
            try:
                initiative.clean_fields(exclude={"measure"})
            except ValidationError as error:
                for message in error.messages:
                    refuse("initiative", with_text(message, row.initiative))
                return None
            self.new_initiatives[key] = initiative
            changes.append(f"新しい取組：{quote(row.initiative)}")
        return initiative

    def check_kind(
        self,
        row: RowCells,
        kind: str,
        baseline: Decimal | None,
        existing: Indicator | None,
        refuse: Callable[[str, str], None],
    ) -> None:
        """Refuse a baseline the kind does not allow, quoting what was typed."""
        if "baseline" in row.failed:
            return
        if kind == Kind.MILESTONE and baseline is not None:
            if row.baseline is not None:
                refuse("baseline", f"完了型の指標には現状値を入力できません：「{row.baseline_text}」")
            else:
                stored = baseline_label(baseline, existing.baseline_places, existing.unit)
                refuse(
                    "kind",
                    f"完了型にするには、登録済みの現状値（{stored}）を管理画面で消してください。",
                )
        if kind == Kind.REDUCTION and not (baseline is not None and baseline > 0):
            typed = f"：「{row.baseline_text}」" if row.baseline is not None else "（空欄です）。"
            refuse("baseline", f"削減率型の指標には 0 より大きい現状値が必要です{typed}")

    def clean_indicator(self, candidate: Indicator, refuse: Callable[[str, str], None]) -> None:
        """Run the model's own checks; the related objects are in memory."""
        try:
            candidate.clean_fields(exclude={"plan", "measure", "initiative"})
            candidate.clean()
        except ValidationError as error:
            for name, messages in error.message_dict.items():
                value = getattr(candidate, name, None)
                for message in messages:
                    if isinstance(value, str) and value:
                        message = with_text(message, value)
                    refuse(FIELD_COLUMNS.get(name, "code"), message)

    def resolve_targets(
        self,
        row: RowCells,
        columns: list[TargetColumn],
        candidate: Indicator,
        existing: Indicator | None,
        refuse: Callable[[str, str], None],
    ) -> list[Target]:
        """Return the row's new and changed targets; blank cells keep theirs."""
        targets: list[Target] = []
        given: set[int] = set()
        for column in columns:
            cell = row.cells[column.index]
            try:
                parsed = parse_target(cell, candidate)
            except CellError as error:
                refuse(column.header, str(error))
                continue
            if parsed is None:
                continue
            value, places = parsed
            year = column.fiscal_year
            given.add(year)
            current = self.stored.targets.get((existing.pk, year)) if existing else None
            if current is not None and current.value == value:
                continue
            if current is not None:
                # A revision needs its reason and decision date, which this
                # file has no place for: the targets import and the admin ask.
                old = target_text(existing, current.value, current.value_places)
                refuse(column.header, with_text(
                    f"登録済みの目標値（{old}）はこのファイルでは変更できません。{REVISION_HINT}",
                    parse_text(cell),
                ))
                continue
            target = Target(
                pk=current.pk if current else None,
                indicator=candidate, fiscal_year=year, value=value, value_places=places,
            )
            try:
                target.clean_fields(exclude={"indicator"})
                target.clean()
            except ValidationError as error:
                for message in error.messages:
                    refuse(column.header, with_text(message, parse_text(cell)))
                continue
            targets.append(target)
        if existing is not None and existing.kind != candidate.kind:
            self.check_stored_targets(existing, candidate, given, refuse)
        return targets

    def check_stored_targets(
        self,
        existing: Indicator,
        candidate: Indicator,
        given: set[int],
        refuse: Callable[[str, str], None],
    ) -> None:
        """Refuse a new kind that the targets kept from before would break."""
        for (indicator_id, year), target in sorted(self.stored.targets.items()):
            if indicator_id != existing.pk or year in given:
                continue
            kept = Target(indicator=candidate, fiscal_year=year, value=target.value)
            try:
                kept.clean()
            except ValidationError as error:
                old = target_text(existing, target.value, target.value_places)
                for message in error.message_dict.get("value", []):
                    refuse(
                        "kind",
                        f"評価の型を{kind_label(candidate.kind)}にすると、登録済みの"
                        f"{target_heading(year)}（{old}）と合いません：{message}"
                        "評価の型と目標値は管理画面の指標の画面で一緒に変更してください"
                        "（目標値の変更には変更理由と決定日が必要です）。",
                    )

    def old_target_label(self, existing: Indicator, fiscal_year: int) -> str:
        current = self.stored.targets.get((existing.pk, fiscal_year))
        if current is None:
            return "未設定"
        return target_text(existing, current.value, current.value_places)

    def check_positions(
        self, definitions: list[DefinitionRow], cells: dict[int, RowCells]
    ) -> None:
        """Refuse two KGIs of the plan on one 表示順, naming both."""
        in_file = {definition.code for definition in definitions}
        holders: dict[int, list[tuple[int, str]]] = defaultdict(list)
        for indicator in self.stored.plan_indicators:
            if indicator.code not in in_file:
                holders[indicator.position].append((0, indicator.code))
        for definition in definitions:
            holders[definition.indicator.position].append((definition.row, definition.code))
        for position, entries in holders.items():
            (first_row, first_code), *others = sorted(entries)
            for number, _code in others:
                if first_row == 0:
                    reason = f"表示順「{position}」は登録済みの指標 {first_code} が使っています。"
                else:
                    reason = (
                        f"表示順「{position}」が{first_row}行目（{first_code}）と重なっています。"
                    )
                self.refuser(cells[number])("position", reason)


def renamed_measure(stored: Measure, title: str) -> Measure:
    return Measure(
        pk=stored.pk, policy=stored.policy, number=stored.number, label=stored.label,
        title=title, description=stored.description,
    )


def initiative_text(initiative: Initiative | None) -> str:
    return NONE_TEXT if initiative is None else quote(initiative.title)


def new_indicator_lines(indicator: Indicator, targets: list[Target]) -> list[str]:
    """Return what a new KGI will be, as preview lines."""
    lines = [
        f"施策：{measure_text(indicator.measure)}",
        f"項目：{quote(indicator.item)}",
        f"表示順：{indicator.position}",
        f"評価の型：{kind_label(indicator.kind)}",
        f"集計方法：{accumulation_label(indicator.accumulation)}",
    ]
    if indicator.initiative is not None:
        lines.insert(1, f"取組：{initiative_text(indicator.initiative)}")
    if indicator.unit:
        lines.append(f"単位：{indicator.unit}")
    if indicator.baseline is not None:
        lines.append(
            f"現状値：{baseline_label(indicator.baseline, indicator.baseline_places, indicator.unit)}"
            f"（{year_label(indicator.baseline_year)}）"
        )
    lines += [
        f"{target_heading(target.fiscal_year)}："
        f"{target_text(indicator, target.value, target.value_places)}"
        for target in targets
    ]
    if indicator.notes:
        lines.append(f"注記：{quote(indicator.notes)}")
    return lines


def indicator_changes(old: Indicator, new: Indicator, stored: Stored) -> list[str]:
    """Return 「単位：件 → 回」 lines for what differs from the stored KGI."""
    lines: list[str] = []
    old_measure = stored.measures_by_id[old.measure_id]
    if new.measure is not old_measure:
        lines.append(f"施策：{measure_text(old_measure)} → {measure_text(new.measure)}")
    old_initiative = stored.initiatives_by_id.get(old.initiative_id)
    if new.initiative is not old_initiative:
        lines.append(f"取組：{initiative_text(old_initiative)} → {initiative_text(new.initiative)}")
    if new.position != old.position:
        lines.append(f"表示順：{old.position} → {new.position}")
    if not same_text(old.item, new.item):
        lines.append(f"項目：{quote(old.item)} → {quote(new.item)}")
    if not same_text(old.unit, new.unit):
        lines.append(f"単位：{old.unit or NONE_TEXT} → {new.unit or NONE_TEXT}")
    if new.kind != old.kind:
        lines.append(f"評価の型：{kind_label(old.kind)} → {kind_label(new.kind)}")
    if new.accumulation != old.accumulation:
        lines.append(
            f"集計方法：{accumulation_label(old.accumulation)} → "
            f"{accumulation_label(new.accumulation)}"
        )
    # Numerically equal values are the same: an Excel number cell cannot
    # carry the decimals typed (45 and 45.0 read alike).
    if new.baseline != old.baseline:
        lines.append(
            f"現状値：{baseline_label(old.baseline, old.baseline_places, old.unit)} → "
            f"{baseline_label(new.baseline, new.baseline_places, new.unit)}"
        )
    elif new.baseline is not None:
        new.baseline_places = old.baseline_places
    if new.baseline_year != old.baseline_year:
        lines.append(
            f"現状値の年度：{year_label(old.baseline_year)} → {year_label(new.baseline_year)}"
        )
    if not same_text(old.notes, new.notes):
        lines.append(f"注記：{quote(old.notes)} → {quote(new.notes)}")
    return lines


def preview_definitions(
    *, sheet: Sheet, filename: str = "", user: AbstractBaseUser | None = None
) -> DefinitionImport:
    """Check every row of ``sheet`` and say what importing it would do.

    Six queries whatever the number of rows: the plan, its policies,
    measures, initiatives and KGIs (with those the file names), and the
    targets of the KGIs named. Raise ImportRefused for a file that is no
    definitions sheet. With ``user``, a plan outside the plans they manage
    is refused as if it did not exist.
    """
    plans = None if user is None else plans_managed_by(user=user)
    return DefinitionReader(sheet=sheet, filename=filename, plans=plans).read()


def read_definitions(
    data: bytes, filename: str, *, user: AbstractBaseUser | None = None
) -> DefinitionImport:
    """Read an uploaded definitions file within the limits and preview it."""
    return preview_definitions(sheet=read_upload(data, filename), filename=filename, user=user)


# Apply ------------------------------------------------------------------


def apply_definitions(
    preview: DefinitionImport, *, user: AbstractBaseUser | None = None
) -> dict[Action, int]:
    """Write the measures, initiatives, KGIs and targets of a clean preview.

    The file is checked again inside the transaction; if the data changed
    since the preview (or a rule now refuses a row), nothing is written and
    ImportRefused says so. Every row written gets a history row, recorded
    as ``user``'s with 「ファイル取込：<file name>」 as the reason.
    """
    if not preview.ok or preview.plan is None or preview.sheet is None:
        raise ImportRefused(REFUSED)
    try:
        with transaction.atomic():
            # Two imports into one plan wait for each other (PostgreSQL).
            list(Plan.objects.select_for_update().filter(pk=preview.plan.pk).values("pk"))
            fresh = preview_definitions(sheet=preview.sheet, filename=preview.filename)
            if not fresh.ok:
                preview.errors.extend(fresh.errors)
                raise ImportRefused(REFUSED)
            if fresh.fingerprint() != preview.fingerprint():
                raise ImportRefused(
                    "確認の後でデータが変更されたため、取り込みませんでした。"
                    "もう一度ファイルを確認してください。"
                )
            write_definitions(fresh, user=user)
    except IntegrityError as error:
        raise ImportRefused(
            f"取り込み中にデータが変更されたため、取り込みませんでした（{error}）。"
            "もう一度お試しください。"
        ) from None
    return fresh.counts


def write_definitions(preview: DefinitionImport, *, user: AbstractBaseUser | None = None) -> None:
    """Write a checked preview and its history; the caller holds the transaction."""
    writes = preview.writes
    Measure.objects.bulk_update(writes.renamed_measures, ["title"])
    # bulk_create() sets primary keys, so the initiatives, KGIs and targets
    # below take the ids of the rows created before them.
    Measure.objects.bulk_create(writes.new_measures)
    Initiative.objects.bulk_update(writes.changed_initiatives, ["purpose"])
    Initiative.objects.bulk_create(writes.new_initiatives)

    changed = [row for row in preview.rows if row.action == Action.CHANGED]
    moved = [row for row in changed if row.indicator.position != row.existing.position]
    if moved:
        # One UPDATE may not swap two positions past the unique constraint:
        # park the KGIs that move above every position first.
        top = max(
            Indicator.objects.filter(plan=preview.plan).aggregate(top=Max("position"))["top"] or 0,
            *(row.indicator.position for row in preview.rows),
        )
        parked = [
            Indicator(pk=row.indicator.pk, position=top + number)
            for number, row in enumerate(moved, start=1)
        ]
        Indicator.objects.bulk_update(parked, ["position"])
    Indicator.objects.bulk_update([row.indicator for row in changed], INDICATOR_FIELDS)
    Indicator.objects.bulk_create(
        [row.indicator for row in preview.rows if row.action == Action.NEW]
    )
    targets = [target for row in preview.rows for target in row.targets]
    new_targets = [target for target in targets if target.pk is None]
    changed_targets = [target for target in targets if target.pk is not None]
    Target.objects.bulk_create(new_targets)
    Target.objects.bulk_update(changed_targets, ["value", "value_places"])

    reason = import_reason(preview.filename)
    when = timezone.now()
    for model, created, updated in (
        (Measure, writes.new_measures, writes.renamed_measures),
        (Initiative, writes.new_initiatives, writes.changed_initiatives),
        (Indicator, [row.indicator for row in preview.rows if row.action == Action.NEW],
         [row.indicator for row in changed if indicator_changed(row)]),
        (Target, new_targets, changed_targets),
    ):
        record_written(model, created=created, updated=updated, user=user, reason=reason,
                       when=when)


def indicator_changed(row: DefinitionRow) -> bool:
    """Whether a changed row changes the KGI itself, not only its targets."""
    return any(
        getattr(row.indicator, field.attname) != getattr(row.existing, field.attname)
        for field in (Indicator._meta.get_field(name) for name in INDICATOR_FIELDS)
    )


def record_written(
    model: type[Model],
    *,
    created: list[Model],
    updated: list[Model],
    user: AbstractBaseUser | None,
    reason: str,
    when: datetime,
) -> None:
    """Record rows just written, as stored: one query per model, then the history.

    The bulk updates sent only the changed columns of partial objects; the
    history must hold whole rows, so they are read back.
    """
    if not created and not updated:
        return
    stored = model.objects.in_bulk([obj.pk for obj in (*created, *updated)])
    for objs, update in ((created, False), (updated, True)):
        history_create(
            [stored[obj.pk] for obj in objs], model=model, user=user, reason=reason,
            update=update, when=when,
        )


# Template ---------------------------------------------------------------

TEMPLATE_WIDTHS = {
    "plan": 10, "policy": 8, "measure": 8, "measure_title": 30, "initiative": 24,
    "purpose": 30, "code": 12, "position": 7, "item": 44, "unit": 8, "kind": 10,
    "accumulation": 9, "baseline": 11, "baseline_year": 10, "notes": 30,
}
TARGET_WIDTH = 13
WRAPPED_KEYS = frozenset({"measure_title", "initiative", "purpose", "item", "notes"})

COLUMN_GUIDE = (
    ("計画コード", "必須", "「{plan}」と入力します（一覧から選べます）。1つのファイルには1つの計画だけを入れます。"
     "計画はファイルからは作れません。"),
    ("基本方針番号", "新規は必須", "下の「基本方針」にある番号（{policies}）。基本方針はファイルからは作れません。"),
    ("施策番号", "新規は必須", "基本方針の中の施策の番号（下の「登録済みの施策と取組」）。一覧にない番号を入れると新しい施策を"
     "作ります（そのときは施策名が必須）。"),
    ("施策名", "新しい施策は必須", "登録済みの施策で違う名前を入れると、施策名の変更になります"
     "（確認画面に表示されます）。空欄なら変わりません。"),
    ("取組", "任意", "施策の中の取組の名前。登録済みの名前と同じなら、その取組に付けます。"
     "なければ新しい取組を作ります。"),
    ("目的（意図）", "任意", "取組の目的。取組と一緒に入力します。"),
    ("指標コード", "必須", "IGA2-01 のように英大文字・数字・ハイフンで入力します。登録済みのコードなら"
     "その指標を更新し、なければ新しく登録します。ほかの計画のコードは使えません。"),
    ("表示順", "任意", "計画の中での並び順（1以上の整数）。空欄なら、新しい指標は今ある指標の後ろに"
     "ファイルの順で並びます。同じ番号を2つの指標に付けることはできません。"),
    ("項目", "新規は必須", "数値目標（KGI）の内容。"),
    ("単位", "任意", "件、%、人など。数値の欄には単位を付けずに入力します。"),
    ("評価の型", "任意", "{kinds} のどれか（一覧から選べます）。空欄なら増加型。"),
    ("集計方法", "任意", "{accumulations} のどれか（一覧から選べます）。空欄なら単年度。"),
    ("現状値", "任意", "計画開始前の値を数値で入力します（5,639.8 や 45.0% も可）。"
     "削減率型では必須で、0より大きい値です。完了型には入力できません。"),
    ("現状値の年度", "任意", "R7、令和7年度、2025 のどれでも入力できます。現状値があって空欄なら"
     "{baseline_year}になります。"),
    ("目標値（年度ごと）", "任意", "年度ごとの目標値を数値で入力します。入力した小数の桁数で表示します"
     "（「30.0」と入力すれば 30.0）。空欄の年度は今の目標値のまま変わりません。"
     "登録済みの目標値はこのファイルでは変えられません（変更理由と決定日を付けて、"
     "目標値の取り込みか管理画面で変更します）。"
     "削減率型は削減率を「2.0」「▲2.0%」「R7年度比 ▲2.0%」のどれかで入力します。"
     "完了型は数値を入れず、完了予定の年度に「完了」と入力します。"),
    ("注記", "任意", "※で始まる注記など。"),
)

GENERAL_RULES = (
    "1行に1つの指標（KGI）を記入します。1行目の見出しは変えないでください（列の順番は変えても構いません）。",
    "すでに登録されている指標では、空欄の欄は登録済みの値のまま変わりません。値を消すときは管理画面で行います。",
    "ファイルにない指標・施策・取組・目標値は削除されません。",
    "取り込むと、まず確認画面に新規・変更・変更なしの件数と、指標ごとの内容"
    "（変更は「単位：件 → 回」のように変更前 → 変更後）が表示されます。この時点ではまだ何も登録されません。",
    "1行でもエラーがあると何も登録しません。エラーは「5行目 単位（IGA2-04）：…」のように行と列で示します。",
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
    *, plan: Plan, policies: list[BasicPolicy], measures: list[Measure]
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
    year of the plan and the plan's stored KGIs (so an untouched file
    imports unchanged), with drop-down lists for 計画コード, 基本方針番号,
    評価の型 and 集計方法. The 記入方法 sheet explains every column and
    lists the plan's policies, measures and initiatives with their numbers.
    """
    indicators = list(
        Indicator.objects.filter(plan=plan)
        .select_related("plan", "measure__policy", "initiative")
        .prefetch_related("targets")
        .order_by("position")
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
        guide_lines(plan=plan, policies=policies, measures=measures),
    )
    return workbook_bytes(workbook)
