"""Checking a definitions sheet against the stored plan (the preview): what
importing it would change, row by row, without writing anything.

:class:`DefinitionReader` reads the rows; placing a KGI under its measure
and initiative (:mod:`.structure`) and checking the KGI itself
(:mod:`.checks`) are its two mixins."""

from __future__ import annotations

import unicodedata
from collections import defaultdict
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from django.db.models import Q

from indicators.models import Accumulation, Indicator, Kind, Target
from indicators.selectors import confirmed_plan_keys
from indicators.wording import target_text
from plans.models import BasicPolicy, Department, Initiative, Measure, Plan
from plans.selectors import plans_managed_by
from spreadsheets.cells import Cell, CellError, parse_fiscal_year, parse_number, parse_text
from spreadsheets.definitions.changes import indicator_changes, new_indicator_lines
from spreadsheets.definitions.checks import KgiChecks
from spreadsheets.definitions.columns import (
    ACCUMULATION_CHOICES,
    ACCUMULATION_LOOKUP,
    DEFINITION_LABELS,
    KIND_CHOICES,
    KIND_LOOKUP,
    DefinitionImport,
    DefinitionRow,
    DefinitionWrites,
    RowCells,
    TargetColumn,
    cell_text,
    check_code,
    clip,
    definition_columns,
    folded,
    header_errors,
    parse_whole,
    parse_word,
    quote,
    target_heading,
)
from spreadsheets.definitions.owners import OwnerChange, OwnerRows, department_lookup
from spreadsheets.definitions.structure import StructureRows
from spreadsheets.rows import Action, ImportRefused, RowError, normalise_code, read_upload

if TYPE_CHECKING:
    from collections.abc import Callable

    from django.contrib.auth.models import AbstractBaseUser
    from django.db.models import QuerySet

    from spreadsheets.reading import Sheet, SheetRow


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
    # Plan years whose actual is confirmed, by KGI id: what they read may not change.
    confirmed: dict[int, list[int]] = field(default_factory=dict)
    # With a 所管課 column: the city's departments, and each measure's owners.
    departments: dict[int, Department] = field(default_factory=dict)
    department_lookup: dict[str, Department] = field(default_factory=dict)
    owners: dict[int, list[int]] = field(default_factory=dict)


def stored_definitions(*, plan: Plan, codes: set[str], owners: bool = False) -> Stored:
    """Return the plan's structure and the KGIs named, without per-row queries.

    With ``owners`` (the file has a 所管課 column), also the departments of
    the plan's city and the owners of its measures: two queries more.
    """
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
    for indicator_id, fiscal_year in sorted(confirmed_plan_keys([plan.pk])):
        stored.confirmed.setdefault(indicator_id, []).append(fiscal_year)
    if owners:
        stored.departments = {
            department.pk: department
            for department in Department.objects.filter(municipality_id=plan.municipality_id)
        }
        stored.department_lookup = department_lookup(stored.departments.values())
        links = Measure.departments.through.objects.filter(measure__policy__plan=plan)
        for measure_id, department_id in links.values_list("measure_id", "department_id"):
            stored.owners.setdefault(measure_id, []).append(department_id)
    return stored


# Preview ----------------------------------------------------------------


class DefinitionReader(StructureRows, KgiChecks, OwnerRows):
    """Check a definitions sheet against the stored plan; write nothing."""

    def __init__(
        self, *, sheet: Sheet, filename: str, plans: QuerySet[Plan] | None = None
    ) -> None:
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
        # The first row to fill 所管課 for a measure, and the owners it sets.
        self.owner_rows: dict[tuple[int, int], tuple[int, list[int], str]] = {}
        self.owner_changes: dict[tuple[int, int], OwnerChange] = {}

    def read(self) -> DefinitionImport:
        cells = [self.read_cells(row) for row in self.sheet.rows]
        self.find_plan(cells)
        columns = self.check_headers()
        definitions: list[DefinitionRow] = []
        plan = self.plan
        if plan is not None:
            codes = {row.code for row in cells if row.code}
            self.stored = stored_definitions(
                plan=plan, codes=codes, owners="departments" in self.columns
            )
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
            owners=list(self.owner_changes.values()),
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
        for key in ("measure_title", "departments", "initiative", "purpose", "item", "unit",
                    "notes"):
            setattr(row, key, cell_text(read(key, parse_text) or ""))
        row.position = read("position", lambda cell: parse_whole(cell, "表示順"))
        row.kind = read(
            "kind", lambda cell: parse_word(cell, KIND_LOOKUP, "評価の型", KIND_CHOICES)
        )
        row.accumulation = read(
            "accumulation",
            lambda cell: parse_word(cell, ACCUMULATION_LOOKUP, "集計方法", ACCUMULATION_CHOICES),
        )
        # The baseline may carry the row's own unit (「1,280,000枚」).
        row.baseline = read("baseline", lambda cell: parse_number(cell, row.unit or None))
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
        self.resolve_owners(row, measure, refuse, changes)
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
        if existing is not None:
            self.check_confirmed(existing, candidate, refuse)
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


def preview_definitions(
    *, sheet: Sheet, filename: str = "", user: AbstractBaseUser | None = None
) -> DefinitionImport:
    """Check every row of ``sheet`` and say what importing it would do.

    Seven queries whatever the number of rows: the plan, its policies,
    measures, initiatives and KGIs (with those the file names), the
    targets of the KGIs named, and the plan's confirmed years; two more
    with a 所管課 column (the city's departments, the measures' owners). Raise
    ImportRefused for a file that is no definitions sheet. With ``user``,
    a plan outside the plans they manage is refused as if it did not exist.
    """
    plans = None if user is None else plans_managed_by(user=user)
    return DefinitionReader(sheet=sheet, filename=filename, plans=plans).read()


def read_definitions(
    data: bytes, filename: str, *, user: AbstractBaseUser | None = None
) -> DefinitionImport:
    """Read an uploaded definitions file within the limits and preview it."""
    return preview_definitions(sheet=read_upload(data, filename), filename=filename, user=user)
