"""The definitions template's columns, the words it accepts, how a row is
reported back, and how its cells are read."""

from __future__ import annotations

import unicodedata
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError

from indicators import achievement, wording
from indicators.models import Accumulation, Indicator, Kind, Target
from indicators.wording import outside_period_message
from ise_iga_dx.lib import wareki
from plans.models import Initiative, Measure, Plan
from spreadsheets.cells import (
    Cell,
    CellError,
    normalise_header,
    parse_fiscal_year,
    parse_number,
    parse_text,
)
from spreadsheets.rows import Action, ImportRefused, RowError, stored_version

if TYPE_CHECKING:
    from spreadsheets.reading import Sheet


# Column key -> accepted header texts (compared after normalise_header); the
# first is the template's header, the last the English alias.
DEFINITION_COLUMNS: dict[str, tuple[str, ...]] = {
    "plan": ("計画コード", "plan"),
    "policy": ("基本方針番号", "policy"),
    "measure": ("施策番号", "measure"),
    "measure_title": ("施策名", "measure_title"),
    # The measure's owning departments (definitions.owners).
    "departments": ("所管課", "departments"),
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
    # definitions.owners.OwnerChange: measures whose 所管課 the file sets.
    owners: list[Any] = field(default_factory=list)


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
                ("所管課の設定", self.writes.owners),
            )
            if items
        ]
        if extras:
            text += f"（{'、'.join(extras)}）"
        return text

    def seen(self) -> dict[int, tuple[Any, ...]]:
        """Return what this preview showed of each KGI row (see SheetImport.seen)."""
        return {
            row.row: (row.code, row.action.value, *row.changes, *stored_version(row.existing))
            for row in self.rows
        }

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


def first_given(given: list[tuple[int, str]], number: int) -> tuple[int, str, str | None]:
    """Return the first (row, text) given for a name, and row ``number``'s text if it differs.

    A measure's title or an initiative's purpose may be repeated on every
    row of the file that names it; the first row's text is the one kept,
    and a row giving another is refused by its own row.
    """
    first_row, first = given[0] if given else (0, "")
    other = next(
        (text for row, text in given if row == number and not same_text(text, first)), None
    )
    return first_row, first, other


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


def target_year(header: str) -> int | bool | None:
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
            reason = (
                f"{wareki.fiscal_year_label(year)}の目標値の列が「{seen[year]}」と重なっています。"
            )
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
    departments: str = ""
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
